"""The shape of a question, each rule in one place: open, yes/no or a choice between two options; whether it
asks what the articles say against each other; and whether it asks two things, to be asked as two questions.

The answer checks (rag.checks) and the pipeline (rag.pipeline) read questions through these functions.
"""

from __future__ import annotations

import re

from rag.lang import any_of, union
from rag.lang import language as language_of
from rag.text import QUESTION_TYPE_WORDS, content_words
from rag.types import Form

# -- the form of a question ------------------------------------------------------------------------

# Words that may come before the question word, in any language: "Et quand...", "Selon quelle source...", "From whom...".
_LEAD_IN = union("LEAD_IN")
_AUXILIARIES = union("AUXILIARIES")
_AND = union("AND")


def _clause_form(clause: str, language: str) -> Form | None:
    tokens = [t.lower() for t in re.findall(r"[\w’'-]+", clause)]
    while len(tokens) > 1 and tokens[0] in _LEAD_IN:
        tokens = tokens[1:]
    if not tokens:
        return None
    lang = language_of(language)
    first = lang.ELISION.sub(r"\1", tokens[0]) if lang.ELISION else tokens[0]  # "qu'a-t-il" asks "what"
    if first in lang.QUESTION_WORDS:
        return Form.OPEN
    if first in lang.AUXILIARIES:
        return Form.YES_NO
    if lang.INVERSION and any(lang.INVERSION.match(t) for t in tokens):
        return Form.YES_NO
    return None


def question_form(question: str, language: str) -> Form:
    """'open' (who, what, when...), 'yesno', or 'choice' (a yes/no question offering alternatives:
    'en train ou en avion ?'). The main clause decides: the last one ('Selon lui, quand...?',
    'When Putin spoke, did he say...?'), else the question's start."""
    segments = [s for s in re.split(r"[,;:.]", question) if len(re.findall(r"\w+", s)) >= 2]
    for clause in ([segments[-1]] if segments else []) + [question]:
        form = _clause_form(clause, language)
        if form:
            choice = re.search(rf"\s{language_of(language).OR}\s", question, re.IGNORECASE)
            return Form.CHOICE if form == Form.YES_NO and choice else form
    return Form.OPEN


# -- questions about what each article says ---------------------------------------------------------

# "Les articles s'accordent-ils...", "Do the articles agree?", "selon les articles": a question about the sources
# themselves, which no single passage answers. Checked on the tune part's question wording (8 of its 17 disagreement
# questions, none of another class).
_COMPARE = any_of("COMPARE")
# Words of such a question that speak of the sources, not of the facts: left out when looking for what each says.
_COMPARE_STEMS = tuple(union("COMPARE_STEMS"))
# An answer's sentence that only judges the sources ("Les articles s'accordent sur...", "The articles agree"):
# no passage can state it.
_AGREEMENT_CLAIM = any_of("AGREEMENT_CLAIM")


def asks_to_compare(question: str) -> bool:
    """Whether the question asks what the articles say against each other ('s'accordent-ils', 'do the articles agree')."""
    return bool(_COMPARE.search(question))


def compared_facts(question: str) -> set[str]:
    """The question's content words about the facts, without those about the sources or the kind of answer."""
    return {w for w in content_words(question) - QUESTION_TYPE_WORDS if not w.startswith(_COMPARE_STEMS)}


def judges_agreement(claim: str) -> bool:
    """'Les articles s'accordent sur...', 'The articles agree on this distance': a judgement no passage states."""
    return bool(_AGREEMENT_CLAIM.search(claim))


# -- questions in two parts ------------------------------------------------------------------------

# Question words that take a noun after them ("quel jour", "which region", "combien de missiles", "how many"):
# the question phrase runs on over lower-case words, "de la journée" included, up to a name, a pronoun or a verb.
_WH_NOUN = union("QUESTION_WORDS_WITH_NOUN")
_PHRASE_STOP = union("PHRASE_STOP")
_LINKS = union("LINKS")
# A second question joined to the first: "..., et quelle instance les a imposées ?", "..., and which region...?".
_JOINED = re.compile(rf"\s*[,;]\s*(?:{'|'.join(sorted(_AND))})\s+", re.IGNORECASE)


def _bare(token: str) -> str:
    return token.lower().strip("?.,;:!«»\"“”()")


def _wh_phrase_end(tokens: list[str], start: int, language: str) -> int | None:
    """Where the question phrase that starts at ``tokens[start]`` ends ('Où', 'à quel moment de la journée',
    'How many'), or None when no question word starts there (prepositions before it allowed)."""
    i = start
    while i < len(tokens) and _bare(tokens[i]) in _LEAD_IN - _AND:
        i += 1
    if i >= len(tokens) or _bare(tokens[i]) not in language_of(language).QUESTION_WORDS:
        return None
    wh, i = _bare(tokens[i]), i + 1
    if wh not in _WH_NOUN:
        return i
    taken = 0
    while i < len(tokens) and taken < 5:
        word, previous = _bare(tokens[i]), _bare(tokens[i - 1])
        stops = (not tokens[i][:1].islower() or word in _AUXILIARIES or word in _AND or "-" in word
                 or (word in _PHRASE_STOP and previous not in _LINKS) or word in language_of(language).QUESTION_WORDS)
        if stops or tokens[i - 1].endswith((",", "?")):
            break
        i, taken = i + 1, taken + 1
    return i


def question_parts(question: str, language: str) -> tuple[list[str], bool]:
    """An open question that asks two things, as two questions, and whether the second leans on the first
    ('..., et quelle instance les a imposées ?': 'les' is in the first). 'Quand et où se sont-ils retrouvés ?'
    -> 'Quand se sont-ils retrouvés ?', 'Où se sont-ils retrouvés ?'; any other question -> ([question], False)."""
    if question_form(question, language) != Form.OPEN or asks_to_compare(question):
        return [question], False
    mark = language_of(language).QUESTION_MARK
    tokens = question.split()
    first_end = _wh_phrase_end(tokens, 0, language)
    if first_end and first_end < len(tokens) and _bare(tokens[first_end]) in _AND:
        second_end = _wh_phrase_end(tokens, first_end + 1, language)
        rest = tokens[second_end:] if second_end else []
        if second_end and len([t for t in rest if re.search(r"\w", t)]) >= 2:
            second = " ".join(tokens[first_end + 1:second_end])
            return [" ".join(tokens[:first_end] + rest), " ".join([second[:1].upper() + second[1:]] + rest)], False
    for joint in _JOINED.finditer(question):
        head, tail = question[:joint.start()].strip(), question[joint.end():].strip()
        if (len(head.split()) >= 3 and len(tail.split()) >= 2 and _clause_form(tail, language) == Form.OPEN
                and question_form(head, language) == Form.OPEN):
            return [head.rstrip(" ?") + mark, tail[:1].upper() + tail[1:]], True
    return [question], False
