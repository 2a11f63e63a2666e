"""Benchmarks: scripts that print Markdown tables and write JSON into bench/results/ (see bench/README.md)."""
