"""Checks: each answer sentence against the passages it was given."""
