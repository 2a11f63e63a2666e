"""The real Gradio server on a free port (fake LLM, hashing embedder, temp data dir), called with gradio_client."""

from __future__ import annotations

import json

import pytest
from conftest import SEEDS, fake_settings, free_port
from gradio_client import Client

import ui.app as ui_app
from rag import build_services, ingest
from rag.errors import SettingsError
from ui.app import _auth, build_app, launch_options, serve

QUESTION = "Où Kim Jong Un a-t-il rencontré Poutine ?"

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore:::gradio.queueing")]



def start(settings, auth=None):
    services = build_services(settings)
    ingest(services, [SEEDS], progress=False)
    demo = build_app(services)
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True,
                            quiet=True, auth=auth, **launch_options(settings))
    return demo, url


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    demo, url = start(fake_settings(tmp_path_factory.mktemp("ui-server")))
    yield url
    demo.close()


def assistant_text(chat: list[dict]) -> str:
    return "".join(part.get("text", "") for part in chat[-1]["content"])


def test_ask_endpoint_returns_the_cli_json(server):
    out = Client(server, verbose=False).predict(QUESTION, api_name="/ask")
    json.dumps(out)
    assert {"question", "answer", "abstained", "language", "citations", "passages", "timings", "model"} <= out.keys()
    assert out["question"] == QUESTION and out["abstained"] is False and out["language"] == "fr"
    assert out["citations"] and "[1]" in out["answer"] and out["model"]["llm"] == "fake"


def test_chat_streams_sources_first_then_tokens_then_citations(server):
    job = Client(server, verbose=False).submit(QUESTION, 4, api_name="/chat")
    chat, sources, _box = job.result(timeout=30)
    outputs = job.outputs()
    with_sources = [i for i, o in enumerate(outputs) if isinstance(o[1], str) and "src-card" in o[1]]
    with_tokens = [i for i, o in enumerate(outputs) if "streaming" in assistant_text(o[0])]
    assert with_sources and with_tokens and with_sources[0] < with_tokens[0]
    assert len(with_tokens) > 3  # the answer arrived in pieces
    assert 'class="cite" href="#src-1-1"' in assistant_text(chat) and 'id="src-1-1"' in sources
    assert "badge-cited" in sources


def test_sessions_do_not_share_chats_and_concurrent_users_are_queued(server):
    alice, bob = Client(server, verbose=False), Client(server, verbose=False)
    alice.predict(QUESTION, 4, api_name="/chat")
    jobs = [alice.submit("Et qui l'accompagnait ?", 4, api_name="/chat"),
            bob.submit("Qui accompagnait Kim Jong Un ?", 4, api_name="/chat")]  # at the same time
    alice_chat, bob_chat = (job.result(timeout=30)[0] for job in jobs)
    assert len(alice_chat) == 4 and len(bob_chat) == 2
    assert "src-2-" in assistant_text(alice_chat) or "badge-abstain" in assistant_text(alice_chat)
    assert QUESTION not in json.dumps(bob_chat, ensure_ascii=False)


def test_password_protects_the_server(tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_UI__AUTH_USER", "alice")
    monkeypatch.setenv("RAG_UI__AUTH_PASSWORD", "s3cret")
    settings = fake_settings(tmp_path)
    auth = _auth(settings)
    assert auth == ("alice", "s3cret")
    demo, url = start(settings, auth=auth)
    try:
        with pytest.raises(Exception):
            Client(url, verbose=False)
        out = Client(url, auth=auth, verbose=False).predict(QUESTION, api_name="/ask")
        assert out["citations"]
    finally:
        demo.close()


def test_auth_needs_both_user_and_password(tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_UI__AUTH_USER", "alice")
    with pytest.raises(SettingsError, match="auth_password"):
        _auth(fake_settings(tmp_path))


def test_serve_reports_bad_settings_as_exit_code(tmp_path, capsys):
    assert serve(tmp_path / "missing.toml") == 5
    assert "settings file not found" in capsys.readouterr().err


def test_serve_ingests_the_seeds_then_launches_with_settings(tmp_path, monkeypatch, capsys):
    import gradio as gr

    launched = {}
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kw: launched.update(kw))
    for key, value in {"DATA_DIR": str(tmp_path / "data"), "LLM__BACKEND": "fake", "EMBEDDER__BACKEND": "hashing",
                       "UI__PORT": "7999", "UI__AUTH_USER": "u", "UI__AUTH_PASSWORD": "p"}.items():
        monkeypatch.setenv(f"RAG_{key}", value)
    assert serve(None, host="0.0.0.0") == 0
    out = capsys.readouterr().out
    assert "ingesting" in out and "5 articles" in out
    assert launched["server_name"] == "0.0.0.0" and launched["server_port"] == 7999 and launched["auth"] == ("u", "p")


# -- issue 10: an exposed UI without a password cannot write -----------------------------------

def call_every_handler(url: str, demo, payload) -> None:
    """What anyone can do with the HTTP queue API: call each event handler by its index, in one session
    (handlers without inputs first: they fill the session's article list, as the page load does)."""
    import uuid

    import httpx

    session = uuid.uuid4().hex
    for fn_index, fn in sorted(demo.fns.items(), key=lambda item: len(item[1].inputs) > 0):
        body = {"data": [payload] * len(fn.inputs), "fn_index": fn_index, "session_hash": session, "event_data": None}
        if httpx.post(f"{url}gradio_api/queue/join", json=body, timeout=10).status_code != 200:
            continue
        with httpx.stream("GET", f"{url}gradio_api/queue/data", params={"session_hash": session}, timeout=30) as stream:
            for line in stream.iter_lines():
                if "process_completed" in line or "close_stream" in line:
                    break


def uploaded(url: str, path) -> list[dict]:
    import httpx

    with open(path, "rb") as f:
        (server_path,) = httpx.post(f"{url}gradio_api/upload", files={"files": (path.name, f)}, timeout=10).json()
    return [{"path": server_path, "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}]


def served_link(tmp_path) -> str:
    """A link to a page on a local HTTP server (in a daemon thread, for the rest of the test run)."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    site = tmp_path / "site"
    site.mkdir()
    (site / "evil.html").write_text("<html><body><p>Texte injecté par un lien.</p></body></html>", encoding="utf-8")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(SimpleHTTPRequestHandler, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{httpd.server_address[1]}/evil.html"


def exposed_app(tmp_path, monkeypatch):
    """The Blocks that `rag serve --host 0.0.0.0` (no password) would launch, launched here on localhost."""
    import gradio as gr

    launched = {}
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kw: launched.update(demo=self, kw=kw))
    for key, value in {"DATA_DIR": str(tmp_path / "data"), "LLM__BACKEND": "fake", "EMBEDDER__BACKEND": "hashing",
                       "RETRIEVAL__MIN_DENSE_SCORE": "0"}.items():
        monkeypatch.setenv(f"RAG_{key}", value)
    assert serve(None, host="0.0.0.0") == 0
    monkeypatch.undo()
    demo = launched["demo"]
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True,
                            **launch_options(fake_settings(tmp_path)))
    return demo, url


def test_exposed_server_without_password_is_read_only(tmp_path, monkeypatch, capsys):
    from rag import load_settings

    demo, url = exposed_app(tmp_path, monkeypatch)
    try:
        assert "read-only" in capsys.readouterr().err
        article_id = "000_31a72e92112284c7"
        call_every_handler(url, demo, article_id)
        upload = tmp_path / "evil.txt"
        upload.write_text("Texte injecté par un inconnu.", encoding="utf-8")
        call_every_handler(url, demo, uploaded(url, upload))
        call_every_handler(url, demo, served_link(tmp_path))  # no URL box either: nothing fetches a link
        out = Client(url, verbose=False).predict(QUESTION, api_name="/ask")  # reading still works
        assert out["citations"]
    finally:
        demo.close()
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RAG_EMBEDDER__BACKEND", "hashing")
    ids = [a["id"] for a in build_services(load_settings()).store.articles()]
    assert article_id in ids and "evil" not in ids and len(ids) == 5


def test_writes_are_allowed_on_localhost_with_a_password_or_when_a_proxy_authenticates(tmp_path):
    from ui.app import writes_allowed

    settings = fake_settings(tmp_path)
    assert writes_allowed(settings, "127.0.0.1", None) and writes_allowed(settings, "0.0.0.0", ("u", "p"))
    assert not writes_allowed(settings, "0.0.0.0", None)
    assert writes_allowed(fake_settings(tmp_path, ui={"open_writes": True}), "0.0.0.0", None)


def test_serve_has_the_llm_read_the_system_prompt_before_it_says_ready(tmp_path, monkeypatch, capsys):
    """The first question after "ready" must not pay for loading the LLM and reading the fixed prompt."""
    import gradio as gr

    from rag.ask.prompting import build_messages

    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kw: None)
    for key, value in {"DATA_DIR": str(tmp_path / "data"), "LLM__BACKEND": "fake", "EMBEDDER__BACKEND": "hashing"}.items():
        monkeypatch.setenv(f"RAG_{key}", value)
    printed_before_llm = []
    fake = None

    def stream_chat(messages, max_tokens, passages=None):
        printed_before_llm.append(capsys.readouterr().out)
        return type(fake).stream_chat(fake, messages, max_tokens)

    real_services = ui_app.build_services

    def services_with_spy(settings):
        nonlocal fake
        services = real_services(settings)
        fake = services.llm
        monkeypatch.setattr(fake, "stream_chat", stream_chat)
        return services

    monkeypatch.setattr(ui_app, "build_services", services_with_spy)
    assert serve(None) == 0
    assert len(fake.calls) == 1 and fake.calls[0][0] == build_messages("x", [], "fr")[0]  # the cached system prompt
    assert "Loading the models" in printed_before_llm[0] and "ready" not in printed_before_llm[0]
    assert "ready." in capsys.readouterr().out
