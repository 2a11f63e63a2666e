"""Citations as data: parse [n] markers, keep only numbers the model was shown, map to passages.

Also the support check: a cited sentence must be backed by the passages it cites (its numbers
and names appear there, and enough of its content words), so an answer the model made up from
a nearby detail is caught even when it carries a citation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.embedding import fold
from rag.keyword import STOPWORDS
from rag.types import Citation, Passage

_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
# A sentence ends at . ! ? … before a capital, unless the dot closes an initial or a title ("M. Kim").
_SENTENCE = re.compile(r"(?<![\s(][A-Z]\.)(?<!^[A-Z]\.)(?<!\bMM\.)(?<!\bMme\.)(?<!\bDr\.)(?<=[.!?…])\s+(?=[A-ZÀ-Ý«\"“(])")
_WORD = re.compile(r"\w+", re.UNICODE)
_NUMBER = re.compile(r"\d+(?:[.,\s]\d{3})*")

_DONT_KNOW = re.compile(
    r"\b(i\s+(do\s*n[o']t|don't|do not)\s+know|je\s+ne\s+sais\s+pas|ne\s+(contiennent|permettent|mentionnent|précisent|donnent)\s+pas"
    r"|do(es)?\s*n[o']t\s+(contain|mention|say|specify|provide)|do(es)?\s+not\s+(contain|mention|say|specify|provide)"
    r"|no\s+information|aucune\s+information|pas\s+d'information|not\s+(mentioned|specified|provided))\b",
    re.IGNORECASE,
)


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]


def cited_numbers(sentence: str) -> list[int]:
    numbers: list[int] = []
    for group in _MARKER.findall(sentence):
        for raw in re.split(r"\s*[,;]\s*", group):
            n = int(raw)
            if n not in numbers:
                numbers.append(n)
    return numbers


def clean_markers(text: str, shown: int) -> str:
    """Drop markers that cite a passage the model never saw (hallucinated citations)."""

    def keep_valid(match: re.Match) -> str:
        valid = [n for n in cited_numbers(match.group(0)) if 1 <= n <= shown]
        return f"[{', '.join(map(str, valid))}]" if valid else ""

    cleaned = _MARKER.sub(keep_valid, text)
    return re.sub(r"[ \t]+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", cleaned)).strip()


# Words a model uses to point at a passage rather than to say something ("C'est le passage [2].").
_POINTER_WORDS = frozenset(
    "cest passage passages source sources extrait selon voir indique indiquee mentionne stated mentioned according "
    "this that see shown given found identified said".split()
)


def attach_orphan_markers(text: str) -> str:
    """Move the markers of a sentence that only points at a passage onto the sentence before it."""
    sentences = split_sentences(text)
    kept: list[str] = []
    for sentence in sentences:
        markers = _MARKER.findall(sentence)
        words = content_words(_MARKER.sub(" ", sentence)) - _POINTER_WORDS
        if kept and markers and not words:
            body = kept[-1].rstrip()
            end = body[-1] if body and body[-1] in ".!?" else ""
            kept[-1] = f"{body[: len(body) - len(end)].rstrip()} {' '.join(f'[{m}]' for m in markers)}{end}"
        else:
            kept.append(sentence)
    return " ".join(kept) if len(kept) != len(sentences) else text


def says_dont_know(text: str) -> bool:
    return bool(_DONT_KNOW.search(text[:300]))


def build_citations(text: str, passages: list[Passage]) -> list[Citation]:
    by_n: dict[int, Citation] = {}
    for sentence in split_sentences(text):
        for n in cited_numbers(sentence):
            if 1 <= n <= len(passages):
                by_n.setdefault(n, Citation(n=n, passage=passages[n - 1])).sentences.append(_MARKER.sub("", sentence).strip())
    return [by_n[n] for n in sorted(by_n)]


def content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(fold(_MARKER.sub(" ", text))) if w not in STOPWORDS and (len(w) > 2 or w.isdigit())}


def numbers_in(text: str) -> set[str]:
    return {re.sub(r"\D", "", n) for n in _NUMBER.findall(_MARKER.sub(" ", text))}


def _same_stem(a: str, b: str) -> bool:
    """Inflection-tolerant: 'sanctions'~'sanction', 'fire'~'fired': a shared prefix of 5 letters,
    or of the whole shorter word when it has 4."""
    shorter = min(len(a), len(b))
    return shorter >= 4 and a[: min(5, shorter)] == b[: min(5, shorter)]


def _stem_match(word: str, vocabulary: set[str]) -> bool:
    return word in vocabulary or any(_same_stem(word, v) for v in vocabulary)


@dataclass
class Support:
    lexical: float  # share of the sentence's new content words (not in the question) found in the cited passages
    numbers_ok: bool  # every number of the sentence appears in the cited passages
    novel: int  # how many content words the sentence adds to the question


def sentence_support(sentence: str, cited: list[Passage], question: str = "") -> Support:
    """Judge only what the sentence adds: an answer that restates the question says nothing.

    Asked for a detail the passages lack, a small model tends to echo the question ("the driver
    is Kim Jong Un") or to borrow a nearby detail; both show up here as no new supported words.
    """
    source = " ".join(p.chunk.text for p in cited)
    vocab = content_words(source)
    asked = content_words(question)
    words = {w for w in content_words(sentence) if not _stem_match(w, asked)}
    lexical = sum(_stem_match(w, vocab) for w in words) / len(words) if words else 0.0
    # numbers the question itself gives ("le vendredi 15 septembre") are not claims
    numbers_ok = numbers_in(sentence) <= numbers_in(source) | numbers_in(question)
    return Support(lexical=lexical, numbers_ok=numbers_ok, novel=len(words))


def embedding_support(sentence: str, cited: list[Passage], embedder) -> float:
    """Best cosine between the sentence and a cited passage: the only check that crosses languages.

    Weak on its own (multilingual-e5 puts most on-topic pairs between 0.80 and 0.90), so it
    only backs answers whose language differs from their sources, where words cannot match.
    """
    vectors = embedder.embed_passages([_MARKER.sub("", sentence)] + [p.chunk.text for p in cited])
    return float(max(vectors[1:] @ vectors[0]))


def cited_sentences(text: str, passages: list[Passage]) -> list[tuple[str, list[Passage]]]:
    out = []
    for sentence in split_sentences(text):
        cited = [passages[n - 1] for n in cited_numbers(sentence) if 1 <= n <= len(passages)]
        if cited:
            out.append((sentence, cited))
    return out


def answer_support(text: str, passages: list[Passage], question: str = "") -> tuple[float, bool]:
    """(best support of a cited sentence, all cited sentences have their numbers in their sources)."""
    best, numbers_ok = 0.0, True
    for sentence, cited in cited_sentences(text, passages):
        support = sentence_support(sentence, cited, question)
        best = max(best, support.lexical)
        numbers_ok = numbers_ok and support.numbers_ok
    return best, numbers_ok
