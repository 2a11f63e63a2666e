"""Chroma behind a small interface: open, upsert, query, delete, count, list articles.

The collection name carries the embedder and chunking signature, and its metadata records
them, so vectors made by one embedder are never searched with another's query vectors.
Counts are always asked of Chroma, never kept in metadata: a counter written after a delete
goes stale when the process is killed in between. An embedded folder is held by one process
at a time (``vectorstore.lock``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable
from urllib.parse import urlparse

import numpy as np

from rag.errors import StoreError, StoreMismatchError
from rag.types import Chunk, join_chunks
from vectorstore.lock import hold

log = logging.getLogger(__name__)

_NAME_UNSAFE = re.compile(r"[^a-zA-Z0-9._-]+")


def collection_name(prefix: str, embedder_signature: str, chunk_signature: str) -> str:
    raw = f"{prefix}-{embedder_signature}-{chunk_signature}"
    return _NAME_UNSAFE.sub("-", raw).strip("-._")[:200]


def make_client(url: str | None, path: Path):
    """An HttpClient for a `chroma run` server when ``url`` is set, else the embedded folder."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if url:
            parsed = urlparse(url)
            return chromadb.HttpClient(
                host=parsed.hostname or "127.0.0.1", port=parsed.port or 8000,
                ssl=parsed.scheme == "https", settings=chroma_settings,
            )
        path.mkdir(parents=True, exist_ok=True)
        hold(path)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except StoreError:
        raise
    except Exception as exc:  # noqa: BLE001 - chromadb raises many kinds; the user needs one line
        where = url or str(path)
        raise StoreError(f"cannot open the Chroma store at {where}: {str(exc)[:200]} (is the server running / the folder writable?)") from None


@dataclass(frozen=True)
class ArticleState:
    article_hash: str
    stored_chunks: int
    expected_chunks: int
    source: str = ""  # the resolved path of the file it came from ("" when stored before sources were recorded)
    dated: bool = True  # False: stored before dates were data (no date_start/date_end to filter on)

    @property
    def complete(self) -> bool:
        return self.stored_chunks == self.expected_chunks


class ChromaStore:
    def __init__(self, client, name: str, embedder_signature: str, chunk_signature: str, where: str):
        self.client = client
        self.name = name
        self.embedder_signature = embedder_signature
        self.chunk_signature = chunk_signature
        self.where = where
        self._collection = None

    # -- opening --------------------------------------------------------------------------
    def sibling_collections(self, prefix: str) -> list[tuple[str, dict, int]]:
        """Other collections of this store made with another embedder or chunking: (name, metadata, chunks)."""
        out = []
        for col in self.client.list_collections():
            col_name = col if isinstance(col, str) else col.name
            if col_name.startswith(prefix + "-") and col_name != self.name:
                other = self.client.get_collection(col_name, embedding_function=None)
                out.append((col_name, other.metadata or {}, other.count()))
        return out

    def exists(self) -> bool:
        try:
            self.client.get_collection(self.name, embedding_function=None)
            return True
        except Exception:  # noqa: BLE001 - NotFoundError's class moved across chromadb versions
            return False

    def check_readable(self, prefix: str) -> None:
        """Raise a clear error when the store only holds vectors of another embedder/chunking."""
        if self.exists():
            return
        others = [o for o in self.sibling_collections(prefix) if o[2]]
        if others:
            name, meta, _ = others[0]
            raise StoreMismatchError(
                f"the store at {self.where} was built with embedder {meta.get('embedder', '?')} and chunking "
                f"{meta.get('chunking', '?')}, but the settings ask for {self.embedder_signature} / {self.chunk_signature}; "
                "rebuild it with: rag ingest --rebuild <your folders> (or restore the old embedder settings)"
            )

    @property
    def collection(self):
        if self._collection is None:
            self._collection = self.client.get_or_create_collection(
                self.name,
                embedding_function=None,  # Chroma's default one downloads a model
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"embedder": self.embedder_signature, "chunking": self.chunk_signature},
            )
        return self._collection

    # -- writing --------------------------------------------------------------------------
    def max_batch(self) -> int:
        try:
            return int(self.client.get_max_batch_size())
        except Exception:  # noqa: BLE001 - older servers do not report it
            return 1000

    def upsert(self, chunks: list[Chunk], vectors: np.ndarray, expected: dict[str, int], sources: dict[str, str] | None = None) -> None:
        """Write chunks; ``expected`` is each article's chunk count, ``sources`` its source file."""
        step, sources = self.max_batch(), sources or {}
        for i in range(0, len(chunks), step):
            part = chunks[i : i + step]
            self.collection.upsert(
                ids=[c.id for c in part],
                embeddings=vectors[i : i + step].tolist(),
                documents=[c.text for c in part],
                metadatas=[{**c.metadata(), "n_chunks": expected[c.article_id], "source": sources.get(c.article_id, "")} for c in part],
            )

    def record_source(self, article_id: str, source: str) -> None:
        """Record that an article's file is now ``source`` (it moved, or was stored before sources were)."""
        self.update_article(article_id, {"source": source})

    def update_article(self, article_id: str, fields: dict) -> None:
        """Set metadata ``fields`` on every chunk of an article (the vectors and texts stay)."""
        found = self.collection.get(where={"article_id": article_id}, include=[])["ids"]
        if found:
            self.collection.update(ids=found, metadatas=[fields] * len(found))

    def delete_article(self, article_id: str) -> int:
        found = self.collection.get(where={"article_id": article_id}, include=[])["ids"]
        if found:
            self.collection.delete(ids=found)
        return len(found)

    def reset(self) -> None:
        if self.exists():
            self.client.delete_collection(self.name)
        self._collection = None

    # -- reading --------------------------------------------------------------------------
    def count(self) -> int:
        return self.collection.count() if self.exists() else 0

    def _get_all(self, include: list[str], page: int = 5000) -> dict[str, list]:
        """Everything, in pages: one get() of 100k records overflows SQLite's variable limit."""
        out: dict[str, list] = {"ids": [], **{key: [] for key in include}}
        if not self.exists():
            return out
        offset = 0
        while True:
            got = self.collection.get(include=include, limit=page, offset=offset)
            for key in out:
                out[key].extend(got[key])
            if len(got["ids"]) < page:
                return out
            offset += page

    def _all_metadata(self) -> tuple[list[str], list[dict]]:
        got = self._get_all(["metadatas"])
        return got["ids"], got["metadatas"]

    def article_states(self) -> dict[str, ArticleState]:
        stored: dict[str, list[dict]] = {}
        for meta in self._all_metadata()[1]:
            stored.setdefault(meta["article_id"], []).append(meta)
        return {
            aid: ArticleState(metas[0].get("article_hash", ""), len(metas), int(metas[0].get("n_chunks", len(metas))),
                              str(metas[0].get("source", "")), "date_start" in metas[0])
            for aid, metas in stored.items()
        }

    def articles(self) -> list[dict]:
        rows: dict[str, dict] = {}
        for meta in self._all_metadata()[1]:
            row = rows.setdefault(meta["article_id"], {"id": meta["article_id"], "title": meta.get("title", ""), "date": meta.get("date", ""), "chunks": 0})
            row["chunks"] += 1
        return sorted(rows.values(), key=lambda r: r["id"])

    def all_chunks(self) -> list[Chunk]:
        got = self._get_all(["documents", "metadatas"])
        chunks = [Chunk.from_store(i, d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])]
        return sorted(chunks, key=lambda c: (c.article_id, c.n))

    def article_chunks(self, article_id: str) -> list[Chunk]:
        return self.chunks_of([article_id])

    def chunks_of(self, article_ids: Iterable[str]) -> list[Chunk]:
        """Every chunk of these articles, in article then chunk order."""
        ids, out = sorted(set(article_ids)), []
        if not self.exists():
            return out
        for i in range(0, len(ids), 500):  # bounded $in lists: SQLite limits the variables of one query
            got = self.collection.get(where={"article_id": {"$in": ids[i : i + 500]}}, include=["documents", "metadatas"])
            out += [Chunk.from_store(cid, d, m) for cid, d, m in zip(got["ids"], got["documents"], got["metadatas"])]
        return sorted(out, key=lambda c: (c.article_id, c.n))

    def known_articles(self, article_ids: Iterable[str]) -> set[str]:
        """Which of these article ids the store holds."""
        ids, out = sorted(set(article_ids)), set()
        for i in range(0, len(ids), 500) if self.exists() else ():
            where = {"$and": [{"article_id": {"$in": ids[i : i + 500]}}, {"n": 0}]}
            out |= {m["article_id"] for m in self.collection.get(where=where, include=["metadatas"])["metadatas"]}
        return out

    def article_hashes(self) -> dict[str, str]:
        """article id -> content hash, read from each article's first chunk."""
        if not self.exists():
            return {}
        heads = self.collection.get(where={"n": 0}, include=["metadatas"])["metadatas"]
        return {m["article_id"]: m.get("article_hash", "") for m in heads}

    def article_text(self, article_id: str) -> str:
        """The article as it was ingested, rebuilt from its stored chunks."""
        return join_chunks(self.article_chunks(article_id))

    def vectors(self, ids: list[str]) -> np.ndarray:
        got = self.collection.get(ids=ids, include=["embeddings"])
        by_id = dict(zip(got["ids"], got["embeddings"]))
        return np.asarray([by_id[i] for i in ids], dtype=np.float32)

    def query(self, vector: np.ndarray, n: int, where: dict | None = None) -> list[tuple[Chunk, float]]:
        """Nearest chunks with cosine similarity (1 - cosine distance); ``where`` filters on metadata before the search,
        so ``n`` matching chunks come back when there are that many."""
        total = self.count()
        if not total:
            return []
        got = self.collection.query(
            query_embeddings=[vector.tolist()], n_results=min(n, total), where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        found = [
            (Chunk.from_store(i, d, m), 1.0 - float(dist))
            for i, d, m, dist in zip(got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0])
        ]
        # HNSW returns exactly tied neighbours (wire stories repeat sentences) in no fixed order: fix it
        return sorted(found, key=lambda pair: (-round(pair[1], 6), pair[0].id))


def open_store(url: str | None, path: Path, prefix: str, embedder_signature: str, chunk_signature: str) -> ChromaStore:
    client = make_client(url, path)
    name = collection_name(prefix, embedder_signature, chunk_signature)
    return ChromaStore(client, name, embedder_signature, chunk_signature, where=url or str(path))
