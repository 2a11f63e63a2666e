"""Issue 10: one bad article fails alone, articles keep their identity, ids keep their letters.

Each test here failed on the code before its fix (see the issue for the reproductions).
"""

from __future__ import annotations

import pytest

from rag import ingest
from rag.chunking import Chunker
from rag.settings import ChunkingSettings
from rag.types import Article


def one_line_of_short_sentences(n: int) -> str:
    return " ".join(f"Phrase numéro {i} ici." for i in range(n))


@pytest.fixture
def busy_machine(monkeypatch):
    """nltk's regex guard with no time at all: what a loaded machine does to a long file."""
    import nltk.redos

    monkeypatch.setattr(nltk.redos, "DEFAULT_TIMEOUT", 1e-9)


# -- defect 1: one pathological article ------------------------------------------------------

def test_chunking_does_not_depend_on_how_busy_the_machine_is(busy_machine):
    article = Article(id="x", title="t", text=one_line_of_short_sentences(2000))
    chunks = Chunker(ChunkingSettings())(article)
    assert len(chunks) > 20 and all(article.text[c.start : c.end] == c.text for c in chunks)


def test_a_pathological_one_line_file_goes_in_beside_the_others(make_services, seed_copy, busy_machine):
    (seed_copy / "zzz_one_line.txt").write_text(one_line_of_short_sentences(5000), encoding="utf-8")
    report = ingest(make_services(), [seed_copy], progress=False)
    assert len(report.added) == 6 and not report.skipped
