"""Ingest files into the store: load, chunk, embed in batches, upsert; idempotent and resumable.

An article is skipped when its stored chunks carry the same content hash and are all there; a
changed article has its old chunks replaced; an article cut off by an interrupted run is
incomplete (fewer chunks than recorded) and is redone on the next run.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from rag.chunking import Chunker
from rag.loading import Skipped, iter_articles
from rag.types import Article, Chunk

log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (where, reason)
    chunks_written: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {
            "added": len(self.added), "replaced": len(self.replaced), "unchanged": len(self.unchanged),
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
            "chunks_written": self.chunks_written, "seconds": round(self.seconds, 2),
            "chunks_per_s": round(self.chunks_written / self.seconds, 1) if self.seconds else 0.0,
        }

    def summary(self) -> str:
        rate = f", {self.chunks_written / self.seconds:.1f} chunks/s" if self.seconds and self.chunks_written else ""
        return (
            f"added {len(self.added)}, replaced {len(self.replaced)}, unchanged {len(self.unchanged)}, "
            f"skipped {len(self.skipped)}; {self.chunks_written} chunks written in {self.seconds:.1f}s{rate}"
        )


class _Batcher:
    """Collects whole articles until enough chunks for one embedding batch, then writes them."""

    def __init__(self, services, report: IngestReport, batch_chunks: int):
        self.services = services
        self.report = report
        self.batch_chunks = batch_chunks
        self.pending: list[tuple[Article, list[Chunk], bool]] = []

    def add(self, article: Article, chunks: list[Chunk], replacing: bool) -> None:
        self.pending.append((article, chunks, replacing))
        if sum(len(c) for _, c, _ in self.pending) >= self.batch_chunks:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        store, embedder = self.services.store, self.services.embedder
        chunks = [c for _, cs, _ in self.pending for c in cs]
        vectors = embedder.embed_passages([c.text for c in chunks])
        for article, _, replacing in self.pending:
            if replacing:
                store.delete_article(article.id)
        store.upsert(chunks, vectors, expected={a.id: len(cs) for a, cs, _ in self.pending})
        for article, _, replacing in self.pending:
            (self.report.replaced if replacing else self.report.added).append(article.id)
        self.report.chunks_written += len(chunks)
        self.pending = []


def ingest(services, paths: list[str | Path], rebuild: bool = False, progress: bool = True) -> IngestReport:
    """Add, replace or skip each article found under ``paths``; never raises for one bad file."""
    settings = services.settings
    started = time.perf_counter()
    report = IngestReport()
    if rebuild:
        services.store.reset()
    states = services.store.article_states()
    chunker = Chunker(settings.chunking)
    batcher = _Batcher(services, report, batch_chunks=max(settings.embedder.batch_size * 2, 16))
    seen: set[str] = set()
    from tqdm import tqdm

    with tqdm(desc="ingesting", unit=" articles", disable=not progress or None) as bar:
        for item in iter_articles(paths, max_bytes=int(settings.store.max_file_mb * 1e6)):
            bar.update(1)
            if isinstance(item, Skipped):
                report.skipped.append((item.path, item.reason))
                continue
            if item.id in seen:
                report.skipped.append((item.source_path, f"duplicate article id {item.id!r} in this ingest; rename the file or fix its id"))
                continue
            seen.add(item.id)
            chunks = chunker(item)
            state = states.get(item.id)
            if state and state.complete and state.article_hash == chunks[0].article_hash:
                report.unchanged.append(item.id)
            else:
                batcher.add(item, chunks, replacing=state is not None)
            bar.set_postfix(added=len(report.added), replaced=len(report.replaced), unchanged=len(report.unchanged), skipped=len(report.skipped))
        batcher.flush()
    report.seconds = time.perf_counter() - started
    services.retriever.invalidate(report.added + report.replaced)  # only these need re-indexing
    log.info("ingest: %s", report.summary())
    return report


def remove(services, article_id: str) -> int:
    removed = services.store.delete_article(article_id)
    services.retriever.invalidate([article_id])
    return removed
