"""Write a run's results: report.json (everything), report.md (tables + failures), PNG charts."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from rag.eval.plots import plot_latency, plot_metrics
from rag.eval.summary import ABSTENTION_KEYS, ANSWER_KEYS, CLASS_KEYS, COLUMNS, RETRIEVAL_KEYS, format_value

SPEED_KEYS = ("retrieve_p50", "retrieve_p95", "first_token_p50", "first_token_p95", "total_p50", "total_p95", "prompt_tokens", "tokens_per_s")


def table(results, keys) -> list[str]:
    keys = [k for k in keys if any(k in r.summary for r in results)]
    lines = ["| config | " + " | ".join(COLUMNS[k][0] for k in keys) + " |", "|---" * (len(keys) + 1) + "|"]
    for r in results:
        lines.append(f"| {r.name} | " + " | ".join(format_value(k, r.summary.get(k)) for k in keys) + " |")
    return lines


def class_tables(results, keys=CLASS_KEYS) -> list[str]:
    """One table per metric: a row per split, kind of question and language, a column per configuration."""
    lines: list[str] = []
    for key in keys:
        if not any(r.summary.get(key) is not None for r in results):
            continue
        lines += [f"### {COLUMNS[key][0]}", "", "| group | n | " + " | ".join(r.name for r in results) + " |",
                  "|---" * (len(results) + 2) + "|"]
        first = results[0].groups
        for field, values in first.items():
            for value, summary in values.items():
                cells = [format_value(key, r.groups.get(field, {}).get(value, {}).get(key)) for r in results]
                lines.append(f"| {field}: {value} | {summary['questions']} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def failure_reasons(row: dict) -> list[str]:
    """Why a question counts as failed: error, retrieval miss, must-include miss, wrong abstention."""
    if "error" in row:
        return [f"error: {row['error']}"]
    metrics, reasons = row.get("metrics", {}), []
    if metrics.get("hit@5") == 0.0:
        reasons.append(f"no gold source in the top 5 (retrieved {', '.join(row.get('retrieved', [])[:5]) or 'nothing'})")
    if metrics.get("correct") == 0.0 and row["answerable"] and not row.get("abstained"):
        reasons.append("wrong answer (must-include missing or must-not-include present)")
    if row.get("abstained") is True and row["answerable"]:
        dropped = "; the model's own text was right" if metrics.get("model_right") else ""
        reasons.append(f"abstained on an answerable question ({row.get('abstain_reason', '')}){dropped}")
    if row.get("abstained") is False and not row["answerable"] and row.get("verdict") == "verified":
        reasons.append("answered an unanswerable question, verified")
    if metrics.get("wrong_verified") and row["answerable"]:
        reasons.append("a wrong answer shown as verified")
    return reasons


def _failure_lines(result) -> list[str]:
    lines = []
    for row in result.rows:
        reasons = failure_reasons(row)
        if not reasons:
            continue
        lines.append(f"- **{row['id']}** ({row['kind']}, {row['language']}) {row['question']}")
        lines.append(f"  - {'; '.join(reasons)}; gold: {', '.join(row['gold_sources']) or 'none'}")
        if row.get("answer") is not None:
            lines.append(f"  - answer: {' '.join(str(row['answer']).split())[:300]}")
        if row.get("abstained") and row.get("model_text"):
            lines.append(f"  - model wrote: {' '.join(str(row['model_text']).split())[:300]}")
    return lines or ["- none"]


def outcome(row: dict) -> str:
    """A question's result in two words, as the comparison of configurations shows it."""
    if "error" in row:
        return "error"
    right = "right" if row.get("metrics", {}).get("correct") else "wrong"
    return f"{right} ({row.get('abstain_code')})" if row.get("abstained") else f"{right} ({row.get('verdict') or 'answered'})"


def changes(first, other) -> list[str]:
    """The questions whose outcome differs between two configurations: what a lever or a threshold buys and costs."""
    before = {row["id"]: row for row in first.rows}
    lines = []
    for row in other.rows:
        old = before.get(row["id"])
        if old is not None and outcome(old) != outcome(row):
            lines.append(f"- **{row['id']}** ({row['kind']}, {row['language']}) {outcome(old)} → {outcome(row)}: {row['question']}")
    return lines or ["- none"]


def markdown(results, meta: dict) -> str:
    retrieval_only = meta["mode"] == "retrieval-only"
    lines = [
        "# Evaluation report", "",
        f"- dataset: `{meta['dataset']}` ({meta['questions']} questions), corpus: `{meta['corpus']}`",
        f"- mode: {meta['mode']}; created {meta['created']}",
        "- retrieval metrics over answerable questions, on a ranking 5 passages deep (the naive baseline retrieves 2)", "",
        "## Retrieval", "", *table(results, RETRIEVAL_KEYS), "",
    ]
    if not retrieval_only:
        lines += ["## Answers", "", *table(results, ANSWER_KEYS + ABSTENTION_KEYS), "",
                  "n.a.: not defined (the naive baseline cannot abstain).", "",
                  "## Per class, language and split", "", *class_tables(results)]
    lines += ["## Speed", "", *table(results, SPEED_KEYS + ("errors",)), "", "![metrics](metrics.png)", "", "![latency](latency.png)", ""]
    if not retrieval_only:
        for other in results[1:]:
            lines += [f"## Questions that change from {results[0].name} to {other.name}", "", *changes(results[0], other), ""]
    for r in results:
        lines += [f"## Failures: {r.name}", "", *[f"> {n}" for n in r.notes], *_failure_lines(r), ""]
    return "\n".join(lines)


def write_report(results, meta: dict, out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "report.json", "md": out_dir / "report.md"}
    payload = {**meta, "configs": [asdict(r) for r in results]}
    paths["json"].write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    paths["md"].write_text(markdown(results, meta), encoding="utf-8")
    paths["metrics_png"] = plot_metrics(results, out_dir / "metrics.png")
    paths["latency_png"] = plot_latency(results, out_dir / "latency.png", meta["mode"] == "retrieval-only")
    return paths
