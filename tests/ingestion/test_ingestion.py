import pytest
from conftest import SEEDS

from rag import ingest, remove
from rag.errors import StoreMismatchError
from rag.pipeline import ensure_corpus


def test_reingest_is_idempotent_and_changed_file_replaces_chunks(make_services, seed_copy):
    services = make_services()
    first = ingest(services, [seed_copy], progress=False)
    assert len(first.added) == 5 and first.chunks_written == services.store.count()
    again = ingest(services, [seed_copy], progress=False)
    assert len(again.unchanged) == 5 and again.chunks_written == 0

    target = seed_copy / "003_288ad541ca2388a6.txt"
    target.write_text(" date 2023-09 Texte entièrement nouveau. Une seule phrase de plus.", encoding="utf-8")
    changed = ingest(services, [seed_copy], progress=False)
    assert changed.replaced == ["003_288ad541ca2388a6"] and len(changed.unchanged) == 4
    chunks = services.store.article_chunks("003_288ad541ca2388a6")
    assert len(chunks) == 1 and chunks[0].text.startswith("Texte entièrement nouveau")


def test_bad_file_is_reported_and_store_left_intact(make_services, seed_copy):
    services = make_services()
    ingest(services, [seed_copy], progress=False)
    before = services.store.count()
    (seed_copy / "broken.txt").write_bytes(b"\x00\x01\x02binary")
    report = ingest(services, [seed_copy], progress=False)
    assert report.skipped and "binary" in report.skipped[0][1]
    assert services.store.count() == before


def test_remove_deletes_one_article(seeded):
    before = seeded.store.count()
    removed = remove(seeded, "002_7b9975ba05c54ee4")
    assert removed > 0 and seeded.store.count() == before - removed
    assert "002_7b9975ba05c54ee4" not in [a["id"] for a in seeded.store.articles()]
    assert remove(seeded, "002_7b9975ba05c54ee4") == 0


def test_interrupted_ingest_is_completed_by_a_rerun(make_services, seed_copy):
    services = make_services()
    ingest(services, [seed_copy], progress=False)
    # simulate a crash that left an article half-written
    chunks = services.store.article_chunks("001_637cde7ca846b1b3")
    services.store.collection.delete(ids=[c.id for c in chunks[len(chunks) // 2 :]])
    rerun = ingest(services, [seed_copy], progress=False)
    assert rerun.replaced == ["001_637cde7ca846b1b3"]
    assert len(services.store.article_chunks("001_637cde7ca846b1b3")) == len(chunks)


def test_store_built_with_another_embedder_fails_loudly(tmp_path, make_services):
    services = make_services()
    ingest(services, [SEEDS], progress=False)
    other = make_services(embedder={"backend": "hashing", "dim": 128})
    with pytest.raises(StoreMismatchError, match="rebuild"):
        ensure_corpus(other, progress=False)
    assert services.store.count() > 0


def test_empty_store_ingests_the_seeds_on_first_use(make_services):
    services = make_services()
    ensure_corpus(services, progress=False)
    assert len(services.store.articles()) == 5


def test_reading_the_whole_store_pages_through_it(seeded):
    store = seeded.store
    ids = sorted(c.id for c in store.all_chunks())
    paged = store._get_all(["metadatas"], page=7)
    assert sorted(paged["ids"]) == ids and len(paged["metadatas"]) == len(ids)
