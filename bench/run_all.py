"""Run the benchmarks, each in its own process (a cold start, and no model left in memory by the previous one).

    python -m bench.run_all                       # all of them, full scale (see bench/README.md for durations)
    python -m bench.run_all --quick               # smoke test of each (a minute or two)
    python -m bench.run_all --only search llm --sizes 1000 10000 --models qwen2.5-1.5b qwen2.5-0.5b

Each benchmark prints a Markdown table and writes bench/results/<name>.json; this prints a
one-line status per benchmark at the end and exits 1 if any failed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

BENCHMARKS = {
    "ingest": "bench.ingest_throughput",
    "search": "bench.search_latency",
    "keyword": "bench.keyword_refresh",
    "llm": "bench.llm_speed",
    "prompt": "bench.prompt_speed",
    "e2e": "bench.end_to_end",
}


def commands(args) -> dict[str, list[str]]:
    quick = ["--quick"] if args.quick else []
    extra = {
        "ingest": ["--repeat", str(args.repeat)],
        "search": ["--sizes", *map(str, args.sizes), "--runs", str(args.runs)],
        "keyword": ["--sizes", *map(str, [s for s in args.sizes if s <= 10000] or [1000])],
        "llm": ["--models", *args.models, "--prompts", str(args.prompts)],
        "prompt": [],
        "e2e": ["--n", str(args.n), "--model", args.models[0]],
    }
    return {name: [sys.executable, "-m", BENCHMARKS[name], *(quick or extra[name])] for name in args.only}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), default=list(BENCHMARKS), help="which benchmarks (default: all)")
    parser.add_argument("--quick", action="store_true", help="each benchmark's --quick smoke test (other flags ignored)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000], help="search: corpus sizes in chunks")
    parser.add_argument("--runs", type=int, default=100, help="search: timed queries per operation")
    parser.add_argument("--repeat", type=int, default=8, help="ingest: copies of the seed articles")
    parser.add_argument("--models", nargs="+", default=["qwen2.5-1.5b"], help="llm: presets; e2e uses the first")
    parser.add_argument("--prompts", type=int, default=3, help="llm: seed prompts per configuration")
    parser.add_argument("--n", type=int, default=12, help="e2e: questions")
    args = parser.parse_args(argv)
    status = []
    for name, cmd in commands(args).items():
        print(f"\n# {name}: {' '.join(cmd[1:])}\n", flush=True)
        started = time.perf_counter()
        code = subprocess.call(cmd)
        status.append((name, code, time.perf_counter() - started))
    print("\n# summary\n")
    for name, code, seconds in status:
        print(f"- {name}: {'ok' if code == 0 else f'FAILED (exit {code})'} in {seconds / 60:.1f} min")
    return 1 if any(code for _, code, _ in status) else 0


if __name__ == "__main__":
    raise SystemExit(main())
