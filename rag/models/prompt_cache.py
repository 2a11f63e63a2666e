"""Each passage's prompt state (its llama.cpp KV cells), computed once and kept on disk and in memory.

A passage's tokens read the same every time it is shown, so the attention state llama.cpp computes for
them can be reused from one question to the next (TurboRAG, Block-Attention, CacheBlend): the state is
computed once in a fixed frame (the prompt up to the first passage's text: system prompt, user-turn
opening, "[1]"), then moved to wherever the passage sits in a later prompt (rag/models/kv_assembly.py).

An entry is keyed by the model file's hash, the frame's hash (which changes with the system prompt, the
chat template and the prompt style) and the passage text's hash. On disk it lives under
``<data_dir>/passage_states/<model>-<frame>/<article>/<text hash>.kv``: a folder per article, so the
article's states go with it (:func:`forget_article`), and a folder per model and frame, so another
model or prompt never reads them. Each file records its key, its token ids and its payload's sha256;
an entry that does not match all three is deleted and rebuilt, never used.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

MAGIC = b"RAGKV1\n"
DIRNAME = "passage_states"


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def tokens_hash(tokens: list[int]) -> str:
    return hashlib.sha256(json.dumps(list(tokens)).encode()).hexdigest()[:16]


def article_dir(article_id: str) -> str:
    """An article's folder name: a hash, since ids may hold characters a file system refuses."""
    return hashlib.sha1(article_id.encode("utf-8")).hexdigest()[:16]


def forget_article(data_dir: Path, article_id: str) -> int:
    """Delete ``article_id``'s passage states for every model and frame; returns the folders removed.
    Called where the store removes or replaces the article's chunks."""
    root = Path(data_dir) / DIRNAME
    removed = 0
    for folder in root.glob(f"*/{article_dir(article_id)}"):
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    return removed


def forget_all(data_dir: Path) -> None:
    """Delete every saved passage state (a rebuilt store starts over)."""
    shutil.rmtree(Path(data_dir) / DIRNAME, ignore_errors=True)


@dataclass
class State:
    tokens: list[int]  # the passage's tokens as they were read in the frame
    data: bytes  # llama_state_seq_get_data of those tokens' cells


class PassageStates:
    """The states of one model and frame: memory (least recently used out past ``budget_bytes``) over disk."""

    def __init__(self, data_dir: Path, model_hash: str, frame_hash: str, budget_bytes: int):
        self.key = f"{model_hash[:16]}-{frame_hash[:16]}"
        self.folder = Path(data_dir) / DIRNAME / self.key
        self.budget_bytes = budget_bytes
        self._memory: OrderedDict[tuple[str, str], State] = OrderedDict()
        self.memory_bytes = 0
        self.rejected = 0  # entries found bad or stale on disk (deleted, to be rebuilt)

    def _path(self, article_id: str, text: str) -> Path:
        return self.folder / article_dir(article_id) / f"{text_hash(text)}.kv"

    def get(self, article_id: str, text: str, tokens: list[int]) -> State | None:
        """The state of ``text`` read as ``tokens``, from memory or disk; None when absent or not valid."""
        mkey = (article_id, text_hash(text))
        state = self._memory.get(mkey)
        if state is not None and state.tokens == tokens:
            self._memory.move_to_end(mkey)
            return state
        state = self._read(self._path(article_id, text), text, tokens)
        if state is not None:
            self._remember(mkey, state)
        return state

    def put(self, article_id: str, text: str, state: State) -> None:
        path = self._path(article_id, text)
        path.parent.mkdir(parents=True, exist_ok=True)
        header = {"key": self.key, "text": text_hash(text), "tokens": state.tokens,
                  "sha256": hashlib.sha256(state.data).hexdigest(), "bytes": len(state.data)}
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as handle:
            handle.write(MAGIC + json.dumps(header).encode() + b"\n")
            handle.write(state.data)
        tmp.replace(path)  # a reader never sees half a file
        self._remember((article_id, text_hash(text)), state)

    def drop(self, article_id: str, text: str) -> None:
        """Forget an entry llama.cpp refused to load, so it is rebuilt."""
        self._memory.pop((article_id, text_hash(text)), None)
        self._path(article_id, text).unlink(missing_ok=True)
        self.memory_bytes = sum(len(s.data) for s in self._memory.values())

    def _read(self, path: Path, text: str, tokens: list[int]) -> State | None:
        if not path.exists():
            return None
        try:
            with path.open("rb") as handle:
                magic, header_line, data = handle.read(len(MAGIC)), handle.readline(), handle.read()
            header = json.loads(header_line)
            valid = (magic == MAGIC and header["key"] == self.key and header["text"] == text_hash(text)
                     and header["tokens"] == tokens and header["bytes"] == len(data)
                     and header["sha256"] == hashlib.sha256(data).hexdigest())
        except (OSError, ValueError, KeyError, TypeError):
            valid = False
        if not valid:
            log.warning("passage state %s is damaged or stale: rebuilding it", path.name)
            self.rejected += 1
            path.unlink(missing_ok=True)
            return None
        return State(tokens, data)

    def _remember(self, mkey: tuple[str, str], state: State) -> None:
        old = self._memory.pop(mkey, None)
        self.memory_bytes -= len(old.data) if old else 0
        if len(state.data) > self.budget_bytes:
            return
        self._memory[mkey] = state
        self.memory_bytes += len(state.data)
        while self.memory_bytes > self.budget_bytes:
            _, evicted = self._memory.popitem(last=False)
            self.memory_bytes -= len(evicted.data)

    def disk_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.folder.rglob("*.kv"))
