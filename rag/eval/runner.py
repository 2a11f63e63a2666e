"""Run every question of the set through one configuration and record a row per question.

Retrieval metrics always come from a ranking at least 5 deep (``search`` with
k = max(5, retrieval.k)), so hit@5 means the same in ``--retrieval-only`` runs, in full runs
and for every k preset; the answer itself sees the configuration's own k passages.
"""

from __future__ import annotations

import gc
import logging
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from tqdm import tqdm

from rag import build_services
from rag.eval import metrics as m
from rag.eval.dataset import EvalItem
from rag.eval.language import answer_language
from rag.eval.presets import EvalConfig
from rag.eval.summary import group_summaries, summarize
from rag.eval.support import lexical_supports
from rag.eval.systems import RANK_DEPTH, NaiveSystem, Outcome, PipelineSystem, ReplaySystem, prepare_corpus

log = logging.getLogger(__name__)

SECRETS = {"ui": True, "llm": {"api_key"}}  # never written into a report someone may share


@dataclass
class ConfigResult:
    name: str
    naive: bool
    settings: dict
    summary: dict
    rows: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    groups: dict = field(default_factory=dict)  # split / kind / language -> value -> summary


def retrieval_metrics(item: EvalItem, ranking: list[str]) -> dict:
    if not item.answerable:
        return {}
    gold = set(item.gold_sources)
    out = {f"hit@{k}": m.hit_at_k(ranking, gold, k) for k in (1, 3, 5)}
    out["mrr"] = m.reciprocal_rank(ranking, gold, RANK_DEPTH)
    out["ndcg@5"] = m.ndcg_at_k(ranking, gold, RANK_DEPTH)
    return out


def right_answer(item: EvalItem, text: str, abstained: bool | None) -> bool:
    """Right: an answerable question answered with every must-include group and no must-not phrase;
    an unanswerable one abstained on (a system that cannot abstain is never right there). The question
    echoed in the text answers nothing: an either/or question holds both options."""
    if not item.answerable:
        return bool(abstained)
    text = m.without_echo(text, item.question)
    return not abstained and m.must_include_ok(text, item.must_include) and m.must_not_include_ok(text, item.must_not_include)


def answer_metrics(item: EvalItem, out: Outcome, judge) -> dict:
    """One question's answer metrics; None where a metric does not apply (averages skip it)."""
    right = right_answer(item, out.text, out.abstained)
    shown = out.abstained is not True
    shown_right = item.answerable and shown and right
    model_right = bool(out.model_text) and item.answerable and right_answer(item, out.model_text, False)
    verified = out.verdict == "verified" if out.verdict else None
    row: dict = {
        "correct": float(right),
        "precision": float(right) if shown and out.abstained is not None else None,
        "right_shown": float(shown_right) if item.answerable else None,
        "model_right": float(model_right) if item.answerable and out.model_text else None,
        "right_lost": float(not shown_right) if model_right else None,
        "verified": float(verified) if shown and verified is not None else None,
        "verified_precision": float(right) if verified else None,
        "right_verified": float(bool(verified)) if shown_right and verified is not None else None,
        "wrong_verified": float(bool(verified) and not right) if shown and verified is not None else None,
        "unanswerable_handled": float(not shown or verified is False) if not item.answerable and out.abstained is not None else None,
        "cites_gold": None, "language_ok": None,
    }
    if not shown:
        return row
    row["language_ok"] = float(answer_language(out.text) == item.language)
    if out.abstained is None:  # a system that cannot abstain (naive) does not cite either: no citation metric
        return row
    if item.answerable:
        row["cites_gold"] = float(m.cites_gold([c["source"] for c in out.citations], set(item.gold_sources)))
    lexical = partial(lexical_supports, question=item.question)
    row["cit_recall_lex"], row["cit_precision_lex"] = m.citation_recall_precision(out.cited, lexical)
    emb = m.citation_recall_precision(out.cited, judge) if judge else (0.0, 0.0)
    row["cit_recall_emb"], row["cit_precision_emb"] = emb
    return row


def evaluate(system, item: EvalItem, retrieval_only: bool) -> dict:
    row = {"id": item.id, "kind": item.kind, "language": item.language, "split": item.split, "question": item.question,
           "answerable": item.answerable, "gold_sources": item.gold_sources}
    try:
        out = system.rank(item) if retrieval_only else system.ask(item)
    except Exception as exc:  # noqa: BLE001 - one failing question must not lose the whole run
        log.exception("question %s failed", item.id)
        return {**row, "error": f"{exc.__class__.__name__}: {exc}"[:300], "metrics": {}}
    row.update(retrieved=out.ranking, retrieved_chunks=out.chunk_ids, timings=out.timings)
    row["metrics"] = retrieval_metrics(item, out.ranking)
    if not retrieval_only:
        row.update(answer=out.text, abstained=out.abstained, abstain_reason=out.abstain_reason, abstain_code=out.abstain_code,
                   form=out.form, verdict=out.verdict, model_text=out.model_text, claims=out.claims, citations=out.citations, passages=out.passages,
                   dense=out.dense, prompt_tokens=out.prompt_tokens, completion_tokens=out.completion_tokens,
                   parts=out.parts, tokens=out.tokens, confidence=out.confidence)
        row["metrics"].update(answer_metrics(item, out, system.judge))
    return row


def make_system(config: EvalConfig, services):
    if config.replay is not None:
        return ReplaySystem(services, config.replay)
    return NaiveSystem(services) if config.naive else PipelineSystem(services)


def run_config(config: EvalConfig, items: list[EvalItem], corpus: Path, retrieval_only=False, progress=True) -> ConfigResult:
    services = build_services(config.settings)
    corpus_ids = prepare_corpus(services, corpus)
    system = make_system(config, services)
    system.warm_up(retrieval_only)
    rows = [evaluate(system, item, retrieval_only) for item in tqdm(items, desc=config.name, unit="q", disable=not progress or None)]
    unknown = sorted({g for i in items for g in i.gold_sources} - set(corpus_ids))
    notes = [f"gold sources not in the corpus: {', '.join(unknown)}"] if unknown else []
    settings = config.settings.model_dump(mode="json", exclude=SECRETS)
    result = ConfigResult(config.name, config.naive, settings, summarize(rows, retrieval_only), rows, notes,
                          group_summaries(rows, retrieval_only))
    del system, services
    gc.collect()  # free this configuration's LLM before the next one loads its own
    return result
