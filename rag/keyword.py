"""BM25 keyword index over the stored chunks (bm25s), with accent folding, stop words and stemming.

Wire stories name people and places that a multilingual embedder blurs ("Kozlov", "Khasan");
exact keyword matching catches them. The index is rebuilt only when the store changes.
"""

from __future__ import annotations

import logging
import re

import numpy as np

from rag.embedding import fold
from rag.types import Chunk

_WORD = re.compile(r"\w+", re.UNICODE)

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


def _french_stemmer():
    try:
        import Stemmer  # PyStemmer, installed with bm25s' llama-index integration

        return Stemmer.Stemmer("french")
    except ImportError:  # stemming only sharpens recall; plain words still work
        return None


class KeywordIndex:
    def __init__(self, chunks: list[Chunk]):
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it forces DEBUG on import
        self.chunks = chunks
        self._stemmer = _french_stemmer()
        corpus = [keyword_tokens(f"{c.title} {c.text}" if c.n == 0 else c.text, self._stemmer) for c in chunks]
        self._retriever = bm25s.BM25()
        if chunks:
            self._retriever.index(self._as_ids(corpus, build=True), show_progress=False)

    def _as_ids(self, corpus: list[list[str]], build: bool = False):
        """bm25s takes (ids, vocab); build the vocabulary once from the corpus."""
        import bm25s

        if build:
            self._vocab = {}
            for doc in corpus:
                for tok in doc:
                    self._vocab.setdefault(tok, len(self._vocab))
        ids = [[self._vocab[t] for t in doc if t in self._vocab] for doc in corpus]
        return bm25s.tokenization.Tokenized(ids=ids, vocab=self._vocab)

    def coverage(self, query: str) -> float:
        """Share of the query's keywords that occur in the corpus at all."""
        tokens = keyword_tokens(query, self._stemmer)
        return sum(t in self._vocab for t in tokens) / len(tokens) if tokens and self.chunks else 0.0

    def search(self, query: str, n: int) -> list[tuple[Chunk, float]]:
        if not self.chunks:
            return []
        tokens = [t for t in keyword_tokens(query, self._stemmer) if t in self._vocab]
        if not tokens:
            return []
        scores = self._retriever.get_scores(tokens)
        order = np.argsort(-scores)[: min(n, len(self.chunks))]
        return [(self.chunks[i], float(scores[i])) for i in order if scores[i] > 0]
