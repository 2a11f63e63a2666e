"""The main text and metadata of an HTML page (trafilatura), with the work per page bounded.

trafilatura finds the article in a page and leaves out menus, footers, "related articles",
cookie and share lines; it also reads the title, publication date, author, site name and the
page's own address (a saved page's canonical link).
On 80 real saved pages it kept more of the main text and left out far more boilerplate than the
hand-written BeautifulSoup reader it replaced (docs/experiments/2026-12-07-web-pages.md).

A page with more than ``MAX_TAGS`` tags is refused before it is parsed, by a count that costs one
pass over the text: a news page has a few thousand, and a 10 MB page of nested tags cost seconds
and hundreds of MB to parse. trafilatura runs without its fallback extractors (``fast``): jusText's
is quadratic in the paragraphs (a page of 24,000 short paragraphs took 114 s, 5 s without it), and
on the 80 pages the fallbacks changed nothing that counts (main text kept 96.1 % with, 96.4 % without). A page where trafilatura finds no article (a short page, a list of
links) falls back to its visible text, as the old reader did, so no page that was read before is
refused now.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from rag.errors import InputError

log = logging.getLogger(__name__)

MAX_TAGS = 100_000
_TAG = re.compile(r"<[A-Za-z/!?]")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class WebPage:
    title: str
    text: str  # paragraphs separated by blank lines
    date: str = ""  # 'YYYY-MM-DD' when the page states it
    author: str = ""
    site: str = ""
    url: str = ""  # the page's own address (its canonical link), for a saved page


def _count_tags(text: str, name: str) -> None:
    tags = sum(1 for _ in _TAG.finditer(text))
    if tags > MAX_TAGS:
        raise InputError(f"{name}: {tags:,} HTML tags, over the {MAX_TAGS:,} a page may have; save the article's own text or page")


def _paragraphs(text: str | None) -> str:
    return "\n\n".join(ln.strip() for ln in (text or "").splitlines() if ln.strip())


def read_html(text: str, name: str, url: str = "") -> WebPage:
    """The page's main text, title, date, author and site; InputError when it has no visible text."""
    _count_tags(text, name)
    import trafilatura

    doc = trafilatura.bare_extraction(text, url=url or None, with_metadata=True, include_comments=False, fast=True)
    body = _paragraphs(doc.text if doc is not None else None)
    if not body:  # no article found: the page's visible text, as the hand-written reader gave
        body = _paragraphs(trafilatura.html2txt(text))
    if not body:
        raise InputError(f"{name}: HTML has no visible text; nothing to ingest")
    if doc is None:
        return WebPage(title="", text=body)
    date = doc.date or ""
    return WebPage(
        title=(doc.title or "").strip(),
        text=body,
        date=date if _ISO_DATE.match(date) else "",
        author=(doc.author or "").strip(),
        site=(doc.sitename or "").strip(),
        url=doc.url if (doc.url or "").startswith(("http://", "https://")) else "",
    )
