"""Does a cited passage back an answer sentence? Two cheap judges instead of an NLI model.

- lexical: rag.checks.citations.sentence_support: enough of the content words the sentence adds to
  the question are in the cited passages (inflection-tolerant), and every number of the
  sentence appears there;
- embedding: cosine between the sentence ("query: " side of e5) and the best cited passage
  (its stored vector) reaches a threshold.

Thresholds were set on the dev set (answerable questions), with "question + reference answer"
standing in for an answer sentence: a gold article's best chunk should support it, the best
chunk of the other articles (same event, same wire copy: a hard distractor) should not.
- lexical >= 0.5: 77% of gold pairs supported, 19% of distractors;
- cosine >= 0.85: 86% of gold pairs, 70% of distractors. The embedding judge is lenient (all
  five articles are about one event, so every chunk is close to every answer); read it as
  "the citation is on topic", and the lexical judge as "the citation states it".
"""

from __future__ import annotations

import numpy as np

from rag.checks.citations import sentence_citations, sentence_support
from rag.text import strip_markers

LEXICAL_MIN = 0.5  # share of the sentence's content words found in the cited passages
EMBEDDING_MIN = 0.85  # cosine (multilingual-e5-small) between sentence and best cited passage


def judged_sentences(text: str, passages: list) -> list[tuple[str, list]]:
    """Each answer sentence (markers removed) with the passages it cites, in citation order."""
    return [(strip_markers(s), cited) for s, cited in sentence_citations(text, passages) if strip_markers(s)]


def lexical_supports(sentence: str, cited: list, question: str = "", threshold: float = LEXICAL_MIN) -> bool:
    support = sentence_support(sentence, cited, question=question)
    return support.numbers_ok and support.lexical >= threshold


class EmbeddingJudge:
    """Caches sentence and passage vectors: ALCE precision asks about the same pairs repeatedly."""

    def __init__(self, embedder, store=None, threshold: float = EMBEDDING_MIN):
        self.embedder = embedder
        self.store = store
        self.threshold = threshold
        self._sentences: dict[str, np.ndarray] = {}
        self._passages: dict[str, np.ndarray] = {}

    def prepare(self, pairs: list[tuple[str, list]]) -> None:
        """Embed all sentences of an answer in one batch and fetch its passages' vectors."""
        sentences = [s for s, _ in pairs if s not in self._sentences]
        if sentences:
            self._sentences.update(zip(sentences, self.embedder.embed_queries(sentences)))
        chunks = {p.chunk.id: p.chunk for _, cited in pairs for p in cited if p.chunk.id not in self._passages}
        if chunks:
            self._passages.update(zip(chunks, self._passage_vectors(list(chunks.values()))))

    def _passage_vectors(self, chunks: list) -> np.ndarray:
        if self.store is not None:
            try:
                return self.store.vectors([c.id for c in chunks])
            except Exception:  # noqa: BLE001 - a chunk missing from the store: embed it instead
                pass
        return self.embedder.embed_passages([c.text for c in chunks])

    def cosine(self, sentence: str, passage) -> float:
        self.prepare([(sentence, [passage])])
        return float(self._sentences[sentence] @ self._passages[passage.chunk.id])

    def __call__(self, sentence: str, cited: list) -> bool:
        return any(self.cosine(sentence, p) >= self.threshold for p in cited)
