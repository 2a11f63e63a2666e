"""Where in the shown passages does a claim of the answer stand? Claim-level support without an NLI model.

The passages are cut into windows (each sentence, and each pair of neighbouring sentences, of
each passage). A claim is grounded in the window that holds the most of it:

- ``coverage``: the share of the claim's content words found in the window (inflection-tolerant),
  question words included: "Kim Jong Un a remporté le prix Nobel de la paix 2020" is not found in
  a passage that only names Kim, although "prix Nobel" came from the question;
- ``new_coverage``: the same share over the words the claim adds to the question, which carry the
  answer ("Kozlov" in "le ministre est Alexandre Kozlov");
- ``numbers_ok``: every number of the claim is in the window.

A claim written in another language than its passages (an English answer over French articles)
cannot share words with them; it is grounded by what crosses languages: names and numbers
(spelling variants allowed: Vostochny ~ Vostotchny, Putin ~ Poutine) and the cosine of the
multilingual embedder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from rag.settings import AnswerSettings
from rag.text import (
    QUESTION_TYPE_WORDS,
    content_words,
    fold,
    name_like_words,
    numbers_in,
    same_stem,
    sentence_spans,
    strip_markers,
)
from rag.types import Passage


@dataclass(frozen=True)
class Window:
    """One sentence, or two neighbouring ones, of a passage shown to the model."""

    passage: int  # 1-based: the number the model saw
    start: int  # character offsets into the passage's chunk text
    end: int
    text: str
    sentences: int = 1

    @cached_property
    def words(self) -> frozenset[str]:
        return frozenset(content_words(self.text))

    @cached_property
    def numbers(self) -> frozenset[str]:
        return frozenset(numbers_in(self.text))

    @cached_property
    def names(self) -> frozenset[str]:
        return frozenset(fold(w) for w in name_like_words(self.text))


def windows(passages: list[Passage]) -> list[Window]:
    """Every sentence of every passage, and every pair of neighbouring sentences."""
    out: list[Window] = []
    for number, passage in enumerate(passages, start=1):
        text = passage.chunk.text
        spans = list(sentence_spans(text))
        for i, (start, end) in enumerate(spans):
            out.append(Window(number, start, end, text[start:end]))
            if i + 1 < len(spans):
                out.append(Window(number, start, spans[i + 1][1], text[start : spans[i + 1][1]], sentences=2))
    return out


class Matcher:
    """Word matching tolerant of inflection ('sanctions'~'sanction'), with the settings' stem rule; with
    ``cognates``, also of spelling across languages ('military'~'militaire', 'Putin'~'Poutine')."""

    def __init__(self, cfg: AnswerSettings, cognates: bool = False):
        self.cfg = cfg
        self.cognates = cognates

    def found(self, word: str, vocabulary: frozenset[str] | set[str]) -> bool:
        if word in vocabulary:
            return True
        if len(word) < self.cfg.stem_min_length:
            return False
        if any(same_stem(word, v, self.cfg.stem_prefix, self.cfg.stem_min_length) for v in vocabulary):
            return True
        return self.cognates and any(spelled_alike(word, v) for v in vocabulary)

    def share(self, words: set[str], vocabulary: frozenset[str] | set[str]) -> float:
        return sum(self.found(w, vocabulary) for w in words) / len(words) if words else 1.0


def spelled_alike(a: str, b: str) -> bool:
    """Transliterations of one name: 'vostochny'~'vostotchny', 'putin'~'poutine', 'shoigu'~'choigu'."""
    if a == b:
        return True
    if min(len(a), len(b)) < 4 or abs(len(a) - len(b)) > 2:
        return False
    return _edit_distance(a, b) <= (1 if min(len(a), len(b)) < 6 else 2)


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


@dataclass
class Grounding:
    """The best window for one claim, and how much of the claim it holds."""

    claim: str
    window: Window | None = None
    coverage: float = 0.0
    new_coverage: float = 0.0
    numbers_ok: bool = False
    names_found: float = 1.0  # share of the names the claim adds that the window has (spelling variants allowed)
    adds: int = 0  # how many content words the claim adds to the question
    cross_lingual: bool = False
    cosine: float | None = None  # claim vs window, for claims in another language than their passages
    notes: list[str] = field(default_factory=list)

    @property
    def passage(self) -> int | None:
        return self.window.passage if self.window else None


class Grounder:
    """Grounds the claims of one answer in the passages it was given."""

    def __init__(self, question: str, passages: list[Passage], cfg: AnswerSettings, embedder=None):
        self.question = question
        self.passages = passages
        self.cfg = cfg
        self.windows = windows(passages)
        self.asked = content_words(question) | {fold(n) for n in name_like_words(question)}
        self.embedder = embedder

    def ground(self, claim: str, cross_lingual: bool = False, prefer: tuple[int, ...] = ()) -> Grounding:
        """The window holding the most of ``claim``; ties go to the passages the model cited (``prefer``).

        Across languages words match as cognates ('militaire'~'military'), and the cosine of the
        multilingual embedder between claim and window is kept for the checks.
        """
        text = strip_markers(claim)
        match = Matcher(self.cfg, cognates=cross_lingual)
        question_match = Matcher(self.cfg, cognates=True)  # 'Putin' in the question, 'Poutine' in the answer
        words = content_words(text)
        new = {w for w in words if not question_match.found(w, self.asked)}
        names = {fold(n) for n in name_like_words(text)} - self.asked
        names = {n for n in names if not question_match.found(n, self.asked)}
        numbers = numbers_in(text)
        cosines = self._cosines(text) if cross_lingual and self.cfg.min_cross_lingual_cosine > 0 else None
        best, best_key = Grounding(text, adds=len(new), cross_lingual=cross_lingual), ()
        for i, window in enumerate(self.windows):
            vocabulary = window.words | window.names
            coverage, new_coverage = match.share(words, vocabulary), match.share(new, vocabulary)
            names_found = question_match.share(names, vocabulary)
            numbers_ok = numbers <= window.numbers
            cosine = float(cosines[i]) if cosines is not None else None
            key = (numbers_ok, round(min(coverage, new_coverage, names_found), 3), round(coverage, 3), cosine or 0.0,
                   window.passage in prefer, -len(window.text))
            if key > best_key:
                best_key = key
                best = Grounding(text, window, coverage, new_coverage, numbers_ok, names_found, len(new), cross_lingual, cosine)
        return best

    def _cosines(self, text: str):
        if not self.windows or self.embedder is None:
            return None
        vectors = self.embedder.embed_passages([text] + [w.text for w in self.windows])
        return vectors[1:] @ vectors[0]

    def question_coverage(self, spans: list[str], cross_lingual: bool = False, follows: str = "") -> float:
        """Share of the question's content words that the evidence (the kept windows) speaks of; for a
        follow-up, the words the previous question lends it count as found."""
        vocabulary = set().union(*(content_words(t) | {fold(n) for n in name_like_words(t)} for t in spans)) if spans else set()
        vocabulary |= content_words(follows)
        return Matcher(self.cfg, cognates=cross_lingual).share(content_words(self.question) - QUESTION_TYPE_WORDS, vocabulary)
