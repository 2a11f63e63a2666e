"""Issue 10, defect 4: an embedded store folder belongs to one process; a second one is refused at once.

Before the fix, `rag ingest` beside a running server succeeded and every later query of the server
failed until a restart ("Error finding id"). The holder here is a real second process serving
searches over the same folder, as `rag serve` does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from conftest import ROOT, SEEDS

from ui.cli import main as cli

pytestmark = pytest.mark.integration

HOLDER = """
import sys
from rag import build_services, ensure_corpus, load_settings, search
services = build_services(load_settings())
ensure_corpus(services, progress=False)
print("ready", flush=True)
for line in sys.stdin:
    print(search(services, line.strip(), k=1)[0].chunk.article_id, flush=True)
"""


@pytest.fixture
def holder(fake_env):
    """A process that opened the store and keeps answering searches (stdin: question, stdout: top article)."""
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.Popen([sys.executable, "-c", HOLDER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, env=env, cwd=ROOT)
    try:
        assert proc.stdout.readline().strip() == "ready"
        yield proc
    finally:
        proc.kill()
        proc.wait()


def ask(proc, question: str) -> str:
    proc.stdin.write(question + "\n")
    proc.stdin.flush()
    return proc.stdout.readline().strip()


def test_second_process_is_refused_at_once_and_the_first_keeps_working(holder, tmp_path, capsys):
    assert ask(holder, "Oleg Kojemiako Telegram") == "000_31a72e92112284c7"
    extra = tmp_path / "more"
    extra.mkdir()
    (extra / "999_extra.txt").write_text("Le zeppelin Hindenbourg survole Vladivostok.", encoding="utf-8")

    started = time.perf_counter()
    assert cli(["ingest", str(extra), "-q"]) == 4
    assert cli(["remove", "000_31a72e92112284c7"]) == 4
    assert time.perf_counter() - started < 10
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 2 and all(e.startswith("error: ") for e in errors)
    assert f"pid {holder.pid}" in errors[0] and "Corpus tab" in errors[0] and "Chroma server" in errors[0]

    for _ in range(3):  # the holder never noticed anything
        assert ask(holder, "Oleg Kojemiako Telegram") == "000_31a72e92112284c7"


def test_the_folder_is_free_again_once_its_holder_ends(holder, tmp_path, capsys):
    holder.kill()
    holder.wait()
    assert cli(["ingest", str(SEEDS), "-q"]) == 0
