"""The running `rag serve` announces itself in ``<data_dir>/server.json`` (host, port, pid), so a `rag` command
started beside it goes through it instead of being refused the store it holds. The file is removed when the
server stops; one left by a server that was killed (its pid gone) is ignored. Kept free of gradio: the CLI
reads it before deciding whether to load anything.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

NAME = "server.json"
_ANY = ("0.0.0.0", "::", "")


def path(data_dir: Path) -> Path:
    return Path(data_dir) / NAME


def write(data_dir: Path, host: str, port: int, writes: bool) -> Path:
    """Announce this process's server (atomically: a reader never sees half a file)."""
    target = path(data_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    reach = "127.0.0.1" if host in _ANY else host  # a server on every interface answers on loopback too
    record = {"host": host, "port": port, "pid": os.getpid(), "url": f"http://{_bracketed(reach)}:{port}/", "writes": writes}
    tmp = target.with_name(f".{NAME}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(record), encoding="utf-8")
    os.replace(tmp, target)
    return target


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def remove(data_dir: Path) -> None:
    """Remove the file if it is this process's (a newer server may have replaced it)."""
    found = read(data_dir)
    if found is not None and found.get("pid") == os.getpid():
        path(data_dir).unlink(missing_ok=True)


def read(data_dir: Path) -> dict | None:
    try:
        record = json.loads(path(data_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = isinstance(record, dict) and isinstance(record.get("pid"), int) and isinstance(record.get("url"), str)
    return record if ok else None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    except OSError:
        return False
    return True


def running(data_dir: Path) -> dict | None:
    """The announced server, or None when there is none or its process is gone (a stale file)."""
    record = read(data_dir)
    if record is None or record["pid"] == os.getpid() or not alive(record["pid"]):
        return None
    return record
