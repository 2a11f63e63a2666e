"""The systems an evaluation asks: the project's pipeline, the naive llama-index baseline, and stored answers
checked again (a replay); each gives an :class:`Outcome` per question."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from rag import answer, ingest, remove, search
from rag.ask.conversation import previous_turn
from rag.checks.check import abstain, check_answer
from rag.errors import InputError
from rag.eval.baseline import NaiveBaseline
from rag.eval.dataset import EvalItem
from rag.eval.support import EmbeddingJudge, judged_sentences
from rag.pipeline import WARM_UP_QUESTION, gate, warm_up
from rag.text import detect_language, split_sentences, strip_markers
from rag.types import AbstainCode, Answer, Passage

RANK_DEPTH = 5


@dataclass
class Outcome:
    """What one system produced for one question, in the shape the metrics need."""

    ranking: list[str]  # article id of each retrieved passage, in rank order
    chunk_ids: list[str]
    timings: dict
    text: str | None = None
    abstained: bool | None = None  # None: the system cannot abstain (naive baseline)
    abstain_reason: str = ""
    model_text: str = ""  # the LLM's raw text before the checks, where the pipeline keeps it
    cited: list[tuple[str, list]] = field(default_factory=list)  # (sentence, passages it cites)
    citations: list[dict] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    passages: list[str] = field(default_factory=list)  # chunk ids the answer was given, in prompt order
    dense: list[float] = field(default_factory=list)  # their cosine with the question (the off-topic gate reads it)
    abstain_code: str = ""
    verdict: str = ""  # verified | unverified | abstained; empty for a system without checks (naive)
    form: str = ""
    claims: list[dict] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)  # with answer.split_questions: the two questions asked instead
    tokens: list = field(default_factory=list)  # the LLM's tokens and their log-probabilities, for replays (rag.checks.confidence)
    confidence: float | None = None


def pipeline_outcome(result, ranked: Outcome) -> Outcome:
    """What the metrics need of a checked ``rag.Answer``."""
    pairs = [] if result.abstained else judged_sentences(result.text, result.passages)
    return Outcome(
        ranking=ranked.ranking, chunk_ids=ranked.chunk_ids, timings=dict(result.timings), text=result.text,
        abstained=result.abstained, abstain_reason=result.abstain_reason, cited=pairs, model_text=result.model_text,
        citations=[{"n": c.n, "source": c.passage.chunk.article_id, "chunk_id": c.passage.chunk.id} for c in result.citations],
        prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens,
        passages=[p.chunk.id for p in result.passages], dense=[round(p.dense_score, 4) for p in result.passages],
        abstain_code=result.abstain_code, verdict=str(result.verdict), form=result.form, claims=[c.to_dict() for c in result.claims],
        parts=list(result.parts), tokens=[list(t) for t in result.tokens],
        confidence=result.confidence,
    )


def prepare_corpus(services, corpus: Path) -> list[str]:
    """Ingest the corpus (idempotent) and drop articles that are no longer in it; returns its ids."""
    report = ingest(services, [corpus], progress=False)
    ids = set(report.added) | set(report.replaced) | set(report.unchanged)
    for article in services.store.articles():
        if article["id"] not in ids:
            remove(services, article["id"])
    return sorted(ids)


class PipelineSystem:
    """The project's pipeline: ``rag.answer`` (retrieval, prompt, citations, abstention)."""

    def __init__(self, services):
        self.services = services
        self.judge = EmbeddingJudge(services.embedder, services.store)
        self.depth = max(RANK_DEPTH, services.settings.retrieval.k)

    def rank(self, item: EvalItem) -> Outcome:
        started = time.perf_counter()
        passages = search(self.services, item.question, k=self.depth, history=item.history)
        seconds = time.perf_counter() - started
        return Outcome([p.chunk.article_id for p in passages], [p.chunk.id for p in passages], {"retrieve_s": round(seconds, 3)})

    def warm_up(self, retrieval_only: bool) -> None:
        """Load the models and cache the (constant) system prompt, as a running server has, untimed."""
        warm_up(self.services, llm=not retrieval_only)

    def ask(self, item: EvalItem) -> Outcome:
        ranked = self.rank(item)
        out = pipeline_outcome(answer(self.services, item.question, item.history or None), ranked)
        self.judge.prepare(out.cited)
        return out


class NaiveSystem:
    """The llama-index baseline (rag.eval.baseline): top-2, default prompt, no citations."""

    def __init__(self, services):
        self.baseline = NaiveBaseline(services)
        self.judge = None

    def rank(self, item: EvalItem) -> Outcome:
        started = time.perf_counter()
        nodes = self.baseline.retrieve(item.question)
        seconds = time.perf_counter() - started
        articles = [n.node.metadata.get("article_id", "") for n in nodes]
        return Outcome(articles, [n.node.node_id for n in nodes], {"retrieve_s": round(seconds, 3)})

    def warm_up(self, retrieval_only: bool) -> None:
        if retrieval_only:
            self.baseline.retrieve(WARM_UP_QUESTION)
        else:
            self.baseline.ask(WARM_UP_QUESTION)

    def ask(self, item: EvalItem) -> Outcome:
        r = self.baseline.ask(item.question)
        return Outcome(
            ranking=r.sources, chunk_ids=r.chunk_ids, timings=r.timings, text=r.text,
            cited=[(strip_markers(s), []) for s in split_sentences(r.text)],
            prompt_tokens=r.prompt_tokens, completion_tokens=r.completion_tokens,
        )



class ReplaySystem:
    """Answers from stored rows, checked again under this configuration's answer settings."""

    def __init__(self, services, rows: dict[str, dict], off: frozenset[str] = frozenset()):
        self.services = services
        self.rows = rows
        self.off = off  # check rules not applied (rag.eval.rules)
        self.judge = EmbeddingJudge(services.embedder, services.store)

    def _row(self, item) -> dict:
        row = self.rows.get(item.id)
        if row is None or "passages" not in row:
            raise InputError(f"question {item.id} has no stored answer with its passages in the replayed report")
        return row

    def rank(self, item):
        row = self._row(item)
        return Outcome(row["retrieved"], row["retrieved_chunks"], dict(row["timings"]))

    def warm_up(self, retrieval_only: bool) -> None:
        pass

    def ask(self, item):
        row = self._row(item)
        answer = replayed_answer(self.services, item, row, self.off)
        out = pipeline_outcome(answer, self.rank(item))
        out.prompt_tokens, out.completion_tokens = row.get("prompt_tokens", 0), row.get("completion_tokens", 0)
        self.judge.prepare(out.cited)
        return out


def replayed_answer(services, item, row: dict, off: frozenset[str] = frozenset()) -> Answer:
    """The stored text of ``row`` for question ``item``, checked again under the services' answer settings, over the
    passages it was written from."""
    cfg = services.settings
    chunks = {c.id: c for c in services.store.chunks_of({cid.rsplit(":", 1)[0] for cid in row["passages"]})}
    passages = [Passage(chunks[cid], 0.0, rank, dense_score=d) for rank, (cid, d) in enumerate(zip(row["passages"], row["dense"]), 1)]
    answer = Answer(question=item.question, text="", citations=[], passages=passages, abstained=False,
                    language=detect_language(item.question), timings=dict(row["timings"]),
                    follows=previous_turn(item.history)[0], tokens=[tuple(t) for t in row.get("tokens", [])])
    gated = gate(answer, cfg.retrieval.min_dense_score)
    if not gated and row.get("abstain_code") == "off_topic":  # the run's gate read the cosines before they were rounded
        abstain(answer, AbstainCode.OFF_TOPIC, row.get("abstain_reason", "").partition("(")[2].rstrip(")"))
    elif not gated:  # an empty text is the model declining, as in the run
        check_answer(answer, row.get("first_try") or row.get("model_text") or "", cfg.answer, off)
    return answer
