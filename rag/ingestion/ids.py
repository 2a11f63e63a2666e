"""Article ids: how they are made from file paths and JSONL ids, and kept apart.

- A file directly inside the folder you ingest (or named on its own) is its file stem:
  ``seeds/000_31a72e92112284c7.txt`` is ``000_31a72e92112284c7``.
- A file in a sub-folder has that path in its id: ``site/2023/kim/index.html`` ingested as
  ``site/`` is ``2023/kim/index``.
- A JSONL record is its ``id`` field (a string or an integer), else ``<file stem>-<line>``.
- A link is its host and path: ``https://www.lemonde.fr/monde/kim.html?p=2#top`` is
  ``www.lemonde.fr/monde/kim%3Fp%3D2`` (``.html`` dropped, the query kept, the fragment dropped).
- Letters and digits of every script are kept, and ``_ - .``; any other character becomes
  ``%XX`` (its UTF-8 bytes), so ``a b`` is ``a%20b`` and never meets ``a_b``. Names are NFC
  normalised first (macOS writes decomposed accents). An id over 120 characters is cut and ends
  with ``~`` and 8 hex digits of the whole name's hash. No rule here yields an empty id.

Which source (file) an id belongs to is kept in the store; see :func:`side_by_side`.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

MAX_LENGTH = 120
_KEPT_MARKS = ("_", "-", ".")


def _kept(ch: str) -> bool:
    return ch.isalnum() or ch in _KEPT_MARKS or unicodedata.category(ch).startswith("M")


def escape(name: str) -> str:
    """One path part or JSONL id as an id part: injective, printable, no '/' or ':'."""
    name = unicodedata.normalize("NFC", name)
    return "".join(ch if _kept(ch) else "".join(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass")) for ch in name)


def bounded(article_id: str) -> str:
    if len(article_id) <= MAX_LENGTH:
        return article_id
    digest = hashlib.sha256(article_id.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{article_id[: MAX_LENGTH - 9]}~{digest}"


def file_article_id(path: Path, root: Path | None) -> str:
    """The id of a file: its stem, with its sub-folders under ``root`` (the folder being ingested)."""
    parts = list(path.relative_to(root).parent.parts) if root is not None else []
    return bounded("/".join(escape(p) for p in [*parts, path.stem]))


def url_article_id(url: str) -> str:
    """The id of a link: its host and path, readable and stable (see the module notes)."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if segments and segments[-1].lower().endswith((".html", ".htm")):
        segments[-1] = segments[-1].rsplit(".", 1)[0]
    if parts.query:
        segments = [*(segments or [""])[:-1], (segments[-1] if segments else "") + "?" + parts.query]
    return bounded("/".join(escape(s) for s in [parts.netloc.lower(), *segments] if s))


def jsonl_article_id(raw, fallback: str) -> str:
    """The id of a JSONL record from its ``id`` field (already checked to be a string or an int)."""
    text = str(raw).strip() if raw is not None else ""
    return bounded(escape(text or fallback))


def side_by_side(article_id: str, source: str, taken) -> str:
    """A free id for a file whose own id names another file's article: its parent folders in front
    (``B/article``, then ``x/B/article``...), else a hash of its path. ``taken(id)`` says if an id is used."""
    parents = [p for p in Path(source).parent.parts if p not in ("/", "\\")]
    parents = parents[: len(parents) - article_id.count("/")]  # the folders not yet in the id
    for depth in range(1, len(parents) + 1):
        candidate = bounded("/".join([*(escape(p) for p in parents[-depth:]), article_id]))
        if not taken(candidate):
            return candidate
    return bounded(f"{article_id}~{hashlib.sha256(source.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}")


def source_of(source_path: str) -> str:
    """The identity of an article's source: its file's resolved path, or its URL as given."""
    if source_path.startswith(("http://", "https://")):
        return source_path
    return str(Path(source_path).resolve())


@dataclass(frozen=True)
class Claim:
    id: str
    note: str = ""  # for the report: the id had to change
    moved: bool = False  # the stored article's recorded source is another file with the same content: record this one


class Identities:
    """Which id each source has, in the store and in this ingest.

    A file keeps the id it was first stored under, whichever folder is named later. An id that
    already names another file's article is never taken over: the newcomer gets its folders in
    front (:func:`side_by_side`) and a note says so. A JSONL id is the user's own: one that names an
    article from another file is refused. The same content from another file is the same article
    (a folder moved or copied): it keeps its id and the store records where it is now. A stored
    article whose source is unknown (stored before sources were recorded) counts as the same source.
    """

    def __init__(self, stored: dict[str, tuple[str, str]]):
        self._stored = dict(stored)  # id -> (source or "", content hash)
        self._by_source = {src: aid for aid, (src, _) in sorted(stored.items()) if src and not src.endswith(".jsonl")}
        self._claimed: dict[str, tuple[str, str]] = {}  # id -> (source, content hash), this ingest

    def _taken(self, article_id: str) -> bool:
        return article_id in self._claimed or article_id in self._stored

    def claim(self, article_id: str, source_path: str, digest: str) -> Claim:
        """The id of an article of ``source_path`` with content hash ``digest``; ValueError with the reason if refused."""
        source = source_of(source_path)
        jsonl = source.endswith(".jsonl")
        wanted = article_id if jsonl else self._by_source.get(source, article_id)
        if wanted in self._claimed:
            holder, held_digest = self._claimed[wanted]
            if holder == source or held_digest == digest:
                raise ValueError(f"article {wanted!r} was already read in this ingest, from {holder}")
        else:
            holder, held_digest = self._stored.get(wanted, (None, None))
        claim = Claim(wanted)
        if holder not in (None, source):
            if holder == "" or held_digest == digest:
                claim = Claim(wanted, moved=True)
            elif jsonl:
                raise ValueError(
                    f"article id {wanted!r} already names an article from {holder}; give this record another id, "
                    f"or `rag remove {wanted}` first to replace that article"
                )
            else:
                free = side_by_side(wanted, source, self._taken)
                claim = Claim(free, note=f"article id {wanted!r} already names {holder}: this one is stored as {free!r}")
        self._claimed[claim.id] = (source, digest)
        return claim
