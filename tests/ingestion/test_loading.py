import json

import pytest
from conftest import SEEDS

from rag.errors import InputError
from rag.ingestion.loading import Skipped, derive_title, expand_paths, iter_articles, split_date_line


def load_all(paths, max_bytes=20_000_000):
    return list(iter_articles(paths, max_bytes))


def test_seed_date_line_is_parsed_and_not_indexed():
    items = load_all([SEEDS / "002_7b9975ba05c54ee4.txt"])
    (article,) = items
    assert article.id == "002_7b9975ba05c54ee4"
    assert article.date == "2023-09"
    assert not article.text.lstrip().startswith("date")
    assert article.text.startswith("Vladimir Poutine et Kim Jong Un")


def test_article_without_date_line_keeps_its_first_line_as_title():
    (article,) = load_all([SEEDS / "001_637cde7ca846b1b3.txt"])
    assert article.date == ""
    assert article.title.startswith("Le dirigeant nord-coréen Kim Jong Un arrive en Russie")


def test_split_date_line_variants():
    assert split_date_line(" date 2023-09 Texte") == ("2023-09", "Texte")
    assert split_date_line("date 2023-09-12\nTexte")[0] == "2023-09-12"
    assert split_date_line("Pas de date ici") == ("", "Pas de date ici")


def test_derive_title_takes_first_sentence():
    assert derive_title("Première phrase. Deuxième phrase.\nSuite") == "Première phrase."


def test_folder_skips_eval_set_marked_with_ragignore():
    names = [p.name for p, _ in expand_paths([SEEDS])]
    assert len(names) == 5 and all(n.endswith(".txt") for n in names)


def test_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="path not found"):
        load_all([tmp_path / "nope"])


@pytest.mark.parametrize(
    "name,content,reason",
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b"   \n\n ", "no text"),
        ("bin.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        ("cyrillic.txt", "Ким Чен Ын прибыл".encode("cp1251"), "neither UTF-8"),
        ("pic.png", b"whatever", "unsupported file type"),
    ],
)
def test_bad_files_are_skipped_with_a_reason(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    (item,) = load_all([path])
    assert isinstance(item, Skipped)
    assert reason in item.reason


def test_oversized_file_is_refused(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("mot " * 1000)
    (item,) = load_all([path], max_bytes=100)
    assert isinstance(item, Skipped) and "limit" in item.reason


def test_html_drops_scripts_and_takes_title(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>T</title><script>alert('x')</script></head>"
        "<body><h1>Sommet à Vostotchny</h1><p>Kim et Poutine se sont rencontrés.</p>"
        "<style>p{}</style></body></html>"
    )
    (article,) = load_all([path])
    assert article.title == "Sommet à Vostotchny"
    assert "alert" not in article.text and "p{}" not in article.text
    assert "Kim et Poutine se sont rencontrés." in article.text


def test_markdown_heading_is_the_title(tmp_path):
    path = tmp_path / "note.md"
    path.write_text("# Le sommet\n\nKim a offert une carabine.\n")
    (article,) = load_all([path])
    assert article.title == "Le sommet" and article.id == "note"


def test_jsonl_streams_records_and_skips_bad_lines(tmp_path):
    path = tmp_path / "feed.jsonl"
    lines = [
        json.dumps({"id": "a1", "title": "A", "date": "2023-09-13", "url": "http://x", "text": "Texte A."}),
        "{not json",
        json.dumps({"id": "a2", "text": ""}),
        json.dumps({"id": "../../etc/passwd", "text": "Texte deux. Suite."}),
    ]
    path.write_text("\n".join(lines) + "\n")
    items = load_all([path])
    good = [i for i in items if not isinstance(i, Skipped)]
    bad = [i for i in items if isinstance(i, Skipped)]
    assert [a.id for a in good] == ["a1", "..%2F..%2Fetc%2Fpasswd"]  # never a path: '/' is escaped
    assert good[0].date == "2023-09-13" and good[0].url == "http://x"
    assert good[1].title == "Texte deux."
    (bad,) = bad  # one summary for the file
    assert bad.path == str(path) and "2 of 4 lines" in bad.reason and "line 2: not JSON" in bad.reason
    assert "line 3: 'text' is empty" in bad.reason


def test_title_does_not_stop_at_initials_or_titles():
    assert derive_title("Le sommet avec M. Poutine doit se tenir. Suite.") == "Le sommet avec M. Poutine doit se tenir."
    assert derive_title("MM. Kim et Poutine se sont vus. Ensuite.") == "MM. Kim et Poutine se sont vus."
