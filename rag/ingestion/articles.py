"""Text -> :class:`Article`: the date line, the title, and what a refused input is (:class:`Skipped`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.errors import InputError
from rag.text import first_sentence
from rag.types import Article

_DATE_LINE = re.compile(r"^\s*date\s+(\d{4}-\d{2}(?:-\d{2})?)\b[ \t]*")


@dataclass(frozen=True)
class Skipped:
    """An input that is not ingested: where it is (a file) and a one-line reason."""

    path: str
    reason: str


def derive_title(text: str, limit: int = 140) -> str:
    sentence = first_sentence(text)
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


def split_date_line(text: str) -> tuple[str, str]:
    """The seeds begin with ' date YYYY-MM', sometimes followed by text on the same line."""
    match = _DATE_LINE.match(text)
    if not match:
        return "", text
    return match.group(1), text[match.end():]


def article_from_text(article_id: str, text: str, source_path: str, title: str = "", date: str = "", url: str = "",
                      author: str = "", site: str = "") -> Article:
    parsed_date, body = split_date_line(text)
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise InputError(f"article {article_id!r} has no text after its date line")
    return Article(
        id=article_id,
        title=(title or derive_title(body)).strip(),
        text=body,
        date=(date or parsed_date).strip(),
        url=url.strip(),
        source_path=source_path,
        author=author.strip(),
        site=site.strip(),
    )


def article_from_pages(article_id: str, pages: list[tuple[int, str]], source_path: str, title: str = "", date: str = "",
                       author: str = "") -> Article:
    """An article from a document's pages ((number, text); number 0: the document has no pages), each page's start kept."""
    parts, starts, offset = [], [], 0
    for number, page_text in pages:
        starts.append((offset, number))
        parts.append(page_text)
        offset += len(page_text) + 2  # the blank line between pages
    text = "\n\n".join(parts)
    return Article(
        id=article_id,
        title=(title or derive_title(text)).strip(),
        text=text,
        date=date,
        source_path=source_path,
        author=author,
        pages=tuple(starts) if any(number for number, _ in pages) else (),
    )
