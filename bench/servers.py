"""Start and stop the two servers of the scale-out setup as child processes, on free local ports.

- ``chroma_server``: ``chroma run --path DIR --host 127.0.0.1 --port P`` (the ``chroma`` executable
  next to ``sys.executable``), ready once its heartbeat answers.
- ``llama_server``: llama-cpp-python's OpenAI-compatible server, ready once ``/v1/models`` answers.
- ``rag_server``: `rag serve` itself (the chat UI and its API), ready once its page answers.

Each is a context manager that kills the process (and only it) on exit, and fails with the server's
last log lines when it does not come up within a bounded time. Used by tests/test_server_mode.py
and by the benchmarks.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Iterator


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chroma_executable() -> str:
    """The ``chroma`` CLI installed with chromadb in this interpreter's environment."""
    here = Path(sys.executable).parent / "chroma"
    found = str(here) if here.exists() else shutil.which("chroma")
    if not found:
        raise RuntimeError(f"no `chroma` executable next to {sys.executable} or on PATH (pip install chromadb)")
    return found


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _tail(log_path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(proc: subprocess.Popen, grace_s: float = 10.0) -> None:
    """SIGTERM the server's own process group (it was started in a new session), then SIGKILL."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=grace_s)


@contextlib.contextmanager
def _server(cmd: list[str], ready_url: str, log_path: Path, timeout_s: float, env: dict | None = None) -> Iterator[subprocess.Popen]:
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True, env=env)
    try:
        deadline = time.monotonic() + timeout_s
        while not _answers(ready_url):
            if proc.poll() is not None:
                raise RuntimeError(f"{cmd[0]} exited with code {proc.returncode}:\n{_tail(log_path)}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{' '.join(cmd[:3])}... did not answer {ready_url} within {timeout_s:.0f}s:\n{_tail(log_path)}")
            time.sleep(0.2)
        yield proc
    finally:
        _stop(proc)


@contextlib.contextmanager
def chroma_server(path: str | Path | None = None, timeout_s: float = 60.0) -> Iterator[str]:
    """A `chroma run` server persisting into ``path`` (a temp folder when None); yields its URL."""
    with contextlib.ExitStack() as stack:
        if path is None:
            path = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="chroma-server-"))) / "data"
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        cmd = [chroma_executable(), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
        with _server(cmd, f"{url}/api/v2/heartbeat", path.parent / f"{path.name}-chroma-server.log", timeout_s):
            yield url


@contextlib.contextmanager
def llama_server(model: str | Path, n_ctx: int = 2048, extra: list[str] | None = None, timeout_s: float = 180.0,
                 log_dir: str | Path | None = None) -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server on ``model``; yields its base URL (``.../v1``)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1", "--port", str(port),
           "--n_ctx", str(n_ctx), *(extra or [])]
    log_path = Path(log_dir or tempfile.gettempdir()) / f"llama-server-{port}.log"
    with _server(cmd, f"{base}/v1/models", log_path, timeout_s):
        yield f"{base}/v1"


@contextlib.contextmanager
def rag_server(env: dict | None = None, timeout_s: float = 600.0, log_dir: str | Path | None = None) -> Iterator[str]:
    """`rag serve` on a free local port with ``env`` (RAG_* settings); yields its URL. Its first start may
    ingest the seeds and load the models, hence the long default time-out."""
    root = Path(__file__).resolve().parent.parent
    env = {**(os.environ if env is None else env)}
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")])
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    cmd = [sys.executable, "-m", "ui.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    log_path = Path(log_dir or tempfile.gettempdir()) / f"rag-serve-{port}.log"
    with _server(cmd, url, log_path, timeout_s, env=env) as proc:
        yield ServerURL(url, proc.pid)


class ServerURL(str):
    """A server's URL that also knows its process id (to read its memory)."""

    def __new__(cls, url: str, pid: int):
        made = super().__new__(cls, url)
        made.pid = pid
        return made


def peak_memory_mb(pid: int) -> float | None:
    """The process's peak resident memory (VmHWM), in MB; None where /proc cannot tell."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None
