"""Evaluation metrics as pure functions. Each docstring is the definition docs/evaluation.md quotes.

Retrieval is judged at the article level: a retrieved passage is relevant when its article id
is one of the question's gold sources (binary relevance). Only answerable questions are scored.
"""

from __future__ import annotations

import math
import re
from typing import Callable, Sequence, TypeVar

from rag.text import fold

T = TypeVar("T")


# -- retrieval ------------------------------------------------------------------------------
def hit_at_k(ranked: Sequence[str], gold: set[str], k: int) -> float:
    """hit@k: 1 if any of the top-k retrieved passages comes from a gold article, else 0."""
    return 1.0 if any(a in gold for a in ranked[:k]) else 0.0


def reciprocal_rank(ranked: Sequence[str], gold: set[str], k: int | None = None) -> float:
    """Reciprocal rank: 1 / rank of the first passage from a gold article (0 if none in the top k).

    MRR is its mean over questions; we cut the ranking at k = 5, so it is MRR@5.
    """
    for rank, article in enumerate(ranked[:k] if k else ranked, start=1):
        if article in gold:
            return 1.0 / rank
    return 0.0


def dedupe(items: Sequence[T]) -> list[T]:
    """Keep the first occurrence of each item, in rank order."""
    seen: set = set()
    return [x for x in items if not (x in seen or seen.add(x))]


def ndcg_at_k(ranked: Sequence[str], gold: set[str], k: int) -> float:
    """nDCG@k with binary relevance, each article counted once.

    Take the top-k passages, map them to article ids and keep each article's first occurrence
    (so a gold article retrieved three times is not rewarded three times), then
    DCG = sum over positions i = 1.. of rel_i / log2(i + 1) and
    IDCG = sum over i = 1..min(|gold|, k) of 1 / log2(i + 1); nDCG = DCG / IDCG (0 if no gold).
    """
    if not gold:
        return 0.0
    articles = dedupe(ranked[:k])
    dcg = sum(1.0 / math.log2(i + 1) for i, a in enumerate(articles, start=1) if a in gold)
    idcg = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(gold), k) + 1))
    return dcg / idcg


# -- answers --------------------------------------------------------------------------------
def contains_phrase(text: str, phrase: str) -> bool:
    """``phrase`` occurs in ``text`` as whole words, case- and accent-insensitively ('non' is not
    found in 'annonce', 'train' not in 'entrainement')."""
    return re.search(rf"(?<!\w){re.escape(fold(phrase).strip())}(?!\w)", fold(text)) is not None


def without_echo(answer: str, question: str) -> str:
    """``answer`` without the question written out in it ("La photo ... ou par une agence russe ? [1]" repeats
    both options of an either/or question and chooses none); compared as ``contains_phrase`` does."""
    words = re.findall(r"\w+", fold(question))
    pattern = r"(?<!\w)" + r"\W+".join(words) + r"(?!\w)"
    return re.sub(pattern, " ", fold(answer)) if words else answer


def must_include_ok(answer: str, groups: Sequence[Sequence[str]]) -> bool:
    """Must-include: every group has at least one alternative found in the answer as whole words,
    compared case- and accent-insensitively (both sides lower-cased, accents stripped)."""
    return all(any(contains_phrase(answer, alt) for alt in group) for group in groups)


def must_not_include_ok(answer: str, forbidden: Sequence[str]) -> bool:
    """None of the ``forbidden`` phrases (the inverted role, the opposite yes/no) is in the answer."""
    return not any(contains_phrase(answer, phrase) for phrase in forbidden)


Judge = Callable[[str, list], bool]


def _sentence_citation_scores(sentence: str, cited: list, supports: Judge) -> tuple[float, int]:
    """(supported 0/1, number of precise citations) for one answer sentence."""
    if not cited or not supports(sentence, cited):
        return 0.0, 0
    if len(cited) == 1:
        return 1.0, 1
    precise = 0
    for i, passage in enumerate(cited):
        rest = cited[:i] + cited[i + 1 :]
        if supports(sentence, [passage]) or not supports(sentence, rest):
            precise += 1
    return 1.0, precise


def citation_recall_precision(cited_sentences: Sequence[tuple[str, list]], supports: Judge) -> tuple[float, float]:
    """Citation recall and precision of one answer, after ALCE (Gao et al. 2023).

    ``cited_sentences`` holds each answer sentence with the passages it cites (maybe none);
    ``supports(sentence, passages)`` judges whether the passages together back the sentence.
    - recall: share of answer sentences supported by the union of their cited passages
      (a sentence citing nothing counts as unsupported);
    - precision: share of all citations that are precise: the sentence is supported by its
      citations together, and this citation either supports it alone or is needed (without it
      the other citations no longer support the sentence). No citation at all gives 0.
    """
    if not cited_sentences:
        return 0.0, 0.0
    supported, precise, total = 0.0, 0, 0
    for sentence, cited in cited_sentences:
        ok, good = _sentence_citation_scores(sentence, list(cited), supports)
        supported += ok
        precise += good
        total += len(cited)
    return supported / len(cited_sentences), (precise / total if total else 0.0)


def cites_gold(cited_articles: Sequence[str], gold: set[str]) -> bool:
    """Cites a gold source: at least one cited passage comes from a gold article."""
    return any(a in gold for a in cited_articles)


def abstention_scores(abstained: Sequence[bool], answerable: Sequence[bool]) -> dict[str, float | None]:
    """Abstention as detection of unanswerable questions (positive class: unanswerable).

    - precision: share of abstentions that were on unanswerable questions;
    - recall: share of unanswerable questions on which the system abstained;
    - false_abstention: share of answerable questions on which it abstained.
    A share with an empty denominator is None (reported as n.a.).
    """
    pairs = list(zip(abstained, answerable))
    tp = sum(1 for a, ok in pairs if a and not ok)
    n_abstained = sum(1 for a, _ in pairs if a)
    n_unanswerable = sum(1 for _, ok in pairs if not ok)
    n_answerable = len(pairs) - n_unanswerable
    false_abst = sum(1 for a, ok in pairs if a and ok)
    return {
        "abstain_precision": tp / n_abstained if n_abstained else None,
        "abstain_recall": tp / n_unanswerable if n_unanswerable else None,
        "false_abstention": false_abst / n_answerable if n_answerable else None,
    }


# -- aggregates -----------------------------------------------------------------------------
def mean(values: Sequence[float | None]) -> float | None:
    """Arithmetic mean of the values that are not None; None when there are none."""
    kept = [float(v) for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def percentile(values: Sequence[float | None], q: float) -> float | None:
    """q-th percentile (0..100) of the values that are not None, linear interpolation between
    closest ranks (numpy's default): p50 is the median. None when there are no values."""
    kept = sorted(float(v) for v in values if v is not None)
    if not kept:
        return None
    pos = (len(kept) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return kept[lo] + (kept[hi] - kept[lo]) * (pos - lo)


def tokens_per_second(completion_tokens: Sequence[int], first_token_s: Sequence[float | None], total_s: Sequence[float]) -> float | None:
    """Generation speed: all tokens generated after the first one, divided by all the time spent
    between first token and end of answer, over the questions that called the LLM."""
    tokens, seconds = 0, 0.0
    for n, first, total in zip(completion_tokens, first_token_s, total_s):
        if first is None or n < 2:
            continue
        tokens += n - 1
        seconds += max(total - first, 0.0)
    return tokens / seconds if seconds > 0 else None
