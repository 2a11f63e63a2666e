"""Dates as data and filters inside retrieval (issue 27): parsing, storage, and both searches narrowed before top-N."""

from __future__ import annotations

import json

import pytest
from conftest import SEEDS

from rag import Filters, answer, ingest, search
from rag.dates import day_range, normalise_date, parse_date
from rag.errors import InputError

TOPIC = "Le sommet de Vladivostok entre Poutine et Kim Jong Un a porté sur l'armement et les satellites."


@pytest.mark.parametrize("text,iso", [
    ("2023-09-12", "2023-09-12"), ("2023-09", "2023-09"), ("2023-9", "2023-09"), ("2023", "2023"),
    ("12/09/2023", "2023-09-12"), ("12.09.2023", "2023-09-12"), ("2023/09/12", "2023-09-12"),
    ("2023-09-12T08:30:00+02:00", "2023-09-12"), ("2023-09-12T06:30:00Z", "2023-09-12"),
])
def test_dates_parse_to_iso(text, iso):
    assert parse_date(text) == iso


@pytest.mark.parametrize("text", ["2023-13", "2023-02-30", "mardi dernier", "32/01/2023", "", "0999"])
def test_what_is_not_a_date_does_not_parse(text):
    assert parse_date(text) is None


def test_an_unparsed_date_is_kept_as_text_with_a_note():
    assert normalise_date("12/09/2023") == ("2023-09-12", "")
    kept, note = normalise_date("mardi dernier")
    assert kept == "mardi dernier" and "kept as text" in note
    assert normalise_date("") == ("", "")


def test_a_date_covers_the_days_it_may_be():
    assert day_range("2023-09-12") == (20230912, 20230912)
    assert day_range("2023-09") == (20230901, 20230930)
    assert day_range("2024-02") == (20240201, 20240229)
    assert day_range("2023") == (20230101, 20231231)
    assert day_range("") == day_range("mardi dernier") == (0, 0)


def test_filters_parse_user_values_and_refuse_bad_ones_in_one_line():
    assert Filters.parse() is None and Filters.parse([], "", None) is None
    f = Filters.parse(["a", " a ", "b"], "2023-09", "2023-09")
    assert f == Filters(("a", "b"), "2023-09-01", "2023-09-30")
    assert f.where() == {"$and": [{"article_id": {"$in": ["a", "b"]}}, {"date_end": {"$gte": 20230901}},
                                  {"date_start": {"$lte": 20230930}}]}
    assert Filters.parse(since="2023-09-12").where() == {"$and": [{"date_end": {"$gte": 20230912}}, {"date_start": {"$lte": 99991231}}]}
    for bad, words in [(dict(since="2023-13-01"), "not a date"), (dict(until="hier"), "not a date"),
                       (dict(since="2023-09-14", until="2023-09-12"), "after")]:
        with pytest.raises(InputError, match=words) as exc:
            Filters.parse(**bad)
        assert "\n" not in str(exc.value)


def dated_corpus(tmp_path):
    """Six articles on one topic, a day apart from 10 to 15 March 2024 (two of them on the 12th), one undated, one unparseable."""
    def text(tag: str) -> str:  # two passages, each with words of its own (near-duplicates would be collapsed)
        return "\n\n".join(TOPIC[:-1] + ", " + " ".join(f"{tag}{part}mot{i}" for i in range(25)) + "." for part in "ab")

    lines = [{"id": f"d{day}", "date": f"2024-03-{day}", "text": text(f"d{day}")} for day in range(10, 16)]
    lines += [{"id": "d12bis", "date": "12/03/2024", "text": text("bis")}, {"id": "undated", "text": text("nodate")},
              {"id": "vague", "date": "mardi dernier", "text": text("vague")}]
    path = tmp_path / "dated.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    return path


@pytest.fixture
def dated(make_services, tmp_path):
    def build(mode="hybrid"):
        services = make_services(retrieval={"mode": mode, "candidates": 3, "expand_min_cosine": 2.0})
        report = ingest(services, [SEEDS, dated_corpus(tmp_path)], progress=False)
        assert not report.skipped
        return services, report
    return build


def test_dates_are_stored_iso_with_their_day_range(dated):
    services, report = dated()
    notes = [n for _, n in report.notes]
    assert any("'mardi dernier'" in n and "kept as text" in n for n in notes)
    rows = {a["id"]: a["date"] for a in services.store.articles()}
    assert rows["d12bis"] == "2024-03-12" and rows["vague"] == "mardi dernier" and rows["undated"] == ""
    meta = services.store.collection.get(where={"article_id": "d12"}, include=["metadatas"])["metadatas"][0]
    assert (meta["date"], meta["date_start"], meta["date_end"]) == ("2024-03-12", 20240312, 20240312)


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_a_date_filter_narrows_each_search_before_its_top_n(dated, mode):
    """With 3 candidates per search and 9 articles on the topic, a filter applied after the search would often keep
    nothing; applied inside, every passage is in range and as many come back as the range holds."""
    services, _ = dated(mode)
    unfiltered = {p.chunk.article_id for p in search(services, TOPIC, k=3)}
    in_range = search(services, TOPIC, k=3, filters=Filters.parse(since="2024-03-12", until="2024-03-12"))
    assert {p.chunk.article_id for p in in_range} <= {"d12", "d12bis"}
    assert len(in_range) == 3  # the two articles of the 12th have 3 passages and more: k come back from the narrow range
    late = search(services, TOPIC, k=3, filters=Filters.parse(since="2024-03-14"))
    assert {p.chunk.article_id for p in late} <= {"d14", "d15"} and late
    assert unfiltered != {p.chunk.article_id for p in late}


def test_a_month_date_is_kept_by_a_day_range_it_may_contain(dated):
    services, _ = dated("dense")
    found = {p.chunk.article_id for p in search(services, "Kim Jong Un train blindé Khasan", k=20,
                                                filters=Filters.parse(since="2023-09-12", until="2023-09-12"))}
    assert "000_31a72e92112284c7" in found  # dated 2023-09: it may be the 12th
    assert not found & {"001_637cde7ca846b1b3", "undated", "vague", "d11", "d13"}  # no date, or another day
    assert not search(services, "Kim", k=5, filters=Filters.parse(until="2023-08"))


@pytest.mark.parametrize("mode", ["dense", "bm25"])
def test_an_article_filter_narrows_each_search(dated, mode):
    services, _ = dated(mode)
    chosen = ["004_e36b65c31de3faa9", "d10"]
    found = search(services, "Poutine Kim", k=4, filters=Filters.parse(chosen))
    assert found and {p.chunk.article_id for p in found} <= set(chosen)


def test_unknown_article_is_refused_and_answers_take_filters(dated):
    services, _ = dated()
    with pytest.raises(InputError, match="no article 'nope'"):
        search(services, TOPIC, filters=Filters.parse(["d10", "nope"]))
    result = answer(services, TOPIC, filters=Filters.parse(["d13"]))
    assert {p.chunk.article_id for p in result.passages} == {"d13"}


def test_reingest_adds_the_day_range_to_chunks_stored_before_dates_were_data(dated):
    services, _ = dated("dense")
    col = services.store.collection
    got = col.get(where={"article_id": "d12"}, include=["metadatas", "documents", "embeddings"])
    old = [{k: v for k, v in m.items() if k not in ("date_start", "date_end")} for m in got["metadatas"]]
    col.delete(ids=got["ids"])
    col.add(ids=got["ids"], metadatas=old, documents=got["documents"], embeddings=got["embeddings"])
    one_day = Filters.parse(since="2024-03-12", until="2024-03-12")
    assert "d12" not in {p.chunk.article_id for p in search(services, TOPIC, k=20, filters=one_day)}  # documented
    report = ingest(services, [dated_corpus(services.settings.data_dir.parent)], progress=False)
    assert "d12" in report.unchanged and report.chunks_written == 0
    assert "d12" in {p.chunk.article_id for p in search(services, TOPIC, k=20, filters=one_day)}
