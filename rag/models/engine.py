"""One llama.cpp context answering several questions at once, each a sequence of one batch.

Writing a token is bound by reading the weights from memory, so one decode step over the next token of
N sequences costs little more than over one; reading prompts is bound by compute, whatever the batching
(the passage cache is what removes most of it). As in llama.cpp's server, each question gets a *slot*
(a sequence id of one unified KV cache); a scheduler thread owns the context and, at every step, decodes
the next token of every answering slot together with a piece of the prompts still being read
(``n_batch`` tokens a step at most). Questions beyond ``parallel`` wait in a queue, in order.

A new prompt starts from the longest prefix any slot holds (the system prompt, or the same passages for
the second part of a split question): those cells are shared (``llama_memory_seq_cp``), not read again.
With the passage cache on, the passages' saved states are loaded into the slot (rag/models/kv_assembly.py).
Tokens are chosen greedily (temperature 0) with their log-probabilities, or sampled at the temperature.
"""

from __future__ import annotations

import codecs
import ctypes
import logging
import math
import queue
import threading
from dataclasses import dataclass, field

import numpy as np

from rag.errors import ModelError
from rag.models.kv_assembly import common_prefix

log = logging.getLogger(__name__)


@dataclass
class Request:
    prompt: list[int]
    max_tokens: int
    chunks: list = field(default_factory=list)  # the passages' chunks, for their saved states
    out: queue.Queue = field(default_factory=queue.Queue)  # text pieces, then the finished Slot or an exception
    cancelled: bool = False


@dataclass
class Slot:
    seq: int
    held: list[int] = field(default_factory=list)  # the tokens whose cells this sequence holds, from position 0
    request: Request | None = None
    pending: list[int] = field(default_factory=list)  # positions of the prompt to read before the next load
    loads: list = field(default_factory=list)  # (load a passage's saved cells, the positions to read after it)
    last: int | None = None  # the token written last, read at the next step
    tokens: list[tuple[str, float]] = field(default_factory=list)  # each token written, its log-probability
    decoder: codecs.IncrementalDecoder | None = None


class Engine:
    def __init__(self, llm, parallel: int, temperature: float = 0.0, seed: int = 0, lib=None):
        if lib is None:
            import llama_cpp as lib

        self.llm, self.lib = llm, lib
        self.ctx = llm._ctx.ctx
        self.vocab = lib.llama_model_get_vocab(llm._model.model)
        self.n_vocab = llm.n_vocab()
        self.n_batch = llm.context_params.n_batch
        self.temperature, self.rng = temperature, np.random.default_rng(seed)
        self.slots = [Slot(i) for i in range(parallel)]
        self.scratch = parallel  # the sequence saved passage states are loaded into
        self.assembler = None  # set by the LLM when the passage cache is on
        self.requests: queue.Queue[Request] = queue.Queue()
        self.batch = lib.llama_batch_init(self.n_batch, 0, 1)
        threading.Thread(target=self._loop, name="llama-engine", daemon=True).start()

    @property
    def mem(self):
        return self.lib.llama_get_memory(self.ctx)

    # -- what other threads call ------------------------------------------------------------------------------
    def submit(self, request: Request) -> Request:
        self.requests.put(request)
        return request

    def waiting(self) -> int:
        return self.requests.qsize()

    def forget(self, keep: int = 0) -> None:
        """Drop what idle slots hold past their first ``keep`` tokens (benchmarks and tests: a question then reads its
        prompt as after another question). Call it only while nothing is being answered."""
        for slot in self.slots:
            self.lib.llama_memory_seq_rm(self.mem, slot.seq, keep, -1)
            slot.held = slot.held[:keep]

    # -- the scheduler thread ---------------------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            try:
                self._admit()
                self._step()
            except Exception as exc:  # noqa: BLE001 - the thread must live on: fail the questions in hand, not the server
                log.exception("llama.cpp engine step failed")
                for slot in self.slots:
                    if slot.request:
                        self._fail(slot, ModelError(f"the model failed: {str(exc)[:160]}"))

    def _admit(self) -> None:
        """Give free slots to waiting questions (waiting for one when nothing is being answered)."""
        free = [s for s in self.slots if s.request is None]
        while free:
            try:
                request = self.requests.get(block=len(free) == len(self.slots))
            except queue.Empty:
                return
            if request.cancelled:
                continue
            slot = max(free, key=lambda s: common_prefix(s.held, request.prompt))
            free.remove(slot)
            self._start(slot, request)

    def _start(self, slot: Slot, request: Request) -> None:
        """Share the longest prefix another slot holds, load saved passage states, leave the rest to read."""
        prompt = request.prompt
        donor = max(self.slots, key=lambda s: common_prefix(s.held, prompt))
        shared = min(common_prefix(donor.held, prompt), len(prompt) - 1)
        if donor is slot:
            self.lib.llama_memory_seq_rm(self.mem, slot.seq, shared, -1)
        else:
            self.lib.llama_memory_seq_rm(self.mem, slot.seq, -1, -1)
            if shared:
                self.lib.llama_memory_seq_cp(self.mem, donor.seq, slot.seq, 0, shared)
        slot.request, slot.last, slot.tokens = request, None, []
        reads, slot.loads = range(shared, len(prompt)), []
        if self.assembler and request.chunks:
            try:
                reads, slot.loads = self.assembler.plan(self, slot.seq, prompt, shared, request.chunks)
            except Exception:  # noqa: BLE001 - a cache must never cost an answer
                log.warning("passage states not used for this prompt", exc_info=True)
                self.lib.llama_memory_seq_rm(self.mem, slot.seq, shared, -1)
        slot.held, slot.pending = prompt[:reads.start], list(reads)
        self._load(slot)
        slot.decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def decode(self, seq: int, tokens: list[int], start: int) -> None:
        """Read ``tokens`` into ``seq`` at positions from ``start``, alone and without logits (building a state)."""
        for at in range(0, len(tokens), self.n_batch):
            part = tokens[at:at + self.n_batch]
            self._fill([(seq, part, list(range(start + at, start + at + len(part))), False)])
            self._decode()

    def _fill(self, entries: list[tuple[int, list[int], list[int], bool]]) -> list[int]:
        """Put (sequence, tokens, their positions, logits of the last?) in the batch; the batch index of each logits."""
        b, n, wanted = self.batch, 0, []
        for seq, tokens, positions, logits in entries:
            for token, pos in zip(tokens, positions):
                b.token[n], b.pos[n], b.n_seq_id[n], b.logits[n] = token, pos, 1, False
                b.seq_id[n][0] = seq
                n += 1
            if logits:
                b.logits[n - 1] = True
                wanted.append(n - 1)
        b.n_tokens = n
        return wanted

    def _decode(self) -> None:
        code = self.lib.llama_decode(self.ctx, self.batch)
        if code != 0:
            raise RuntimeError(f"llama_decode returned {code}")

    def _step(self) -> None:
        """One decode: the next token of every answering slot, then prompt tokens while the batch has room."""
        for slot in self.slots:
            if slot.request and slot.request.cancelled:
                slot.request = None
        busy = [s for s in self.slots if s.request]
        if not busy:
            return
        plan, room = [], self.n_batch  # (slot, positions, logits wanted)
        for slot in (s for s in busy if s.last is not None):
            plan.append((slot, [len(slot.held)], True))
            room -= 1
        for slot in (s for s in busy if s.last is None):
            if room <= 0:
                break
            positions = slot.pending[:room]
            plan.append((slot, positions, positions[-1] == len(slot.request.prompt) - 1))
            room -= len(plan[-1][1])
        tokens = [[s.last] if s.last is not None else [s.request.prompt[p] for p in ps] for s, ps, _ in plan]
        wanted = self._fill([(s.seq, t, ps, logits) for (s, ps, logits), t in zip(plan, tokens)])
        self._decode()
        for slot, positions, _ in plan:
            if slot.last is not None:
                slot.held.append(slot.last)
            else:
                slot.pending = slot.pending[len(positions):]
                slot.held = slot.request.prompt[:positions[-1] + 1]
                self._load(slot)
        for slot, index in zip([s for s, _, logits in plan if logits], wanted):
            self._write(slot, index)

    def _load(self, slot: Slot) -> None:
        """Once what comes before a passage is read, load the passage's saved cells (llama.cpp wants a sequence's
        positions in order), and so on; a state that fails to load leaves the rest of the prompt to be read."""
        prompt = slot.request.prompt
        while not slot.pending and slot.loads:
            load, positions = slot.loads.pop(0)
            end = load()
            if end is None:
                slot.loads, slot.pending = [], list(range(len(slot.held), len(prompt)))
            else:
                slot.held, slot.pending = prompt[:end], list(positions)

    def _pick(self, index: int) -> tuple[int, float]:
        """The next token from the logits at ``index`` of the last batch, and its log-probability."""
        pointer = self.lib.llama_get_logits_ith(self.ctx, index)
        logits = np.ctypeslib.as_array(ctypes.cast(pointer, ctypes.POINTER(ctypes.c_float)), shape=(self.n_vocab,))
        if self.temperature > 0:
            scaled = logits.astype(np.float64) / self.temperature
            probs = np.exp(scaled - scaled.max())
            token = int(self.rng.choice(self.n_vocab, p=probs / probs.sum()))
        else:
            token = int(np.argmax(logits))
        logprob = float(logits[token]) - float(logits.max()) - math.log(float(np.exp(logits - logits.max()).sum()))
        return token, round(logprob, 4)

    def _write(self, slot: Slot, index: int) -> None:
        token, logprob = self._pick(index)
        request = slot.request
        end = self.lib.llama_vocab_is_eog(self.vocab, token)
        piece = b"" if end else self.llm.detokenize([token])
        slot.tokens.append((piece.decode("utf-8", "replace"), logprob))
        text = slot.decoder.decode(piece, final=False) if piece else ""
        if text:
            request.out.put(text)
        slot.last = token
        if end or len(slot.tokens) >= request.max_tokens:
            rest = slot.decoder.decode(b"", final=True)
            if rest:
                request.out.put(rest)
            request.out.put(Finished(len(request.prompt), len(slot.tokens) - bool(end), list(slot.tokens)))
            slot.request, slot.last = None, None

    def _fail(self, slot: Slot, error: Exception) -> None:
        slot.request.out.put(error)
        self.lib.llama_memory_seq_rm(self.mem, slot.seq, -1, -1)
        slot.request, slot.held, slot.last = None, [], None


@dataclass
class Finished:
    prompt_tokens: int
    completion_tokens: int
    tokens: list[tuple[str, float]]
