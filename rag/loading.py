"""Read articles from .txt, .md, .html and .jsonl files, refusing bad input with a reason.

Loading never raises for one bad file: it yields a :class:`Skipped` with a one-line reason, so a
folder with one broken file still ingests the rest and the report names the broken one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from rag.errors import InputError
from rag.text import first_sentence
from rag.types import Article

SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".jsonl")
_DATE_LINE = re.compile(r"^\s*date\s+(\d{4}-\d{2}(?:-\d{2})?)\b[ \t]*")
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


def safe_id(raw: str) -> str:
    """Article ids become chunk-id prefixes (``id:n``) and file names: keep them to a safe alphabet."""
    cleaned = _ID_UNSAFE.sub("_", raw.strip()).strip("._")
    return cleaned[:120]


def derive_title(text: str, limit: int = 140) -> str:
    sentence = first_sentence(text)
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


def split_date_line(text: str) -> tuple[str, str]:
    """The seeds begin with ' date YYYY-MM', sometimes followed by text on the same line."""
    match = _DATE_LINE.match(text)
    if not match:
        return "", text
    return match.group(1), text[match.end():]


IGNORE_MARKER = ".ragignore"


def _ignored(path: Path, root: Path) -> bool:
    """Hidden folders, and folders holding a .ragignore file (e.g. seeds/eval), are not articles."""
    for parent in path.relative_to(root).parents:
        folder = root / parent
        if folder != root and (folder.name.startswith(".") or (folder / IGNORE_MARKER).exists()):
            return True
    return path.name.startswith(".")


def expand_paths(paths: list[str | Path]) -> list[Path]:
    """Files given directly, plus supported files found (recursively, sorted) in folders."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError(f"path not found: {path} (check the spelling, or pass a folder of .txt/.md/.html/.jsonl files)")
        if path.is_dir():
            out.extend(
                p for p in sorted(path.rglob("*"))
                if p.is_file() and p.suffix.lower() in SUPPORTED and not _ignored(p, path)
            )
        else:
            out.append(path)
    return out


def read_text(path: Path, max_bytes: int) -> str:
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"{path.name}: file is empty; nothing to ingest")
    if size > max_bytes:
        raise InputError(
            f"{path.name}: file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit "
            "(split it, or raise RAG_STORE__MAX_FILE_MB)"
        )
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise InputError(f"{path.name}: looks like a binary file, not text (only .txt, .md, .html, .jsonl are read)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path.name}: not valid UTF-8 (byte {data[exc.start]:#04x} at offset {exc.start}); "
            "re-save it as UTF-8, e.g. iconv -f latin1 -t utf-8"
        ) from None
    if not text.strip():
        raise InputError(f"{path.name}: file has no text; nothing to ingest")
    return text


def article_from_text(article_id: str, text: str, source_path: str, title: str = "", date: str = "", url: str = "") -> Article:
    parsed_date, body = split_date_line(text)
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise InputError(f"{source_path}: article {article_id!r} has no text after its date line")
    return Article(
        id=article_id,
        title=(title or derive_title(body)).strip(),
        text=body,
        date=(date or parsed_date).strip(),
        url=url.strip(),
        source_path=source_path,
    )


def _markdown_article(path: Path, text: str) -> Article:
    heading = next((ln.lstrip("#").strip() for ln in text.splitlines() if ln.startswith("#")), "")
    return article_from_text(safe_id(path.stem), text, str(path), title=heading)


def _html_article(path: Path, text: str) -> Article:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "iframe", "nav", "footer"]):
        tag.decompose()
    title_tag = soup.find("h1") or soup.find("title")
    title = title_tag.get_text(" ", strip=True) if title_tag else ""
    body_root = soup.find("article") or soup.body or soup
    lines = [ln.strip() for ln in body_root.get_text("\n").splitlines()]
    body = "\n\n".join(ln for ln in lines if ln)
    if not body:
        raise InputError(f"{path.name}: HTML has no visible text; nothing to ingest")
    return article_from_text(safe_id(path.stem), body, str(path), title=title)


def _jsonl_articles(path: Path) -> Iterator[Article | Skipped]:
    """One article per line; streamed so a multi-GB file never sits in memory."""
    if path.stat().st_size == 0:
        yield Skipped(str(path), "file is empty; nothing to ingest")
        return
    with path.open("rb") as handle:
        for lineno, raw in enumerate(handle, start=1):
            where = f"{path.name}:{lineno}"
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"))
                if not isinstance(record, dict):
                    raise ValueError("not a JSON object")
                text = str(record.get("text") or "")
                if not text.strip():
                    raise ValueError("no 'text' field")
                article_id = safe_id(str(record.get("id") or f"{path.stem}-{lineno}"))
                yield article_from_text(
                    article_id, text, where, title=str(record.get("title") or ""),
                    date=str(record.get("date") or ""), url=str(record.get("url") or ""),
                )
            except (ValueError, UnicodeDecodeError, InputError) as exc:
                yield Skipped(where, f"bad JSONL record ({exc}); expected {{id, title, date, url, text}}")


def load_file(path: Path, max_bytes: int) -> Iterator[Article | Skipped]:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        yield Skipped(str(path), f"unsupported file type {suffix or '(none)'}; use .txt, .md, .html or .jsonl")
        return
    if suffix == ".jsonl":
        yield from _jsonl_articles(path)
        return
    try:
        text = read_text(path, max_bytes)
        if suffix in (".html", ".htm"):
            yield _html_article(path, text)
        elif suffix in (".md", ".markdown"):
            yield _markdown_article(path, text)
        else:
            yield article_from_text(safe_id(path.stem), text, str(path))
    except InputError as exc:
        yield Skipped(str(path), str(exc))


def iter_articles(paths: list[str | Path], max_bytes: int = 20_000_000) -> Iterator[Article | Skipped]:
    for path in expand_paths(paths):
        yield from load_file(path, max_bytes)
