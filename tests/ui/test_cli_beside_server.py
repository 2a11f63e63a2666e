"""The CLI beside the chat (issue 27): while `rag serve` holds the embedded store, `rag` commands go through it.

A real `rag serve` subprocess (fake LLM, hashing embedder, temp data folder) on a free port; the CLI runs in
this process, as a user's second terminal would, and finds the server by <data_dir>/server.json.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS, free_port

from ui import server_file
from ui.cli import main as cli

FAKE = {"RAG_EMBEDDER__BACKEND": "hashing", "RAG_LLM__BACKEND": "fake", "RAG_RETRIEVAL__MIN_DENSE_SCORE": "0", "HF_HUB_OFFLINE": "1"}
QUESTION = "Où Kim Jong Un a-t-il rencontré Poutine ?"

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore:::gradio.queueing")]



def start_serve(data_dir: Path, host: str = "127.0.0.1", timeout_s: float = 300) -> subprocess.Popen:
    """`rag serve` in its own process; returns once it has announced itself."""
    env = {**os.environ, **FAKE, "RAG_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    log = open(data_dir.parent / f"serve-{host}.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "ui.cli", "serve", "--host", host, "--port", str(free_port())],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout_s
    while server_file.read(data_dir) is None or server_file.read(data_dir)["pid"] != proc.pid:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"rag serve did not start: {(data_dir.parent / f'serve-{host}.log').read_text()[-2000:]}")
        time.sleep(0.2)
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def env(tmp_path, monkeypatch):
    for key, value in {**FAKE, "RAG_DATA_DIR": str(tmp_path / "data")}.items():
        monkeypatch.setenv(key, value)
    (tmp_path / "data").mkdir()
    return tmp_path


def run(capsys, *argv: str) -> tuple[int, list[dict], str]:
    capsys.readouterr()
    code = cli(list(argv))
    out = capsys.readouterr()
    return code, [json.loads(line) for line in out.out.splitlines() if line.startswith("{")], out.err


def test_commands_go_through_a_running_server_and_print_what_the_direct_path_prints(env, capsys):
    data = env / "data"
    extra = env / "more"
    extra.mkdir()
    (extra / "late.txt").write_text(" date 2023-10-02 Un sommet spatial à Vladivostok réunit de nouveau Poutine et Kim.\n\n"
                                    "La coopération spatiale fut au menu.", encoding="utf-8")
    proc = start_serve(data)
    try:
        code, (info,), err = run(capsys, "info", "--json")
        assert code == 0 and info["articles"] == 5  # refused before issue 27: the server holds the store's lock
        code, (report,), _ = run(capsys, "ingest", str(extra), "--json")
        assert code == 0 and report["added"] == 1
        code, (found,), _ = run(capsys, "search", "sommet spatial", "--since", "2023-10", "--json", "-k", "3")
        assert [p["source"] for p in found["passages"]] == ["late"] and found["passages"][0]["date"] == "2023-10-02"
        code, (answer,), _ = run(capsys, "ask", QUESTION, "--article", "002_7b9975ba05c54ee4", "--json")
        assert code == 0 and answer["citations"] and {c["source"] for c in answer["citations"]} == {"002_7b9975ba05c54ee4"}
        assert {"question", "answer", "claims", "timings", "warnings"} <= answer.keys()
        code, _, err = run(capsys, "remove", "nope")
        assert code == 2 and "no article 'nope'" in err  # the direct path's error and exit code
        code, _, err = run(capsys, "search", QUESTION, "--article", "nope")
        assert code == 2 and "no article 'nope'" in err
        code, _, err = run(capsys, "ask", QUESTION)
        assert code == 0 and "through the running `rag serve`" in err
        code, through, _ = run(capsys, "search", QUESTION, "--json", "--since", "2023-09-12")
    finally:
        stop(proc)
    assert not server_file.path(data).exists()  # removed when the server stops
    code, direct, err = run(capsys, "search", QUESTION, "--json", "--since", "2023-09-12")
    assert code == 0 and direct == through and "through" not in err
    code, (gone,), _ = run(capsys, "info", "--json", "--articles")
    assert gone["articles"] == 6 and "late" in [a["id"] for a in gone["article_list"]]  # the server wrote the store


def test_a_server_beyond_localhost_refuses_writes_through_it(env, capsys):
    data = env / "data"
    proc = start_serve(data, host="0.0.0.0")
    try:
        code, (info,), _ = run(capsys, "info", "--json")
        assert code == 0 and info["articles"] == 5
        code, _, err = run(capsys, "ingest", str(SEEDS))
        assert code == 4 and "read-only" in err and err.count("\n") <= 2
        code, _, err = run(capsys, "remove", "000_31a72e92112284c7")
        assert code == 4 and "read-only" in err
    finally:
        stop(proc)


def test_a_password_protected_server_is_reached_with_the_commands_credentials(tmp_path, monkeypatch):
    from conftest import fake_settings
    from test_ui_server import start

    from rag.errors import StoreError
    from ui.cli.remote import connect

    demo, url = start(fake_settings(tmp_path / "server"), auth=("alice", "s3cret"))
    try:
        settings = fake_settings(tmp_path)
        settings.data_dir.mkdir(parents=True)
        server_file.path(settings.data_dir).write_text(json.dumps({"pid": os.getppid(), "url": url}), encoding="utf-8")
        with pytest.raises(StoreError, match="asks for a password"):
            connect(settings)
        monkeypatch.setenv("RAG_UI__AUTH_USER", "alice")
        monkeypatch.setenv("RAG_UI__AUTH_PASSWORD", "s3cret")
        remote = connect(fake_settings(tmp_path))
        assert remote is not None and remote.info(False)["articles"] == 5
    finally:
        demo.close()
