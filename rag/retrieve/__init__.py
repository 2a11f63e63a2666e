"""Retrieval: dense and keyword search, fusion, query expansion."""
