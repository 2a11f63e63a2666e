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
shares few words with them; its words match as cognates and spelling variants ('militaire' ~
'military', Vostochny ~ Vostotchny, Putin ~ Poutine).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from rag.text import STEM_MIN_LENGTH, content_words, fold, name_like_words, numbers_in, same_stem, sentence_spans, strip_markers
from rag.types import Passage


@dataclass(frozen=True)
class Window:
    """One sentence, or two neighbouring ones, of a passage shown to the model."""

    passage: int  # 1-based: the number the model saw
    start: int  # character offsets into the passage's chunk text
    end: int
    text: str

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
                out.append(Window(number, start, spans[i + 1][1], text[start : spans[i + 1][1]]))
    return out


class Matcher:
    """Word matching tolerant of inflection ('sanctions'~'sanction'); with ``cognates``, also of spelling
    across languages ('military'~'militaire', 'Putin'~'Poutine')."""

    def __init__(self, cognates: bool = False):
        self.cognates = cognates

    def found(self, word: str, vocabulary: frozenset[str] | set[str]) -> bool:
        if word in vocabulary:
            return True
        if len(word) < STEM_MIN_LENGTH:
            return False
        if any(same_stem(word, v) for v in vocabulary):
            return True
        return self.cognates and any(spelled_alike(word, v) for v in vocabulary)

    def share(self, words: set[str], vocabulary: frozenset[str] | set[str]) -> float:
        return sum(self.found(w, vocabulary) for w in words) / len(words) if words else 1.0


def spelled_alike(a: str, b: str) -> bool:
    """Transliterations of one name: 'vostochny'~'vostotchny', 'putin'~'poutine', 'shoigu'~'choigu'."""
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
    numbers_ok: bool = False
    names_found: float = 1.0  # share of the names the claim adds that the window has (spelling variants allowed)
    adds: int = 0  # how many content words the claim adds to the question
    cross_lingual: bool = False


class Grounder:
    """Grounds the claims of one answer in the passages it was given."""

    def __init__(self, question: str, passages: list[Passage]):
        self.passages = passages
        self.windows = windows(passages)
        self.asked = content_words(question) | {fold(n) for n in name_like_words(question)}

    def ground(self, claim: str, cross_lingual: bool = False, prefer: tuple[int, ...] = ()) -> Grounding:
        """The window holding the most of ``claim``; ties go to the passages the model cited (``prefer``).
        Across languages words match as cognates ('militaire'~'military')."""
        text = strip_markers(claim)
        match = Matcher(cognates=cross_lingual)
        question_match = Matcher(cognates=True)  # 'Putin' in the question, 'Poutine' in the answer
        words = content_words(text)
        new = {w for w in words if not question_match.found(w, self.asked)}
        names = {n for n in map(fold, name_like_words(text)) if not question_match.found(n, self.asked)}
        numbers = numbers_in(text)
        best, best_key = Grounding(text, adds=len(new), cross_lingual=cross_lingual), ()
        for window in self.windows:
            vocabulary = window.words | window.names
            coverage, new_coverage = match.share(words, vocabulary), match.share(new, vocabulary)
            names_found = question_match.share(names, vocabulary)
            numbers_ok = numbers <= window.numbers
            key = (numbers_ok, round(min(coverage, new_coverage, names_found), 3), round(coverage, 3),
                   window.passage in prefer, -len(window.text))
            if key > best_key:
                best_key = key
                best = Grounding(text, window, coverage, numbers_ok, names_found, len(new), cross_lingual)
        return best
