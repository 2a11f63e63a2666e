"""Bytes of a file -> text, or a one-line reason why they are not an article.

UTF-8 first (with or without a BOM; UTF-16/32 only with their BOM). Then Windows-1252 (a superset
of Latin-1's printable characters: the legacy files people have for French or English news),
accepted when charset-normalizer's mess measure finds the decoded text clean and it is mostly
ASCII, as Western prose is; random bytes decode to a mess of accents and symbols. Longer files
(from 256 bytes, where its statistics mean something) may then be any encoding charset-normalizer
detects (Cyrillic, Japanese...). A guessed encoding is reported so that a wrong guess can be fixed.

Work is bounded: detection reads at most the first 256 KB.
"""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

from rag.errors import InputError

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_WHITESPACE_CONTROLS = frozenset("\t\n\r\f\v")
_PROSE_MARKS = frozenset(" \t\n\r.,;:!?'\"«»“”‘’()-–—…/%&@#*[]<>=_{}|+")  # markup too: HTML and Markdown
SAMPLE = 256_000
MIN_DETECT = 256  # bytes below which only Windows-1252 is tried
MAX_MESS = 0.1  # charset-normalizer's mess ratio of a decoded text; random bytes score far above
MIN_PROSE = 0.9  # share of letters, digits, spaces and common marks (markup included) in a guessed text
MAX_NON_ASCII = 0.3  # Western prose in Windows-1252: a few accented letters among ASCII


def display_name(value: str) -> str:
    """A file name or path fit for one report line: control characters (a newline...) escaped."""
    if not any(unicodedata.category(ch) == "Cc" for ch in value):
        return value
    return "".join(ch.encode("unicode_escape").decode("ascii") if unicodedata.category(ch) == "Cc" else ch for ch in value)


def _control_share(text: str) -> float:
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in _WHITESPACE_CONTROLS)
    return controls / max(len(text), 1)


def _prose_share(text: str) -> float:
    return sum(1 for ch in text if ch.isalnum() or ch in _PROSE_MARKS) / max(len(text), 1)


def _reads_as_prose(text: str) -> bool:
    return _control_share(text) == 0 and _prose_share(text) >= MIN_PROSE


def _windows_1252(data: bytes) -> str | None:
    from charset_normalizer.md import mess_ratio

    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:  # one of its five undefined bytes
        return None
    sample = text[:SAMPLE]
    non_ascii = sum(1 for ch in sample if ord(ch) > 127) / max(len(sample), 1)
    return text if non_ascii <= MAX_NON_ASCII and _reads_as_prose(sample) and mess_ratio(sample, 1.0) <= MAX_MESS else None


def _detected(data: bytes) -> tuple[str, str] | None:
    from charset_normalizer import from_bytes

    if len(data) < MIN_DETECT:
        return None
    for match in sorted(from_bytes(data[:SAMPLE]), key=lambda m: m.chaos):
        if match.chaos > MAX_MESS or match.encoding.startswith(("utf_16", "utf_32")):  # those need their BOM
            continue
        try:
            text = data.decode(match.encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        if _reads_as_prose(text[:SAMPLE]):
            return text, codecs.lookup(match.encoding).name
    return None


def _guess(data: bytes) -> tuple[str, str] | None:
    """(text, encoding) for bytes that are not UTF-8, or None when no encoding makes prose of them."""
    text = _windows_1252(data)
    return (text, "windows-1252") if text is not None else _detected(data)


def decode(data: bytes, name: str) -> tuple[str, str]:
    """(text, encoding) of a file's bytes; InputError with the reason when they are not text."""
    codec = next((c for bom, c in _BOMS if data.startswith(bom)), None)
    if codec is None and b"\x00" in data:
        raise InputError(f"{name}: looks like a binary file, not text (only .txt, .md, .html, .jsonl, .pdf, .docx are read)")
    try:
        text, encoding = data.decode(codec or "utf-8"), codec or "utf-8"
    except UnicodeDecodeError as exc:
        guessed = None if codec else _guess(data)
        if guessed is None:
            raise InputError(
                f"{name}: neither UTF-8 (byte {data[exc.start]:#04x} at offset {exc.start}) nor text in another "
                "encoding; if it is text, re-save it as UTF-8 (e.g. iconv -f <encoding> -t utf-8)"
            ) from None
        text, encoding = guessed
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise InputError(f"{name}: file has no text; nothing to ingest")
    if _control_share(text) > 0.001:
        raise InputError(f"{name}: looks like a binary file, not text (it holds control characters)")
    if not any(ch.isalpha() for ch in text):
        raise InputError(f"{name}: file has no words; nothing to ingest")
    return text, encoding


def check_size(path: Path, max_bytes: int, name: str) -> None:
    """InputError when the file is empty or over the size limit (read before any byte of it)."""
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"{name}: file is empty; nothing to ingest")
    if size > max_bytes:
        raise InputError(
            f"{name}: file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit "
            "(split it, or raise RAG_STORE__MAX_FILE_MB)"
        )


def read_text(path: Path, max_bytes: int) -> tuple[str, str]:
    """(text, encoding) of a file under the size limit; InputError with the reason otherwise."""
    name = display_name(path.name)
    check_size(path, max_bytes, name)
    return decode(path.read_bytes(), name)
