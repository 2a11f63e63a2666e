"""What the model wrote, cut into claims: citation numbers it was never shown dropped, a leading yes/no
word set apart, "passage 2" read as the marker [2], a sentence that only points at a passage giving its
marker to the sentence before it. Nothing the model said is lost: every sentence becomes a claim."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.lang import any_of, by_language, union
from rag.text import MARKER, content_words, marker_numbers, split_sentences, strip_markers
from rag.types import Claim

# A leading yes/no word, in any language ("Oui.", "Non,", "Yes -", "No:").
POLARITY_WORDS = {word: yes for words in by_language("YES_NO").values() for word, yes in words.items()}
_YES_NO = re.compile(rf"^\s*({'|'.join(POLARITY_WORDS)})\b\s*[.,:;!–-]*\s*", re.IGNORECASE)
# "passage 2", "l'extrait [3]", ", according to the passage [3]": a citation written out in words, with the words that
# lead to it, so that "…en 2019, according to [3]." is not left behind.
_WRITTEN_CITATION = re.compile(
    rf"(?:,?\s*\b(?:{any_of('CITATION_LEAD').pattern})\s+)?"
    rf"\b(?:{any_of('CITATION_ARTICLE').pattern})?(?:{any_of('CITATION_NOUN').pattern})\s*\[?(\d+)\]?", re.IGNORECASE)
# "...en Russie. [1] Mercredi [1].": markers written after the full stop belong to the sentence before it.
_AFTER_THE_STOP = re.compile(rf"([.!?…])((?:\s*[,;]?\s*{MARKER.pattern})+)(?=\s+\S)")
# Words a model uses to point at a passage rather than to say something ("C'est le passage [2].").
POINTER_WORDS = union("POINTER_WORDS")


@dataclass
class Draft:
    """The model's text, read: its yes/no word (None without one) and its sentences as claims."""

    text: str  # markers cleaned
    polarity: bool | None
    claims: list[Claim]


def clean_markers(text: str, shown: int) -> str:
    """Drop markers citing a passage the model never saw; markers written after a full stop go before it."""

    def keep_valid(match: re.Match) -> str:
        valid = [n for n in marker_numbers(match.group(0)) if 1 <= n <= shown]
        return f"[{', '.join(map(str, valid))}]" if valid else ""

    cleaned = _AFTER_THE_STOP.sub(lambda m: f" {m.group(2).strip()}{m.group(1)}", MARKER.sub(keep_valid, text))
    return re.sub(r"[ \t]+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", cleaned)).strip()


def read_draft(raw: str, shown: int) -> Draft:
    """The model's text as a polarity word and claims (questions it echoed left out)."""
    text = clean_markers(raw, shown)
    body, polarity = text, None
    if match := _YES_NO.match(text):
        polarity, body = POLARITY_WORDS[match.group(1).lower()], text[match.end():]
    claims: list[Claim] = []
    for sentence in split_sentences(body):
        sentence = _WRITTEN_CITATION.sub(r"[\1]", sentence)
        cited = [n for n in marker_numbers(sentence) if 1 <= n <= shown]
        claim = Claim(text=strip_markers(sentence).lstrip(" ,;:"), cited=cited)
        if claims and claim.cited and not (content_words(claim.text) - POINTER_WORDS):  # "C'est le passage [2]."
            claims[-1].cited += [n for n in claim.cited if n not in claims[-1].cited]
        elif content_words(claim.text) and not claim.text.rstrip().endswith("?"):
            claims.append(claim)
    return Draft(text, polarity, claims)
