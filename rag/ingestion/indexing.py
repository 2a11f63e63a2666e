"""Ingest files into the store: load, chunk, embed in batches, upsert; idempotent and resumable.

An article is skipped when its stored chunks carry the same content hash and are all there; a
changed article has its old chunks replaced; an article cut off by an interrupted run is
incomplete (fewer chunks than recorded) and is redone on the next run.

Each article fails alone: whatever goes wrong while reading or chunking one becomes one line of
the report and the others go in. Every chunk records its source file, so an article from another
file never silently replaces one (see ``rag.ingestion.ids.Identities``).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from rag.dates import normalise_date
from rag.ingestion.chunking import Chunker, article_hash
from rag.ingestion.decoding import display_name
from rag.ingestion.ids import Identities, source_of
from rag.ingestion.loading import Skipped, iter_articles
from rag.models.prompt_cache import forget_all, forget_article
from rag.types import Article, Chunk

log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (where, reason)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (where, what is worth knowing): ingested anyway
    chunks_written: int = 0
    seconds: float = 0.0

    def skip(self, where: str, reason: str) -> None:
        self.skipped.append((display_name(where), display_name(reason)))

    def note(self, item: tuple[str, str]) -> None:
        self.notes.append((display_name(item[0]), display_name(item[1])))

    def to_dict(self) -> dict:
        return {
            "added": len(self.added), "replaced": len(self.replaced), "unchanged": len(self.unchanged),
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
            "notes": [{"path": p, "note": n} for p, n in self.notes],
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
                forget_article(self.services.settings.data_dir, article.id)  # its passages' saved prompt states
        store.upsert(chunks, vectors, expected={a.id: len(cs) for a, cs, _ in self.pending},
                     sources={a.id: source_of(a.source_path) for a, _, _ in self.pending})
        for article, _, replacing in self.pending:
            (self.report.replaced if replacing else self.report.added).append(article.id)
        self.report.chunks_written += len(chunks)
        self.pending = []


def _chunked(chunker: Chunker, article: Article) -> list[Chunk]:
    """The article's chunks; ValueError with a one-line reason when it cannot be chunked."""
    try:
        chunks = chunker(article)
    except Exception as exc:  # noqa: BLE001 - one article's surprise (a splitter limit, a bug) must not stop the rest
        log.debug("chunking %s failed", article.id, exc_info=True)
        raise ValueError(f"cannot split article {article.id!r} into passages: {type(exc).__name__}: {str(exc)[:200]}") from None
    if not chunks:
        raise ValueError(f"article {article.id!r} has no text to index")
    return chunks


def _dated(article: Article, report: IngestReport) -> Article:
    """The article with its date in ISO form; a date that does not parse is kept as written, with a note."""
    date, note = normalise_date(article.date)
    if note:
        report.note((article.source_path, note))
    return dataclasses.replace(article, date=date) if date != article.date else article


def _unchanged(services, report: IngestReport, article: Article, chunks: list[Chunk], state, moved: bool) -> None:
    report.unchanged.append(article.id)
    if moved:
        services.store.record_source(article.id, source_of(article.source_path))
    if not state.dated:  # stored before dates were data: add the day range that date filters compare
        meta = chunks[0].metadata()
        services.store.update_article(article.id, {"date": meta["date"], "date_start": meta["date_start"], "date_end": meta["date_end"]})


def ingest(services, paths: list[str | Path], rebuild: bool = False, progress: bool = True) -> IngestReport:
    """Add, replace or skip each article found under ``paths``; never raises for one bad file."""
    settings = services.settings
    started = time.perf_counter()
    report = IngestReport()
    if rebuild:
        services.store.reset()
        forget_all(settings.data_dir)
    states = services.store.article_states()
    identities = Identities({aid: (state.source, state.article_hash) for aid, state in states.items()})
    chunker = Chunker(settings.chunking)
    batcher = _Batcher(services, report, batch_chunks=max(settings.embedder.batch_size * 2, 16))
    from tqdm import tqdm

    with tqdm(desc="ingesting", unit=" articles", disable=not progress or None) as bar:
        for item in iter_articles(paths, max_bytes=int(settings.store.max_file_mb * 1e6), notes=report.note,
                                   timeout=settings.store.fetch_timeout_s):
            bar.update(1)
            if isinstance(item, Skipped):
                report.skip(item.path, item.reason)
                continue
            try:
                item = _dated(item, report)
                claim = identities.claim(item.id, item.source_path, article_hash(item, settings.chunking))
                item = dataclasses.replace(item, id=claim.id)
                chunks = _chunked(chunker, item)
            except ValueError as exc:
                report.skip(item.source_path, str(exc))
                continue
            if claim.note:
                report.note((item.source_path, claim.note))
            state = states.get(item.id)
            if state and state.complete and state.article_hash == chunks[0].article_hash:
                _unchanged(services, report, item, chunks, state, claim.moved)
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
    forget_article(services.settings.data_dir, article_id)
    services.retriever.invalidate([article_id])
    return removed
