"""The visible text and title of an HTML page (BeautifulSoup), with the work per page bounded.

BeautifulSoup builds a tree of every tag: a 10 MB page of nested tags took 22 s and 850 MB. A
news page has a few thousand tags, so a page with more than ``MAX_TAGS`` is refused before it is
parsed, by a count that costs one pass over the text.
"""

from __future__ import annotations

import re

from rag.errors import InputError

MAX_TAGS = 100_000
_TAG = re.compile(r"<[A-Za-z/!?]")
_DROPPED = ["script", "style", "noscript", "template", "iframe", "nav", "footer"]


def html_title_and_body(text: str, name: str) -> tuple[str, str]:
    """(title, body text) of a page: scripts, styles, navigation dropped; title from <h1> or <title>."""
    tags = sum(1 for _ in _TAG.finditer(text))
    if tags > MAX_TAGS:
        raise InputError(f"{name}: {tags:,} HTML tags, over the {MAX_TAGS:,} a page may have; save the article's own text or page")
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(_DROPPED):
        tag.decompose()
    title_tag = soup.find("h1") or soup.find("title")
    title = title_tag.get_text(" ", strip=True) if title_tag else ""
    body_root = soup.find("article") or soup.body or soup
    lines = [ln.strip() for ln in body_root.get_text("\n").splitlines()]
    body = "\n\n".join(ln for ln in lines if ln)
    if not body:
        raise InputError(f"{name}: HTML has no visible text; nothing to ingest")
    return title, body
