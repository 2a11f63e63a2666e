"""Chat LLM backends behind one small interface: stream text pieces for a list of messages.

- ``llama-cpp``: in-process llama.cpp with the chat template embedded in the GGUF.
- ``openai-like``: any OpenAI-compatible server (llama.cpp server, Ollama, vLLM) via llama-index.
- ``fake``: scripted replies for tests and demos without a model.
Heavy imports happen inside each factory, so the fake needs none of them.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from rag.errors import ModelError
from rag.models.files import resolve_gguf
from rag.settings import LLMSettings

log = logging.getLogger(__name__)


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    tokens: list[tuple[str, float]] = field(default_factory=list)  # greedy llama.cpp: each token written, its log-probability


class PerThreadUsage:
    """``usage``: the calling thread's last answer (several threads answer at once on one backend)."""

    def _per_thread(self) -> threading.local:
        return self.__dict__.setdefault("_usage_per_thread", threading.local())

    @property
    def usage(self) -> Usage:
        return getattr(self._per_thread(), "usage", Usage())

    @usage.setter
    def usage(self, value: Usage) -> None:
        self._per_thread().usage = value


class ChatLLM(Protocol):
    name: str
    usage: Usage

    def stream_chat(self, messages: list[dict], max_tokens: int, passages: list | None = None) -> Iterator[str]: ...

    def count_tokens(self, text: str) -> int: ...


def estimate_tokens(text: str) -> int:
    """A tokenizer-free upper estimate for backends that cannot count (French/English: ~3.5 characters a token)."""
    return len(text) // 3 + 1


class FakeLLM(PerThreadUsage):
    """Replies from ``script`` in turn; with no script, cites the first sentence of passage [1]."""


    def __init__(self, script: list[str] | None = None, n_ctx: int = 2048):
        self.name = "fake"
        self.n_ctx = n_ctx
        self.script = list(script or [])
        self.calls: list[list[dict]] = []
        self.usage = Usage()

    def _reply(self, messages: list[dict]) -> str:
        if self.script:
            return self.script[(len(self.calls) - 1) % len(self.script)]
        match = re.search(r"^\[1\][^\n]*?\n?(.+?)(?:\n\[2\]|\n\n|$)", messages[-1]["content"], re.MULTILINE | re.DOTALL)
        if not match:
            return "Je ne sais pas."
        first_sentence = re.split(r"(?<=[.!?])\s", match.group(1).strip(), maxsplit=1)[0]
        return f"{first_sentence} [1]"

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def stream_chat(self, messages: list[dict], max_tokens: int, passages: list | None = None) -> Iterator[str]:
        self.calls.append(messages)
        reply = self._reply(messages)
        pieces = re.findall(r"\S+\s*", reply)[:max_tokens]
        self.usage = Usage(sum(len(m["content"].split()) for m in messages), len(pieces))
        yield from pieces


def engine_options(cfg: LLMSettings) -> dict:
    """The ``llama_cpp.Llama`` options of the product (the benchmarks build theirs from these).

    bench/llm_speed.py on 2 cores: generating on all cores 1.29x the tokens/s of llama-cpp's default
    (half the cores); n_batch 512 reads the prompt 1.05x faster than 256. Prompt-lookup decoding
    measured slower (x1.15 total), so it is not used."""
    threads = cfg.n_threads or os.cpu_count() or 1
    return dict(n_ctx=cfg.n_ctx, n_threads=threads, n_threads_batch=threads, n_batch=512, flash_attn=cfg.flash_attn, verbose=False)


class LlamaCppLLM(PerThreadUsage):
    """llama.cpp in this process, answering up to ``parallel`` questions at once (rag/models/engine.py); safe to
    call from many threads. ``usage`` is the calling thread's last answer."""

    def __init__(self, cfg: LLMSettings, models_dir: Path, data_dir: Path | None = None):
        try:
            from llama_cpp import Llama
        except ImportError:
            raise ModelError("llama-cpp-python is not installed; run: make setup (or pip install llama-cpp-python)") from None
        from rag.models import kv_assembly
        from rag.models.engine import Engine

        source = resolve_gguf(cfg.model, models_dir)
        common = engine_options(cfg)
        try:
            if isinstance(source, tuple):  # hub model: only for users who have internet
                self._llm = Llama.from_pretrained(repo_id=source[0], filename=source[1], **common)
            else:
                self._llm = Llama(model_path=str(source), **common)
            cannot_shift = kv_assembly.open_context(self._llm, cfg.parallel)
        except Exception as exc:  # noqa: BLE001 - llama.cpp reports load failures as ValueError/RuntimeError
            raise ModelError(f"cannot load {cfg.model}: {str(exc)[:200]} (the file may be corrupt: delete it and retry)") from None
        self.cfg = cfg
        self.n_ctx = cfg.n_ctx
        self.name = cfg.model if not isinstance(source, Path) else source.stem
        self.formatter = kv_assembly.chat_formatter(self._llm)
        self.engine = Engine(self._llm, cfg.parallel, cfg.temperature)
        if cfg.passage_cache:
            self.engine.assembler = self._passage_cache(source, data_dir, cannot_shift)

    def _passage_cache(self, source, data_dir: Path | None, cannot_shift: str | None):
        """The passage-state assembler (rag/models/kv_assembly.py), or None with the reason logged."""
        from rag.models import kv_assembly

        reason = cannot_shift
        if data_dir is None or not isinstance(source, Path):
            reason = "no data directory" if data_dir is None else "a hub model has no local file to key the states by"
        if reason:
            log.info("passage cache off: %s; every prompt is read in full", reason)
            return None
        key = kv_assembly.model_hash(source, self.cfg.flash_attn)
        return kv_assembly.Assembler(self._llm, data_dir, key, self.cfg.passage_cache_mb * 2**20, self.cfg.passage_recompute)

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def prompt_tokens(self, messages: list[dict]) -> list[int]:
        """The prompt's token ids as the GGUF's chat template makes them (as ``create_chat_completion`` would)."""
        result = self.formatter(messages=messages)
        return self._llm.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True)

    def stream_chat(self, messages: list[dict], max_tokens: int, passages: list | None = None) -> Iterator[str]:
        from rag.models.engine import Finished, Request

        prompt = self.prompt_tokens(messages)
        if len(prompt) + max_tokens > self.n_ctx:
            raise ModelError(f"the prompt ({len(prompt)} tokens) and the answer do not fit in the context ({self.n_ctx}): "
                             "raise RAG_LLM__N_CTX")
        request = self.engine.submit(Request(prompt, max_tokens, [p.chunk for p in passages or []]))
        try:
            while True:
                item = request.out.get()
                if isinstance(item, Exception):
                    raise item
                if isinstance(item, Finished):
                    # Greedy decoding writes the likeliest token: its log-probability is kept (the confidence rule
                    # reads it); sampling at a temperature writes another token, so nothing is kept then.
                    tokens = item.tokens if self.cfg.temperature == 0 else []
                    self.usage = Usage(item.prompt_tokens, item.completion_tokens, tokens)
                    return
                yield item
        finally:
            request.cancelled = True  # a reader that stops early frees its slot


class OpenAILikeLLM(PerThreadUsage):
    """An OpenAI-compatible server through llama-index's OpenAILike integration."""

    def __init__(self, cfg: LLMSettings):
        try:
            from llama_index.llms.openai_like import OpenAILike
        except ImportError:
            raise ModelError("llama-index-llms-openai-like is not installed; run: pip install llama-index-llms-openai-like") from None
        self._llm = OpenAILike(
            model=cfg.server_model, api_base=cfg.base_url, api_key=cfg.api_key.get_secret_value(), is_chat_model=True,
            temperature=cfg.temperature, timeout=120, max_retries=1,
        )
        self.cfg = cfg
        self.name = f"{cfg.server_model}@{cfg.base_url}"
        self.usage = Usage()
        self.n_ctx = cfg.n_ctx

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def stream_chat(self, messages: list[dict], max_tokens: int, passages: list | None = None) -> Iterator[str]:
        from llama_index.core.llms import ChatMessage

        chat = [ChatMessage(role=m["role"], content=m["content"]) for m in messages]
        completion = 0
        try:
            for response in self._llm.stream_chat(chat, max_tokens=max_tokens):
                if response.delta:
                    completion += 1
                    yield response.delta
        except Exception as exc:  # noqa: BLE001 - network errors come in many classes
            raise ModelError(f"the LLM server at {self.cfg.base_url} failed: {str(exc)[:160]} (is it running?)") from None
        prompt_words = sum(len(m["content"].split()) for m in messages)
        self.usage = Usage(prompt_words, completion)


def make_llm(cfg: LLMSettings, models_dir: Path, data_dir: Path | None = None) -> ChatLLM:
    if cfg.passage_cache and cfg.backend != "llama-cpp":
        log.info("passage cache off: backend %s reads whole prompts (it needs llama.cpp in this process)", cfg.backend)
    factories = {
        "fake": lambda: FakeLLM(cfg.fake_script, cfg.n_ctx),
        "llama-cpp": lambda: LlamaCppLLM(cfg, models_dir, data_dir),
        "openai-like": lambda: OpenAILikeLLM(cfg),
    }
    return factories[cfg.backend]()
