"""The answer pipeline: question (+ history) -> passages -> streamed LLM answer -> checked Answer (rag.checks).

``stream_answer`` yields events so a UI can show the passages before the first token arrives
(reading the prompt takes seconds on a laptop CPU); ``answer`` is the same, collected.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Iterator

from rag.ask.conversation import previous_turn, retrieval_query
from rag.ask.prompting import build_messages
from rag.ask.questions import question_parts
from rag.checks.check import abstain, check_answer
from rag.errors import InputError
from rag.ingestion.indexing import ingest
from rag.text import detect_language, says_dont_know
from rag.types import AbstainCode, Answer, Filters, Passage

log = logging.getLogger(__name__)


@dataclass
class Event:
    kind: str  # "passages" | "token" | "answer"
    passages: list[Passage] | None = None
    token: str = ""
    answer: Answer | None = None


def ensure_corpus(services, progress: bool = True) -> None:
    """First use: an empty store ingests the seed articles, unless it holds another embedder's vectors."""
    store = services.store
    store.check_readable(services.settings.store.collection)
    if store.count() == 0 and services.settings.seeds_dir.is_dir():
        log.info("empty store: ingesting %s", services.settings.seeds_dir)
        ingest(services, [services.settings.seeds_dir], progress=progress)


# Not a real question: warming up on one would leave its whole prompt in llama.cpp's cache and
# make its first answer look instant.
WARM_UP_QUESTION = "Qui a rencontré qui ?"


def warm_up(services, llm: bool = True) -> None:
    """Load the language model of the detector, the embedder, the keyword index and (with ``llm``) the
    LLM, and have the LLM read the fixed system prompt once: the first question then costs what every
    later one does."""
    detect_language(WARM_UP_QUESTION)
    services.retriever.warm_up()
    services.retriever.retrieve(WARM_UP_QUESTION, k=1)
    if llm:
        for _ in services.llm.stream_chat(build_messages(WARM_UP_QUESTION, [], "fr"), 1):
            pass


def gate(answer: Answer, min_dense_score: float) -> bool:
    """Abstain before the LLM when no passage is close to the question; True when it did."""
    best = max((p.dense_score for p in answer.passages), default=0.0)
    if best < min_dense_score:
        abstain(answer, AbstainCode.OFF_TOPIC, f"best cosine {best:.2f}")
        return True
    return False


def fit_question(question: str, max_chars: int) -> tuple[str, list[str]]:
    """A question longer than ``max_chars`` is cut there (at a word), with a warning saying so."""
    question = question.strip()
    if len(question) <= max_chars:
        return question, []
    cut = question[:max_chars].rsplit(" ", 1)[0] or question[:max_chars]
    return cut, [f"the question was {len(question)} characters long: only its first {len(cut)} were used"]


def prompt_size(llm, messages: list[dict]) -> int:
    return sum(llm.count_tokens(m["content"]) + 8 for m in messages)  # + the chat template's markers


def fit_messages(llm, build, passages: list[Passage], max_tokens: int) -> tuple[list[dict], list[Passage], list[str]]:
    """The prompt for the most passages (in rank order) that leaves room for the answer in the model's context."""
    shown = list(passages)
    messages = build(shown)
    while len(shown) > 1 and prompt_size(llm, messages) + max_tokens > llm.n_ctx:
        shown = shown[:-1]
        messages = build(shown)
    if prompt_size(llm, messages) + max_tokens > llm.n_ctx:
        raise InputError(f"the question and its passages do not fit in the model's context ({llm.n_ctx} tokens): "
                         "ask a shorter question, or raise RAG_LLM__N_CTX")
    dropped = len(passages) - len(shown)
    return messages, shown, [f"{dropped} passage(s) left out to fit the model's context"] if dropped else []


def _count_usage(answer: Answer, llm) -> None:
    answer.prompt_tokens += llm.usage.prompt_tokens
    answer.completion_tokens += llm.usage.completion_tokens
    answer.tokens += llm.usage.tokens


def _generate(services, answer: Answer, question: str, history: list[dict] | None) -> Iterator[Event]:
    """Ask the LLM ``question`` over the answer's passages (as many as fit), streaming its tokens. Returns the text and
    when its first token came (``time.perf_counter``; None without one)."""
    cfg = services.settings.answer
    llm = services.llm

    def build(shown: list[Passage]) -> list[dict]:
        return build_messages(question, shown, answer.language, history, with_answer=cfg.followup_answer)

    messages, answer.passages, more = fit_messages(llm, build, answer.passages, services.settings.llm.max_tokens)
    answer.warnings += more
    pieces: list[str] = []
    first_at = None
    for piece in llm.stream_chat(messages, services.settings.llm.max_tokens, passages=answer.passages):
        first_at = first_at or time.perf_counter()
        pieces.append(piece)
        yield Event("token", token=piece)
    _count_usage(answer, llm)
    return "".join(pieces).strip(), first_at


def stream_answer(services, question: str, history: list[dict] | None = None, k: int | None = None,
                  filters: Filters | None = None) -> Iterator[Event]:
    started = time.perf_counter()
    question, warnings = fit_question(question, services.settings.answer.max_question_chars)
    language = detect_language(question)
    cfg = services.settings.answer
    query = services.retriever.expanded(retrieval_query(question, history, cfg.followup_answer))
    passages = services.retriever.retrieve(query, k=k, expand=False, filters=filters)
    retrieve_s = time.perf_counter() - started
    yield Event("passages", passages=passages)

    answer = Answer(question=question, text="", citations=[], passages=passages, abstained=False, language=language,
                    warnings=warnings)
    answer.retrieval_query, answer.follows = query, previous_turn(history)[0]
    first_token_s = None
    if not gate(answer, services.settings.retrieval.min_dense_score):
        parts, leans = question_parts(question, language) if cfg.split_questions else ([question], False)
        texts: list[str] = []
        for i, asked in enumerate(parts):
            # A second part that leans on the first ("..., et quelle instance les a imposées ?") has it as its
            # previous question; the passages are the same, so llama.cpp reads only the new question's tokens.
            if i:
                yield Event("token", token=" ")
            asked_history = [{"role": "user", "content": parts[0]}] if i and leans else history
            text, first_at = yield from _generate(services, answer, asked, asked_history)
            texts.append(text)
            if first_token_s is None and first_at is not None:
                first_token_s = first_at - started
        if len(parts) > 1:
            answer.parts = parts
        answered = [t for t in texts if t and not says_dont_know(t, cfg.dont_know_window)]
        check_answer(answer, " ".join(answered) or texts[0], cfg)
    total_s = time.perf_counter() - started
    answer.timings = {
        "retrieve_s": round(retrieve_s, 3),
        "first_token_s": round(first_token_s, 3) if first_token_s is not None else None,
        "total_s": round(total_s, 3),
    }
    answer.model = services.model_info()
    yield Event("answer", answer=answer)


def answer(services, question: str, history: list[dict] | None = None, k: int | None = None,
           filters: Filters | None = None) -> Answer:
    final = None
    for event in stream_answer(services, question, history, k, filters=filters):
        if event.kind == "answer":
            final = event.answer
    return final


def search(services, question: str, k: int | None = None, history: list[dict] | None = None,
           filters: Filters | None = None) -> list[Passage]:
    """The passages an answer to ``question`` (a follow-up of ``history``) would be given, within ``filters``."""
    query = retrieval_query(question, history, services.settings.answer.followup_answer)
    return services.retriever.retrieve(query, k=k, filters=filters)
