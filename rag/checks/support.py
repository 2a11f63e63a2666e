"""Is one sentence of the answer stated by a passage? Each rule names what the best window lacks.

A claim is grounded in the window of the passages that holds the most of it (rag.checks.grounding);
it is supported when no rule below objects. Every rule is a function of the grounding and returns
why the window does not state the claim, or None. The rules are named so that the evaluation can
switch each one off in turn and measure what it is worth (rag.eval.rules); each rule here earned its
place that way (docs/experiments/).
"""

from __future__ import annotations

import re
from typing import Callable

from rag.checks.grounding import Grounding, Matcher
from rag.settings import AnswerSettings
from rag.text import STOPWORDS, content_words, fold, negated_words

Rule = Callable[[Grounding, AnswerSettings], "str | None"]


def numbers(g: Grounding, cfg: AnswerSettings) -> str | None:
    return None if g.numbers_ok else "a number the passages do not give"


def names(g: Grounding, cfg: AnswerSettings) -> str | None:
    return None if g.names_found >= cfg.min_name_match else "a name the passages do not give"


def coverage(g: Grounding, cfg: AnswerSettings) -> str | None:
    """Same language: enough of the claim's words, question words included (a restated question with an invented
    answer is not found). Across languages words match as cognates only, so this reads added words only."""
    if g.cross_lingual:
        return None
    return None if g.coverage >= cfg.min_claim_coverage else f"the passages hold {g.coverage:.0%} of it"


def new_words(g: Grounding, cfg: AnswerSettings) -> str | None:
    """Enough of the words the claim adds to the question: they carry the answer."""
    if g.cross_lingual or not g.adds or g.new_coverage >= cfg.min_new_coverage:
        return None
    return f"what it adds to the question is {g.new_coverage:.0%} in the passages"


def cognates(g: Grounding, cfg: AnswerSettings) -> str | None:
    """Across languages: enough of the words the claim adds found as cognates or spelling variants ('military' ~
    'militaire'), names and numbers."""
    if not g.cross_lingual or not g.adds or g.new_coverage >= cfg.min_new_coverage:
        return None
    return f"what it adds to the question is {g.new_coverage:.0%} in the passages, as cognates"


def polarity(g: Grounding, cfg: AnswerSettings) -> str | None:
    """'Le Kremlin a confirmé la date' over 'Moscou n'a précisé ni la date': a negation on one side only."""
    match = Matcher(cognates=g.cross_lingual)
    shared = {w for w in content_words(g.claim) if match.found(w, g.window.words)}
    claim_negates = any(match.found(w, shared) for w in negated_words(g.claim))
    window_negates = any(match.found(w, shared) for w in negated_words(g.window.text))
    return "the passage states the opposite" if claim_negates != window_negates else None


_TOKEN = re.compile(r"[\w’'-]+")
_PASSIVE = {"par", "by"}


def _entities(text: str) -> list[tuple[int, set[str]]]:
    """Runs of capitalised words ('Vladimir Poutine', 'Kim Jong Un') with the token position where each starts."""
    out: list[tuple[int, set[str]]] = []
    previous = -2
    for i, token in enumerate(_TOKEN.findall(text)):
        if token[:1].isupper() and fold(token) not in STOPWORDS and len(token) > 1:
            if i == previous + 1 and out:
                out[-1][1].add(fold(token))
            else:
                out.append((i, {fold(token)}))
            previous = i
    return out


def _around(entities: list[tuple[int, set[str]]], position: int) -> tuple[set[str] | None, set[str] | None]:
    before = [names for start, names in entities if start < position]
    after = [names for start, names in entities if start > position]
    return (before[-1] if before else None), (after[0] if after else None)


def roles(g: Grounding, cfg: AnswerSettings) -> str | None:
    """Who did what to whom: 'Kim a offert à Poutine une carabine' is not stated by 'Poutine a offert à Kim une
    carabine'. For each word of the claim that stands between two names, the window must not put the second name
    before that word and the first after it (passives, 'par'/'by', are left alone)."""
    match = Matcher(cognates=True)
    claim_tokens = [fold(t) for t in _TOKEN.findall(g.claim)]
    window_tokens = [fold(t) for t in _TOKEN.findall(g.window.text)]
    if _PASSIVE & (set(claim_tokens) | set(window_tokens)):
        return None
    claim_names, window_names = _entities(g.claim), _entities(g.window.text)
    same = lambda a, b: any(match.found(x, b) for x in a)  # noqa: E731
    for i, word in enumerate(claim_tokens):
        if word in STOPWORDS or len(word) < 4 or any(word in names for _, names in claim_names):
            continue
        first, second = _around(claim_names, i)
        if not first or not second or same(first, second):
            continue
        for j, other in enumerate(window_tokens):
            if not match.found(word, {other}):
                continue
            before, after = _around(window_names, j)
            if before and after and same(second, before) and same(first, after) and not same(first, before):
                return "the passage states it with the roles the other way round"
    return None


# Applied in this order; the first objection is the note shown with the claim.
RULES: dict[str, Rule] = {"numbers": numbers, "names": names, "coverage": coverage, "new_words": new_words,
                          "cognates": cognates, "polarity": polarity, "roles": roles}


def objection(g: Grounding, cfg: AnswerSettings, off: frozenset[str] = frozenset()) -> str | None:
    """Why the grounding window does not state the claim; None when it does. ``off``: rules not applied."""
    if g.window is None:
        return "no passage"
    for name, rule in RULES.items():
        if name not in off and (why := rule(g, cfg)):
            return why
    return None
