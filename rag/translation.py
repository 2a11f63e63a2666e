"""Answers to questions asked in another language than the articles: answered in the articles'
language, checked there, then translated.

A claim in English cannot be checked word by word against French passages (measured on the
tune part: neither the embedder's cosine nor cognates tell right English claims from wrong
ones). Written in French, the same claim is checked like any other; only the checked text is
then translated. The translation continues the same conversation (passages, question, checked
answer, then "translate"), so llama.cpp reuses the prompt it already read: it costs the
generated words, not a second reading of the passages.
"""

from __future__ import annotations

import re

from rag.text import marker_numbers, numbers_in, strip_markers

LANGUAGE_NAMES = {"en": "English", "fr": "French"}


def translation_request(language: str) -> str:
    name = LANGUAGE_NAMES.get(language, "English")
    return (f"Translate your answer into {name}. Keep every number in brackets, like [2], after the sentence it ends. "
            f"Reply with the translation only.")


def faithful(source: str, translation: str) -> bool:
    """The translation keeps the citations and the numbers, and says something."""
    if not strip_markers(translation).strip():
        return False
    return sorted(marker_numbers(source)) == sorted(marker_numbers(translation)) and numbers_in(source) <= numbers_in(translation)


def translate(llm, messages: list[dict], checked: str, language: str, max_tokens: int) -> str | None:
    """``checked`` (the checked answer, with its [n] markers) in ``language``, or None when the
    translation drops a citation or a number (the caller keeps the checked text then)."""
    follow = [*messages, {"role": "assistant", "content": checked}, {"role": "user", "content": translation_request(language)}]
    text = "".join(llm.stream_chat(follow, max_tokens)).strip()
    text = re.sub(r"^\s*(translation|traduction)\s*:\s*", "", text, flags=re.IGNORECASE)
    return text if faithful(checked, text) else None
