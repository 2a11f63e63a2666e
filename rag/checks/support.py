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
    answer is not found). Across languages words do not match: names, numbers and polarity decide."""
    if g.cross_lingual:
        return None
    return None if g.coverage >= cfg.min_claim_coverage else f"the passages hold {g.coverage:.0%} of it"


def negates(text: str, about: set[str] | frozenset[str], match: Matcher) -> bool:
    """Whether ``text`` negates one of the words ``about`` ("Moscou n'a précisé ni la date" negates 'précisé'): the one
    test of negation, for a sentence against its window and for a yes/no question against its deciding sentence."""
    return any(match.found(w, about) for w in negated_words(text))


def polarity(g: Grounding, cfg: AnswerSettings) -> str | None:
    """'Le Kremlin a confirmé la date' over 'Moscou n'a précisé ni la date': a negation on one side only."""
    match = Matcher(cognates=g.cross_lingual)
    shared = {w for w in content_words(g.claim) if match.found(w, g.window.words)}
    return "the passage states the opposite" if negates(g.claim, shared, match) != negates(g.window.text, shared, match) else None


_TOKEN = re.compile(r"[\w’'-]+")
# Between the relation and its second party, these make the relation symmetric or passive: no roles to swap.
_NO_ROLES = {"avec", "with", "et", "and", "par", "by", "entre", "between"}
_NEAR = 4  # how many words may stand between a party and the relation ("a offert", "s'est entretenu"), and after it


def _entities(tokens: list[str]) -> list[tuple[int, int, set[str]]]:
    """Runs of capitalised words ('Vladimir Poutine', 'Kim Jong Un'): (first token, last token, folded words)."""
    out: list[tuple[int, int, set[str]]] = []
    for i, token in enumerate(tokens):
        if token[:1].isupper() and fold(token) not in STOPWORDS and len(token) > 1:
            if out and out[-1][1] == i - 1:
                out[-1] = (out[-1][0], i, out[-1][2] | {fold(token)})
            else:
                out.append((i, i, {fold(token)}))
    return out


def _triples(tokens: list[str]) -> list[tuple[set[str], str, set[str]]]:
    """(first party, relation word, second party): a name, a content word at most _NEAR words after it, and a name at
    most _NEAR words after that, with nothing between them that makes the relation symmetric or passive."""
    folded = [fold(t) for t in tokens]
    entities = _entities(tokens)
    out = []
    for first_start, first_end, first in entities:
        for i in range(first_end + 1, min(first_end + 1 + _NEAR, len(tokens))):
            word = folded[i]
            if word in STOPWORDS or len(word) < 4 or tokens[i][:1].isupper():
                continue
            for second_start, _, second in entities:
                between = set(folded[i + 1:second_start])
                if i < second_start <= i + _NEAR and not between & _NO_ROLES and not set(folded[first_end + 1:i]) & _NO_ROLES:
                    out.append((first, word, second))
    return out


def roles(g: Grounding, cfg: AnswerSettings) -> str | None:
    """Who did what to whom: 'Kim a offert à Poutine une carabine' is not stated by 'Poutine a offert à Kim une
    carabine'. A name, a relation word and a name close together in the claim, found in the window the other way
    round (and not the claim's way), are roles swapped."""
    match = Matcher(cognates=True)
    same = lambda a, b: any(match.found(x, b) for x in a)  # noqa: E731
    window = _triples(_TOKEN.findall(g.window.text))
    for first, word, second in _triples(_TOKEN.findall(g.claim)):
        related = [(a, b) for a, w, b in window if match.found(word, {w})]
        swapped = any(same(second, a) and same(first, b) for a, b in related)
        if swapped and not any(same(first, a) and same(second, b) for a, b in related):
            return "the passage states it with the roles the other way round"
    return None


# Applied in this order; the first objection is the note shown with the claim.
RULES: dict[str, Rule] = {"numbers": numbers, "names": names, "coverage": coverage, "polarity": polarity, "roles": roles}


def objection(g: Grounding, cfg: AnswerSettings, off: frozenset[str] = frozenset()) -> str | None:
    """Why the grounding window does not state the claim; None when it does. ``off``: rules not applied."""
    if g.window is None:
        return "no passage"
    for name, rule in RULES.items():
        if name not in off and (why := rule(g, cfg)):
            return why
    return None
