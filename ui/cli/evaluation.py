"""`rag eval` and `rag eval generate`: argument parsing and printing only; the work is in runner/report."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rag.settings import PROJECT_ROOT

DEFAULT_DATASET = PROJECT_ROOT / "seeds" / "eval" / "dev.jsonl"


def add_eval_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dataset", default=str(DEFAULT_DATASET), help="JSONL question set (default: seeds/eval/dev.jsonl)")
    p.add_argument("--split", choices=("all", "tune", "test"), default="all",
                   help="evaluate one part of the dev set: 'tune' (tune on it) or 'test' (never tune on it); default all")
    p.add_argument("--kind", action="append", default=[], metavar="KIND", help="only questions of this kind (repeatable)")
    p.add_argument("--corpus", default=None, help="articles the questions are about (default: the settings' seeds_dir)")
    p.add_argument("--config", metavar="TOML", default=argparse.SUPPRESS,
                   help="the settings file, as `rag --config` (the base of every configuration)")
    p.add_argument("--settings", action="append", default=[], metavar="TOML", dest="settings_files",
                   help="a settings file to evaluate as one more configuration (repeatable; used as is, not layered on --config)")
    p.add_argument("--preset", action="append", default=[],
                   help="a named configuration (repeatable): " + ", ".join(_preset_names()) + "; default: hybrid and naive")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                   help="change one setting in every configuration, e.g. --set answer.min_claim_coverage=0.5 (repeatable)")
    p.add_argument("--sweep", action="append", default=[], metavar="KEY=V1,V2,...",
                   help="one configuration per value of a setting, for each non-naive configuration (repeatable: the product)")
    p.add_argument("--replay", metavar="REPORT_JSON",
                   help="re-check the answers stored in a full run's report.json under other answer settings (with --set or "
                   "--sweep), without the LLM: seconds instead of minutes")
    p.add_argument("--replay-config", action="append", default=[], metavar="NAME",
                   help="with --replay: only the stored configuration of this name (repeatable; default: every non-naive one)")
    p.add_argument("--rules", action="store_true",
                   help="with --replay: what each check rule gains, cross-validated over the questions (rag.eval.rules)")
    p.add_argument("--folds", type=int, default=5, help="with --rules: how many parts the questions are dealt into (default 5)")
    p.add_argument("--retrieval-only", action="store_true", help="retrieval metrics only, no LLM (seconds)")
    p.add_argument("--limit", type=int, default=None, help="only the first N questions (after --split and --kind)")
    p.add_argument("--out", default=None, help="output folder (default: eval-out/<timestamp>)")
    p.add_argument("--min-hit5", type=float, default=None, help="exit 1 if hit@5 of the first configuration is below this")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")


def add_generate_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--corpus", default=None, help="folder of articles (default: the settings' seeds_dir)")
    p.add_argument("--n", type=int, default=20, help="number of chunks to draft a question from")
    p.add_argument("--out", required=True, help="JSONL file to write")
    p.add_argument("--seed", type=int, default=0, help="random seed for the chunk sample")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def _preset_names() -> list[str]:
    from rag.eval.presets import PRESETS

    return list(PRESETS)


def run_generate(args) -> int:
    """`rag eval generate`: draft questions for a reviewer to complete."""
    from rag import build_services, load_settings
    from rag.eval.generate import generate

    settings = load_settings(args.config)
    corpus = Path(args.corpus) if args.corpus else settings.seeds_dir
    items = generate(build_services(settings), corpus, args.n, Path(args.out), seed=args.seed, progress=not args.quiet)
    print(f"wrote {len(items)} draft questions to {args.out}: review them before use (see the header line)")
    return 0


def check_floor(results, floor: float | None) -> int:
    if floor is None:
        return 0
    first = results[0]
    hit5 = first.summary.get("hit@5")
    if hit5 is None or hit5 < floor:
        shown = "n.a." if hit5 is None else f"{hit5:.3f}"
        print(f"error: hit@5 of {first.name} is {shown}, below the floor {floor:.3f}", file=sys.stderr)
        return 1
    return 0


def run_eval(args) -> int:
    """`rag eval`: every configuration over the question set; report.json, report.md and charts."""
    from rag import load_settings
    from rag.eval.dataset import load_dataset, select
    from rag.eval.presets import resolve_configs
    from rag.eval.replay import replay_configs
    from rag.eval.report import write_report
    from rag.eval.runner import run_config

    items = select(load_dataset(args.dataset), args.split, args.kind, args.limit)
    replayed = replay_configs(args.replay, args.replay_config, load_settings(args.config).answer) if args.replay else []
    if args.rules:
        return run_rules(args, items, replayed)
    configs = resolve_configs(args.config, args.preset, args.settings_files, args.overrides, args.sweep, replayed)
    corpus = Path(args.corpus) if args.corpus else load_settings(args.config).seeds_dir
    results = [run_config(c, items, corpus, args.retrieval_only, progress=not args.quiet) for c in configs]
    meta = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"), "dataset": str(args.dataset), "corpus": str(corpus),
        "questions": len(items), "split": args.split, "kinds": args.kind or "all",
        "mode": "retrieval-only" if args.retrieval_only else "full",
    }
    out = Path(args.out or Path("eval-out") / time.strftime("%Y%m%d-%H%M%S"))
    paths = write_report(results, meta, out)
    print(summary_text(results, args.retrieval_only))
    print(f"report: {paths['md']} (and report.json, metrics.png, latency.png)")
    return check_floor(results, args.min_hit5)


def run_rules(args, items, replayed) -> int:
    """`rag eval --replay REPORT --rules`: the cross-validated rule table of the first replayed configuration."""
    from rag import build_services, load_settings
    from rag.errors import InputError
    from rag.eval.rules import rule_table
    from rag.eval.systems import prepare_corpus

    if not replayed:
        raise InputError("--rules measures the check rules on stored answers: give --replay REPORT_JSON too")
    config = replayed[0]
    services = build_services(config.settings)
    prepare_corpus(services, Path(args.corpus) if args.corpus else load_settings(args.config).seeds_dir)
    missing = [i.id for i in items if i.id not in config.replay]
    if missing:
        raise InputError(f"{len(missing)} questions have no stored answer in {args.replay} (first: {missing[0]})")
    lines = [f"# Check rules, {args.folds}-fold over {len(items)} questions ({config.name})", "", *rule_table(services, items, config.replay, args.folds)]
    out = Path(args.out or Path("eval-out") / time.strftime("%Y%m%d-%H%M%S"))
    out.mkdir(parents=True, exist_ok=True)
    (out / "rules.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


def summary_text(results, retrieval_only: bool) -> str:
    from rag.eval.report import SPEED_KEYS, table
    from rag.eval.summary import ABSTENTION_KEYS, ANSWER_KEYS, RETRIEVAL_KEYS

    keys = RETRIEVAL_KEYS + (("retrieve_p50",) if retrieval_only else ANSWER_KEYS + ABSTENTION_KEYS + SPEED_KEYS)
    return "\n".join(table(results, keys))
