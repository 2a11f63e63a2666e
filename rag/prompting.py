"""Short prompts: on a 2-core laptop every prompt token costs ~25 ms before the first word.

The system prompt never changes, so llama.cpp reuses its cached prefix from one question to
the next; everything that varies (passages, question, language) comes after it.
"""

from __future__ import annotations

import re
import unicodedata

from rag.types import Passage

SYSTEM_PROMPT = (
    "Answer the question using only the numbered passages. After each sentence, cite the passage "
    "it comes from, like [1]. Be brief: one to three sentences. If the passages do not contain the "
    "answer, reply only: I don't know."
)

LANGUAGE_LINE = {
    "fr": "Réponds en français, en citant les passages comme [1].",
    "en": "Answer in English, citing the passages like [1].",
}

ABSTAIN_TEXT = {
    "fr": "Les articles ne permettent pas de répondre à cette question.",
    "en": "The articles do not answer this question.",
}

CONDENSE_PROMPT = (
    "Rewrite the last question so it can be understood without the conversation. "
    "Keep its language. Reply with the question only."
)

_FR_WORDS = set(
    "le la les des est une que qui quel quelle quels quelles pourquoi comment où qu du au aux avec pour dans sur "
    "il elle ils ont été a-t-il est-ce et de en son sa ses ce cette combien quand".split()
)
_EN_WORDS = set(
    "the is are was were what who when where why how which did does of to in with for his her their has have "
    "and a an on at from will would about".split()
)


def detect_language(text: str) -> str:
    """'fr' or 'en', from function words and accents; enough for questions, which are short."""
    words = re.findall(r"[\w'-]+", text.lower())
    fr = sum(w in _FR_WORDS or w.startswith(("qu'", "l'", "d'", "s'")) for w in words)
    en = sum(w in _EN_WORDS for w in words)
    fr += sum(1 for ch in text if unicodedata.decomposition(ch)[:1].isdigit() and ch.isalpha())
    return "fr" if fr > en else "en"


def format_passages(passages: list[Passage]) -> str:
    return "\n\n".join(f"[{i}] {' '.join(p.chunk.text.split())}" for i, p in enumerate(passages, start=1))


def build_messages(question: str, passages: list[Passage], language: str) -> list[dict]:
    user = f"{format_passages(passages)}\n\nQuestion: {question}\n{LANGUAGE_LINE.get(language, LANGUAGE_LINE['en'])}"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def build_condense_messages(history: list[dict], question: str, max_turns: int = 2) -> list[dict]:
    """Only the last turns, and assistant answers cut short: the prompt must stay small."""
    lines = []
    for turn in history[-2 * max_turns :]:
        content = re.sub(r"\s*\[\d+\]", "", turn["content"])[:300]
        lines.append(f"{'User' if turn['role'] == 'user' else 'Assistant'}: {content}")
    lines.append(f"Last question: {question}")
    return [{"role": "system", "content": CONDENSE_PROMPT}, {"role": "user", "content": "\n".join(lines)}]
