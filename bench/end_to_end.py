"""End-to-end `ask`: the project's pipeline vs the naive llama-index baseline, time and accuracy.

Both systems answer the same N questions of seeds/eval/dev.jsonl (answerable and unanswerable
ones, in the file's order within each group) with the same embedder and LLM, through the
evaluation's own runner (``rag.eval.runner.run_config``: models loaded and warmed up before the
clock starts; the naive baseline is ``rag.eval.baseline``: top-2 dense, llama-index's default
prompt). Reported per system: total time per question p50/p95, first token p50, must-include
accuracy on the answerable questions, abstention on the unanswerable ones; and the ratio of the
p50 totals (pipeline ÷ naive). The store is built in a temp folder, never the user's own.

Usage: python -m bench.end_to_end [--n 12] [--model qwen2.5-1.5b] [--max-tokens 200] [--quick]
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path

from bench.common import machine_info, markdown_table, quiet_logs, write_results
from bench.corpus import SEEDS


def pick_items(n: int, unanswerable_share: float = 0.25):
    """The first questions of each group: about a quarter unanswerable, at least one of each kind."""
    from rag.eval.dataset import load_dataset

    items = [i for i in load_dataset(SEEDS / "eval" / "dev.jsonl") if not i.history]
    no = [i for i in items if not i.answerable]
    k = min(len(no), max(1, math.floor(n * unanswerable_share)))
    yes = [i for i in items if i.answerable][: n - k]
    return yes + no[:k]


def summarize(name: str, result) -> dict:
    s = result.summary
    rows = [r for r in result.rows if "error" not in r]
    unanswerable = [r for r in rows if not r["answerable"]]
    abstained = [r for r in unanswerable if r.get("abstained")]
    return {
        "system": name, "questions": s["questions"], "errors": s["errors"],
        "total_p50_s": _round(s.get("total_p50")), "total_p95_s": _round(s.get("total_p95")),
        "first_token_p50_s": _round(s.get("first_token_p50")), "retrieve_p50_s": _round(s.get("retrieve_p50"), 3),
        "must_include": _round(s.get("must_include")), "hit@5": _round(s.get("hit@5")),
        "abstained_on_unanswerable": f"{len(abstained)}/{len(unanswerable)}" if unanswerable else "n.a.",
        "tokens_per_s": _round(s.get("tokens_per_s")),
    }


def _round(value, digits: int = 2):
    return None if value is None else round(float(value), digits)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=12, help="questions (default 12: 9 answerable, 3 unanswerable)")
    parser.add_argument("--model", default="qwen2.5-1.5b", help="LLM preset or .gguf path (default qwen2.5-1.5b)")
    parser.add_argument("--max-tokens", type=int, default=200, help="the pipeline's default is 200")
    parser.add_argument("--quick", action="store_true", help="smoke test: 2 questions, the 0.5B model, 16 tokens")
    args = parser.parse_args(argv)
    quiet_logs()
    if args.quick:
        args.n, args.model, args.max_tokens = 2, "qwen2.5-0.5b", 16
    from rag import load_settings
    from rag.eval.presets import preset_config
    from rag.eval.runner import run_config

    items = pick_items(args.n)
    rows, raw = [], {}
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        base = load_settings(data_dir=Path(tmp), models_dir=load_settings().models_dir,
                             llm={"model": args.model, "max_tokens": args.max_tokens})
        for preset, label in (("hybrid", "pipeline (hybrid, k=4, citations, abstention)"), ("naive", "naive llama-index (top-2)")):
            result = run_config(preset_config(preset, base), items, SEEDS, progress=not args.quick)
            rows.append(summarize(label, result))
            raw[preset] = {"summary": result.summary, "rows": result.rows}
            print(f"  {label}: total p50 {rows[-1]['total_p50_s']}s, must-include {rows[-1]['must_include']}", flush=True)
    pipeline, naive = rows
    ratio = pipeline["total_p50_s"] / naive["total_p50_s"] if pipeline["total_p50_s"] and naive["total_p50_s"] else None
    print("\n## End-to-end ask\n")
    print(markdown_table(rows, ["system", "questions", "total_p50_s", "total_p95_s", "first_token_p50_s", "tokens_per_s",
                                "must_include", "hit@5", "abstained_on_unanswerable", "errors"]))
    print(f"\ntotal p50 ratio pipeline / naive: {ratio:.2f}" if ratio else "\ntotal p50 ratio: n.a.")
    info = machine_info(model=args.model, max_tokens=args.max_tokens, questions=[i.id for i in items], quick=args.quick)
    path = write_results("end_to_end" + ("-quick" if args.quick else ""), {"machine": info, "rows": rows, "ratio_total_p50": ratio, "raw": raw})
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
