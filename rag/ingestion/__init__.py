"""Ingestion: files and links to articles, articles to chunks, chunks into the store."""
