"""The one wiring point: settings in, store + embedder + retriever + reranker + LLM out.

The LLM and the reranker are built on first use, so `rag search` and `rag ingest` never pay
for loading a 1 GB model.
"""

from __future__ import annotations

import logging
from functools import cached_property

from rag.errors import ModelError
from rag.ingestion.chunking import chunking_signature
from rag.models.embedding import make_embedder
from rag.models.llm import make_llm
from rag.retrieve.retrieval import Retriever
from rag.settings import Settings

log = logging.getLogger(__name__)


class NanoRanker:
    """nanoranker's small multilingual ONNX reranker; imported lazily (it loads two models at import)."""

    def __init__(self):
        try:
            import nanoranker
        except Exception as exc:  # noqa: BLE001 - import runs onnxruntime sessions
            raise ModelError(f"cannot load the reranker (nanoranker): {str(exc)[:160]}; install it or set RAG_RETRIEVAL__RERANK=false") from None
        self._rank = nanoranker.rank

    def score(self, query: str, texts: list[str]) -> list[float]:
        ranked = self._rank(query, texts, top_n=len(texts), normalize_scores=False)
        by_text = {text: score for text, score in ranked}
        return [by_text[t] for t in texts]


class Services:
    def __init__(self, settings: Settings):
        self.settings = settings

    @cached_property
    def embedder(self):
        return make_embedder(self.settings.embedder, self.settings.models_dir)

    @cached_property
    def store(self):
        from vectorstore import open_store  # on purpose here: chromadb loads in seconds, `rag --help` should not

        s = self.settings
        return open_store(s.store.url, s.store_path, s.store.collection, self.embedder.signature, chunking_signature(s.chunking))

    @cached_property
    def reranker(self):
        return NanoRanker() if self.settings.retrieval.rerank else None

    @cached_property
    def retriever(self) -> Retriever:
        # The BM25 index is saved there, so a new process loads it instead of tokenizing the whole corpus.
        keyword_dir = self.settings.data_dir / "keyword"
        return Retriever(self.store, self.embedder, self.settings.retrieval, self.reranker, cache_dir=keyword_dir)

    @cached_property
    def llm(self):
        return make_llm(self.settings.llm, self.settings.models_dir, self.settings.data_dir)

    def model_info(self) -> dict:
        llm_name = self.settings.llm.model if self.settings.llm.backend == "llama-cpp" else self.settings.llm.backend
        if "llm" in self.__dict__:
            llm_name = self.llm.name
        return {"llm": llm_name, "embedder": self.embedder.name}


def build_services(settings: Settings) -> Services:
    return Services(settings)


def describe(services, with_articles: bool = False) -> dict:
    """What `rag info` shows: the store, the models and the settings in use."""
    s, store = services.settings, services.store
    llm = s.llm.model if s.llm.backend == "llama-cpp" else s.llm.base_url if s.llm.backend == "openai-like" else "scripted"
    info = {
        "data_dir": str(s.data_dir),
        "store": s.store.url or str(s.store_path),
        "collection": store.name,
        "articles": len(store.articles()),
        "chunks": store.count(),
        "embedder": services.embedder.name,
        "embedder_signature": services.embedder.signature,
        "chunking": store.chunk_signature,
        "llm": f"{s.llm.backend}: {llm}",
        "retrieval": s.retrieval.model_dump(),
        "answer": s.answer.model_dump(),
    }
    if with_articles:
        info["article_list"] = store.articles()
    return info
