"""Hybrid retrieval: dense (Chroma) and BM25, fused by reciprocal rank, reranked, de-duplicated."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterable

import numpy as np

from rag.errors import InputError
from rag.models.embedding import Embedder
from rag.retrieve.expansion import QueryExpander
from rag.retrieve.keyword import KeywordIndex, KeywordSync
from rag.settings import RetrievalSettings
from rag.text import words
from rag.types import Chunk, Filters, Passage

log = logging.getLogger(__name__)

def rrf_fuse(rankings: list[list[Chunk]], k: int = 60, weights: list[float] | None = None) -> list[tuple[Chunk, float]]:
    """Reciprocal rank fusion (Cormack et al. 2009): score(d) = sum over rankings of w / (k + rank)."""
    scores: dict[str, float] = {}
    by_id: dict[str, Chunk] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings)):
        for rank, chunk in enumerate(ranking, start=1):
            scores[chunk.id] = scores.get(chunk.id, 0.0) + weight / (k + rank)
            by_id[chunk.id] = chunk
    ordered = sorted(scores, key=lambda cid: (-scores[cid], cid))
    return [(by_id[cid], scores[cid]) for cid in ordered]


def shingles(text: str, size: int = 3) -> set[tuple[str, ...]]:
    folded = words(text)
    return {tuple(folded[i : i + size]) for i in range(max(len(folded) - size + 1, 1))}


def overlap(a: set, b: set) -> float:
    """Containment of the smaller shingle set in the larger: 1.0 when one passage repeats the other."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def collapse_duplicates(passages: list[Passage], threshold: float) -> list[Passage]:
    """Keep the best-ranked of each group of near-duplicates; the others become its ``also_in``."""
    kept: list[tuple[Passage, set]] = []
    for passage in passages:
        sh = shingles(passage.chunk.text)
        twin = next((k for k, ksh in kept if overlap(sh, ksh) >= threshold), None)
        if twin is None:
            kept.append((passage, sh))
        elif passage.chunk.article_id != twin.chunk.article_id:
            twin.also_in.append(passage.chunk.id)
    return [p for p, _ in kept]


class Retriever:
    def __init__(self, store, embedder: Embedder, cfg: RetrievalSettings, reranker=None, cache_dir: Path | None = None):
        self.store = store
        self.embedder = embedder
        self.cfg = cfg
        self.reranker = reranker
        self._keywords = KeywordSync(store, cache_dir)
        cache = cache_dir / f"expansion-{embedder.signature}.npz" if cache_dir is not None else None
        self.expander = QueryExpander(embedder, cfg.expand_min_cosine, cfg.expand_vocabulary, cache)

    def keyword_index(self) -> KeywordIndex:
        """The BM25 index, brought up to date with the store (cheaply: see KeywordSync)."""
        return self._keywords.current()

    def invalidate(self, article_ids: Iterable[str] | None = None) -> None:
        """Call after writing to the store; naming the changed articles spares comparing all their hashes."""
        self._keywords.invalidate(article_ids)

    def check(self, filters: Filters | None) -> None:
        """Refuse, in one line, a filter naming an article the store does not hold."""
        if filters is None or not filters.articles:
            return
        unknown = [a for a in filters.articles if a not in self.store.known_articles(filters.articles)]
        if unknown:
            raise InputError(f"no article {unknown[0]!r} in the store ({len(unknown)} unknown id(s)); see: rag info --articles")

    def candidates(self, query: str, query_vec: np.ndarray, filters: Filters | None = None) -> list[tuple[Chunk, float]]:
        n = self.cfg.candidates
        rankings, weights = [], []
        if self.cfg.mode in ("dense", "hybrid"):
            rankings.append([c for c, _ in self.store.query(query_vec, n, where=filters.where() if filters else None)])
            weights.append(1.0)
        if self.cfg.mode in ("bm25", "hybrid"):
            index = self.keyword_index()
            rankings.append([c for c, _ in index.search(query, n, filters)])
            # An English question over French articles shares few words with them: trust BM25 less.
            weights.append(index.coverage(query) if self.cfg.mode == "hybrid" else 1.0)
        return rrf_fuse(rankings, self.cfg.rrf_k, weights)

    def _dense_scores(self, query_vec: np.ndarray, chunks: list[Chunk]) -> list[float]:
        """Exact cosine of each chunk, also for chunks only BM25 found: abstention needs it."""
        if not chunks:
            return []
        vectors = self.store.vectors([c.id for c in chunks])
        return [float(v @ query_vec) for v in vectors]

    def _expanding(self) -> bool:
        return self.cfg.expand_min_cosine is not None

    def expanded(self, query: str) -> str:
        """The query with the corpus words nearest to the words it does not share with the corpus (rag.retrieve.expansion)."""
        return self.expander.expand(query, self.keyword_index()) if self._expanding() else query

    def warm_up(self) -> None:
        """Build the keyword index and embed the vocabulary for expansion now rather than on the first question."""
        index = self.keyword_index()
        if self._expanding():
            self.expander.prepare(index)

    def retrieve(self, query: str, k: int | None = None, expand: bool = True, filters: Filters | None = None) -> list[Passage]:
        """The ``k`` passages for ``query`` (expanded first, unless the caller already did: ``expand=False``), taken only
        from what ``filters`` lets through: both searches apply them before taking their candidates."""
        k = k or self.cfg.k
        self.check(filters)
        query = self.expanded(query) if expand else query
        query_vec = self.embedder.embed_queries([query])[0]
        fused = self.candidates(query, query_vec, filters)
        passages = [Passage(chunk=c, score=s) for c, s in fused]
        if self.reranker is not None and passages:
            pool = passages[: max(k * 3, 10)]
            scores = self.reranker.score(query, [p.chunk.text for p in pool])
            passages = sorted((Passage(chunk=p.chunk, score=s) for p, s in zip(pool, scores)), key=lambda p: -p.score)
        passages = collapse_duplicates(passages, self.cfg.dedup_threshold)[:k]
        for rank, (passage, dense) in enumerate(zip(passages, self._dense_scores(query_vec, [p.chunk for p in passages])), 1):
            passage.rank = rank
            passage.dense_score = dense
        return passages
