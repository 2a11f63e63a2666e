"""Hybrid retrieval: dense (Chroma) and BM25, fused by reciprocal rank, reranked, de-duplicated."""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from pathlib import Path
from typing import Iterable

import numpy as np

from rag.embedding import Embedder, fold
from rag.keyword import KeywordIndex
from rag.settings import RetrievalSettings
from rag.types import Chunk, Passage

log = logging.getLogger(__name__)

_WORD = re.compile(r"\w+", re.UNICODE)


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
    words = _WORD.findall(fold(text))
    return {tuple(words[i : i + size]) for i in range(max(len(words) - size + 1, 1))}


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


def _chunk_order(chunk: Chunk) -> tuple[str, int]:
    return chunk.article_id, chunk.n


class KeywordSync:
    """Keeps the BM25 index in step with the store, without rebuilding it from scratch each time.

    Every query costs one ``count()``; a different count means another process wrote. After a
    change, only the changed articles are fetched and tokenized (the caller of ``invalidate`` may
    name them; otherwise the stored article hashes tell) and bm25s re-indexes the cached token ids.
    Beyond ``max_delta`` of the articles, or when the counts still disagree, everything is fetched
    again (tokens are still reused). With a ``cache_dir`` the index is saved after a full build and
    a new process starts from the file, then catches up with what changed since.
    Limit: another process replacing an article by one with as many chunks leaves the count equal,
    so it is seen at the next change of count, ingest in this process, or start.
    """

    def __init__(self, store, cache_dir: Path | None = None, max_delta: float = 0.10):
        self.store = store
        self.max_delta = max_delta
        digest = hashlib.sha1(str(store.where).encode()).hexdigest()[:10]
        self.path = Path(cache_dir) / f"{store.name}-{digest}.npz" if cache_dir else None
        self._index: KeywordIndex | None = None
        self._dirty = False
        self._changed: set[str] | None = set()  # articles named by invalidate(); None: unknown
        self._lock = threading.Lock()

    def invalidate(self, article_ids: Iterable[str] | None = None) -> None:
        with self._lock:
            self._dirty = True
            self._changed = None if article_ids is None or self._changed is None else self._changed | set(article_ids)

    def current(self) -> KeywordIndex:
        with self._lock:
            count = self.store.count()
            if not count:
                if self._index is None or self._index.chunks:
                    self._index = KeywordIndex([])
            elif self._index is None:
                self._index = self._first()
            elif self._dirty or count != len(self._index.chunks):
                self._index = self._refreshed(self._index, self._changed if self._dirty else None)
            self._dirty, self._changed = False, set()
            return self._index

    def _first(self) -> KeywordIndex:
        loaded = KeywordIndex.load(self.path) if self.path and self.path.exists() else None
        if loaded is None or loaded[1].get("collection") != self.store.name or loaded[1].get("where") != str(self.store.where):
            return self._full(None)
        refreshed = self._refreshed(loaded[0], None)
        if refreshed is not loaded[0]:
            self._save(refreshed)
        return refreshed

    def _refreshed(self, index: KeywordIndex, changed: set[str] | None) -> KeywordIndex:
        guessed = changed is None
        new = self._apply(index, self._changed_articles(index) if guessed else changed)
        if len(new.chunks) != self.store.count() and not guessed:  # someone else wrote too
            new = self._apply(new, self._changed_articles(new))
        return new if len(new.chunks) == self.store.count() else self._full(new)

    def _apply(self, index: KeywordIndex, changed: set[str]) -> KeywordIndex:
        if not changed:
            return index
        articles = len({c.article_id for c in index.chunks}) or 1
        if len(changed) > self.max_delta * articles:
            return self._full(index)
        kept = [c for c in index.chunks if c.article_id not in changed]
        return KeywordIndex(sorted(kept + self._fetch_articles(changed), key=_chunk_order), previous=index)

    def _full(self, previous: KeywordIndex | None) -> KeywordIndex:
        index = KeywordIndex(self.store.all_chunks(), previous=previous)
        self._save(index)
        return index

    def _save(self, index: KeywordIndex) -> None:
        if self.path is None:
            return
        try:
            index.save(self.path, {"collection": self.store.name, "where": str(self.store.where)})
        except OSError as exc:  # a cache: failing to write it only costs the next start some seconds
            log.warning("cannot save the keyword index to %s: %s", self.path, exc)

    # Two reads the store interface lacks; they use the Chroma collection directly.
    def _changed_articles(self, index: KeywordIndex) -> set[str]:
        """Articles whose stored content hash (on chunk 0) differs from the index's, or that are gone."""
        if not self.store.exists():
            return {c.article_id for c in index.chunks}
        heads = self.store.collection.get(where={"n": 0}, include=["metadatas"])["metadatas"]
        stored = {m["article_id"]: m.get("article_hash", "") for m in heads}
        mine = {c.article_id: c.article_hash for c in index.chunks if c.n == 0}
        return {a for a, h in stored.items() if mine.get(a) != h} | (mine.keys() - stored.keys())

    def _fetch_articles(self, article_ids: set[str]) -> list[Chunk]:
        ids, out = sorted(article_ids), []
        for i in range(0, len(ids), 500):
            got = self.store.collection.get(where={"article_id": {"$in": ids[i : i + 500]}}, include=["documents", "metadatas"])
            out += [Chunk.from_store(cid, d, m) for cid, d, m in zip(got["ids"], got["documents"], got["metadatas"])]
        return out


class Retriever:
    def __init__(self, store, embedder: Embedder, cfg: RetrievalSettings, reranker=None, cache_dir: Path | None = None):
        self.store = store
        self.embedder = embedder
        self.cfg = cfg
        self.reranker = reranker
        self._keywords = KeywordSync(store, cache_dir)

    def keyword_index(self) -> KeywordIndex:
        """The BM25 index, brought up to date with the store (cheaply: see KeywordSync)."""
        return self._keywords.current()

    def invalidate(self, article_ids: Iterable[str] | None = None) -> None:
        """Call after writing to the store; naming the changed articles spares comparing all their hashes."""
        self._keywords.invalidate(article_ids)

    def candidates(self, query: str, query_vec: np.ndarray) -> list[tuple[Chunk, float]]:
        n = self.cfg.candidates
        rankings, weights = [], []
        if self.cfg.mode in ("dense", "hybrid"):
            rankings.append([c for c, _ in self.store.query(query_vec, n)])
            weights.append(1.0)
        if self.cfg.mode in ("bm25", "hybrid"):
            index = self.keyword_index()
            rankings.append([c for c, _ in index.search(query, n)])
            # An English question over French articles shares few words with them: trust BM25 less.
            weights.append(index.coverage(query) if self.cfg.mode == "hybrid" else 1.0)
        return rrf_fuse(rankings, self.cfg.rrf_k, weights)

    def _dense_scores(self, query_vec: np.ndarray, chunks: list[Chunk]) -> list[float]:
        """Exact cosine of each chunk, also for chunks only BM25 found: abstention needs it."""
        if not chunks:
            return []
        vectors = self.store.vectors([c.id for c in chunks])
        return [float(v @ query_vec) for v in vectors]

    def retrieve(self, query: str, k: int | None = None) -> list[Passage]:
        k = k or self.cfg.k
        query_vec = self.embedder.embed_queries([query])[0]
        fused = self.candidates(query, query_vec)
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
