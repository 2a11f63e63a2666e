"""The project inside a llama-index application: a retriever, a query engine, and our models as llama-index models.

- :class:`NewsRetriever` is a ``BaseRetriever``: hybrid retrieval (dense + BM25, fused, de-duplicated)
  returning ``NodeWithScore``, the article, title, date and near-duplicates (``also_in``) in metadata.
- :class:`NewsQueryEngine` is a ``BaseQueryEngine``: :func:`rag.answer` behind ``query()``; the
  ``Response`` carries the checked answer, its citations as ``source_nodes`` (one per cited passage,
  the supporting sentences in metadata) and the abstention, form and claims in ``metadata``.
- :class:`ProjectEmbedding` and :class:`ProjectLLM` wrap our embedder and chat LLM as llama-index
  models (the naive evaluation baseline is built from them).

Example (README "Using it from llama-index")::

    from rag import build_services, load_settings
    from rag.llamaindex import NewsQueryEngine, NewsRetriever

    services = build_services(load_settings())
    nodes = NewsRetriever(services, k=4).retrieve("Où Kim a-t-il rencontré Poutine ?")
    response = NewsQueryEngine(services).query("Quel cadeau Poutine a-t-il offert à Kim ?")
    print(response, [n.node.metadata["article_id"] for n in response.source_nodes])
"""

from __future__ import annotations

from typing import Any

from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.base.response.schema import Response
from llama_index.core.llms import ChatMessage, ChatResponse, CompletionResponse, CustomLLM, LLMMetadata
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from pydantic import PrivateAttr

from rag.pipeline import answer, search
from rag.types import Answer, Citation, Passage

# Our storage bookkeeping, not article content: llama-index would paste it into prompts and embeddings.
BOOKKEEPING = ["n", "start", "end", "url", "article_hash", "n_chunks", "date_start", "date_end"]


def passage_node(passage: Passage, extra: dict | None = None) -> NodeWithScore:
    """A retrieved or cited passage as a llama-index node; the id is the chunk id ("<article_id>:<n>")."""
    chunk = passage.chunk
    metadata = {**chunk.metadata(), "also_in": list(passage.also_in), "rank": passage.rank, **(extra or {})}
    node = TextNode(id_=chunk.id, text=chunk.text, metadata=metadata,
                    excluded_llm_metadata_keys=BOOKKEEPING, excluded_embed_metadata_keys=BOOKKEEPING)
    return NodeWithScore(node=node, score=float(passage.score))


def citation_node(citation: Citation) -> NodeWithScore:
    return passage_node(citation.passage, {"cited_as": citation.n, "cited_sentences": list(citation.sentences),
                                           "support": [s.to_dict(citation.passage.chunk) for s in citation.support]})


def to_response(answer: Answer) -> Response:
    """A llama-index ``Response`` of a checked answer: cited passages as source nodes, the rest in metadata."""
    return Response(
        response=answer.text,
        source_nodes=[citation_node(c) for c in answer.citations],
        metadata={key: value for key, value in answer.to_dict().items() if key not in ("answer", "citations", "passages")},
    )


class NewsRetriever(BaseRetriever):
    """The project's hybrid retrieval as a llama-index retriever (``k`` passages, default: settings retrieval.k), within
    ``filters`` (rag.types.Filters: some articles, a date range) when given."""

    def __init__(self, services, k: int | None = None, filters=None, **kwargs):
        super().__init__(**kwargs)
        self._services = services
        self._k = k
        self._filters = filters

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [passage_node(p) for p in search(self._services, query_bundle.query_str, k=self._k, filters=self._filters)]


class NewsQueryEngine(BaseQueryEngine):
    """Checked, cited answers (``rag.answer``) as a llama-index query engine; ``history`` for a follow-up."""

    def __init__(self, services, k: int | None = None, history: list[dict] | None = None, callback_manager=None):
        super().__init__(callback_manager=callback_manager)
        self._services = services
        self._k = k
        self._history = history

    def _query(self, query_bundle: QueryBundle) -> Response:
        return to_response(answer(self._services, query_bundle.query_str, self._history, k=self._k))

    async def _aquery(self, query_bundle: QueryBundle) -> Response:
        return self._query(query_bundle)

    def _get_prompt_modules(self) -> dict:
        return {}


class ProjectEmbedding(BaseEmbedding):
    """Our embedder (e5 'query: ' / 'passage: ' prefixes included) as a llama-index embedding."""

    _embedder: Any = PrivateAttr()

    def __init__(self, embedder, **kwargs):
        super().__init__(model_name=embedder.name, **kwargs)
        self._embedder = embedder

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embedder.embed_queries([query])[0].tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embedder.embed_passages([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embedder.embed_passages(texts).tolist()


class ProjectLLM(CustomLLM):
    """Our chat LLM (``stream_chat(messages, max_tokens)`` + ``usage``) as a llama-index chat model."""

    context_window: int = 2048
    num_output: int = 200
    _llm: Any = PrivateAttr()
    _tokens: list = PrivateAttr(default_factory=lambda: [0, 0])

    def __init__(self, llm, context_window: int, num_output: int, **kwargs):
        super().__init__(context_window=context_window, num_output=num_output, **kwargs)
        self._llm = llm

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(context_window=self.context_window, num_output=self.num_output, is_chat_model=True, model_name=self._llm.name)

    def take_usage(self) -> tuple[int, int]:
        """(prompt, completion) tokens since the last call: the synthesizer may call the LLM twice."""
        usage, self._tokens = tuple(self._tokens), [0, 0]
        return usage

    def _pieces(self, messages):
        dicts = [{"role": m.role.value, "content": m.content or ""} for m in messages]
        yield from self._llm.stream_chat(dicts, self.num_output)
        self._tokens[0] += self._llm.usage.prompt_tokens
        self._tokens[1] += self._llm.usage.completion_tokens

    @llm_chat_callback()
    def stream_chat(self, messages, **kwargs):
        def gen():
            text = ""
            for piece in self._pieces(messages):
                text += piece
                yield ChatResponse(message=ChatMessage(role="assistant", content=text), delta=piece)

        return gen()

    @llm_chat_callback()
    def chat(self, messages, **kwargs) -> ChatResponse:
        return ChatResponse(message=ChatMessage(role="assistant", content="".join(self._pieces(messages))))

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs) -> CompletionResponse:
        return CompletionResponse(text="".join(self._pieces([ChatMessage(role="user", content=prompt)])))

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs):
        def gen():
            text = ""
            for piece in self._pieces([ChatMessage(role="user", content=prompt)]):
                text += piece
                yield CompletionResponse(text=text, delta=piece)

        return gen()
