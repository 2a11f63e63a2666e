"""Read articles from .txt, .md, .html, .jsonl, .pdf and .docx files, refusing bad input with a reason.

Loading never raises for one bad file: it yields a :class:`Skipped` with a one-line reason, so a
folder with one broken file still ingests the rest and the report names the broken one. Folders
are walked with their links followed once; a broken link or a link loop is reported, not skipped
in silence. What is worth knowing about a good file (an encoding that had to be guessed) goes to
the ``notes`` callable as (path, message).
"""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path
from typing import Callable, Iterator

from rag.errors import InputError
from rag.ingestion.articles import Skipped, article_from_pages, article_from_text, derive_title, split_date_line
from rag.ingestion.decoding import decode, read_text
from rag.ingestion.documents import read_docx, read_pdf
from rag.ingestion.htmltext import read_html
from rag.ingestion.ids import file_article_id, url_article_id
from rag.ingestion.jsonl import jsonl_articles
from rag.ingestion.web import DOCUMENT_TYPES, HTML_TYPES, fetch, is_url, saved_copy
from rag.types import Article

__all__ = ["SUPPORTED", "Skipped", "derive_title", "expand_paths", "iter_articles", "load_file", "split_date_line"]

log = logging.getLogger(__name__)

DOCUMENTS = {".pdf": read_pdf, ".docx": read_docx}
SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".jsonl", *DOCUMENTS)
IGNORE_MARKER = ".ragignore"
Notes = Callable[[tuple[str, str]], None]


def _link_problem(path: Path) -> str | None:
    """Why a link cannot be followed, or None when it can."""
    try:
        path.resolve(strict=True)
    except FileNotFoundError:
        return f"broken link to {os.readlink(path)} (it does not exist)"
    except (RuntimeError, OSError):
        return "link loop: the link leads back to itself"
    return None


def _walk(folder: Path, ancestors: frozenset[Path]) -> Iterator[Path | Skipped]:
    """Supported files under ``folder``, sorted by name; hidden and .ragignore'd folders left out."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        yield Skipped(str(folder), f"cannot read this folder: {exc.strerror}")
        return
    for entry in entries:
        path = Path(entry.path)
        if entry.name.startswith("."):
            continue
        problem = _link_problem(path) if entry.is_symlink() else None
        if problem:
            if path.suffix.lower() in SUPPORTED or not path.suffix:
                yield Skipped(str(path), problem)
        elif path.is_dir():
            real = path.resolve()
            if real in ancestors:
                yield Skipped(str(path), "link loop: the link leads back to a folder it is in; not followed")
            elif not (path / IGNORE_MARKER).exists():
                yield from _walk(path, ancestors | {real})
        elif path.is_file() and path.suffix.lower() in SUPPORTED:
            yield path


def expand_paths(paths: list[str | Path]) -> Iterator[tuple[Path, Path | None] | Skipped]:
    """(file, the folder it was found in or None) for files given directly and files found in folders."""
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError(f"path not found: {path} (check the spelling, or pass a folder of .txt/.md/.html/.jsonl/.pdf/.docx files)")
        if path.is_dir():
            for found in _walk(path, frozenset({path.resolve()})):
                yield found if isinstance(found, Skipped) else (found, path)
        else:
            yield path, None


def _one_article(path: Path, root: Path | None, max_bytes: int, notes: Notes) -> Article:
    suffix = path.suffix.lower()
    if suffix in DOCUMENTS:
        doc = DOCUMENTS[suffix](path, max_bytes)
        return article_from_pages(file_article_id(path, root), doc.pages, str(path), doc.title, doc.date, doc.author)
    text, encoding = read_text(path, max_bytes)
    if suffix in (".html", ".htm"):
        page = read_html(text, path.name)
        article = article_from_text(file_article_id(path, root), page.text, str(path), title=page.title, date=page.date,
                                    url=page.url, author=page.author, site=page.site)
    else:
        title = ""
        if suffix in (".md", ".markdown"):
            title = next((ln.lstrip("#").strip() for ln in text.splitlines() if ln.startswith("#")), "")
        article = article_from_text(file_article_id(path, root), text, str(path), title=title)
    if encoding not in ("utf-8", "utf-8-sig"):
        notes((str(path), f"not UTF-8: read as {encoding} (if its accents look wrong, re-save it as UTF-8)"))
    return article


def load_file(path: Path, max_bytes: int, root: Path | None = None, notes: Notes = lambda note: None) -> Iterator[Article | Skipped]:
    """The articles of one file, or one Skipped: whatever goes wrong in one file stays in that file."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        yield Skipped(str(path), f"unsupported file type {suffix or '(none)'}; use .txt, .md, .html, .jsonl, .pdf or .docx")
        return
    try:
        if suffix == ".jsonl":
            yield from jsonl_articles(path, max_bytes)
        else:
            yield _one_article(path, root, max_bytes, notes)
    except InputError as exc:
        yield Skipped(str(path), str(exc))
    except OSError as exc:
        yield Skipped(str(path), f"cannot read it: {exc.strerror or exc}")
    except Exception as exc:  # noqa: BLE001 - one file's surprise (a parser bug, memory) must not stop the others
        log.debug("reading %s failed", path, exc_info=True)
        yield Skipped(str(path), f"cannot read it: {type(exc).__name__}: {str(exc)[:200]}")


def _url_article(url: str, max_bytes: int, timeout: float) -> Article:
    fetched = fetch(url, max_bytes, timeout)
    article_id = url_article_id(url)
    if fetched.content_type in DOCUMENT_TYPES:
        copy = saved_copy(fetched, DOCUMENT_TYPES[fetched.content_type])
        try:
            doc = DOCUMENTS[copy.suffix](copy, max_bytes, name=url)
        finally:
            copy.unlink(missing_ok=True)
        article = article_from_pages(article_id, doc.pages, url, doc.title, doc.date, doc.author)
        return dataclasses.replace(article, url=fetched.url)
    if fetched.content_type not in (*HTML_TYPES, "text/plain"):
        raise InputError(f"{url}: not a web page but {fetched.content_type}; rag reads web pages, PDF, .docx and plain text")
    try:
        text = fetched.data.decode(fetched.charset) if fetched.charset else decode(fetched.data, url)[0]
    except (LookupError, UnicodeDecodeError):
        text = decode(fetched.data, url)[0]
    if fetched.content_type == "text/plain":
        return article_from_text(article_id, text, url, url=fetched.url)
    page = read_html(text, url, url=fetched.url)
    return article_from_text(article_id, page.text, url, title=page.title, date=page.date, url=fetched.url,
                             author=page.author, site=page.site)


def load_url(url: str, max_bytes: int, timeout: float = 20.0) -> Iterator[Article | Skipped]:
    """The article at ``url``, or one Skipped with the reason (network, HTTP status, size, type, content)."""
    try:
        yield _url_article(url, max_bytes, timeout)
    except InputError as exc:
        yield Skipped(url, str(exc).removeprefix(f"{url}: "))  # the report line names the link already
    except Exception as exc:  # noqa: BLE001 - one link's surprise must not stop the others
        log.debug("reading %s failed", url, exc_info=True)
        yield Skipped(url, f"cannot read it: {type(exc).__name__}: {str(exc)[:200]}")


def iter_articles(paths: list[str | Path], max_bytes: int = 20_000_000, notes: Notes = lambda note: None,
                  timeout: float = 20.0) -> Iterator[Article | Skipped]:
    """The articles of files, folders and http(s) links, in the order given; a bad one is a Skipped."""
    read: set[Path | str] = set()
    for raw in paths:
        if is_url(raw):
            if raw in read:
                yield Skipped(raw, "already read in this ingest (the same link named twice)")
            else:
                read.add(raw)
                yield from load_url(raw, max_bytes, timeout)
            continue
        for found in expand_paths([raw]):
            if isinstance(found, Skipped):
                yield found
            elif found[0].resolve() in read:
                yield Skipped(str(found[0]), "already read in this ingest (the same file named twice, or through a link)")
            else:
                read.add(found[0].resolve())
                yield from load_file(found[0], max_bytes, root=found[1], notes=notes)
