"""Scale-out mode for real: a `chroma run` server as the store, llama-cpp-python's server as the LLM.

The Chroma tests run the real server process (seconds) with the hashing embedder and the fake LLM,
so CI runs them with the fast tests. The LLM server test loads Qwen2.5 0.5B and is marked slow.
Every server is started on a free port and killed at teardown (see bench/servers.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
from conftest import SEEDS

from rag import Answer, build_services, ingest, load_settings, remove, search, stream_answer
from rag.ask.wording import ABSTAIN_TEXT
from rag.checks.check import check_answer
from ui.cli import main as cli

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # bench/ is not an installed package
    sys.path.insert(0, str(ROOT))

from bench.servers import chroma_server, free_port, llama_server  # noqa: E402

pytestmark = pytest.mark.integration

QUESTION = "Où Kim Jong Un a-t-il rencontré Poutine ?"


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    with chroma_server(tmp_path_factory.mktemp("chroma-server") / "data", timeout_s=60) as url:
        yield url


@pytest.fixture
def server_env(monkeypatch, tmp_path, chroma_url):
    """Every `rag` command of the test talks to the server; the collection prefix is fresh per test."""
    env = {
        "RAG_DATA_DIR": str(tmp_path / "data"),
        "RAG_STORE__URL": chroma_url,
        "RAG_STORE__COLLECTION": f"t{tmp_path.name[-24:].replace('_', '-')}",
        "RAG_EMBEDDER__BACKEND": "hashing",
        "RAG_LLM__BACKEND": "fake",
        "RAG_RETRIEVAL__MIN_DENSE_SCORE": "0",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def http_client(url: str):
    import chromadb
    from chromadb.config import Settings

    parsed = urlparse(url)
    return chromadb.HttpClient(host=parsed.hostname, port=parsed.port, settings=Settings(anonymized_telemetry=False))


def run_json(capsys, *argv: str) -> list[dict]:
    capsys.readouterr()
    assert cli(list(argv)) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]


def test_cli_ingests_searches_and_answers_through_the_chroma_server(server_env, capsys, tmp_path):
    report = run_json(capsys, "ingest", str(SEEDS), "--json", "-q")[0]
    assert report["added"] == 5 and report["chunks_written"] > 0 and not report["skipped"]

    top = run_json(capsys, "search", "gant combinaison spatiale carabine", "--json", "-k", "3")[0]["passages"]
    assert top[0]["source"] == "004_e36b65c31de3faa9"

    out = run_json(capsys, "ask", QUESTION, "--json")[0]
    assert not out["abstained"] and out["citations"] and "[1]" in out["answer"]
    assert {c["chunk_id"] for c in out["citations"]} <= {p["chunk_id"] for p in out["passages"]}

    info = run_json(capsys, "info", "--json")[0]
    assert info["store"] == server_env["RAG_STORE__URL"] and info["chunks"] == report["chunks_written"]
    # The vectors live in the server, not in a local folder.
    fresh = http_client(server_env["RAG_STORE__URL"]).get_collection(info["collection"])
    assert fresh.count() == report["chunks_written"]
    assert not (tmp_path / "data" / "chroma").exists()

    again = run_json(capsys, "ingest", str(SEEDS), "--json", "-q")[0]
    assert again["unchanged"] == 5 and again["chunks_written"] == 0


def test_two_processes_see_each_others_ingests_and_removals(server_env, tmp_path):
    settings = load_settings()
    one, two = build_services(settings), build_services(load_settings())
    ingest(one, [SEEDS], progress=False)
    assert search(two, "Oleg Kojemiako Telegram", k=1)[0].chunk.article_id == "000_31a72e92112284c7"

    extra = tmp_path / "corpus" / "999_extra.txt"
    extra.parent.mkdir()
    extra.write_text("Le zeppelin Hindenbourg survole Vladivostok.\n\nUn zeppelin géant a survolé le port ce matin.", encoding="utf-8")
    assert ingest(two, [extra.parent], progress=False).added == ["999_extra"]
    # `one` never heard of that ingest: its keyword index must notice the store changed.
    assert one.retriever.keyword_index().search("zeppelin Hindenbourg", 1)[0][0].article_id == "999_extra"
    assert search(one, "zeppelin Hindenbourg", k=1)[0].chunk.article_id == "999_extra"

    assert remove(two, "999_extra") > 0
    assert all(p.chunk.article_id != "999_extra" for p in search(one, "zeppelin Hindenbourg", k=4))
    assert one.store.count() == two.store.count()


def test_unreachable_server_is_one_clear_error(monkeypatch, tmp_path, capsys):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("RAG_STORE__URL", url)
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RAG_EMBEDDER__BACKEND", "hashing")
    assert cli(["info", "--json"]) != 0
    err = capsys.readouterr().err
    assert err.startswith("error:") and url in err and len(err.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def small_model() -> Path:
    """Qwen2.5 0.5B, assembled once into the environment's models dir (module scope: before server_env moves the data dir)."""
    from rag.models.files import PRESETS, ensure_preset

    return ensure_preset(PRESETS["qwen2.5-0.5b"], load_settings().models_dir)


@pytest.mark.slow
def test_openai_like_backend_answers_through_llama_cpp_server(small_model, server_env, monkeypatch, tmp_path):
    with llama_server(small_model, n_ctx=2048, extra=["--model_alias", "qwen2.5-0.5b"], timeout_s=180, log_dir=tmp_path) as base_url:
        monkeypatch.setenv("RAG_LLM__BACKEND", "openai-like")
        monkeypatch.setenv("RAG_LLM__BASE_URL", base_url)
        monkeypatch.setenv("RAG_LLM__SERVER_MODEL", "qwen2.5-0.5b")
        monkeypatch.setenv("RAG_LLM__MAX_TOKENS", "64")
        services = build_services(load_settings())
        ingest(services, [SEEDS], progress=False)
        events = list(stream_answer(services, "Quel cadeau spatial Poutine a-t-il offert à Kim Jong Un ?"))

    tokens = [e.token for e in events if e.kind == "token"]
    answer = events[-1].answer
    assert events[0].kind == "passages" and tokens, "the server streamed nothing"
    assert answer.model_text == "".join(tokens) and answer.model["llm"].startswith("qwen2.5-0.5b@")
    assert answer.timings["first_token_s"] is not None
    if answer.abstained:  # a clean abstention: the fixed text, no citation
        assert answer.citations == [] and answer.abstain_reason and answer.text == ABSTAIN_TEXT["fr"]
    else:  # only numbers of passages shown to the model become citations
        assert answer.citations or answer.verdict == "unverified"
        assert all(1 <= c.n <= len(answer.passages) for c in answer.citations)
        assert all(c.passage is answer.passages[c.n - 1] for c in answer.citations)
    # The same text checked in-process gives the same verdict: the backend changes nothing downstream.
    blank = Answer(question=answer.question, text="", citations=[], passages=answer.passages, abstained=False, language="fr")
    again = check_answer(blank, answer.model_text, services.settings.answer)
    assert (again.abstained, again.text, [c.n for c in again.citations]) == (answer.abstained, answer.text, [c.n for c in answer.citations])
