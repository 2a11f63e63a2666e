"""The BM25 index follows the store cheaply: reused tokens, changed articles only, saved to disk."""

from __future__ import annotations

import pytest
from conftest import SEEDS

import rag.retrieve.keyword as keyword
from rag import ingest, remove, search
from rag.retrieve.keyword import KeywordIndex
from rag.retrieve.retrieval import Retriever


@pytest.fixture
def count_tokenized(monkeypatch):
    """Counts the texts the index tokenizes (the expensive part of a build)."""
    calls = []
    real = keyword.keyword_tokens

    def counting(text, stemmer=None):
        calls.append(text)
        return real(text, stemmer)

    monkeypatch.setattr(keyword, "keyword_tokens", counting)
    return calls


def results(index: KeywordIndex, query: str) -> list[tuple[str, float]]:
    return [(c.id, round(s, 5)) for c, s in index.search(query, 10)]


def test_index_built_from_a_previous_one_equals_a_fresh_build(seeded, count_tokenized):
    chunks = seeded.store.all_chunks()
    old = KeywordIndex(chunks[:-5])
    count_tokenized.clear()
    reused = KeywordIndex(chunks, previous=old)
    assert len(count_tokenized) == 5  # only the new chunks were tokenized
    fresh = KeywordIndex(chunks)
    for query in ("Oleg Kojemiako Telegram", "gant combinaison spatiale", "train blindé Khassan"):
        assert results(reused, query) == results(fresh, query)
        assert reused.coverage(query) == fresh.coverage(query)


def test_words_of_removed_chunks_no_longer_count(seeded):
    chunks = seeded.store.all_chunks()
    full = KeywordIndex(chunks)
    without = KeywordIndex([c for c in chunks if c.article_id != "004_e36b65c31de3faa9"], previous=full)
    assert full.coverage("carabine cosmonaute") == 1.0 and without.coverage("carabine cosmonaute") == 0.0
    assert without.search("carabine cosmonaute", 10) == []
    assert results(without, "Kim Jong Un train") == results(KeywordIndex(without.chunks), "Kim Jong Un train")


def test_ingest_and_removal_refresh_only_what_changed(seeded, seed_copy, count_tokenized):
    assert len(ingest(seeded, [seed_copy], progress=False).unchanged) == 5  # the same articles, now edited there
    search(seeded, "Kim Jong Un")  # index built
    count_tokenized.clear()
    article = seed_copy / "004_e36b65c31de3faa9.txt"
    article.write_text(article.read_text(encoding="utf-8") + "\n\nUn zeppelin Hindenbourg a survolé la scène.", encoding="utf-8")
    assert ingest(seeded, [seed_copy], progress=False).replaced == ["004_e36b65c31de3faa9"]
    assert search(seeded, "zeppelin Hindenbourg", k=1)[0].chunk.article_id == "004_e36b65c31de3faa9"
    indexed = [t for t in count_tokenized if t != "zeppelin Hindenbourg"]  # the query is tokenized too
    assert 0 < len(indexed) <= len(seeded.store.article_chunks("004_e36b65c31de3faa9"))
    remove(seeded, "004_e36b65c31de3faa9")
    index = seeded.retriever.keyword_index()
    assert all(c.article_id != "004_e36b65c31de3faa9" for c in index.chunks) and len(index.chunks) == seeded.store.count()


def test_another_process_ingest_is_seen_through_the_count(make_services, seed_copy):
    one, two = make_services(), make_services()
    ingest(one, [SEEDS], progress=False)
    assert len(one.retriever.keyword_index().chunks) == one.store.count()
    (seed_copy / "999_zeppelin.txt").write_text("Le zeppelin Hindenbourg survole Vladivostok.", encoding="utf-8")
    ingest(two, [seed_copy], progress=False)  # `one` is not told
    assert one.retriever.keyword_index().search("zeppelin", 1)[0][0].article_id == "999_zeppelin"


def test_saved_index_is_loaded_by_a_new_process_and_caught_up(seeded, tmp_path, count_tokenized, seed_copy):
    cache = tmp_path / "keyword"
    first = Retriever(seeded.store, seeded.embedder, seeded.settings.retrieval, cache_dir=cache)
    built = first.keyword_index()
    assert list(cache.glob("*.npz"))
    (seed_copy / "999_zeppelin.txt").write_text("Le zeppelin Hindenbourg survole Vladivostok.", encoding="utf-8")
    ingest(seeded, [seed_copy], progress=False)
    count_tokenized.clear()
    second = Retriever(seeded.store, seeded.embedder, seeded.settings.retrieval, cache_dir=cache)
    index = second.keyword_index()
    assert len(count_tokenized) == 1  # only the new article's chunk, nothing of the saved ones
    assert len(index.chunks) == len(built.chunks) + 1 == seeded.store.count()
    assert index.search("zeppelin", 1)[0][0].article_id == "999_zeppelin"
    for query in ("Oleg Kojemiako Telegram", "gant combinaison spatiale"):
        assert results(index, query) == results(KeywordIndex(seeded.store.all_chunks()), query)


def test_a_corrupt_saved_index_is_rebuilt(seeded, tmp_path):
    cache = tmp_path / "keyword"
    Retriever(seeded.store, seeded.embedder, seeded.settings.retrieval, cache_dir=cache).keyword_index()
    saved = next(cache.glob("*.npz"))
    saved.write_bytes(b"not an npz")
    index = Retriever(seeded.store, seeded.embedder, seeded.settings.retrieval, cache_dir=cache).keyword_index()
    assert len(index.chunks) == seeded.store.count()
