"""Sentence-aware chunking with overlap and character offsets (llama-index's SentenceSplitter).

Sizes are counted in words, not in a hub tokenizer's tokens: llama-index's default tokenizer
(tiktoken) fetches its vocabulary over the network on first use, and words are what a user
can reason about when choosing a chunk size.

Sentences come from the project's own splitter (``rag.text.sentence_spans``, linear time), not
from llama-index's default, nltk's punkt: punkt's regular expressions run under a 5-second
wall-clock guard, so a long one-line file was accepted on a quiet machine and refused on a busy one.
"""

from __future__ import annotations

import bisect
import hashlib

from rag.settings import ChunkingSettings
from rag.text import WORD_OR_MARK, sentence_spans
from rag.types import Article, Chunk


def count_words(text: str) -> list[str]:
    return WORD_OR_MARK.findall(text)


def chunking_signature(cfg: ChunkingSettings) -> str:
    return f"w{cfg.chunk_size}o{cfg.chunk_overlap}"


def article_hash(article: Article, cfg: ChunkingSettings) -> str:
    """Changes when the article or the chunking changes, so either triggers re-chunking."""
    pages = [repr(article.pages)] if article.pages else []  # page breaks moved: chunks get other pages
    payload = "\x1f".join([article.title, article.date, article.url, article.text, chunking_signature(cfg), *pages])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def sentence_pieces(text: str) -> list[str]:
    """The text cut before each sentence start, every character kept (what SentenceSplitter expects)."""
    starts = [start for start, _ in sentence_spans(text)]
    if not starts:
        return [text] if text else []
    starts[0] = 0
    return [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]


def _splitter(cfg: ChunkingSettings):
    from llama_index.core.node_parser import SentenceSplitter

    return SentenceSplitter(
        chunk_size=cfg.chunk_size,
        chunk_overlap=cfg.chunk_overlap,
        tokenizer=count_words,
        paragraph_separator="\n\n",
        chunking_tokenizer_fn=sentence_pieces,
    )


def _locate(text: str, piece: str, search_from: int, covered: int) -> tuple[int, int]:
    """Find the chunk in the article; the splitter keeps the text verbatim but may trim it.

    A chunk that does not overlap the previous one starts where it ended (white space skipped);
    one that overlaps starts after the previous one's start, reaches past what was covered, and
    overlaps as little as it can: in repetitive text ("0000A/0") an earlier copy is not it.
    """
    following = covered + len(text[covered : covered + 200]) - len(text[covered : covered + 200].lstrip())
    if covered and text.startswith(piece, following):
        return following, following + len(piece)
    start = text.rfind(piece, search_from, covered + len(piece))
    if start < 0 or start + len(piece) <= covered:
        start = text.find(piece, covered)
    if start < 0:
        start = text.find(piece)
    if start < 0:  # whitespace was normalised: fall back to the first 40 characters
        start = max(text.find(piece[:40]), 0)
    return start, min(start + len(piece), len(text))


def page_at(article: Article, offset: int) -> int | None:
    """The page of a PDF article that holds the character at ``offset``; None for other articles."""
    if not article.pages:
        return None
    at = bisect.bisect_right([start for start, _ in article.pages], offset) - 1
    return article.pages[max(at, 0)][1]


def chunk_article(article: Article, cfg: ChunkingSettings, splitter=None) -> list[Chunk]:
    splitter = splitter or _splitter(cfg)
    digest = article_hash(article, cfg)
    chunks: list[Chunk] = []
    cursor = covered = 0
    for n, piece in enumerate(p for p in splitter.split_text(article.text) if p.strip()):
        start, end = _locate(article.text, piece, cursor, covered)
        cursor, covered = start + 1, max(covered, end)
        chunks.append(
            Chunk(
                id=f"{article.id}:{n}",
                article_id=article.id,
                n=n,
                text=piece,
                start=start,
                end=end,
                title=article.title,
                date=article.date,
                url=article.url,
                article_hash=digest,
                page=page_at(article, start),
            )
        )
    return chunks


class Chunker:
    """Holds one splitter so big ingests do not rebuild it per article."""

    def __init__(self, cfg: ChunkingSettings):
        self.cfg = cfg
        self._splitter = _splitter(cfg)

    def __call__(self, article: Article) -> list[Chunk]:
        return chunk_article(article, self.cfg, self._splitter)
