"""JSONL files: one article per line, streamed, each line checked, bad lines summarised per file.

A line is an article's source as a file is, so it has the same size limit (read in bounded pieces:
an over-long line never sits in memory). Fields: ``text`` (a string, required), ``id`` (a string or
an integer), ``title``, ``date``, ``url`` (strings); null counts as absent; no string may hold a NUL.
Bad lines give one :class:`Skipped` for the whole file, naming the first few with their reasons.
A file with only bad lines is given up after ``GIVE_UP_AFTER`` of them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from rag.errors import InputError
from rag.ingestion.articles import Skipped, article_from_text
from rag.ingestion.decoding import display_name
from rag.ingestion.ids import jsonl_article_id
from rag.types import Article

EXPECTED = "each line must be a JSON object {id, title, date, url, text}"
GIVE_UP_AFTER = 1000
SHOWN = 3
_READ = 1 << 20
_STRING_FIELDS = ("title", "date", "url")


def _type_name(value) -> str:
    return {dict: "an object", list: "a list", bool: "a boolean", int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def _string(record: dict, key: str, required: bool = False) -> str:
    value = record.get(key)
    if value is None:
        if required:
            raise InputError(f"no '{key}' field")
        return ""
    if not isinstance(value, str):
        raise InputError(f"'{key}' is {_type_name(value)}, not a string")
    if "\x00" in value:
        raise InputError(f"'{key}' holds a NUL character")
    return value


def _article(raw: bytes, lineno: int, path: Path) -> Article:
    try:
        record = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError("not UTF-8 (JSON is always UTF-8)") from None
    except ValueError as exc:
        raise InputError(f"not JSON ({getattr(exc, 'msg', exc)})") from None
    if not isinstance(record, dict):
        raise InputError(f"{_type_name(record)}, not a JSON object")
    text = _string(record, "text", required=True)
    if not text.strip():
        raise InputError("'text' is empty")
    raw_id = record.get("id")
    if raw_id is not None and (isinstance(raw_id, bool) or not isinstance(raw_id, (str, int))):
        raise InputError(f"'id' is {_type_name(raw_id)}, not a string or an integer")
    if isinstance(raw_id, str) and "\x00" in raw_id:
        raise InputError("'id' holds a NUL character")
    fields = {key: _string(record, key) for key in _STRING_FIELDS}
    article_id = jsonl_article_id(raw_id, f"{path.stem}-{lineno}")
    return article_from_text(article_id, text, str(path), **fields)


def _lines(handle, max_bytes: int) -> Iterator[tuple[bytes | None, int]]:
    """(line, size) per line; the line is None when it is over ``max_bytes`` (the rest is read and dropped)."""
    while True:
        line = handle.readline(max_bytes + 1)
        if not line:
            return
        size = len(line)
        if size > max_bytes and not line.endswith(b"\n"):
            while True:
                piece = handle.readline(_READ)
                size += len(piece)
                if not piece or piece.endswith(b"\n"):
                    break
            yield None, size
        else:
            yield line, size


class _Tally:
    def __init__(self):
        self.lines = self.bad = 0
        self.shown: list[str] = []

    def refuse(self, lineno: int, reason: str) -> None:
        self.bad += 1
        if len(self.shown) < SHOWN:
            self.shown.append(f"line {lineno}: {reason}")

    def summary(self, gave_up: bool) -> str:
        more = f"; and {self.bad - len(self.shown):,} more" if self.bad > len(self.shown) else ""
        stop = f"; stopped after {self.bad:,} bad lines and no article (is it JSONL?)" if gave_up else ""
        return f"{self.bad:,} of {self.lines:,} lines refused ({'; '.join(self.shown)}{more}){stop}; {EXPECTED}"


def jsonl_articles(path: Path, max_bytes: int) -> Iterator[Article | Skipped]:
    """The file's articles, then at most one Skipped summarising its bad lines."""
    if path.stat().st_size == 0:
        yield Skipped(str(path), "file is empty; nothing to ingest")
        return
    tally, first_line, good, gave_up = _Tally(), {}, 0, False
    with path.open("rb") as handle:
        for lineno, (raw, size) in enumerate(_lines(handle, max_bytes), start=1):
            if raw is not None and not raw.strip():
                continue
            tally.lines += 1
            try:
                if raw is None:
                    raise InputError(f"{size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit of an article (RAG_STORE__MAX_FILE_MB)")
                article = _article(raw, lineno, path)
                if article.id in first_line:
                    raise InputError(f"duplicate id {display_name(article.id)!r} (first on line {first_line[article.id]})")
            except InputError as exc:
                tally.refuse(lineno, display_name(str(exc)))
                if not good and tally.bad >= GIVE_UP_AFTER:
                    gave_up = True
                    break
                continue
            first_line[article.id] = lineno
            good += 1
            yield article
    if tally.bad:
        yield Skipped(str(path), tally.summary(gave_up))
    elif not tally.lines:
        yield Skipped(str(path), "file has only blank lines; nothing to ingest")
