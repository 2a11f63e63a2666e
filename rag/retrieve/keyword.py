"""BM25 keyword index over the stored chunks (bm25s), with accent folding, stop words and stemming.

Wire stories name people and places that a multilingual embedder blurs ("Kozlov", "Khasan");
exact keyword matching catches them.

Tokenizing (fold, split, stem) is most of what building the index costs, so an index can be
built from a ``previous`` one: chunks whose text is unchanged keep their token ids and only new
text is tokenized; bm25s then re-indexes the token ids, which is several times faster. An index
also saves to and loads from one ``.npz`` file (no pickle), so a new process need not tokenize
the whole corpus again. :class:`KeywordSync` keeps it in step with the store.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from itertools import chain
from pathlib import Path
from typing import Iterable

import numpy as np

from rag.dates import day_range
from rag.text import STOPWORDS, words
from rag.types import Chunk, Filters

log = logging.getLogger(__name__)

FORMAT = 2  # of the saved file (2: chunks carry their PDF page); another value is ignored (rebuilt)
_CHUNK_FIELDS = ("id", "article_id", "n", "text", "start", "end", "title", "date", "url", "article_hash", "page")

def keyword_tokens(text: str, stemmer=None) -> list[str]:
    kept = [w for w in words(text) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]
    return stemmer.stemWords(kept) if stemmer is not None else kept


def indexed_text(chunk: Chunk) -> str:
    """What BM25 sees of a chunk: the first chunk of an article also carries its title."""
    return f"{chunk.title} {chunk.text}" if chunk.n == 0 else chunk.text


def _json_bytes(obj) -> np.ndarray:
    return np.frombuffer(json.dumps(obj, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)


def _french_stemmer():
    try:
        import Stemmer  # PyStemmer, installed with bm25s' llama-index integration

        return Stemmer.Stemmer("french")
    except ImportError:  # stemming only sharpens recall; plain words still work
        return None


class KeywordIndex:
    """BM25 over ``chunks``; ``previous`` lends the token ids of every chunk whose text it already had."""

    def __init__(self, chunks: list[Chunk], previous: "KeywordIndex | None" = None):
        self.chunks = list(chunks)
        self._stemmer = previous._stemmer if previous is not None else _french_stemmer()
        self._vocab: dict[str, int] = dict(previous._vocab) if previous is not None else {}
        known = dict(zip(map(indexed_text, previous.chunks), previous._ids)) if previous is not None else {}
        self._ids = [self._reuse_or_tokenize(c, known) for c in self.chunks]
        self._index()

    @classmethod
    def _from_saved(cls, chunks: list[Chunk], token_ids: list[list[int]], words: list[str]) -> "KeywordIndex":
        index = cls.__new__(cls)
        index.chunks, index._ids, index._stemmer = chunks, token_ids, _french_stemmer()
        index._vocab = {w: i for i, w in enumerate(words)}
        index._index()
        return index

    def _reuse_or_tokenize(self, chunk: Chunk, known: dict[str, list[int]]) -> list[int]:
        text = indexed_text(chunk)
        ids = known.get(text)
        if ids is None:  # ids are handed out in insertion order, so list(self._vocab) stays the id -> word list
            ids = [self._vocab.setdefault(t, len(self._vocab)) for t in keyword_tokens(text, self._stemmer)]
        return ids

    def _index(self) -> None:
        """bm25s over the token ids; words no chunk holds any more are dropped once they are many."""
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it forces DEBUG on import
        self._words = list(self._vocab)
        present = np.zeros(len(self._words), dtype=bool)
        present[np.fromiter(chain.from_iterable(self._ids), dtype=np.int64)] = True
        if present.sum() < 0.8 * len(self._words):  # many words left with removed or changed chunks
            self._compact(present)
            present = np.ones(len(self._words), dtype=bool)
        self._present = present
        self._retriever = bm25s.BM25()
        if self.chunks:
            vocab = dict(self._vocab)  # bm25s adds its empty token to the dict it is given
            self._retriever.index(bm25s.tokenization.Tokenized(ids=self._ids, vocab=vocab), show_progress=False)

    def _compact(self, present: np.ndarray) -> None:
        kept = [w for i, w in enumerate(self._words) if present[i]]
        remap = np.full(len(self._words), -1, dtype=np.int64)
        remap[np.flatnonzero(present)] = np.arange(len(kept))
        table = remap.tolist()
        self._ids = [[table[i] for i in doc] for doc in self._ids]
        self._words, self._vocab = kept, {w: i for i, w in enumerate(kept)}

    def _known(self, token: str) -> bool:
        i = self._vocab.get(token)
        return i is not None and bool(self._present[i])

    def knows(self, word: str) -> bool:
        """Whether some chunk holds ``word`` (after folding and stemming)."""
        tokens = keyword_tokens(word, self._stemmer)
        return bool(tokens) and all(self._known(t) for t in tokens)

    def coverage(self, query: str) -> float:
        """Share of the query's keywords that occur in the corpus at all."""
        tokens = keyword_tokens(query, self._stemmer)
        return sum(self._known(t) for t in tokens) / len(tokens) if tokens and self.chunks else 0.0

    def allowed(self, filters: Filters) -> np.ndarray:
        """Which chunks ``filters`` lets through, as a mask (the chunks' articles and day ranges are read once per index)."""
        if not hasattr(self, "_meta"):  # chunks of one article share their date: each distinct one is parsed once
            ranges = {d: day_range(d) for d in {c.date for c in self.chunks}}
            codes: dict[str, int] = {}
            articles = np.fromiter((codes.setdefault(c.article_id, len(codes)) for c in self.chunks), np.int64, len(self.chunks))
            days = np.array([ranges[c.date] for c in self.chunks], dtype=np.int64).reshape(-1, 2)
            self._meta = (codes, articles, days)
        codes, articles, days = self._meta
        wanted = [codes[a] for a in filters.articles if a in codes]
        mask = np.isin(articles, wanted) if filters.articles else np.ones(len(self.chunks), dtype=bool)
        if filters.since or filters.until:
            low, high = filters.days()
            mask &= (days[:, 1] >= max(low, 1)) & (days[:, 0] <= high)
        return mask

    def search(self, query: str, n: int, filters: Filters | None = None) -> list[tuple[Chunk, float]]:
        """The ``n`` best chunks for ``query``; with ``filters``, the ``n`` best of the chunks they let through."""
        if not self.chunks:
            return []
        tokens = [t for t in keyword_tokens(query, self._stemmer) if self._known(t)]
        if not tokens:
            return []
        scores = self._retriever.get_scores(tokens)
        if filters is not None:
            scores = np.where(self.allowed(filters), scores, 0.0)
        n = min(n, len(self.chunks))
        # the n best without sorting the whole corpus (a full argsort is 6 ms at 100k chunks); ties by position
        top = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
        order = top[np.lexsort((top, -scores[top]))]
        return [(self.chunks[i], float(scores[i])) for i in order if scores[i] > 0]

    # -- persistence ----------------------------------------------------------------------
    def save(self, path: Path, meta: dict) -> None:
        """One .npz (written atomically): chunks and words as JSON bytes, token ids as int32 arrays."""
        path.parent.mkdir(parents=True, exist_ok=True)
        records = [[getattr(c, f) for f in _CHUNK_FIELDS] for c in self.chunks]
        lengths = np.fromiter(map(len, self._ids), dtype=np.int32, count=len(self._ids))
        flat = np.fromiter(chain.from_iterable(self._ids), dtype=np.int32, count=int(lengths.sum()))
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
        np.savez(tmp, meta=_json_bytes({**meta, "format": FORMAT}), chunks=_json_bytes(records), words=_json_bytes(self._words),
                 flat=flat, lengths=lengths)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> tuple["KeywordIndex", dict] | None:
        """The saved index and its meta, or None when the file is missing, unreadable or of another format."""
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(data["meta"].tobytes())
                if meta.get("format") != FORMAT:
                    return None
                chunks = [Chunk(**dict(zip(_CHUNK_FIELDS, r))) for r in json.loads(data["chunks"].tobytes())]
                words = json.loads(data["words"].tobytes())
                bounds = np.cumsum(data["lengths"])[:-1]
                token_ids = [a.tolist() for a in np.split(data["flat"], bounds)] if chunks else []
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logging.getLogger(__name__).info("ignoring the saved keyword index %s: %s", path, exc)
            return None
        return cls._from_saved(chunks, token_ids, words), meta


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
        return KeywordIndex(sorted(kept + self.store.chunks_of(changed), key=_chunk_order), previous=index)

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

    def _changed_articles(self, index: KeywordIndex) -> set[str]:
        """Articles whose stored content hash differs from the index's, or that are gone."""
        stored = self.store.article_hashes()
        mine = {c.article_id: c.article_hash for c in index.chunks if c.n == 0}
        return {a for a, h in stored.items() if mine.get(a) != h} | (mine.keys() - stored.keys())
