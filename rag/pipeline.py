"""The answer pipeline: question (+ history) -> passages -> streamed LLM answer -> validated Answer.

``stream_answer`` yields events so a UI can show the passages before the first token arrives
(reading the prompt takes seconds on a laptop CPU); ``answer`` is the same, collected.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Iterator

from rag.citations import (
    answer_support, attach_orphan_markers, build_citations, clean_markers, embedding_support, sentence_citations, sentence_support,
)
from rag.prompting import ABSTAIN_TEXT, build_messages
from rag.settings import AnswerSettings
from rag.text import detect_language, says_dont_know
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


def llm_question(question: str, history: list[dict] | None) -> str:
    previous = [t["content"] for t in (history or []) if t.get("role") == "user"]
    return f"{question} (previous question: {previous[-1]})" if previous else question


def _abstain(answer: Answer, reason: str) -> Answer:
    answer.abstained = True
    answer.abstain_reason = reason
    answer.text = ABSTAIN_TEXT.get(answer.language, ABSTAIN_TEXT["en"])
    answer.citations = []
    return answer


def _cross_lingual_support(answer: Answer, embedder, cfg: AnswerSettings) -> bool:
    """An English answer over French passages shares few words with them: compare meanings instead."""
    for sentence, cited in sentence_citations(answer.text, answer.passages):
        if not cited or detect_language(" ".join(p.chunk.text for p in cited)) == answer.language:
            continue
        if sentence_support(sentence, cited, answer.question, cfg).novel and embedding_support(sentence, cited, embedder) >= cfg.min_cross_lingual_cosine:
            return True
    return False


def finalize(answer: Answer, raw_text: str, cfg: AnswerSettings, embedder=None) -> Answer:
    """Validate the model's text: hallucinated citation numbers dropped, unsupported answers abstain."""
    answer.model_text = raw_text
    text = attach_orphan_markers(clean_markers(raw_text, len(answer.passages)))
    answer.text = text
    if not text or says_dont_know(text, cfg.dont_know_window):
        return _abstain(answer, "the model found no answer in the passages")
    answer.citations = build_citations(text, answer.passages)
    if not answer.citations:
        return _abstain(answer, "the answer cites no passage")
    lexical, numbers_ok = answer_support(text, answer.passages, answer.question, cfg)
    if not numbers_ok:
        return _abstain(answer, "the answer states numbers its sources do not contain")
    if lexical < cfg.min_lexical_support and not (embedder is not None and _cross_lingual_support(answer, embedder, cfg)):
        return _abstain(answer, f"the answer is not supported by its sources (support {lexical:.2f})")
    return answer


def stream_answer(services, question: str, history: list[dict] | None = None, k: int | None = None) -> Iterator[Event]:
    started = time.perf_counter()
    question = question.strip()
    language = detect_language(question)
    passages = services.retriever.retrieve(retrieval_query(question, history), k=k)
    retrieve_s = time.perf_counter() - started
    yield Event("passages", passages=passages)

    answer = Answer(question=question, text="", citations=[], passages=passages, abstained=False, language=language)
    answer.retrieval_query = retrieval_query(question, history)
    best = max((p.dense_score for p in passages), default=0.0)
    if best < services.settings.retrieval.min_dense_score:
        _abstain(answer, f"no passage is close to the question (best cosine {best:.2f})")
        first_token_s = None
    else:
        messages = build_messages(llm_question(question, history), passages, language)
        pieces: list[str] = []
        first_token_s = None
        with services.lock:
            llm = services.llm
            for piece in llm.stream_chat(messages, services.settings.llm.max_tokens):
                if first_token_s is None:
                    first_token_s = time.perf_counter() - started
                pieces.append(piece)
                yield Event("token", token=piece)
            answer.prompt_tokens, answer.completion_tokens = llm.usage.prompt_tokens, llm.usage.completion_tokens
        finalize(answer, "".join(pieces), services.settings.answer, services.embedder)
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
