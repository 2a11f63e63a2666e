"""The naive baseline: what llama-index does out of the box, over the same chunks and models.

A plain ``VectorStoreIndex`` over a Chroma collection (llama-index's ``ChromaVectorStore``) that
holds the project's chunks and vectors, queried through ``index.as_query_engine()`` with its
defaults: top-2 dense retrieval, the default "compact" synthesizer and its default QA prompt (which
shows each node's metadata: article id, title and date; our bookkeeping keys are excluded).
Only our embedder and our LLM are plugged in (wrapped as llama-index classes), so differences
in the report come from retrieval, prompting and citation handling, not from the models.
Streaming is switched on only to time the first token; it changes neither prompt nor top-k.
A query engine keeps no conversation: follow-ups go in without their history.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from rag.llamaindex import BOOKKEEPING, ProjectEmbedding, ProjectLLM


@dataclass
class NaiveResult:
    text: str = ""
    sources: list[str] = field(default_factory=list)  # article ids of the source nodes, in rank order
    chunk_ids: list[str] = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    prompt_tokens: int = 0
    completion_tokens: int = 0


def copy_into_llama_index(services, name: str):
    """The project's chunks and vectors as llama-index TextNodes in their own Chroma collection."""
    from llama_index.core.schema import TextNode
    from llama_index.vector_stores.chroma import ChromaVectorStore

    store = services.store
    collection = store.client.get_or_create_collection(name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}})
    vector_store = ChromaVectorStore(chroma_collection=collection)
    chunks = store.all_chunks()
    if collection.count() != len(chunks):  # first run, or the corpus changed: copy again
        if collection.count():
            collection.delete(ids=collection.get(include=[])["ids"])
        vectors = store.vectors([c.id for c in chunks])
        nodes = [
            TextNode(id_=c.id, text=c.text, metadata=c.metadata(), embedding=v.tolist(),
                     excluded_llm_metadata_keys=BOOKKEEPING, excluded_embed_metadata_keys=BOOKKEEPING)
            for c, v in zip(chunks, vectors)
        ]
        vector_store.add(nodes)
    return vector_store


class NaiveBaseline:
    def __init__(self, services):
        from llama_index.core import VectorStoreIndex

        s = services.settings
        vector_store = copy_into_llama_index(services, f"naive-{services.store.name}"[:200])
        self.embed_model = ProjectEmbedding(services.embedder)
        self.index = VectorStoreIndex.from_vector_store(vector_store, embed_model=self.embed_model)
        self._services = services
        self._llm: ProjectLLM | None = None
        self._engine = None
        self.n_ctx, self.max_tokens = s.llm.n_ctx, s.llm.max_tokens

    @property
    def engine(self):
        if self._engine is None:  # the LLM loads only when answers are asked for
            self._llm = ProjectLLM(self._services.llm, context_window=self.n_ctx, num_output=self.max_tokens)
            self._engine = self.index.as_query_engine(llm=self._llm, streaming=True)
        return self._engine

    def retrieve(self, question: str) -> list:
        return self.index.as_retriever().retrieve(question)

    def ask(self, question: str) -> NaiveResult:
        from llama_index.core import QueryBundle

        engine = self.engine
        started = time.perf_counter()
        bundle = QueryBundle(question)
        nodes = engine.retrieve(bundle)
        retrieve_s = time.perf_counter() - started
        response = engine.synthesize(bundle, nodes)
        pieces, first = [], None
        for piece in response.response_gen:
            first = first if first is not None else time.perf_counter() - started
            pieces.append(piece)
        total = time.perf_counter() - started
        prompt_tokens, completion_tokens = self._llm.take_usage()
        return NaiveResult(
            text="".join(pieces).strip(), sources=[n.node.metadata.get("article_id", "") for n in response.source_nodes],
            chunk_ids=[n.node.node_id for n in response.source_nodes],
            timings={
                "retrieve_s": round(retrieve_s, 3), "total_s": round(total, 3),
                "first_token_s": round(first, 3) if first is not None else None,
            },
            prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
        )
