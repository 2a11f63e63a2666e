"""PDF (pypdf) and Word .docx (python-docx) files -> text with its pages, or a one-line reason.

Both libraries are pure Python under permissive licences (pypdf BSD-3, python-docx MIT); see
docs/inputs.md for why these and not PyMuPDF (AGPL) or pdfminer. A PDF's text comes page by page
in the order of its content (pypdf's plain extraction), without the running heads and feet (a title
or page number repeated at the top or bottom of most pages); lines that a PDF wrapped inside a sentence
are joined again, because a line break ends a sentence for the chunker and the checks. Each page's
start in the text is kept, so a passage can say on which page it starts. A .docx has no pages
(Word lays them out when it shows the file): its paragraphs and tables come in document order.

Refused with a reason: an encrypted PDF, a PDF without a text layer (a scan), a broken file, and a
.docx whose unpacked parts are many times its size (a zip bomb). Work is bounded by the file size
limit, ``MAX_PAGES`` and ``MAX_UNPACKED``.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import date as Date
from pathlib import Path

from rag.errors import InputError
from rag.ingestion.decoding import check_size, display_name

MAX_PAGES = 3000
MAX_UNPACKED = 20  # a .docx may unpack to this many times its file size
_JOINED_WRAP = 40  # a line at least this long that ends inside a sentence was wrapped by the PDF
_SENTENCE_END = re.compile(r"[.!?:;»”\"')\]]$")
_EDGE = 2  # lines at the top and at the bottom of a page where running heads and feet are looked for
_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(r"^(?:page|p\.)?\s*[-–—]?\s*\d{1,4}\s*[-–—]?(?:\s*(?:/|of|sur|de)\s*\d{1,4})?$", re.IGNORECASE)


@dataclass(frozen=True)
class Document:
    title: str
    pages: list[tuple[int, str]]  # (page number from 1, its text); a .docx is one page numbered 0
    date: str = ""  # 'YYYY-MM-DD' from the file's metadata
    author: str = ""


def _iso(value) -> str:
    return value.date().isoformat() if hasattr(value, "date") else value.isoformat() if isinstance(value, Date) else ""


def unwrap(text: str) -> str:
    """A PDF page's lines with the wraps inside sentences joined; headings and short lines stay apart."""
    out: list[str] = []
    for line in (ln.strip() for ln in text.splitlines()):
        prev = out[-1] if out else ""
        if not line:
            if prev:
                out.append("")
        elif prev.endswith("-") and line[:1].islower():
            out[-1] = prev + line
        elif len(prev) >= _JOINED_WRAP and not _SENTENCE_END.search(prev):
            out[-1] = f"{prev} {line}"
        else:
            out.append(line)
    return "\n".join(out).strip()


def _edge_key(line: str) -> str:
    return _DIGITS.sub("#", " ".join(line.lower().split()))


def _edges(lines: list[str]) -> list[int]:
    """Where a page's first and last ``_EDGE`` lines with text are."""
    filled = [i for i, ln in enumerate(lines) if ln.strip()]
    return sorted({*filled[:_EDGE], *filled[-_EDGE:]})


def drop_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Each page's lines without its running head and foot: lines among the first or last ``_EDGE`` of a
    page that recur (numbers aside) on at least half the pages (3 or more), and page numbers alone."""
    edges = [_edges(lines) for lines in pages]
    counts = Counter(key for lines, at in zip(pages, edges) for key in {_edge_key(lines[i]) for i in at})
    running = {key for key, n in counts.items() if n >= max(3, (len(pages) + 1) // 2)}

    def dropped(line: str) -> bool:
        return _edge_key(line) in running or bool(_PAGE_NUMBER.match(line.strip()))

    return [[ln for i, ln in enumerate(lines) if not (i in at and dropped(ln))] for lines, at in zip(pages, edges)]


def _open_pdf(path: Path, name: str):
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError(f"{name}: encrypted PDF (it needs a password); save an unprotected copy and ingest that")
        pages = len(reader.pages)
    except InputError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        if "crypt" in type(exc).__name__.lower() or "cryptography" in str(exc).lower():
            raise InputError(f"{name}: encrypted PDF that cannot be opened here; save an unprotected copy and ingest that") from None
        raise InputError(f"{name}: not a readable PDF ({type(exc).__name__}: {str(exc)[:120]}); re-save or re-export it") from None
    if pages > MAX_PAGES:
        raise InputError(f"{name}: {pages:,} pages, over the {MAX_PAGES:,} a PDF may have; split it")
    return reader


def _pdf_metadata(reader) -> tuple[str, str, str]:
    """(title, date, author) from the PDF's information dictionary; a malformed field is ignored."""
    try:
        meta = reader.metadata
        if meta is None:
            return "", "", ""
        title, author = str(meta.title or "").strip(), str(meta.author or "").strip()
        try:
            when = _iso(meta.creation_date) if meta.creation_date else ""
        except Exception:  # noqa: BLE001 - a date pypdf cannot parse is no date
            when = ""
        return title, when, author
    except Exception:  # noqa: BLE001 - broken metadata must not refuse readable text
        return "", "", ""


def read_pdf(path: Path, max_bytes: int, name: str = "") -> Document:
    name = name or display_name(path.name)
    check_size(path, max_bytes, name)
    reader = _open_pdf(path, name)
    raw = []
    for number, page in enumerate(reader.pages, start=1):
        try:
            raw.append((page.extract_text() or "").splitlines())
        except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on a damaged page
            raise InputError(f"{name}: page {number} cannot be read ({type(exc).__name__}); re-save or re-export the PDF") from None
    texts = [unwrap("\n".join(lines)) for lines in drop_running_lines(raw)]
    pages = [(number, text) for number, text in enumerate(texts, start=1) if text]
    if not any(any(ch.isalpha() for ch in text) for _, text in pages):
        raise InputError(f"{name}: PDF has no text layer (a scan?); run OCR on it first (e.g. ocrmypdf) and ingest the result")
    title, when, author = _pdf_metadata(reader)
    return Document(title=title, pages=pages, date=when, author=author)


def _docx_blocks(document) -> list[str]:
    """Paragraphs and table rows in document order."""
    from docx.table import Table

    blocks = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                cells = list(dict.fromkeys(c.text.strip() for c in row.cells if c.text.strip()))
                if cells:
                    blocks.append(" | ".join(cells))
        elif item.text.strip():
            blocks.append(item.text.strip())
    return blocks


def read_docx(path: Path, max_bytes: int, name: str = "") -> Document:
    name = name or display_name(path.name)
    check_size(path, max_bytes, name)
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED * max(path.stat().st_size, 1) and unpacked > max_bytes:
            raise InputError(f"{name}: unpacks to {unpacked / 1e6:.0f} MB, far more than a Word file holds; not read")
        import docx

        document = docx.Document(str(path))
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - a bad zip, a missing part, bad XML: one reason line
        raise InputError(f"{name}: not a readable Word file ({type(exc).__name__}); only .docx is read (re-save a .doc as .docx)") from None
    blocks = _docx_blocks(document)
    if not blocks:
        raise InputError(f"{name}: Word file has no text; nothing to ingest")
    props = document.core_properties
    return Document(title=(props.title or "").strip(), pages=[(0, "\n\n".join(blocks))],
                    date=_iso(props.created) if props.created else "", author=(props.author or "").strip())
