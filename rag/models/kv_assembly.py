"""Fill a sequence of the engine's KV cache from the passages' saved states instead of reading every token.

The prompt is tokenized as the chat template makes it; each passage's tokens are found in it, and where
they are, their saved cells (rag/models/prompt_cache.py) are loaded into the engine's scratch sequence,
moved to the passage's position (``llama_memory_seq_add``: RoPE models shift their keys, as in llama.cpp's
examples/passkey) and shared into the question's sequence; everything between them ("\\n\\n[2]") is
decoded as usual, and the engine reads the rest (the question) and writes the answer (rag/models/engine.py).
The model reads the same token ids as with the full prompt; only the passages' attention to the passages
before them is lost (each was read right after the system prompt), which ``recompute`` tokens at each
passage's start partly restore (CacheBlend).
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


def open_context(llm, parallel: int) -> str | None:
    """Reopen ``llm``'s context for ``parallel`` answering sequences and one more (where saved states are loaded),
    all sharing one cache of ``n_ctx`` cells each; the reason the passage cache cannot be used, or None."""
    import llama_cpp
    from llama_cpp import _internals

    params = llm.context_params
    params.n_seq_max, params.kv_unified = parallel + 1, True
    params.n_ctx = llm.n_ctx() * (parallel + 1)
    fresh = _internals.LlamaContext(model=llm._model, params=params, verbose=False)
    old, llm._ctx = llm._ctx, fresh
    old.close()
    llm._stack.callback(fresh.close)
    llm.n_tokens = 0
    if not llama_cpp.llama_memory_can_shift(llama_cpp.llama_get_memory(fresh.ctx)):
        return "this model's cache cannot be moved to other positions"
    return None


class Assembler:
    """Loads the passages' saved states into one sequence of an engine's cache (rag/models/engine.py)."""

    def __init__(self, llm, data_dir: Path, model_key: str, budget_bytes: int, recompute: int = 0):
        import llama_cpp

        self.llm, self.lib = llm, llama_cpp
        self.data_dir, self.model_key, self.budget_bytes, self.recompute = data_dir, model_key, budget_bytes, recompute
        self.states: PassageStates | None = None
        self.stats = {"loaded": 0, "built": 0, "recomputed": 0}  # passages, passages, tokens

    def passage_tokens(self, text: str) -> list[int]:
        return self.llm.tokenize(f" {' '.join(text.split())}".encode(), add_bos=False, special=True)

    def plan(self, engine, seq: int, prompt: list[int], held: int, chunks) -> tuple[range, list]:
        """How to fill ``seq``, which holds ``prompt[:held]``, from the passages' saved states (the missing ones are
        built now): the positions to read first, then for each passage (a function loading its cells and returning
        where they end, or None when llama.cpp refuses them; the positions to read after them). The engine reads
        those positions in its shared batches: the passage labels, the first ``recompute`` tokens of each passage,
        and after the last passage the question."""
        texts = [" ".join(c.text.split()) for c in chunks]
        tokens = [self.passage_tokens(t) for t in texts]
        spans = find_spans(prompt, tokens)
        if not spans or held >= spans[-1].start + spans[-1].length:
            return range(held, len(prompt)), []  # nothing to load, or the same passages as a prompt held before
        frame = spans[0].start
        if self.states is None or not self.states.key.endswith(tokens_hash(prompt[:frame])):
            self.states = PassageStates(self.data_dir, self.model_key, tokens_hash(prompt[:frame]), self.budget_bytes)
        if held > frame:
            self.lib.llama_memory_seq_rm(engine.mem, seq, frame, -1)
            held = frame
        saved = {}
        for span in spans:
            chunk = chunks[span.index]
            saved[span.index] = self.states.get(chunk.article_id, texts[span.index], tokens[span.index])
            if saved[span.index] is None:
                engine.decode(seq, prompt[held:frame], held)  # a state is built after the frame: read the frame first
                held = frame
                saved[span.index] = self._build(engine, seq, tokens[span.index], frame)
                self.states.put(chunk.article_id, texts[span.index], saved[span.index])
                self.stats["built"] += 1
        starts = [min(s.start + self.recompute, s.start + s.length) for s in spans]
        ends = [s.start + s.length for s in spans]
        loads = [(lambda s=s, first=first: self._load(engine, seq, frame, s, first, saved[s.index], chunks, texts),
                  range(end, starts[i + 1] if i + 1 < len(spans) else len(prompt)))
                 for i, (s, first, end) in enumerate(zip(spans, starts, ends))]
        return range(held, starts[0]), loads

    def _build(self, engine, seq: int, tokens: list[int], frame: int) -> State:
        """Read ``tokens`` right after the frame (shared from ``seq``) in the scratch sequence; save their cells alone."""
        lib, ctx, scratch = self.lib, engine.ctx, engine.scratch
        lib.llama_memory_seq_rm(engine.mem, scratch, -1, -1)
        lib.llama_memory_seq_cp(engine.mem, seq, scratch, 0, frame)
        engine.decode(scratch, tokens, frame)
        lib.llama_memory_seq_rm(engine.mem, scratch, 0, frame)
        size = lib.llama_state_seq_get_size(ctx, scratch)
        buffer = (ctypes.c_uint8 * size)()
        written = lib.llama_state_seq_get_data(ctx, buffer, size, scratch)
        lib.llama_memory_seq_rm(engine.mem, scratch, -1, -1)
        return State(list(tokens), ctypes.string_at(buffer, written))

    def _load(self, engine, seq: int, frame: int, span: Span, first: int, state: State, chunks, texts) -> int | None:
        """Load ``state`` (cells saved right after the frame) into ``seq`` from ``first`` to the span's end; returns that
        end, or None when llama.cpp refuses the state (it is then rebuilt next time)."""
        lib, mem, scratch = self.lib, engine.mem, engine.scratch
        buffer = (ctypes.c_uint8 * len(state.data)).from_buffer_copy(state.data)
        if not lib.llama_state_seq_set_data(engine.ctx, buffer, len(state.data), scratch):
            log.warning("llama.cpp refused a saved passage state: it is rebuilt next time")
            lib.llama_memory_seq_rm(mem, scratch, -1, -1)
            self.states.drop(chunks[span.index].article_id, texts[span.index])
            return None
        offset = first - span.start
        lib.llama_memory_seq_rm(mem, scratch, frame + span.length, -1)
        lib.llama_memory_seq_rm(mem, scratch, frame, frame + offset)
        if span.start != frame:
            lib.llama_memory_seq_add(mem, scratch, frame + offset, frame + span.length, span.start - frame)
        lib.llama_memory_seq_cp(mem, scratch, seq, -1, -1)
        lib.llama_memory_seq_rm(mem, scratch, -1, -1)
        self.stats["loaded"] += 1
        self.stats["recomputed"] += offset
        return span.start + span.length


def chat_formatter(llm):
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
