"""The passage-state cache without a model: keys, invalidation, memory budget, where passages stand in a prompt,
and the fall-back to the full prompt."""

from __future__ import annotations

import logging

from conftest import SEEDS

from rag import ingest
from rag.ingestion.indexing import remove
from rag.models.kv_assembly import MIN_SPAN, Span, find_spans
from rag.models.llm import make_llm
from rag.models.prompt_cache import DIRNAME, PassageStates, State, forget_article
from rag.pipeline import answer

TOKENS = list(range(100, 120))


def states(tmp_path, model="m" * 16, frame="f" * 16, budget=10_000):
    return PassageStates(tmp_path, model, frame, budget)


def test_a_state_is_found_again_only_under_its_own_key(tmp_path):
    states(tmp_path).put("a1", "Le pont a coûté 38 millions.", State(TOKENS, b"kv" * 50))
    assert states(tmp_path).get("a1", "Le pont a coûté 38 millions.", TOKENS).data == b"kv" * 50  # from disk
    assert states(tmp_path, model="n" * 16).get("a1", "Le pont a coûté 38 millions.", TOKENS) is None  # another model
    assert states(tmp_path, frame="g" * 16).get("a1", "Le pont a coûté 38 millions.", TOKENS) is None  # another prompt
    assert states(tmp_path).get("a1", "Le pont a coûté 41 millions.", TOKENS) is None  # another text


def test_a_damaged_or_stale_entry_is_deleted_and_never_used(tmp_path):
    cache = states(tmp_path)
    cache.put("a1", "texte", State(TOKENS, b"kv" * 50))
    path = next((tmp_path / DIRNAME).rglob("*.kv"))
    path.write_bytes(path.read_bytes()[:-1] + b"X")  # one byte of the payload changed
    fresh = states(tmp_path)
    assert fresh.get("a1", "texte", TOKENS) is None and fresh.rejected == 1 and not path.exists()
    cache.put("a1", "texte", State(TOKENS, b"kv" * 50))
    assert states(tmp_path).get("a1", "texte", TOKENS[:-1] + [7]) is None  # the text reads as other tokens now
    assert not path.exists()


def test_memory_keeps_the_most_recently_used_states_within_the_budget(tmp_path):
    cache = states(tmp_path, budget=250)
    for n in range(3):
        cache.put("a1", f"passage {n}", State(TOKENS, bytes(100)))
    assert cache.memory_bytes == 200 and len(cache._memory) == 2  # the first one left memory
    assert cache.get("a1", "passage 0", TOKENS) is not None  # still on disk
    assert cache.memory_bytes <= 250
    cache.put("a1", "huge", State(TOKENS, bytes(1000)))  # larger than the budget: disk only
    assert cache.memory_bytes <= 250 and cache.get("a1", "huge", TOKENS).data == bytes(1000)


def test_an_article_removed_or_replaced_takes_its_states_with_it(make_services, seed_copy):
    services = make_services()
    ingest(services, [seed_copy], progress=False)
    article_ids = sorted(services.store.article_states())
    data_dir = services.settings.data_dir
    for aid in article_ids[:2]:
        for model in ("m" * 16, "n" * 16):
            states(data_dir, model=model).put(aid, f"un passage de {aid}", State(TOKENS, b"kv"))
    remove(services, article_ids[0])
    assert states(data_dir).get(article_ids[0], f"un passage de {article_ids[0]}", TOKENS) is None
    assert states(data_dir, model="n" * 16).get(article_ids[0], f"un passage de {article_ids[0]}", TOKENS) is None
    assert states(data_dir).get(article_ids[1], f"un passage de {article_ids[1]}", TOKENS) is not None
    assert forget_article(data_dir, article_ids[1]) == 2 and forget_article(data_dir, "never-seen") == 0


def test_passages_are_found_in_the_prompt_in_prompt_order_for_the_tokens_they_share():
    first, second = list(range(10, 30)), list(range(40, 60))
    prompt = [1, 2, 3, 7, *second, 8, 9, 7, *first[:-2], 99, 5]  # shown best last; the last two tokens merged
    spans = find_spans(prompt, [first, second, list(range(70, 75)), list(range(80, 100))])
    assert spans == [Span(1, 4, 20), Span(0, 27, 18)]  # too short and absent passages are decoded
    assert find_spans(prompt, [first[:MIN_SPAN - 1]]) == []


def test_backends_without_llama_cpp_log_why_and_answer_from_the_full_prompt(make_services, caplog):
    with caplog.at_level(logging.INFO, logger="rag.models.llm"):
        make_llm(make_services(llm={"passage_cache": True}).settings.llm, SEEDS)
    assert "passage cache off: backend fake" in caplog.text
    services = make_services(llm={"passage_cache": True})
    ingest(services, [SEEDS], progress=False)
    result = answer(services, "Quel cadeau Poutine a-t-il offert à Kim ?")
    assert not result.abstained and services.llm.calls  # the fake read the prompt it was given
