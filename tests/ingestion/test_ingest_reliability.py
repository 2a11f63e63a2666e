"""Issue 10: one bad article fails alone, articles keep their identity, ids keep their letters.

Each test here failed on the code before its fix (see the issue for the reproductions).
"""

from __future__ import annotations

import json

import pytest
from conftest import SEEDS

from rag import ingest
from rag.ingestion.chunking import Chunker
from rag.ingestion.loading import Skipped, iter_articles
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


def test_an_article_the_chunker_cannot_split_fails_alone(make_services, seed_copy, monkeypatch):
    real = Chunker.__call__

    def breaks_on_one(self, article):
        if article.id == "002_7b9975ba05c54ee4":
            raise TimeoutError("regex match timed out")
        return real(self, article)

    monkeypatch.setattr(Chunker, "__call__", breaks_on_one)
    services = make_services()
    report = ingest(services, [seed_copy], progress=False)
    assert len(report.added) == 4
    ((where, reason),) = report.skipped
    assert where.endswith("002_7b9975ba05c54ee4.txt") and "TimeoutError" in reason and "\n" not in reason


def test_a_jsonl_line_over_the_size_limit_is_refused_alone(tmp_path):
    path = tmp_path / "feed.jsonl"
    rows = [{"id": "a1", "text": "Court."}, {"id": "a2", "text": "mot " * 500}, {"id": "a3", "text": "Aussi court."}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    items = list(iter_articles([path], max_bytes=1000))
    assert [i.id for i in items if not isinstance(i, Skipped)] == ["a1", "a3"]
    (skipped,) = [i for i in items if isinstance(i, Skipped)]
    assert "line 2" in skipped.reason and "limit" in skipped.reason


# -- defect 2: same file name, different article ---------------------------------------------

def write(path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_same_file_name_from_two_folders_keeps_both_articles(make_services, tmp_path):
    write(tmp_path / "A" / "article.txt", "Le zeppelin survole Vladivostok. Il est immense.")
    write(tmp_path / "B" / "article.txt", "Le sous-marin plonge à Khasan. Il est discret.")
    services = make_services()
    assert ingest(services, [tmp_path / "A"], progress=False).added == ["article"]
    second = ingest(services, [tmp_path / "B"], progress=False)
    assert second.added == ["B/article"] and not second.replaced
    assert any("B/article" in note for _, note in second.notes)
    texts = {a["id"]: services.store.article_text(a["id"]) for a in services.store.articles()}
    assert "zeppelin" in texts["article"] and "sous-marin" in texts["B/article"]
    # Each file keeps the id it was first given, whichever folder is named next time.
    again = ingest(services, [tmp_path / "B", tmp_path / "A", tmp_path], progress=False)
    assert sorted(again.unchanged) == ["B/article", "article"] and not again.added and not again.replaced


def test_files_in_sub_folders_have_their_folder_in_their_id(tmp_path):
    write(tmp_path / "site" / "2023" / "kim" / "index.html", "<h1>Kim</h1><p>Kim arrive.</p>")
    write(tmp_path / "site" / "2023" / "putin" / "index.html", "<h1>Poutine</h1><p>Poutine attend.</p>")
    write(tmp_path / "site" / "top.txt", "Une dépêche.")
    ids = sorted(a.id for a in iter_articles([tmp_path / "site"]))
    assert ids == ["2023/kim/index", "2023/putin/index", "top"]


def test_seed_ids_are_their_file_stems():
    assert sorted(a.id for a in iter_articles([SEEDS])) == sorted(p.stem for p in SEEDS.glob("*.txt"))


# -- defect 3: ids keep their letters ---------------------------------------------------------

def test_ids_keep_unicode_letters_never_empty_never_colliding(tmp_path):
    for name in ["日本語.txt", "a b.txt", "a_b.txt", "a%20b.txt", "Corée.txt"]:
        write(tmp_path / "corpus" / name, f"Texte de {name}.")
    feed = tmp_path / "corpus" / "feed.jsonl"
    feed.write_text("".join(json.dumps({"id": i, "text": f"Texte {n}."}) + "\n" for n, i in enumerate(["日本", "", "!!!", 7])),
                    encoding="utf-8")
    ids = [a.id for a in iter_articles([tmp_path / "corpus"])]
    assert len(ids) == 9 and len(set(ids)) == 9 and all(ids)
    assert {"日本語", "日本", "Corée", "a_b", "7"} <= set(ids)


def test_unicode_ids_survive_the_store(make_services, tmp_path):
    write(tmp_path / "corpus" / "日本語.txt", "Le Japon observe le sommet.")
    services = make_services()
    assert ingest(services, [tmp_path / "corpus"], progress=False).added == ["日本語"]
    (chunk,) = services.store.article_chunks("日本語")
    assert chunk.id == "日本語:0"


# -- risk: counters are derived, never trusted -------------------------------------------------

def test_a_stale_chunk_counter_is_never_trusted(make_services):
    from rag.errors import StoreMismatchError
    from rag.pipeline import ensure_corpus

    old = make_services(embedder={"backend": "hashing", "dim": 128})
    ingest(old, [SEEDS], progress=False)
    collection = old.store.collection
    recorded = dict(collection.metadata)
    collection.modify(metadata={**recorded, "chunks": 0})  # a counter that says "empty" over 83 chunks
    with pytest.raises(StoreMismatchError):
        ensure_corpus(make_services(), progress=False)
    # An interrupted removal of everything: the chunks are gone, the counter still says 83.
    collection.delete(ids=collection.get(include=[])["ids"])
    collection.modify(metadata=recorded)
    fresh = make_services()
    ensure_corpus(fresh, progress=False)
    assert len(fresh.store.articles()) == 5


def test_a_moved_folder_keeps_its_ids_and_its_edits_replace(make_services, tmp_path):
    import shutil

    write(tmp_path / "old" / "article.txt", "Le zeppelin survole Vladivostok.")
    services = make_services()
    ingest(services, [tmp_path / "old"], progress=False)
    shutil.move(tmp_path / "old", tmp_path / "new")
    assert ingest(services, [tmp_path / "new"], progress=False).unchanged == ["article"]  # same text: same article
    write(tmp_path / "new" / "article.txt", "Le zeppelin survole Khasan.")
    assert ingest(services, [tmp_path / "new"], progress=False).replaced == ["article"]
    assert [a["id"] for a in services.store.articles()] == ["article"]


def test_a_jsonl_id_already_naming_another_files_article_is_refused(make_services, tmp_path):
    for name, text in [("one.jsonl", "Premier texte."), ("two.jsonl", "Autre texte.")]:
        (tmp_path / name).write_text(json.dumps({"id": "a1", "text": text}) + "\n", encoding="utf-8")
    services = make_services()
    ingest(services, [tmp_path / "one.jsonl"], progress=False)
    report = ingest(services, [tmp_path / "two.jsonl"], progress=False)
    ((where, reason),) = report.skipped
    assert where.endswith("two.jsonl") and "one.jsonl" in reason and "rag remove a1" in reason
    assert "Premier" in services.store.article_text("a1")


def test_articles_stored_before_sources_were_recorded_get_theirs_on_the_next_ingest(make_services, seed_copy):
    services = make_services()
    ingest(services, [seed_copy], progress=False)
    store = services.store
    chunks = store.all_chunks()
    store.upsert(chunks, store.vectors([c.id for c in chunks]), {a: n.expected_chunks for a, n in store.article_states().items()})
    assert {s.source for s in store.article_states().values()} == {""}  # as an older version left them
    assert len(ingest(services, [seed_copy], progress=False).unchanged) == 5
    assert all(s.source.startswith(str(seed_copy.resolve())) for s in store.article_states().values())
