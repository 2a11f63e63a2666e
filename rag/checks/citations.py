"""Citations as data: parse [n] markers, keep only numbers the model was shown, map to passages.

Also the support check: a cited sentence must be backed by the passages it cites (its numbers
and names appear there, and enough of its content words), so an answer the model made up from
a nearby detail is caught even when it carries a citation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.settings import AnswerSettings
from rag.text import (
    MARKER,
    content_words,
    marker_numbers,
    numbers_in,
    same_stem,
    split_sentences,
    strip_markers,
)
from rag.types import Citation, Passage

# "...en Russie. [1] Mercredi [1].": markers written after the full stop, moved before it, so that the sentence
# ends there ("...en Russie [1]. Mercredi [1].") instead of running into the next one.
_AFTER_THE_STOP = re.compile(rf"([.!?…])((?:\s*[,;]?\s*{MARKER.pattern})+)(?=\s+\S)")


def clean_markers(text: str, shown: int) -> str:
    """Drop markers that cite a passage the model never saw (hallucinated citations); markers written after a full
    stop go before it."""

    def keep_valid(match: re.Match) -> str:
        valid = [n for n in marker_numbers(match.group(0)) if 1 <= n <= shown]
        return f"[{', '.join(map(str, valid))}]" if valid else ""

    cleaned = _AFTER_THE_STOP.sub(lambda m: f" {m.group(2).strip()}{m.group(1)}", MARKER.sub(keep_valid, text))
    return re.sub(r"[ \t]+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", cleaned)).strip()


# Words a model uses to point at a passage rather than to say something ("C'est le passage [2].").
POINTER_WORDS = frozenset(
    "cest passage passages source sources extrait selon voir indique indiquee mentionne stated mentioned according "
    "this that see shown given found identified said".split()
)


def attach_orphan_markers(text: str) -> str:
    """Move the markers of a sentence that only points at a passage onto the sentence before it."""
    sentences = split_sentences(text)
    kept: list[str] = []
    for sentence in sentences:
        markers = MARKER.findall(sentence)
        words = content_words(sentence) - POINTER_WORDS
        if kept and markers and not words:
            body = kept[-1].rstrip()
            end = body[-1] if body and body[-1] in ".!?" else ""
            kept[-1] = f"{body[: len(body) - len(end)].rstrip()} {' '.join(f'[{m}]' for m in markers)}{end}"
        else:
            kept.append(sentence)
    return " ".join(kept) if len(kept) != len(sentences) else text


def build_citations(text: str, passages: list[Passage]) -> list[Citation]:
    by_n: dict[int, Citation] = {}
    for sentence in split_sentences(text):
        for n in marker_numbers(sentence):
            if 1 <= n <= len(passages):
                by_n.setdefault(n, Citation(n=n, passage=passages[n - 1])).sentences.append(strip_markers(sentence))
    return [by_n[n] for n in sorted(by_n)]


def _stem_match(word: str, vocabulary: set[str], cfg: AnswerSettings) -> bool:
    return word in vocabulary or any(same_stem(word, v, cfg.stem_prefix, cfg.stem_min_length) for v in vocabulary)


@dataclass
class Support:
    lexical: float  # share of the sentence's new content words (not in the question) found in the cited passages
    numbers_ok: bool  # every number of the sentence appears in the cited passages
    novel: int  # how many content words the sentence adds to the question


def sentence_support(sentence: str, cited: list[Passage], question: str = "", cfg: AnswerSettings | None = None) -> Support:
    """Judge only what the sentence adds: an answer that restates the question says nothing.

    Asked for a detail the passages lack, a small model tends to echo the question ("the driver
    is Kim Jong Un") or to borrow a nearby detail; both show up here as no new supported words.
    """
    cfg = cfg or AnswerSettings()
    source = " ".join(p.chunk.text for p in cited)
    vocab = content_words(source)
    asked = content_words(question)
    words = {w for w in content_words(sentence) if not _stem_match(w, asked, cfg)}
    lexical = sum(_stem_match(w, vocab, cfg) for w in words) / len(words) if words else 0.0
    # numbers the question itself gives ("le vendredi 15 septembre") are not claims
    numbers_ok = numbers_in(sentence) <= numbers_in(source) | numbers_in(question)
    return Support(lexical=lexical, numbers_ok=numbers_ok, novel=len(words))


def embedding_support(sentence: str, cited: list[Passage], embedder) -> float:
    """Best cosine between the sentence and a cited passage: the only check that crosses languages.

    Weak on its own (multilingual-e5 puts most on-topic pairs between 0.80 and 0.90), so it
    only backs answers whose language differs from their sources, where words cannot match.
    """
    vectors = embedder.embed_passages([strip_markers(sentence)] + [p.chunk.text for p in cited])
    return float(max(vectors[1:] @ vectors[0]))


def sentence_citations(text: str, passages: list[Passage]) -> list[tuple[str, list[Passage]]]:
    """Each sentence of an answer (markers kept) with the shown passages it cites, maybe none."""
    return [
        (sentence, [passages[n - 1] for n in marker_numbers(sentence) if 1 <= n <= len(passages)])
        for sentence in split_sentences(text)
    ]


def answer_support(text: str, passages: list[Passage], question: str = "", cfg: AnswerSettings | None = None) -> tuple[float, bool]:
    """(best support of a cited sentence, all cited sentences have their numbers in their sources)."""
    best, numbers_ok = 0.0, True
    for sentence, cited in sentence_citations(text, passages):
        if not cited:
            continue
        support = sentence_support(sentence, cited, question, cfg)
        best = max(best, support.lexical)
        numbers_ok = numbers_ok and support.numbers_ok
    return best, numbers_ok
