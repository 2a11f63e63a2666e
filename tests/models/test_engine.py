"""The batched engine (rag.models.engine) on a fake llama.cpp: several questions decoded in one batch, each getting
its own answer; shared prefixes not read again; a bound on sequences with the rest waiting in order; cancelled and
failed questions freeing their slot; greedy tokens with their log-probabilities."""

from __future__ import annotations

import ctypes
import math
import threading
from types import SimpleNamespace

import numpy as np
import pytest

from rag.errors import ModelError
from rag.models.engine import Engine, Finished, Request

VOCAB = 8
END = 7  # the fake's end-of-answer token
WORDS = {i: f" w{i}".encode() for i in range(VOCAB)}


class FakeLlama:
    """llama.cpp's calls the engine makes. The fake model writes, after token t, the token t + 1 (then END after 6);
    each decode is recorded as [(sequence, position, token)], and each sequence's cells as {position: token}."""

    def __init__(self, fail_on_decode: int | None = None):
        self.decodes: list[list[tuple[int, int, int]]] = []
        self.cells: dict[int, dict[int, int]] = {}
        self.fail_on_decode = fail_on_decode
        self.logits: dict[int, np.ndarray] = {}
        self.gate = threading.Event()
        self.gate.set()

    def llama_model_get_vocab(self, model):
        return "vocab"

    def llama_batch_init(self, n, embd, n_seq):
        return SimpleNamespace(token=[0] * n, pos=[0] * n, n_seq_id=[0] * n, seq_id=[[0] for _ in range(n)],
                               logits=[False] * n, n_tokens=0)

    def llama_get_memory(self, ctx):
        return "memory"

    def llama_vocab_is_eog(self, vocab, token):
        return token == END

    def llama_memory_seq_rm(self, mem, seq, p0, p1):
        cells = self.cells.setdefault(seq, {})
        for pos in [p for p in cells if (p0 < 0 or p >= p0) and (p1 < 0 or p < p1)]:
            del cells[pos]

    def llama_memory_seq_cp(self, mem, src, dst, p0, p1):
        self.cells.setdefault(dst, {}).update({p: t for p, t in self.cells.get(src, {}).items() if p0 <= p < p1})

    def llama_decode(self, ctx, batch):
        self.gate.wait(5)
        step = [(batch.seq_id[i][0], batch.pos[i], batch.token[i]) for i in range(batch.n_tokens)]
        self.decodes.append(step)
        if self.fail_on_decode == len(self.decodes):
            return 1
        self.logits = {}
        for i, (seq, pos, token) in enumerate(step):
            self.cells.setdefault(seq, {})[pos] = token
            if batch.logits[i]:
                row = np.full(VOCAB, -10.0, dtype=np.float32)
                row[min(token + 1, END)] = 0.0
                self.logits[i] = row
        return 0

    def llama_get_logits_ith(self, ctx, i):
        return self.logits[i].ctypes.data_as(ctypes.POINTER(ctypes.c_float))


def fake_model(n_batch: int = 512):
    return SimpleNamespace(_ctx=SimpleNamespace(ctx="ctx"), _model=SimpleNamespace(model="model"), n_vocab=lambda: VOCAB,
                           context_params=SimpleNamespace(n_batch=n_batch), detokenize=lambda ids: WORDS[ids[0]])


def collect(request: Request) -> tuple[str, Finished]:
    text = ""
    while True:
        item = request.out.get(timeout=5)
        if isinstance(item, Exception):
            raise item
        if isinstance(item, Finished):
            return text, item
        text += item


def test_two_questions_are_written_in_the_same_batches_each_its_own_answer():
    lib = FakeLlama()
    lib.gate.clear()  # hold the engine until both questions are in
    engine = Engine(fake_model(), parallel=2, lib=lib)
    first, second = engine.submit(Request([1, 2], 10)), engine.submit(Request([4], 10))
    lib.gate.set()
    assert collect(first)[0] == " w3 w4 w5 w6" and collect(second)[0] == " w5 w6"
    assert any({seq for seq, _, _ in step} == {0, 1} for step in lib.decodes)  # one decode served both
    _, finished = collect(engine.submit(Request([5], 10)))
    assert finished.prompt_tokens == 1 and finished.completion_tokens == 1 and len(finished.tokens) == 2  # + the end


def test_a_prompt_starts_from_the_longest_prefix_a_slot_holds_and_reads_only_the_rest():
    lib = FakeLlama()
    engine = Engine(fake_model(), parallel=2, lib=lib)
    collect(engine.submit(Request([1, 2, 3, 4, 0], 1)))
    lib.decodes.clear()
    collect(engine.submit(Request([1, 2, 3, 4, 2], 1)))
    read = [token for step in lib.decodes for _, _, token in step]
    assert read == [2]  # the four shared tokens were not read again


def test_questions_beyond_the_bound_wait_their_turn_in_order():
    lib = FakeLlama()
    engine = Engine(fake_model(), parallel=1, lib=lib)
    requests = [engine.submit(Request([i], 10)) for i in (1, 3, 5)]
    assert [collect(r)[0] for r in requests] == [" w2 w3 w4 w5 w6", " w4 w5 w6", " w6"]
    assert all(len({seq for seq, _, _ in step}) == 1 for step in lib.decodes)  # never two at once


def test_a_long_prompt_is_read_in_pieces_of_the_batch_size_beside_an_answer_being_written():
    lib = FakeLlama()
    lib.gate.clear()
    engine = Engine(fake_model(n_batch=4), parallel=2, lib=lib)
    writing = engine.submit(Request([1], 10))
    reading = engine.submit(Request([0] * 9 + [5], 10))
    lib.gate.set()
    assert collect(writing)[0] == " w2 w3 w4 w5 w6" and collect(reading)[0] == " w6"
    assert max(len(step) for step in lib.decodes) == 4


def test_a_cancelled_question_frees_its_slot_for_the_next():
    lib = FakeLlama()
    engine = Engine(fake_model(), parallel=1, lib=lib)
    first = engine.submit(Request([0], 1000))
    assert isinstance(first.out.get(timeout=5), str)
    first.cancelled = True
    assert collect(engine.submit(Request([5], 10)))[0] == " w6"


def test_a_failed_decode_fails_the_questions_in_hand_and_the_engine_serves_the_next():
    lib = FakeLlama(fail_on_decode=1)
    engine = Engine(fake_model(), parallel=2, lib=lib)
    with pytest.raises(ModelError, match="the model failed"):
        collect(engine.submit(Request([1, 2], 10)))
    assert collect(engine.submit(Request([5], 10)))[0] == " w6"


def test_the_token_written_is_the_likeliest_and_its_log_probability_is_kept():
    lib = FakeLlama()
    engine = Engine(fake_model(), parallel=1, lib=lib)
    lib.logits = {0: np.array([0.0, math.log(3.0), -50.0, -50, -50, -50, -50, -50], dtype=np.float32)}
    assert engine._pick(0) == (1, pytest.approx(math.log(0.75), abs=1e-4))


def test_a_failure_while_loading_passage_states_leaves_the_prompt_to_be_read_in_full(caplog):
    lib = FakeLlama()
    engine = Engine(fake_model(), parallel=1, lib=lib)

    def broken(engine, seq, prompt, held, chunks):
        raise RuntimeError("llama_state_seq_set_data failed")

    engine.assembler = SimpleNamespace(plan=broken)
    with caplog.at_level("WARNING"):
        text, _ = collect(engine.submit(Request([0, 1, 2, 5], 10, chunks=["a passage"])))
    assert text == " w6" and [t for step in lib.decodes for _, _, t in step][:4] == [0, 1, 2, 5]
    assert "passage states not used" in caplog.text


def test_saved_passage_cells_are_loaded_in_prompt_order_and_only_the_rest_is_read():
    lib = FakeLlama()
    engine = Engine(fake_model(), parallel=2, lib=lib)
    loaded: list[int] = []

    def load():  # a passage's saved cells at positions 2 and 3, placed once positions 0 and 1 are read
        loaded.append(len(lib.decodes))
        lib.cells.setdefault(0, {}).update({2: 2, 3: 3})
        return 4

    engine.assembler = SimpleNamespace(plan=lambda engine, seq, prompt, held, chunks: (range(0, 2), [(load, range(4, 6))]))
    text, _ = collect(engine.submit(Request([0, 1, 2, 3, 4, 5], 10, chunks=["a passage"])))
    read = [pos for step in lib.decodes for _, pos, _ in step]
    assert text == " w6" and read[:4] == [0, 1, 4, 5] and loaded == [1]  # loaded after the first read, before the rest
