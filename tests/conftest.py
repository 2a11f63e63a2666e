"""Fixtures: fast services on deterministic fakes (hashing embedder, scripted LLM) in a temp dir."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

from rag import build_services, ingest, load_settings

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


def free_port() -> int:
    """A port nobody listens on, for a server a test starts on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fake_settings(tmp_path: Path, script: list[str] | None = None, **overrides):
    base = dict(
        data_dir=tmp_path / "data",
        embedder={"backend": "hashing"},
        llm={"backend": "fake", "fake_script": script or []},
        retrieval={"min_dense_score": 0.0},
    )
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    return load_settings(**base)


@pytest.fixture
def make_services(tmp_path):
    def factory(script=None, **overrides):
        return build_services(fake_settings(tmp_path, script, **overrides))

    return factory


@pytest.fixture
def seeded(make_services):
    services = make_services()
    ingest(services, [SEEDS], progress=False)
    return services


@pytest.fixture
def seed_copy(tmp_path) -> Path:
    dest = tmp_path / "corpus"
    dest.mkdir()
    for f in SEEDS.glob("*.txt"):
        shutil.copy(f, dest / f.name)
    return dest


@pytest.fixture
def fake_env(tmp_path, monkeypatch):
    """RAG_* variables for CLI tests: a temp data dir, the hashing embedder and the scripted LLM."""
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RAG_EMBEDDER__BACKEND", "hashing")
    monkeypatch.setenv("RAG_LLM__BACKEND", "fake")
    monkeypatch.setenv("RAG_RETRIEVAL__MIN_DENSE_SCORE", "0")
    return tmp_path


def pytest_collection_modifyitems(items):
    """Every test is unit, integration or slow: one not marked integration or slow is a unit test."""
    for item in items:
        if not any(item.get_closest_marker(m) for m in ("integration", "slow")):
            item.add_marker(pytest.mark.unit)


class FixedRetriever:
    """A fake retriever: whatever the question, the store's chunks that hold the given phrases, in that order. A test
    says which passages the model sees instead of padding its question with words to steer the hashing embedder."""

    def __init__(self, store, *phrases: str, dense_score: float = 0.9):
        from rag.types import Passage

        chunks = {c.id: c for a in store.articles() for c in store.article_chunks(a["id"])}
        picked = [next(c for c in chunks.values() if phrase in c.text) for phrase in phrases]
        self.passages = [Passage(c, 1.0 / rank, rank, dense_score=dense_score) for rank, c in enumerate(picked, start=1)]

    def warm_up(self) -> None:
        pass

    def expanded(self, query: str) -> str:
        return query

    def retrieve(self, query: str, k: int | None = None, expand: bool = True, filters=None):
        return self.passages[:k] if k else list(self.passages)


@pytest.fixture
def fixed_passages():
    """fixed_passages(services, "phrase", ...): the services answer from the chunks holding these phrases."""

    def use(services, *phrases: str):
        services.retriever = FixedRetriever(services.store, *phrases)
        return services

    return use
