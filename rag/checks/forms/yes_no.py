"""A yes/no question: its Oui/Non is a claim too, checked against the passage sentence that decides it.

The deciding sentence is the window of the first supported sentence of the answer, else the window that
states the question (or its negation) best. Its polarity is yes unless it negates what the question asks
and the question does not ("n'a pas été interrogé" answers "a-t-il été interrogé ?" with Non). Words do
not match across languages: a question in another language than the passages has no deciding sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.checks.facts import QuestionFacts
from rag.checks.grounding import Grounder, Matcher, Window
from rag.checks.support import negates
from rag.text import content_words
from rag.types import Claim, Span

# The share of the question's words a passage sentence must hold to decide it, when no sentence of the answer is
# supported.
MIN_QUESTION_COVERAGE = 0.6


@dataclass
class Polarity:
    value: bool | None  # what the answer says: yes, no, or None (no yes/no word and no deciding sentence)
    supported: bool  # the deciding sentence gives the same
    note: str = ""
    quote: Claim | None = None  # the deciding sentence, shown when no sentence of the answer states it


def quote(window: Window, note: str) -> Claim:
    """A passage sentence shown in the answer, as a supported claim."""
    return Claim(text=" ".join(window.text.split()), cited=[window.passage], passage=window.passage,
                 span=Span(window.start, window.end, window.text), supported=True, note=note, adds=1, quoted=True)


def window_polarity(question: str, window_text: str) -> bool:
    """Yes (True) unless the window negates what the question asks and the question does not, or the other way."""
    match, asked = Matcher(), content_words(question)
    return negates(window_text, asked, match) == negates(question, asked, match)


def deciding_window(facts: QuestionFacts, grounder: Grounder, claims: list[Claim]) -> tuple[Window | None, bool]:
    """The window that decides the question, and whether it is one the answer's own sentences stand on."""
    if facts.crosses:
        return None, False
    for claim in claims:
        if claim.supported and claim.span:
            return Window(claim.passage, claim.span.start, claim.span.end, claim.span.text), True
    g = grounder.ground(facts.text)
    if g.window is None or not g.numbers_ok or g.coverage < MIN_QUESTION_COVERAGE:
        return None, False
    return g.window, False


def decide(facts: QuestionFacts, grounder: Grounder, said: bool | None, claims: list[Claim]) -> Polarity:
    """The answer's polarity: the model's word when it wrote one, checked against the deciding sentence (shown when it
    contradicts it); the deciding sentence's when the model wrote none."""
    window, own = deciding_window(facts, grounder, claims)
    if window is None:
        return Polarity(said, False, "no passage sentence decides the question" if said is not None else "")
    evidence = window_polarity(facts.text, window.text)
    shown = None if own else quote(window, "the passage sentence that decides the question")
    if said is None:
        return Polarity(evidence, True, "from the passage sentence that decides the question", shown)
    if said == evidence:
        return Polarity(said, True)
    return Polarity(said, False, "the passage sentence that decides the question says the opposite",
                    quote(window, "the passage sentence that decides the question"))
