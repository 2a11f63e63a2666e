"""Issue 10, risks: junk is refused with one line each, people's real files are read."""

from __future__ import annotations

import json
import os

import pytest

from rag import ingest
from rag.ingestion.loading import Skipped, iter_articles
from ui.cli import main as cli


def load(paths, max_bytes=20_000_000, notes=None):
    return list(iter_articles(paths, max_bytes, **({"notes": notes} if notes is not None else {})))


def skipped(items) -> list[Skipped]:
    return [i for i in items if isinstance(i, Skipped)]


def good(items) -> list:
    return [i for i in items if not isinstance(i, Skipped)]


# -- JSONL: types, summaries -----------------------------------------------------------------

@pytest.mark.parametrize("record,field", [
    ({"id": "x", "text": 123}, "text"),
    ({"id": "x", "text": ["Une", "liste."]}, "text"),
    ({"id": {"a": 1}, "text": "Texte."}, "id"),
    ({"id": "x", "text": "Texte.", "date": {"y": 2023}}, "date"),
    ({"id": "x", "text": "Texte.", "title": ["T"]}, "title"),
    ({"id": "x", "text": "Texte.", "url": 5}, "url"),
    ({"id": "x", "text": "Texte avec un NUL \u0000 dedans."}, "NUL"),
])
def test_jsonl_fields_of_the_wrong_type_are_refused(tmp_path, record, field):
    path = tmp_path / "feed.jsonl"
    path.write_text(json.dumps(record) + "\n" + json.dumps({"id": "ok", "text": "Bon."}) + "\n", encoding="utf-8")
    items = load([path])
    assert [a.id for a in good(items)] == ["ok"]
    (bad,) = skipped(items)
    assert field in bad.reason and "line 1" in bad.reason


def test_bad_jsonl_lines_are_summarised_in_one_line_per_file(tmp_path):
    path = tmp_path / "noise.jsonl"
    rows = [json.dumps({"id": f"g{i}", "text": f"Bon {i}."}) if i % 100 == 0 else f"{{broken {i}" for i in range(1000)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    items = load([path])
    assert len(good(items)) == 10
    (bad,) = skipped(items)
    assert bad.path == str(path) and "990 of 1,000 lines" in bad.reason and "line 2" in bad.reason


def test_a_random_bytes_jsonl_is_one_line(tmp_path):
    path = tmp_path / "random.jsonl"
    path.write_bytes(os.urandom(20_000).replace(b"\n", b"\n\x9f") + b"\n")
    (bad,) = load([path])
    assert isinstance(bad, Skipped) and "\n" not in bad.reason


# -- bytes that are not text ------------------------------------------------------------------

def test_a_nul_byte_anywhere_means_binary(tmp_path):
    path = tmp_path / "late.txt"
    path.write_bytes(b"Texte propre. " * 1000 + b"\x00\x01binaire")
    (bad,) = load([path])
    assert isinstance(bad, Skipped) and "binary" in bad.reason


@pytest.mark.parametrize("data", [b"\x13\x07Ab\x1f", b"\x8f\x02\xe9\x11\xfe", b"\x1b[0m\x7f\x04"])
def test_a_few_random_bytes_are_not_an_article(tmp_path, data):
    path = tmp_path / "junk.txt"
    path.write_bytes(data)
    (bad,) = load([path])
    assert isinstance(bad, Skipped)


def test_huge_nested_html_is_refused_without_parsing_it(tmp_path, monkeypatch):
    import trafilatura

    parsed = []
    monkeypatch.setattr(trafilatura, "bare_extraction", lambda *a, **k: parsed.append(1))
    monkeypatch.setattr(trafilatura, "html2txt", lambda *a, **k: parsed.append(1))
    path = tmp_path / "nested.html"
    path.write_text("<div>" * 300_000 + "texte" + "</div>" * 300_000, encoding="utf-8")
    (bad,) = load([path])
    assert isinstance(bad, Skipped) and "tags" in bad.reason and not parsed


def test_ordinary_html_still_reads(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("<html><body><nav>menu</nav><article><h1>Sommet</h1>" + "<p>Kim arrive.</p>" * 500
                    + "</article></body></html>", encoding="utf-8")
    (article,) = load([path])
    assert article.title == "Sommet" and "menu" not in article.text and article.text.count("Kim arrive.") == 500


# -- encodings ---------------------------------------------------------------------------------

def test_a_windows_1252_file_is_read_and_the_encoding_reported(tmp_path):
    path = tmp_path / "dépêche.txt"
    path.write_bytes("Le dirigeant nord-coréen est arrivé à Vladivostok. « Une visite très attendue », a dit l’agence.".encode("cp1252"))
    notes = []
    (article,) = load([path], notes=notes.append)
    assert article.text.startswith("Le dirigeant nord-coréen est arrivé") and "l’agence" in article.text
    ((where, note),) = notes
    assert where == str(path) and "windows-1252" in note


def test_a_short_latin_1_file_is_read_as_windows_1252(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("Corée du Nord, dépêche.".encode("latin-1"))
    (article,) = load([path], notes=[].append)
    assert article.text == "Corée du Nord, dépêche."


# -- folders: symlinks, odd names ----------------------------------------------------------------

def test_dangling_symlinks_and_loops_are_reported(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ok.txt").write_text("Bon texte.", encoding="utf-8")
    (corpus / "gone.txt").symlink_to(tmp_path / "missing.txt")
    (corpus / "self.txt").symlink_to(corpus / "self.txt")
    (corpus / "loop").symlink_to(corpus)
    items = load([corpus])
    assert [a.id for a in good(items)] == ["ok"]
    reasons = {os.path.basename(s.path): s.reason for s in skipped(items)}
    assert "missing.txt" in reasons["gone.txt"] and "loop" in reasons["self.txt"] and "loop" in reasons["loop"]


def test_a_file_name_with_a_newline_keeps_each_report_line_whole(fake_env, tmp_path, capsys):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bad\nname.txt").write_bytes(b"")
    (corpus / "good\nname.txt").write_text("Un texte.", encoding="utf-8")
    assert cli(["ingest", str(corpus), "-q"]) == 2
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("added 1,") and len(out) == 2 and "bad\\nname.txt" in out[1]


def test_the_ingest_report_carries_notes(make_services, tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("Kim Jong Un est arrivé à la gare.".encode("latin-1"))
    report = ingest(make_services(), [path], progress=False)
    assert report.added == ["latin"] and report.notes and "windows-1252" in report.notes[0][1]
