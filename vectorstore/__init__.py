"""Vector storage: Chroma, embedded folder or `chroma run` server, behind a small interface."""

from vectorstore.chroma import ArticleState, ChromaStore, collection_name, open_store

__all__ = ["ArticleState", "ChromaStore", "collection_name", "open_store"]
