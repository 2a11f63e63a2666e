"""BM25 keyword index over the stored chunks (bm25s), with accent folding, stop words and stemming.

Wire stories name people and places that a multilingual embedder blurs ("Kozlov", "Khasan");
exact keyword matching catches them.

Tokenizing (fold, split, stem) is most of what building the index costs, so an index can be
built from a ``previous`` one: chunks whose text is unchanged keep their token ids and only new
text is tokenized; bm25s then re-indexes the token ids, which is several times faster. An index
also saves to and loads from one ``.npz`` file (no pickle), so a new process need not tokenize
the whole corpus again. Keeping it in step with the store is the retriever's job.
"""

from __future__ import annotations

import json
import logging
import os
import re
from itertools import chain
from pathlib import Path

import numpy as np

from rag.embedding import fold
from rag.types import Chunk

_WORD = re.compile(r"\w+", re.UNICODE)
FORMAT = 1  # of the saved file; another value is ignored (rebuilt)
_CHUNK_FIELDS = ("id", "article_id", "n", "text", "start", "end", "title", "date", "url", "article_hash")

# Short lists on purpose: the folded forms of the commonest French and English function words.
STOPWORDS = frozenset(
    """
    a au aux avec ce ces cette dans de des du elle en et eux il ils je la le les leur lui ma mais me meme mes moi mon
    ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos votre vous c d j
    l m n s t y est sont ete etre avait avoir ont a-t-il quel quelle quels quelles quoi comment combien pourquoi ou
    lors apres avant selon entre plus tres aussi dont cela ceci
    the of and to in is was were be been are for on at by with from as that this these those it its an or not what
    which who whom whose when where why how did does do has have had will would can could about into than then there
    """.split()
)


def keyword_tokens(text: str, stemmer=None) -> list[str]:
    words = [w for w in _WORD.findall(fold(text)) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]
    return stemmer.stemWords(words) if stemmer is not None else words


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

    def coverage(self, query: str) -> float:
        """Share of the query's keywords that occur in the corpus at all."""
        tokens = keyword_tokens(query, self._stemmer)
        return sum(self._known(t) for t in tokens) / len(tokens) if tokens and self.chunks else 0.0

    def search(self, query: str, n: int) -> list[tuple[Chunk, float]]:
        if not self.chunks:
            return []
        tokens = [t for t in keyword_tokens(query, self._stemmer) if self._known(t)]
        if not tokens:
            return []
        scores = self._retriever.get_scores(tokens)
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
