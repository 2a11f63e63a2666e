"""Build a prompt's KV cache in llama.cpp from the passages' saved states instead of reading every token.

The prompt is tokenized exactly as ``create_chat_completion`` tokenizes it; each passage's tokens are found
in it, and where they are, their saved cells (rag/models/prompt_cache.py) are loaded into sequence 1,
moved to the passage's position (``llama_memory_seq_add``: RoPE models shift their keys, as in llama.cpp's
examples/passkey) and shared into sequence 0; everything between them ("\\n\\n[2]", the question) is decoded
as usual. Then ``llama_cpp.Llama`` finds the assembled tokens as its cached prefix and reads only the rest,
so generation, streaming and log-probabilities are today's. The model reads the same token ids as with
the full prompt; only the passages' attention to the passages before them is lost (each was read right
after the system prompt), which ``recompute`` tokens at each passage's start partly restore (CacheBlend).
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from rag.models.prompt_cache import PassageStates, State, tokens_hash

log = logging.getLogger(__name__)

MIN_SPAN = 8  # a passage found for fewer tokens than this is decoded: loading it would save nothing


@dataclass
class Span:
    index: int  # the passage's place in the list given
    start: int  # where its tokens start in the prompt
    length: int  # how many of its saved tokens the prompt holds there


def common_prefix(a, b) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def find_spans(prompt: list[int], passages: list[list[int]]) -> list[Span]:
    """Where each passage's tokens stand in the prompt (the longest prefix found there), in prompt order.
    A passage not found, or found for fewer than MIN_SPAN tokens, has no span: it is decoded."""
    spans = []
    for i, tokens in enumerate(passages):
        head = tokens[:MIN_SPAN]
        if len(head) < MIN_SPAN:
            continue
        for start in range(len(prompt) - MIN_SPAN + 1):
            if prompt[start:start + MIN_SPAN] == head:
                spans.append(Span(i, start, common_prefix(prompt[start:], tokens)))
                break
    spans.sort(key=lambda s: s.start)
    kept: list[Span] = []
    for span in spans:  # two passages with the same opening: keep the first
        if not kept or span.start >= kept[-1].start + kept[-1].length:
            kept.append(span)
    return kept


def model_hash(path: Path, flash_attn: bool) -> str:
    """The model file's sha256 (from the marker written when it was verified, else computed once and
    recorded next to it), with what else shapes the saved cells: the library version and the V layout."""
    import llama_cpp

    from rag.models.files import _marker, _stat_key, sha256_file

    marker = _marker(path)
    try:
        recorded = json.loads(marker.read_text())
        sha = recorded["sha256"] if {k: recorded.get(k) for k in ("size", "mtime_ns")} == _stat_key(path) else None
    except (OSError, ValueError, KeyError):
        sha = None
    if sha is None:
        sha = sha256_file(path)
        try:
            marker.write_text(json.dumps({"sha256": sha, **_stat_key(path)}))
        except OSError:
            pass  # a read-only models folder: hashed again next time
    return hashlib.sha256(f"{sha}|{llama_cpp.__version__}|fa={flash_attn}".encode()).hexdigest()


def open_two_sequences(llm) -> str | None:
    """Reopen the context with a second sequence (where saved states are loaded) sharing one cache;
    the reason it cannot be used, or None."""
    import llama_cpp
    from llama_cpp import _internals

    params = llm.context_params
    params.n_seq_max, params.kv_unified = 2, True
    fresh = _internals.LlamaContext(model=llm._model, params=params, verbose=False)
    old, llm._ctx = llm._ctx, fresh
    old.close()
    llm._stack.callback(fresh.close)
    llm.n_tokens = 0
    if not llama_cpp.llama_memory_can_shift(llama_cpp.llama_get_memory(fresh.ctx)):
        return "this model's cache cannot be moved to other positions"
    return None


class Assembler:
    def __init__(self, llm, data_dir: Path, model_key: str, budget_bytes: int, recompute: int = 0):
        import llama_cpp

        self.llm, self.lib = llm, llama_cpp
        self.data_dir, self.model_key, self.budget_bytes, self.recompute = data_dir, model_key, budget_bytes, recompute
        self.formatter = _chat_formatter(llm)
        self.states: PassageStates | None = None
        self.stats = {"loaded": 0, "built": 0, "recomputed": 0}  # passages, passages, tokens

    @property
    def _mem(self):
        return self.lib.llama_get_memory(self.llm._ctx.ctx)

    def prompt_tokens(self, messages: list[dict]) -> list[int]:
        """The prompt's token ids exactly as ``Llama.create_chat_completion`` makes them."""
        result = self.formatter(messages=messages)
        return self.llm.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True)

    def passage_tokens(self, text: str) -> list[int]:
        return self.llm.tokenize(f" {' '.join(text.split())}".encode("utf-8"), add_bos=False, special=True)

    def assemble(self, messages: list[dict], chunks) -> None:
        """Leave in llama.cpp's cache the prompt of ``messages`` up to its last passage, from saved states."""
        prompt = self.prompt_tokens(messages)
        texts = [" ".join(c.text.split()) for c in chunks]
        tokens = [self.passage_tokens(t) for t in texts]
        spans = find_spans(prompt, tokens)
        if not spans:
            return
        frame, end = spans[0].start, spans[-1].start + spans[-1].length
        if common_prefix(self.llm.input_ids[:self.llm.n_tokens].tolist(), prompt) >= end:
            return  # the same passages as the last prompt (a second part, a second try): llama.cpp holds them
        if self.states is None or not self.states.key.endswith(tokens_hash(prompt[:frame])):
            self.states = PassageStates(self.data_dir, self.model_key, tokens_hash(prompt[:frame]), self.budget_bytes)
        self._keep_prefix(prompt, frame)
        saved = {}
        for span in spans:
            chunk = chunks[span.index]
            saved[span.index] = self.states.get(chunk.article_id, texts[span.index], tokens[span.index])
            if saved[span.index] is None:
                saved[span.index] = self._build(tokens[span.index], frame)
                self.states.put(chunk.article_id, texts[span.index], saved[span.index])
                self.stats["built"] += 1
        self._place(prompt, frame, spans, saved, chunks, texts)

    def _keep_prefix(self, prompt: list[int], frame: int) -> None:
        """Sequence 0 holds the prompt's first ``frame`` tokens (the cached system prompt stays)."""
        llm = self.llm
        held = min(common_prefix(llm.input_ids[:llm.n_tokens].tolist(), prompt), frame)
        llm.n_tokens = held
        llm.eval(prompt[held:frame])

    def _build(self, tokens: list[int], frame: int) -> State:
        """Read ``tokens`` right after the frame and save their cells alone (copied to sequence 1)."""
        lib, llm = self.lib, self.llm
        llm.n_tokens = frame
        llm.eval(tokens)
        lib.llama_memory_seq_cp(self._mem, 0, 1, frame, frame + len(tokens))
        size = lib.llama_state_seq_get_size(llm._ctx.ctx, 1)
        buffer = (ctypes.c_uint8 * size)()
        written = lib.llama_state_seq_get_data(llm._ctx.ctx, buffer, size, 1)
        lib.llama_memory_seq_rm(self._mem, 1, -1, -1)
        llm.n_tokens = frame
        return State(list(tokens), ctypes.string_at(buffer, written))

    def _place(self, prompt, frame, spans, saved, chunks, texts) -> None:
        """Decode the gaps, load each passage's cells at its position; stop at the first state llama.cpp refuses."""
        llm, lib = self.llm, self.lib
        cursor = frame
        for span in spans:
            first = min(span.start + self.recompute, span.start + span.length)
            llm.n_tokens = cursor
            llm.eval(prompt[cursor:first])
            state = saved[span.index]
            buffer = (ctypes.c_uint8 * len(state.data)).from_buffer_copy(state.data)
            if not lib.llama_state_seq_set_data(llm._ctx.ctx, buffer, len(state.data), 1):
                log.warning("llama.cpp refused a saved passage state: it is rebuilt next time")
                self.states.drop(chunks[span.index].article_id, texts[span.index])
                cursor = first
                break
            offset = first - span.start
            lib.llama_memory_seq_rm(self._mem, 1, frame + span.length, -1)
            lib.llama_memory_seq_rm(self._mem, 1, frame, frame + offset)
            if span.start != frame:
                lib.llama_memory_seq_add(self._mem, 1, frame + offset, frame + span.length, span.start - frame)
            lib.llama_memory_seq_cp(self._mem, 1, 0, -1, -1)
            lib.llama_memory_seq_rm(self._mem, 1, -1, -1)
            cursor = span.start + span.length
            llm.input_ids[first:cursor] = prompt[first:cursor]
            self.stats["loaded"] += 1
            self.stats["recomputed"] += first - span.start
        llm.n_tokens = cursor
        llm._requires_eval = True


def _chat_formatter(llm):
    """The chat formatter ``Llama`` built from the GGUF's template (the same arguments, so the same prompt)."""
    from llama_cpp import llama_chat_format

    template = llm.metadata.get("tokenizer.chat_template")
    if not template:
        raise ValueError("the model has no chat template")
    eos, bos = llm.token_eos(), llm.token_bos()
    return llama_chat_format.Jinja2ChatFormatter(
        template=template,
        eos_token=llm._model.token_get_text(eos) if eos != -1 else "",
        bos_token=llm._model.token_get_text(bos) if bos != -1 else "",
        stop_token_ids=[eos],
    )
