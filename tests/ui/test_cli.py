import json

import pytest
from conftest import SEEDS

from ui.cli import main


@pytest.fixture
def env(fake_env):
    return fake_env


def lines(capsys):
    return [json.loads(ln) for ln in capsys.readouterr().out.splitlines() if ln.strip()]


def test_search_json_contract(env, capsys):
    assert main(["search", "Où est Vostotchny ?", "--json", "-k", "3"]) == 0
    (out,) = lines(capsys)
    assert out["question"] == "Où est Vostotchny ?"
    assert len(out["passages"]) == 3
    for p in out["passages"]:
        assert {"rank", "source", "title", "date", "text", "score", "chunk_id"} <= set(p)
        assert p["chunk_id"].startswith(p["source"] + ":")


def test_ask_json_contract(env, capsys):
    assert main(["ask", "Quel cadeau Poutine a-t-il offert à Kim ?", "--json"]) == 0
    (out,) = lines(capsys)
    assert {"question", "answer", "abstained", "language", "citations", "passages", "timings", "model"} <= set(out)
    assert set(out["timings"]) >= {"retrieve_s", "first_token_s", "total_s"}
    assert set(out["model"]) >= {"llm", "embedder"}
    for c in out["citations"]:
        assert {"n", "source", "title", "date", "text", "score"} <= set(c)


def test_ask_marks_the_sentences_not_found_in_the_passages(env, monkeypatch, capsys):
    monkeypatch.setenv("RAG_LLM__FAKE_SCRIPT", json.dumps(["Poutine a offert à Kim un gant provenant d'une combinaison spatiale [1]. "
                                                           "Il lui a aussi offert une montre en or de 1950 [1]."]))
    assert main(["ask", "Quel cadeau Poutine a-t-il offert à Kim ? gant combinaison spatiale"]) == 0
    out = capsys.readouterr().out
    assert "⚠[Il lui a aussi offert une montre en or de 1950.]" in out  # not a terminal: marked in plain text
    assert "unverified" in out and "not found in the passages: Il lui a aussi offert une montre" in out


def test_a_retired_setting_is_refused_with_its_name(env, monkeypatch, capsys):
    monkeypatch.setenv("RAG_ANSWER__SECOND_TRY", '["restated"]')
    assert main(["ask", "Où est Vostotchny ?"]) == 5
    assert "answer.second_try" in capsys.readouterr().err


def test_questions_file_prints_one_object_per_line(env, tmp_path, capsys):
    qfile = tmp_path / "q.txt"
    qfile.write_text("Où est Vostotchny ?\n\nWho met Kim?\n", encoding="utf-8")
    assert main(["ask", "--questions-file", str(qfile), "--json"]) == 0
    out = lines(capsys)
    assert [o["question"] for o in out] == ["Où est Vostotchny ?", "Who met Kim?"]
    assert out[1]["language"] == "en"


def test_ingest_reports_and_exits_nonzero_on_bad_file(env, tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    assert main(["ingest", str(SEEDS), str(bad), "--json", "-q"]) == 2
    (report,) = lines(capsys)
    assert report["added"] == 5 and report["skipped"][0]["reason"].endswith("nothing to ingest")


def test_missing_path_is_one_line_error(env, capsys):
    assert main(["ingest", "/no/such/folder"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: path not found")


def test_remove_unknown_article_is_an_error(env, capsys):
    main(["ingest", str(SEEDS), "-q"])
    capsys.readouterr()
    assert main(["remove", "nope"]) == 2
    assert "no article 'nope'" in capsys.readouterr().err


def test_info_lists_store_and_models(env, capsys):
    main(["ingest", str(SEEDS), "-q"])
    capsys.readouterr()
    assert main(["info", "--json"]) == 0
    (info,) = lines(capsys)
    assert info["articles"] == 5 and info["embedder"] == "hashing-384"


def test_bad_settings_file_is_a_clear_error(env, tmp_path, capsys):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[retrieval]\nk = 'many'\n")
    assert main(["--config", str(cfg), "info"]) == 5
    assert "retrieval.k" in capsys.readouterr().err


def test_questions_file_takes_json_lines_with_history(env, tmp_path, capsys):
    qfile = tmp_path / "q.jsonl"
    follow_up = {"question": "Et qu'a-t-il reçu en retour ?",
                 "history": [{"role": "user", "content": "Quel cadeau Poutine a-t-il offert à Kim ?"},
                             {"role": "assistant", "content": "Un gant."}]}
    qfile.write_text("Où est Vostotchny ?\n" + json.dumps(follow_up, ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["ask", "--questions-file", str(qfile), "--json"]) == 0
    plain, followed = lines(capsys)
    assert plain["retrieval_query"] == "Où est Vostotchny ?"
    assert followed["retrieval_query"].startswith("Quel cadeau Poutine") and followed["question"] == follow_up["question"]


def test_questions_file_with_a_bad_json_line_names_the_line(env, tmp_path, capsys):
    qfile = tmp_path / "q.jsonl"
    qfile.write_text('Où est Vostotchny ?\n{"question": "Et ensuite ?", "history": [{"role": "bot"}]}\n', encoding="utf-8")
    assert main(["ask", "--questions-file", str(qfile), "--json"]) == 2
    assert f"{qfile}:2: each 'history' turn must be" in capsys.readouterr().err


def test_version_and_remove_json(env, capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("rag ")
    main(["ingest", str(SEEDS), "-q"])
    capsys.readouterr()
    assert main(["remove", "003_288ad541ca2388a6", "--json"]) == 0
    (out,) = lines(capsys)
    assert out["removed"] == "003_288ad541ca2388a6" and out["chunks"] > 0


def test_a_cited_pdf_passage_says_its_page(env, tmp_path, monkeypatch, capsys):
    from test_loading_documents import write_pdf

    write_pdf(tmp_path / "rapport.pdf", [[], ["Kim a offert une carabine a Poutine lors du sommet de Vostotchny."]])
    assert main(["ingest", str(tmp_path / "rapport.pdf"), "-q"]) == 0
    monkeypatch.setenv("RAG_LLM__FAKE_SCRIPT", json.dumps(["Kim a offert une carabine a Poutine [1]."]))
    assert main(["ask", "Quel cadeau Kim a-t-il offert a Poutine ?"]) == 0
    assert "[1] rapport — " in (out := capsys.readouterr().out) and "(no date, p. 2)" in out
    assert main(["search", "carabine", "--json"]) == 0
    assert [p["page"] for p in lines(capsys)[0]["passages"]] == [2]
