"""The first release's answer checks, kept so that the ``today`` evaluation preset measures
the configuration the answer-quality work started from, in the same run as the new one.

One cited sentence had to be supported (a third of the words it adds to the question in its
cited passages, or an embedding cosine for another language), with every number in its
sources; anything else made the whole answer abstain.
"""

from __future__ import annotations

from rag.checks.citations import (
    answer_support,
    attach_orphan_markers,
    build_citations,
    clean_markers,
    embedding_support,
    sentence_citations,
    sentence_support,
)
from rag.checks.validation import abstain
from rag.settings import AnswerSettings
from rag.text import detect_language, says_dont_know
from rag.types import Answer


def _cross_lingual_support(answer: Answer, embedder, cfg: AnswerSettings) -> bool:
    """An English answer over French passages shares few words with them: compare meanings instead."""
    for sentence, cited in sentence_citations(answer.text, answer.passages):
        if not cited or detect_language(" ".join(p.chunk.text for p in cited)) == answer.language:
            continue
        if sentence_support(sentence, cited, answer.question, cfg).novel and embedding_support(sentence, cited, embedder) >= cfg.min_cross_lingual_cosine:
            return True
    return False


def validate_v1(answer: Answer, raw_text: str, cfg: AnswerSettings, embedder=None) -> Answer:
    """Hallucinated citation numbers dropped; an answer without one supported sentence abstains whole."""
    answer.model_text = raw_text
    text = attach_orphan_markers(clean_markers(raw_text, len(answer.passages)))
    answer.text = text
    if not text or says_dont_know(text, cfg.dont_know_window):
        return abstain(answer, "declined")
    answer.citations = build_citations(text, answer.passages)
    if not answer.citations:
        return abstain(answer, "unsupported", "the answer cites no passage")
    lexical, numbers_ok = answer_support(text, answer.passages, answer.question, cfg)
    if not numbers_ok:
        return abstain(answer, "unsupported", "the answer states numbers its sources do not contain")
    if lexical < cfg.min_lexical_support and not (embedder is not None and _cross_lingual_support(answer, embedder, cfg)):
        return abstain(answer, "unsupported", f"support {lexical:.2f}")
    return answer
