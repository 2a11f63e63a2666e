"""How sure the LLM was of what its answer adds to the question, from the log-probabilities of its tokens.

The 1.5B model copies a passage sentence with near-certainty whether or not it answers the question;
where it hesitates is on the words it adds to the question: a name, a date, the subject it puts
under the question's words ("The North Korean cosmonaut selected to fly to space is Kim Jong Un").
The confidence of an answer is the mean log-probability of the first token of each such word
(a word of three letters or more that the question does not hold, inflection allowed). llama.cpp
gives the log-probabilities under greedy decoding only (``rag.models.llm``); without them there is no
confidence and no check.
"""

from __future__ import annotations

from statistics import fmean

from rag.checks.grounding import Matcher
from rag.text import WORD, content_words, fold


def added_word_logprobs(tokens: list[tuple[str, float]], question: str) -> list[float]:
    """The log-probability of the first token of each word the answer adds to the question."""
    asked = content_words(question)
    match = Matcher()
    out = []
    for i, (text, logprob) in enumerate(tokens):
        if i and not text.startswith(" "):  # inside a word: its first token decided it
            continue
        word = WORD.search(fold(text))
        if word and len(word.group()) > 2 and not match.found(word.group(), asked):
            out.append(logprob)
    return out


def confidence(tokens: list[tuple[str, float]], question: str) -> float | None:
    """Mean log-probability of the words the answer adds (0: certain); None without tokens or added words."""
    added = added_word_logprobs(tokens, question)
    return round(fmean(added), 4) if added else None
