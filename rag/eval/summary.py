"""Per-configuration summary: per-question metrics averaged, latencies as percentiles.

Averages are over the questions where a metric is defined: retrieval metrics and must-include
over answerable questions; citation metrics and language over answers that did not abstain;
"cites gold" over answerable questions that were answered. A question that raised an error
counts in ``errors`` and in no average.
"""

from __future__ import annotations

from rag.eval import metrics as m

RETRIEVAL_KEYS = ("hit@1", "hit@3", "hit@5", "mrr", "ndcg@5")
ANSWER_KEYS = ("right_shown", "model_right", "right_lost", "verified", "verified_precision", "right_verified", "wrong_verified",
               "unanswerable_handled", "correct", "precision", "cit_recall_lex", "cit_precision_lex", "cit_recall_emb",
               "cit_precision_emb", "cites_gold", "language_ok")
ABSTENTION_KEYS = ("abstain_precision", "abstain_recall", "false_abstention")

# key -> (column label, kind): "share" prints as %, "s" as seconds, "n" as a plain number
COLUMNS: dict[str, tuple[str, str]] = {
    "hit@1": ("hit@1", "share"), "hit@3": ("hit@3", "share"), "hit@5": ("hit@5", "share"),
    "mrr": ("MRR@5", "ratio"), "ndcg@5": ("nDCG@5", "ratio"),
    "right_shown": ("right shown", "share"), "model_right": ("model right (raw text)", "share"),
    "right_lost": ("right lost by checks", "share"), "verified": ("verified", "share"),
    "verified_precision": ("verified precision", "share"), "right_verified": ("right verified", "share"),
    "wrong_verified": ("wrong shown as verified", "share"), "unanswerable_handled": ("unanswerable handled", "share"),
    "correct": ("accuracy (right / all)", "share"), "precision": ("precision (right / answered)", "share"),
    "cit_recall_lex": ("cit. recall (lex)", "share"), "cit_precision_lex": ("cit. precision (lex)", "share"),
    "cit_recall_emb": ("cit. recall (emb)", "share"), "cit_precision_emb": ("cit. precision (emb)", "share"),
    "cites_gold": ("cites gold", "share"), "language_ok": ("language ok", "share"),
    "abstain_precision": ("abstain precision", "share"), "abstain_recall": ("abstain recall", "share"),
    "false_abstention": ("false abstention", "share"),
    "retrieve_p50": ("retrieve p50", "s"), "retrieve_p95": ("retrieve p95", "s"),
    "first_token_p50": ("first token p50", "s"), "first_token_p95": ("first token p95", "s"),
    "total_p50": ("total p50", "s"), "total_p95": ("total p95", "s"),
    "prompt_tokens": ("prompt tokens", "n"), "tokens_per_s": ("tokens/s", "n"),
    "errors": ("errors", "n"),
}


def _timings(rows: list[dict], key: str) -> list:
    return [r.get("timings", {}).get(key) for r in rows]


def _speed(rows: list[dict], retrieval_only: bool) -> dict:
    out = {"retrieve_p50": m.percentile(_timings(rows, "retrieve_s"), 50), "retrieve_p95": m.percentile(_timings(rows, "retrieve_s"), 95)}
    if retrieval_only:
        return out
    called = [r for r in rows if r.get("timings", {}).get("first_token_s") is not None]
    out.update(
        first_token_p50=m.percentile(_timings(rows, "first_token_s"), 50),
        first_token_p95=m.percentile(_timings(rows, "first_token_s"), 95),
        total_p50=m.percentile(_timings(rows, "total_s"), 50),
        total_p95=m.percentile(_timings(rows, "total_s"), 95),
        prompt_tokens=m.mean([r.get("prompt_tokens") for r in called]),
        tokens_per_s=m.tokens_per_second(
            [r.get("completion_tokens", 0) for r in called], _timings(called, "first_token_s"), _timings(called, "total_s")
        ),
    )
    return out


def _abstention(rows: list[dict]) -> dict:
    judged = [r for r in rows if r.get("abstained") is not None]
    if not judged:  # the naive baseline cannot abstain
        return dict.fromkeys(ABSTENTION_KEYS)
    return m.abstention_scores([r["abstained"] for r in judged], [r["answerable"] for r in judged])


def summarize(rows: list[dict], retrieval_only: bool) -> dict:
    ok = [r for r in rows if "error" not in r]
    summary: dict = {"questions": len(rows), "errors": len(rows) - len(ok)}
    keys = RETRIEVAL_KEYS if retrieval_only else RETRIEVAL_KEYS + ANSWER_KEYS
    for key in keys:
        summary[key] = m.mean([r["metrics"].get(key) for r in ok])
    if not retrieval_only:
        summary.update(_abstention(ok))
    summary.update(_speed(ok, retrieval_only))
    return summary


def format_value(key: str, value) -> str:
    if value is None:
        return "n.a."
    kind = COLUMNS.get(key, ("", "n"))[1]
    if kind == "share":
        return f"{100 * value:.1f}%"
    if kind == "ratio":
        return f"{value:.3f}"
    if kind == "s":
        return f"{value:.2f}s"
    return f"{value:.1f}" if isinstance(value, float) else str(value)


GROUP_FIELDS = ("split", "kind", "language")
# What the per-class tables compare, configuration beside configuration.
CLASS_KEYS = ("right_shown", "model_right", "right_lost", "verified_precision", "right_verified", "wrong_verified",
              "unanswerable_handled", "false_abstention", "correct", "precision", "total_p50")


def group_summaries(rows: list[dict], retrieval_only: bool) -> dict[str, dict[str, dict]]:
    """The summary of every split, kind of question and language on its own; with more than one split,
    every kind and language within each split too ("kind (test)"), since the test part is the verdict."""
    out: dict[str, dict[str, dict]] = {}
    for field in GROUP_FIELDS:
        values = sorted({r[field] for r in rows if r.get(field)})
        out[field] = {v: summarize([r for r in rows if r.get(field) == v], retrieval_only) for v in values}
    if len(out.get("split", {})) > 1:
        for split in out["split"]:
            part = [r for r in rows if r.get("split") == split]
            for field in ("kind", "language"):
                values = sorted({r[field] for r in part if r.get(field)})
                out[f"{field} ({split})"] = {v: summarize([r for r in part if r.get(field) == v], retrieval_only) for v in values}
    return out
