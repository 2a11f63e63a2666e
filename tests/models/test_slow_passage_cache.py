"""Saved passage states on the real model: the same prompt tokens, the same facts as the full prompt.

Marked slow: Qwen2.5 1.5B on the seeds, a handful of questions each asked both ways (about 2 minutes on 2 cores)."""

from __future__ import annotations

import pytest
from conftest import SEEDS

from rag import answer, build_services, ingest, load_settings
from rag.ask.prompting import build_messages
from rag.models.kv_assembly import common_prefix
from rag.text import fold

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    settings = load_settings(data_dir=tmp_path_factory.mktemp("states"), models_dir=load_settings().models_dir,
                             llm={"passage_cache": True, "max_tokens": 60})
    services = build_services(settings)
    ingest(services, [SEEDS], progress=False)
    assert services.llm.assembler is not None, "qwen2.5 can shift its cache: the passage cache must be on"
    return services


def test_the_model_reads_token_for_token_the_full_prompt(real):
    question = "Quel cadeau Poutine a-t-il offert à Kim ?"
    passages = real.retriever.retrieve(question, k=4)
    messages = build_messages(question, passages, "fr")
    llm = real.llm._llm
    expected = real.llm.assembler.prompt_tokens(messages)
    loaded = real.llm.assembler.stats["loaded"]
    for _ in real.llm.stream_chat(messages, 1, passages=passages):
        pass
    assert real.llm.assembler.stats["loaded"] == loaded + 4  # the four passages came from saved states
    assert llm.input_ids[:len(expected)].tolist() == expected  # what llama.cpp holds is today's prompt
    llm.n_tokens = 0
    for _ in real.llm.stream_chat(messages, 1):  # today's path: create_chat_completion tokenizes the prompt itself
        pass
    assert llm.input_ids[:len(expected)].tolist() == expected


@pytest.mark.parametrize("question,must", [
    ("Où et quel jour Vladimir Poutine et Kim Jong Un se sont-ils retrouvés ?", "vostotchny"),
    ("Which Russian minister met Kim Jong Un at Khasan station?", "kozlov"),
    pytest.param("Quel cadeau Poutine a-t-il offert à Kim ?", "gant", marks=pytest.mark.xfail(
        reason="measured 2026-12-07: from saved states the answer kept the rifle and lost the glove (the passages are "
        "read without each other); the full-prompt answer has both", strict=False)),
])
def test_an_answer_from_saved_states_keeps_the_facts_of_the_full_prompt(real, question, must):
    assembler, llm = real.llm.assembler, real.llm._llm
    tokens = assembler.prompt_tokens
    shared = common_prefix(tokens(build_messages("a", [], "fr")), tokens(build_messages("b", [], "fr")))
    try:
        real.llm.assembler = None
        llm.n_tokens = min(llm.n_tokens, shared)  # only the system prompt stays read, as after another question
        full = answer(real, question)
    finally:
        real.llm.assembler = assembler
    loaded = assembler.stats["loaded"]
    llm.n_tokens = min(llm.n_tokens, shared)
    cached = answer(real, question)
    assert assembler.stats["loaded"] > loaded
    assert must in fold(full.text) and must in fold(cached.text), (full.text, cached.text)
    assert not cached.abstained and {c.passage.chunk.article_id for c in cached.citations}
