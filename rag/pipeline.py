"""The answer pipeline: question (+ history) -> passages -> streamed LLM answer -> validated Answer.

``stream_answer`` yields events so a UI can show the passages before the first token arrives
(reading the prompt takes seconds on a laptop CPU); ``answer`` is the same, collected.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Iterator

from rag.prompting import build_messages
from rag.text import detect_language
from rag.legacy import validate_v1
from rag.validation import abstain, validate
from rag.types import Answer, Passage

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
        from rag.ingestion import ingest

        log.info("empty store: ingesting %s", services.settings.seeds_dir)
        ingest(services, [services.settings.seeds_dir], progress=progress)


# Not a real question: warming up on one would leave its whole prompt in llama.cpp's cache and
# make its first answer look instant.
WARM_UP_QUESTION = "Qui a rencontré qui ?"


def warm_up(services, llm: bool = True) -> None:
    """Load the embedder, the keyword index and (with ``llm``) the LLM, and have the LLM read the
    fixed system prompt once: the first question then costs what every later one does."""
    services.retriever.retrieve(WARM_UP_QUESTION, k=1)
    if llm:
        with services.lock:
            for _ in services.llm.stream_chat(build_messages(WARM_UP_QUESTION, [], "fr"), 1):
                pass


def retrieval_query(question: str, history: list[dict] | None) -> str:
    """Follow-ups ("Et qu'a répondu Poutine ?") borrow the previous question's words for retrieval.

    Cheaper than asking the LLM to rewrite the question (a whole extra generation on 2 cores).
    """
    previous = [t["content"] for t in (history or []) if t.get("role") == "user"]
    return f"{previous[-1]} {question}" if previous else question


def gate(answer: Answer, min_dense_score: float) -> bool:
    """Abstain before the LLM when no passage is close to the question; True when it did."""
    best = max((p.dense_score for p in answer.passages), default=0.0)
    if best < min_dense_score:
        abstain(answer, "off_topic", f"best cosine {best:.2f}")
        return True
    return False


def stream_answer(services, question: str, history: list[dict] | None = None, k: int | None = None) -> Iterator[Event]:
    started = time.perf_counter()
    question = question.strip()
    language = detect_language(question)
    passages = services.retriever.retrieve(retrieval_query(question, history), k=k)
    retrieve_s = time.perf_counter() - started
    yield Event("passages", passages=passages)

    answer = Answer(question=question, text="", citations=[], passages=passages, abstained=False, language=language)
    answer.retrieval_query = retrieval_query(question, history)
    first_token_s = None
    if not gate(answer, services.settings.retrieval.min_dense_score):
        cfg = services.settings.answer
        messages = build_messages(question, passages, language, history, style=cfg.prompt)
        pieces: list[str] = []
        with services.lock:
            llm = services.llm
            for piece in llm.stream_chat(messages, services.settings.llm.max_tokens):
                if first_token_s is None:
                    first_token_s = time.perf_counter() - started
                pieces.append(piece)
                yield Event("token", token=piece)
            answer.prompt_tokens, answer.completion_tokens = llm.usage.prompt_tokens, llm.usage.completion_tokens
        check = validate if cfg.checks == "v2" else validate_v1
        check(answer, "".join(pieces), cfg, services.embedder)
    total_s = time.perf_counter() - started
    answer.timings = {
        "retrieve_s": round(retrieve_s, 3),
        "first_token_s": round(first_token_s, 3) if first_token_s is not None else None,
        "total_s": round(total_s, 3),
    }
    answer.model = services.model_info()
    yield Event("answer", answer=answer)


def answer(services, question: str, history: list[dict] | None = None, k: int | None = None) -> Answer:
    final = None
    for event in stream_answer(services, question, history, k):
        if event.kind == "answer":
            final = event.answer
    return final


def search(services, question: str, k: int | None = None, history: list[dict] | None = None) -> list[Passage]:
    """The passages an answer to ``question`` (a follow-up of ``history``) would be given."""
    return services.retriever.retrieve(retrieval_query(question, history), k=k)
