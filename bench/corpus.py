"""Synthetic corpora for the benchmarks: real French sentences from the seeds, recombined.

BM25 needs real text (its cost depends on the vocabulary and the document lengths), so every
synthetic chunk is a run of seed sentences drawn at random; the dense side gets random unit
vectors (an HNSW search costs the same whatever the vectors mean), precomputed so a 100k-chunk
store is built in minutes instead of hours of embedding.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np

from rag.text import split_sentences
from rag.types import Chunk

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DIM = 384  # multilingual-e5-small and the hashing fake
CHUNKS_PER_ARTICLE = 8


def seed_articles():
    from rag.ingestion.loading import Skipped, iter_articles

    return [a for a in iter_articles([SEEDS]) if not isinstance(a, Skipped)]


def seed_chunks(chunk_size: int = 80, chunk_overlap: int = 15) -> list[Chunk]:
    """The seed articles cut by the project's own chunker (what `rag ingest seeds/` stores)."""
    from rag.ingestion.chunking import Chunker
    from rag.settings import ChunkingSettings

    chunker = Chunker(ChunkingSettings(chunk_size=chunk_size, chunk_overlap=chunk_overlap))
    return [c for a in seed_articles() for c in chunker(a)]


def seed_sentences() -> list[str]:
    out = []
    for article in seed_articles():
        out += [s for s in split_sentences(" ".join(article.text.split())) if len(s.split()) >= 4]
    return out


def synthetic_chunks(n: int, seed: int = 0, words: int = 70, prefix: str = "syn") -> list[Chunk]:
    """``n`` chunks in articles of 8: each chunk ~``words`` words of seed sentences drawn at random."""
    rng = np.random.default_rng(seed)
    sentences = seed_sentences()
    chunks: list[Chunk] = []
    for a in range((n + CHUNKS_PER_ARTICLE - 1) // CHUNKS_PER_ARTICLE):
        aid = f"{prefix}{seed}_{a:06d}"
        title = " ".join(sentences[rng.integers(len(sentences))].split()[:10])
        texts = []
        for _ in range(min(CHUNKS_PER_ARTICLE, n - len(chunks))):
            picked: list[str] = []
            while sum(len(s.split()) for s in picked) < words:
                picked.append(sentences[rng.integers(len(sentences))])
            texts.append(" ".join(picked))
        digest = hashlib.sha256("\n".join([title, *texts]).encode()).hexdigest()[:16]
        offset = 0
        for i, text in enumerate(texts):
            chunks.append(Chunk(id=f"{aid}:{i}", article_id=aid, n=i, text=text, start=offset, end=offset + len(text),
                                title=title, date="2023-09", article_hash=digest))
            offset += len(text) + 1
    return chunks


def random_unit_vectors(n: int, seed: int = 0, dim: int = DIM) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def open_bench_store(url: str | None, path: Path, name: str = "bench"):
    """A project store (vectorstore.ChromaStore) whose signature matches the hashing embedder."""
    from rag.models.embedding import HashingEmbedder
    from vectorstore import open_store

    return open_store(url, path, name, HashingEmbedder(DIM).signature, "synthetic")


def fill_store(store, chunks: list[Chunk], vectors: np.ndarray) -> float:
    """Upsert precomputed vectors (batches as large as the store accepts); returns the seconds spent."""
    started = time.perf_counter()
    expected: dict[str, int] = {}
    for c in chunks:
        expected[c.article_id] = expected.get(c.article_id, 0) + 1
    step = 5000  # whole articles per call keeps memory flat; ChromaStore splits again by max batch size
    for i in range(0, len(chunks), step):
        store.upsert(chunks[i : i + step], vectors[i : i + step], expected)
    return time.perf_counter() - started
