"""Query expansion into the corpus's own words, for questions in another language than the articles.

An English question over French articles shares few keywords with them ("summit", "gift"), so BM25
finds little and its weight in the fusion drops. Each question word the corpus never uses gets the
corpus word whose embedding is nearest (the same multilingual embedder, both read as queries), when
their cosine reaches ``retrieval.expand_min_cosine``: "summit" → "sommet", "Putin" → "poutine",
"spacesuit" → "cosmonaute", "distance" → "kilometres". The expanded query is what both searches see.
Words the corpus already has are left alone, so a French question about the corpus rarely changes.

The corpus vocabulary is embedded once (its ``retrieval.expand_vocabulary`` most frequent words at
most), then only the words a refreshed index adds. The vectors are saved next to the keyword index, one
file per embedder, so a new process (each ``rag ask``) does not embed them again.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import Counter
from pathlib import Path

import numpy as np

from rag.retrieve.keyword import KeywordIndex
from rag.text import QUESTION_TYPE_WORDS, STOPWORDS, words

log = logging.getLogger(__name__)


def expandable(word: str) -> bool:
    """Words worth looking up: not function words, not the kind of answer asked for ("day", "source"), no numbers."""
    return len(word) > 2 and not word.isdigit() and word not in STOPWORDS and word not in QUESTION_TYPE_WORDS


class QueryExpander:
    def __init__(self, embedder, min_cosine: float, max_vocabulary: int, cache_path: Path | None = None):
        self.embedder = embedder
        self.min_cosine = min_cosine
        self.max_vocabulary = max_vocabulary
        self.cache_path = cache_path
        self._vectors: dict[str, np.ndarray] = self._load()  # word -> vector, kept across index refreshes
        self._for: KeywordIndex | None = None
        self._vocabulary: list[str] = []
        self._matrix = np.zeros((0, 0), np.float32)
        self._lock = threading.Lock()

    def prepare(self, index: KeywordIndex) -> tuple[list[str], np.ndarray]:
        """Embed the vocabulary of ``index`` (its words not embedded yet; nothing for the index it was last given),
        and return it with its vectors, as one consistent pair (another thread may refresh them next)."""
        with self._lock:
            if self._for is index:
                return self._vocabulary, self._matrix
            counts = Counter(w for chunk in index.chunks for w in set(words(chunk.text)) if expandable(w))
            vocabulary = sorted(w for w, _ in counts.most_common(self.max_vocabulary))
            new = [w for w in vocabulary if w not in self._vectors]
            if new:
                log.info("embedding %d corpus words for query expansion", len(new))
                self._vectors.update(zip(new, self.embedder.embed_queries(new)))
            if new or len(self._vectors) != len(vocabulary):
                self._vectors = {w: self._vectors[w] for w in vocabulary}  # words no chunk holds any more go
                self._save()
            self._vocabulary = vocabulary
            self._matrix = np.stack([self._vectors[w] for w in vocabulary]) if vocabulary else np.zeros((0, 0), np.float32)
            self._for = index
            return self._vocabulary, self._matrix

    def _load(self) -> dict[str, np.ndarray]:
        if self.cache_path is None:
            return {}
        try:
            with np.load(self.cache_path, allow_pickle=False) as data:
                words_ = json.loads(data["words"].tobytes())
                return dict(zip(words_, data["vectors"]))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError, TypeError) as exc:  # a damaged file is only a cache: embed again
            log.info("ignoring the saved expansion vectors %s: %s", self.cache_path, exc)
            return {}

    def _save(self) -> None:
        if self.cache_path is None:
            return
        try:
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.cache_path.with_name(f".{self.cache_path.name}.{os.getpid()}.tmp.npz")
            words_ = list(self._vectors)
            np.savez(tmp, words=np.frombuffer(json.dumps(words_, ensure_ascii=False).encode(), dtype=np.uint8),
                     vectors=np.stack([self._vectors[w] for w in words_]).astype(np.float32) if words_ else np.zeros((0, 0), np.float32))
            os.replace(tmp, self.cache_path)
        except OSError as exc:  # a read-only data folder: expansion still works, it only embeds again next time
            log.info("cannot save the expansion vectors %s: %s", self.cache_path, exc)

    def added_words(self, query: str, index: KeywordIndex) -> list[str]:
        """The corpus words added for the query's words the corpus does not use (in the query's order)."""
        unknown = list(dict.fromkeys(w for w in words(query) if expandable(w) and not index.knows(w)))
        if not unknown or not index.chunks:
            return []
        vocabulary, matrix = self.prepare(index)
        if not vocabulary:
            return []
        scores = self.embedder.embed_queries(unknown) @ matrix.T
        best = scores.argmax(axis=1)
        return [vocabulary[j] for i, j in enumerate(best) if scores[i, j] >= self.min_cosine]

    def expand(self, query: str, index: KeywordIndex) -> str:
        added = self.added_words(query, index)
        return f"{query} {' '.join(added)}" if added else query
