"""Cited answers over a folder of news articles, offline.

Public API::

    from rag import load_settings, build_services, ingest, answer, stream_answer, search
    services = build_services(load_settings())
    ingest(services, ["seeds/"])
    print(answer(services, "Où Kim Jong Un a-t-il rencontré Poutine ?").to_dict())
"""

from rag.errors import RagError
from rag.ingestion.indexing import IngestReport, ingest, remove
from rag.pipeline import Event, answer, ensure_corpus, search, stream_answer
from rag.services import Services, build_services
from rag.settings import Settings, load_settings
from rag.types import Answer, Article, Chunk, Citation, Filters, Passage

__all__ = [
    "Answer", "Article", "Chunk", "Citation", "Event", "Filters", "IngestReport", "Passage", "RagError", "Services", "Settings",
    "answer", "build_services", "ensure_corpus", "ingest", "load_settings", "remove", "search", "stream_answer",
]
