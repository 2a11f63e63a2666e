"""One process at a time on an embedded Chroma folder.

Chroma's embedded client keeps the vector index in memory: a second process that writes the same
folder leaves the first one's index pointing at records that are gone, and every query of the
first fails until it restarts. So the first process to open a folder holds an exclusive lock on
``<folder>/rag.lock`` (flock: the kernel drops it when the process ends, even by kill -9), and the
file says who holds it; any other process is refused at once with that name and what to do.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from rag.errors import StoreError

try:
    import fcntl
except ImportError:  # Windows: no flock; one process at a time is then up to the user
    fcntl = None

LOCK_NAME = "rag.lock"
_held: dict[Path, int] = {}  # folder -> the open file holding its lock, for this process's lifetime


def _this_process() -> str:
    command = " ".join([Path(sys.argv[0]).name or "python", *sys.argv[1:]])[:120] if sys.argv else "python"
    command = "".join(ch if ch.isprintable() else " " for ch in command)
    return f"`{command}` (pid {os.getpid()}, since {time.strftime('%Y-%m-%d %H:%M:%S')})"


def _holder(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip() or "another process"
    except OSError:
        return "another process"


def hold(folder: Path) -> None:
    """Take ``folder`` for this process, or raise StoreError naming the process that has it."""
    folder = folder.resolve()
    if fcntl is None or folder in _held:
        return
    path = folder / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise StoreError(
            f"the store at {folder} is open in another process: {_holder(path)}; an embedded store serves one "
            "process at a time: stop that one first, or add and remove articles in its UI (the Corpus tab), "
            "or share the store through a Chroma server (README: Scaling out)"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, (_this_process() + "\n").encode("utf-8"))
    _held[folder] = fd
