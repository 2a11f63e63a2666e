"""The engine on the real model: saved passage states give the same prompt tokens and the same facts as the full
prompt, and two questions asked at once each get their own right answer.

Marked slow: Qwen2.5 1.5B on the seeds, a handful of questions (about 2 minutes on 2 cores)."""

from __future__ import annotations

import threading

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
                             llm={"passage_cache": True, "max_tokens": 60, "parallel": 2})
    services = build_services(settings)
    ingest(services, [SEEDS], progress=False)
    assert services.llm.engine.assembler is not None, "qwen2.5 can shift its cache: the passage cache must be on"
    return services


def system_prompt(llm) -> int:
    """Tokens every prompt shares: what stays read between questions."""
    return common_prefix(llm.prompt_tokens(build_messages("a", [], "fr")), llm.prompt_tokens(build_messages("b", [], "fr")))


def test_the_model_reads_token_for_token_the_full_prompt(real):
    question = "Quel cadeau Poutine a-t-il offert à Kim ?"
    passages = real.retriever.retrieve(question, k=4)
    messages = build_messages(question, passages, "fr")
    llm = real.llm
    expected = llm.prompt_tokens(messages)
    llm.engine.forget(system_prompt(llm))
    loaded = llm.engine.assembler.stats["loaded"]
    for _ in llm.stream_chat(messages, 1, passages=passages):
        pass
    assert llm.engine.assembler.stats["loaded"] == loaded + 4  # the four passages came from saved states
    held = max((s.held for s in llm.engine.slots), key=lambda h: common_prefix(h, expected))
    assert held[:len(expected)] == expected  # what llama.cpp holds is the full prompt's tokens


@pytest.mark.parametrize("question,must", [
    ("Où et quel jour Vladimir Poutine et Kim Jong Un se sont-ils retrouvés ?", "vostotchny"),
    ("Which Russian minister met Kim Jong Un at Khasan station?", "kozlov"),
    pytest.param("Quel cadeau Poutine a-t-il offert à Kim ?", "gant", marks=pytest.mark.xfail(
        reason="measured 2026-12-07: from saved states the answer kept the rifle and lost the glove (the passages are "
        "read without each other); the full-prompt answer has both", strict=False)),
])
def test_an_answer_from_saved_states_keeps_the_facts_of_the_full_prompt(real, question, must):
    engine = real.llm.engine
    assembler, keep = engine.assembler, system_prompt(real.llm)
    try:
        engine.assembler = None
        engine.forget(keep)  # only the system prompt stays read, as after another question
        full = answer(real, question)
    finally:
        engine.assembler = assembler
    loaded = assembler.stats["loaded"]
    engine.forget(keep)
    cached = answer(real, question)
    assert assembler.stats["loaded"] > loaded
    assert must in fold(full.text) and must in fold(cached.text), (full.text, cached.text)
    assert not cached.abstained and {c.passage.chunk.article_id for c in cached.citations}


def test_two_questions_asked_at_once_each_get_their_own_answer(real):
    asked = {"Which Russian minister met Kim Jong Un at Khasan station?": "kozlov",
             "Où et quel jour Vladimir Poutine et Kim Jong Un se sont-ils retrouvés ?": "vostotchny"}
    results: dict[str, str] = {}
    threads = [threading.Thread(target=lambda q=q: results.__setitem__(q, answer(real, q).text)) for q in asked]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert all(must in fold(results[q]) for q, must in asked.items()), results
    assert "vostotchny" not in fold(results["Which Russian minister met Kim Jong Un at Khasan station?"])
