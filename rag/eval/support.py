"""Does a cited passage back an answer sentence? Two cheap judges instead of an NLI model.

- lexical: :func:`sentence_support`: enough of the content words the sentence adds to
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

from rag.text import content_words, marker_numbers, numbers_in, same_stem, split_sentences, strip_markers

LEXICAL_MIN = 0.5  # share of the sentence's content words found in the cited passages
EMBEDDING_MIN = 0.85  # cosine (multilingual-e5-small) between sentence and best cited passage


def judged_sentences(text: str, passages: list) -> list[tuple[str, list]]:
    """Each answer sentence (markers removed) with the shown passages it cites, in citation order."""
    pairs = [(s, [passages[n - 1] for n in marker_numbers(s) if 1 <= n <= len(passages)]) for s in split_sentences(text)]
    return [(strip_markers(s), cited) for s, cited in pairs if strip_markers(s)]


def _found(word: str, vocabulary: set[str]) -> bool:
    return word in vocabulary or any(same_stem(word, v) for v in vocabulary)


def sentence_support(sentence: str, cited: list, question: str = "") -> tuple[float, bool]:
    """(share of the content words the sentence adds to the question found in the cited passages, every number of the
    sentence in them or in the question): only what the sentence adds is judged."""
    source = " ".join(p.chunk.text for p in cited)
    vocabulary, asked = content_words(source), content_words(question)
    added = {w for w in content_words(sentence) if not _found(w, asked)}
    lexical = sum(_found(w, vocabulary) for w in added) / len(added) if added else 0.0
    return lexical, numbers_in(sentence) <= numbers_in(source) | numbers_in(question)


def lexical_supports(sentence: str, cited: list, question: str = "", threshold: float = LEXICAL_MIN) -> bool:
    lexical, numbers_ok = sentence_support(sentence, cited, question=question)
    return numbers_ok and lexical >= threshold


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
