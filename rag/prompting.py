"""Short prompts: on a 2-core laptop every prompt token costs ~25 ms before the first word.

The system prompt never changes, so llama.cpp reuses its cached prefix from one question to
the next; everything that varies (passages, question, language) comes after it.
"""

from __future__ import annotations

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

def format_passages(passages: list[Passage]) -> str:
    return "\n\n".join(f"[{i}] {' '.join(p.chunk.text.split())}" for i, p in enumerate(passages, start=1))


def build_messages(question: str, passages: list[Passage], language: str) -> list[dict]:
    user = f"{format_passages(passages)}\n\nQuestion: {question}\n{LANGUAGE_LINE.get(language, LANGUAGE_LINE['en'])}"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]
