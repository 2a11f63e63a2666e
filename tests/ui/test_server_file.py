"""<data_dir>/server.json: how a `rag` command finds the running `rag serve` (issue 27), and ignores a stale one."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import fake_settings

from ui import server_file
from ui.cli.remote import connect, server_path


def other_process_record(tmp_path, pid: int, **extra) -> None:
    server_file.path(tmp_path).write_text(json.dumps({"host": "127.0.0.1", "port": 1, "pid": pid,
                                                      "url": "http://127.0.0.1:1/", **extra}), encoding="utf-8")


def dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def test_written_read_and_removed_by_its_own_process(tmp_path):
    written = server_file.write(tmp_path, "0.0.0.0", 7860, writes=False)
    record = json.loads(written.read_text())
    assert record == {"host": "0.0.0.0", "port": 7860, "pid": os.getpid(), "url": "http://127.0.0.1:7860/", "writes": False}
    assert server_file.running(tmp_path) is None  # this process is the server: nothing to go through
    server_file.remove(tmp_path)
    assert not written.exists()


def test_another_live_process_is_found_a_dead_one_ignored(tmp_path):
    other_process_record(tmp_path, os.getppid())
    assert server_file.running(tmp_path)["port"] == 1
    other_process_record(tmp_path, dead_pid())
    assert server_file.running(tmp_path) is None


def test_remove_leaves_a_newer_servers_file(tmp_path):
    other_process_record(tmp_path, os.getppid())
    server_file.remove(tmp_path)
    assert server_file.path(tmp_path).exists()


def test_damaged_files_are_ignored(tmp_path):
    for text in ["", "{", "[1]", '{"pid": "x", "url": "u"}']:
        server_file.path(tmp_path).write_text(text, encoding="utf-8")
        assert server_file.running(tmp_path) is None


def test_the_cli_goes_direct_when_the_announced_server_does_not_answer(tmp_path):
    settings = fake_settings(tmp_path)
    settings.data_dir.mkdir(parents=True)
    other_process_record(settings.data_dir, os.getppid())  # alive, but nothing listens on port 1
    assert connect(settings) is None
    assert connect(fake_settings(tmp_path, store={"url": "http://127.0.0.1:1"})) is None  # a Chroma server: always direct


def test_paths_are_sent_absolute_and_links_as_they_are(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert server_path("corpus/a.txt") == str(tmp_path / "corpus" / "a.txt")
    assert server_path("https://example.org/a?b=1") == "https://example.org/a?b=1"
    assert server_path("HTTP://example.org/") == "HTTP://example.org/"
