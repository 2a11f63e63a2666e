"""Property-based tests (hypothesis) over the loaders and the chunker: random bytes, random Unicode,
random JSONL shapes, huge lines. The invariant: no exception escapes, good articles are all stored,
nothing else is stored, and every refusal is one line."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from conftest import fake_settings
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rag import build_services, ingest
from rag.ingestion.chunking import Chunker
from rag.ingestion.loading import SUPPORTED, Skipped, iter_articles
from rag.settings import ChunkingSettings
from rag.types import Article

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOWER = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Prose: letters of several scripts, digits, spaces, punctuation, newlines; at least one letter.
PROSE = st.lists(
    st.text(st.characters(categories=("Lu", "Ll", "Lo", "Nd", "Zs", "Po", "Pd", "Ps", "Pe")), min_size=1, max_size=12)
    | st.sampled_from(["\n", "\n\n", ". ", "! ", "? ", "« ", " »", " "]),
    min_size=1, max_size=60,
).map("".join).filter(lambda t: any(ch.isalpha() for ch in t) and not t.lstrip().lower().startswith("date"))

JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
RECORD = st.fixed_dictionaries({}, optional={
    "id": st.one_of(st.text(max_size=12), st.integers(), JSON_VALUE),
    "text": st.one_of(PROSE, JSON_VALUE),
    "title": st.one_of(st.text(max_size=20), JSON_VALUE),
    "date": st.one_of(st.text(max_size=10), JSON_VALUE),
    "url": st.one_of(st.text(max_size=20), JSON_VALUE),
})


# Every example gets its own folder, all under one root that is removed when the run ends
# (hypothesis runs hundreds of examples; a folder each under /tmp piled up to thousands).
_ROOT = tempfile.TemporaryDirectory(prefix="rag-prop-")


def _folder() -> Path:
    return Path(tempfile.mkdtemp(dir=_ROOT.name))


def _is_good_record(record) -> bool:
    if not isinstance(record, dict) or not isinstance(record.get("text"), str) or not record["text"].strip():
        return False
    raw_id = record.get("id")
    if raw_id is not None and (isinstance(raw_id, bool) or not isinstance(raw_id, (str, int))):
        return False
    strings = [record.get(k) for k in ("text", "title", "date", "url")] + [raw_id if isinstance(raw_id, str) else None]
    return all(v is None or (isinstance(v, str) and "\x00" not in v) for v in strings) and \
        all(isinstance(record.get(k), (str, type(None))) for k in ("title", "date", "url"))


def _one_line(items) -> bool:
    return all("\n" not in i.reason for i in items if isinstance(i, Skipped))


@FAST
@given(data=st.binary(max_size=3000), suffix=st.sampled_from(SUPPORTED))
def test_random_bytes_never_raise_and_refusals_are_one_line(data, suffix):
    path = _folder() / f"junk{suffix}"
    path.write_bytes(data)
    items = list(iter_articles([path]))
    assert items and _one_line(items)
    for item in items:
        if isinstance(item, Article):
            assert item.id and item.text.strip() and "\x00" not in item.text


@FAST
@given(text=PROSE, name=st.text(st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="/\\"), min_size=1, max_size=20))
def test_any_unicode_prose_in_any_file_name_is_one_article(text, name):
    assume(not name.startswith(".") and name.strip() == name and len(name.encode()) < 200)
    folder = _folder()
    (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    (article,) = list(iter_articles([folder]))
    assert isinstance(article, Article), article
    assert article.id and ":" not in article.id and "/" not in article.id
    assert article.text == text.replace("\r\n", "\n").strip()


@FAST
@given(records=st.lists(st.one_of(RECORD, JSON_VALUE), min_size=1, max_size=12))
def test_random_jsonl_shapes_keep_the_good_records_and_summarise_the_rest(records):
    path = _folder() / "feed.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    items = list(iter_articles([path]))
    articles = [i for i in items if isinstance(i, Article)]
    bad = [i for i in items if isinstance(i, Skipped)]
    good = [r for r in records if _is_good_record(r)]
    # good records whose id repeats an earlier one are refused as duplicates; none other is lost
    assert len(articles) <= len(good) and len({a.id for a in articles}) == len(articles)
    assert len(bad) <= 1 and _one_line(items)
    assert bool(bad) == (len(articles) < len(records))
    assert all(a.text.strip() and "\x00" not in a.text for a in articles)


@SLOWER
@given(sizes=st.lists(st.integers(0, 5000), min_size=1, max_size=5), limit=st.integers(100, 3000))
def test_huge_lines_are_refused_alone(sizes, limit):
    path = _folder() / "lines.jsonl"
    rows = [json.dumps({"id": f"r{i}", "text": "mot " * (n // 4) + "fin."}) for i, n in enumerate(sizes)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    items = list(iter_articles([path], max_bytes=limit))
    kept = {a.id for a in items if isinstance(a, Article)}
    assert kept == {f"r{i}" for i, row in enumerate(rows) if len(row) + 1 <= limit}


@FAST
@given(text=PROSE, size=st.integers(5, 120), overlap=st.integers(0, 30))
def test_chunks_are_verbatim_cover_every_word_and_are_numbered(text, size, overlap):
    assume(overlap < size)
    article = Article(id="a", title="t", text=text.strip())
    chunks = Chunker(ChunkingSettings(chunk_size=size, chunk_overlap=overlap))(article)
    assert [c.n for c in chunks] == list(range(len(chunks)))
    covered = set()
    for c in chunks:
        assert article.text[c.start : c.end] == c.text
        covered.update(range(c.start, c.end))
    assert all(i in covered for i, ch in enumerate(article.text) if not ch.isspace())


@SLOWER
@given(good=st.lists(PROSE, min_size=1, max_size=4), junk=st.lists(st.binary(min_size=1, max_size=200), max_size=3))
def test_a_folder_of_good_and_junk_stores_exactly_the_good_articles(good, junk):
    folder = _folder()
    corpus = folder / "corpus"
    corpus.mkdir()
    for i, text in enumerate(good):
        (corpus / f"good{i}.txt").write_text(text, encoding="utf-8")
    for i, data in enumerate(junk):
        (corpus / f"junk{i}.txt").write_bytes(b"\x00" + data)  # a NUL: never text
    (corpus / "junk.jsonl").write_text('{"id": {"x": 1}, "text": 5}\n[1, 2]\n', encoding="utf-8")
    services = build_services(fake_settings(folder))
    report = ingest(services, [corpus], progress=False)
    assert sorted(report.added) == sorted(f"good{i}" for i in range(len(good)))
    assert len(report.skipped) == len(junk) + 1
    stored = {a["id"] for a in services.store.articles()}
    assert stored == set(report.added)
    for i, text in enumerate(good):
        assert " ".join(services.store.article_text(f"good{i}").split()) == " ".join(text.split())


QUESTION_WORDS = st.sampled_from(["Quand", "où", "et", "and", "When", "where", "quel jour", "dans quelle ville", ",", "?",
                                  "Kim", "le train", "a-t-il", "did", "Poutine", "qui", "les", "de la", "How many", ";"])
WH = st.sampled_from(["Quand", "Où", "Quel jour", "à quel moment de la journée", "dans quelle ville", "When", "where", "how many",
                      "Qui", "Combien de missiles"])
# Questions shaped like the two-part ones ("Quand et où ...", "..., et quelle instance ...") and random word salad.
QUESTIONS = (
    st.tuples(WH, st.sampled_from([" et ", " and "]), WH, st.lists(QUESTION_WORDS | PROSE, max_size=6).map(" ".join),
              st.sampled_from([" ?", "?", ""])).map(lambda t: f"{t[0]}{t[1]}{t[2]} {t[3]}{t[4]}")
    | st.tuples(WH, PROSE, st.sampled_from([", et ", ", and ", "; et "]), WH, PROSE).map(lambda t: f"{t[0]} {t[1]}{t[2]}{t[3]} {t[4]} ?")
    | st.lists(QUESTION_WORDS | PROSE, min_size=1, max_size=14).map(" ".join)
)


@FAST
@given(QUESTIONS, st.sampled_from(["fr", "en", "de"]))
def test_a_question_is_split_into_two_non_empty_questions_or_kept_whole(question, language):
    from rag.ask.questions import question_parts

    parts, leans = question_parts(question, language)
    if parts == [question]:
        assert not leans
        return
    assert len(parts) == 2 and all(p.strip() for p in parts)
    if question.rstrip().endswith("?"):
        assert all(p.rstrip().endswith("?") for p in parts)
    kept = set(re.findall(r"\w+", " ".join(parts).lower()))
    assert set(re.findall(r"\w+", question.lower())) - {"et", "and"} <= kept  # no word of the question lost
