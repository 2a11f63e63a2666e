"""Many people asking at once: a real `rag serve` process, N users (threads with gradio_client).

    python -m bench.load_test --users 20 --questions 2          # real models, as configured
    python -m bench.load_test --compare --users 20               # one at a time against batched, full prompts and passage states
    python -m bench.load_test --quick                            # 20 users, 1 question each, scripted LLM (what CI runs)

Each user opens their own client and asks their questions one after another through the `/ask`
API (the JSON of `rag ask --json`), all users at the same time; the server answers ``llm.parallel``
at once and queues the rest. A request fails when it raises, times out, or returns an answer
without its fields. Prints users served (every question answered), errors, the latency p50/p95
(queueing included) and the written tokens per second of all users together, and writes
bench/results/load_test.json.

``--compare`` runs, in one run on one data folder: the time this machine takes to read a 1,000-token
prompt, then the same burst against one-at-a-time serving (``llm.parallel = 1``, full prompts: the
default), batched serving with full prompts and batched serving with saved passage states (built
beforehand, as at ingest), each after one question asked alone (a single user's first token), with
the server's peak memory; written to bench/results/load_compare.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench.common import RESULTS, machine_info, markdown_table, pct
from bench.servers import peak_memory_mb, rag_server

ROOT = Path(__file__).resolve().parent.parent
FIELDS = {"question", "answer", "abstained", "citations", "passages", "timings"}


def questions(n: int) -> list[str]:
    rows = [json.loads(ln) for ln in (ROOT / "seeds" / "eval" / "dev.jsonl").read_text(encoding="utf-8").splitlines() if ln.strip()]
    return [r["question"] for r in rows if not r.get("history")][:n]


def user(url: str, asked: list[str], timeout_s: float, results: list[dict]) -> None:
    from gradio_client import Client

    try:
        client = Client(url, verbose=False)
    except Exception as exc:  # noqa: BLE001 - a user who cannot connect is an error to count, whatever it is
        results += [{"ok": False, "seconds": None, "error": f"connect: {type(exc).__name__}: {exc}"[:200]} for _ in asked]
        return
    for question in asked:
        started = time.perf_counter()
        try:
            out = client.submit(question, api_name="/ask").result(timeout=timeout_s)
            error = None if isinstance(out, dict) and FIELDS <= out.keys() else f"bad answer: {str(out)[:120]}"
        except Exception as exc:  # noqa: BLE001 - same: count it, say what it was
            out, error = None, f"{type(exc).__name__}: {exc}"[:200]
        results.append({"ok": error is None, "seconds": time.perf_counter() - started, "error": error,
                        "written": (out.get("usage") or {}).get("completion_tokens", 0) if error is None else 0,
                        "first_token_s": out["timings"].get("first_token_s") if error is None else None})


def run(url: str, users: int, per_user: int, timeout_s: float, pool: list[str] | None = None) -> dict:
    pool = pool or questions(max(users * per_user, 1))
    per_user_results: list[list[dict]] = [[] for _ in range(users)]
    threads = [threading.Thread(target=user, args=(url, [pool[(u * per_user + q) % len(pool)] for q in range(per_user)],
                                                   timeout_s, per_user_results[u])) for u in range(users)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    flat = [r for rs in per_user_results for r in rs]
    seconds = [r["seconds"] for r in flat if r["ok"]]
    errors = [r["error"] for r in flat if not r["ok"]]
    return {"users": users, "requests": len(flat), "users_served": sum(all(r["ok"] for r in rs) and len(rs) == per_user for rs in per_user_results),
            "errors": len(errors), "error_examples": errors[:3], "p50_s": round(pct(seconds, 50), 2) if seconds else None,
            "p95_s": round(pct(seconds, 95), 2) if seconds else None, "wall_s": round(wall, 1),
            "answers_per_min": round(len(seconds) / wall * 60, 1) if wall else None,
            "written_tokens_per_s": round(sum(r["written"] for r in flat) / wall, 2) if wall else None,
            "first_token_p50_s": round(pct(firsts, 50), 2) if (firsts := [r["first_token_s"] for r in flat if r["ok"] and r["first_token_s"]]) else None}


def prepare(data: Path, recompute: int) -> tuple[float, float]:
    """Ingest the seeds into ``data``, save every passage's state (as at ingest), and time a 1,000-token read."""
    from bench.passage_cache import SEEDS, build_all_states, read_1000_tokens
    from rag import build_services, ingest, load_settings

    settings = load_settings(data_dir=data, llm={"passage_cache": True, "passage_recompute": recompute, "parallel": 1})
    services = build_services(settings)
    ingest(services, [SEEDS], progress=False)
    return build_all_states(services), read_1000_tokens(services)


def compare(args, env: dict) -> dict:
    """One-at-a-time serving, then batched serving with full prompts and with passage states, one after the other on one store."""
    ways = {"one at a time (the default)": {"RAG_LLM__PARALLEL": "1", "RAG_LLM__PASSAGE_CACHE": "false"}}
    for n in args.parallel:
        ways[f"batched x{n}, full prompts"] = {"RAG_LLM__PARALLEL": str(n), "RAG_LLM__PASSAGE_CACHE": "false"}
        ways[f"batched x{n} + passage states"] = {"RAG_LLM__PARALLEL": str(n), "RAG_LLM__PASSAGE_CACHE": "true",
                                                  "RAG_LLM__PASSAGE_RECOMPUTE": str(args.recompute)}
    with tempfile.TemporaryDirectory(prefix="rag-load-") as tmp:
        data = Path(tmp) / "data"
        # in a process of its own, which lets go of the store (one process at a time) and of the model when done
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            build_s, read_s = pool.submit(prepare, data, args.recompute).result()
        alone = questions(args.users + 1)[-1]
        rows = []
        for name, extra in ways.items():
            with rag_server({**env, "RAG_DATA_DIR": str(data), **extra}, log_dir=Path(tmp)) as url:
                single = run(url, 1, 1, args.timeout, pool=[alone])
                burst = run(url, args.users, 1, args.timeout)
                rows.append({"way": name, **burst, "single_first_token_s": single["first_token_p50_s"],
                             "peak_memory_mb": peak_memory_mb(url.pid)})
    base = rows[0]
    for row in rows:
        row["p95_vs_1000_read"] = round(row["p95_s"] / read_s, 2) if row["p95_s"] else None
        row["written_tokens_per_s_ratio"] = round(row["written_tokens_per_s"] / base["written_tokens_per_s"], 2)
        row["single_first_token_ratio"] = round(row["single_first_token_s"] / base["single_first_token_s"], 2)
    return {"read_1000_tokens_s": round(read_s, 2), "build_states_s": round(build_s, 1), "rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--questions", type=int, default=2, help="questions per user, asked one after another")
    parser.add_argument("--fake", action="store_true", help="scripted LLM and hashing embedder in a temp data dir")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds one request may take, queueing included")
    parser.add_argument("--quick", action="store_true", help="--fake with 1 question per user")
    parser.add_argument("--compare", action="store_true", help="one at a time against batched, full prompts and passage states (real models)")
    parser.add_argument("--parallel", type=int, nargs="+", default=[4], help="with --compare: llm.parallel of each batched server")
    parser.add_argument("--recompute", type=int, default=16, help="with --compare: llm.passage_recompute of the batched server")
    parser.add_argument("--out", default=None, help="JSON result file ('' for none; default bench/results/load_test.json, "
                                                     "with --compare load_compare.json)")
    args = parser.parse_args(argv)
    if args.quick:
        args.fake, args.questions = True, 1
    if args.out is None:
        args.out = str(RESULTS / ("load_compare.json" if args.compare else "load_test.json"))
    env = dict(os.environ)
    if args.compare:
        result = compare(args, env)
        print(markdown_table(result["rows"], ["way", "users", "errors", "p50_s", "p95_s", "wall_s", "written_tokens_per_s",
                                              "single_first_token_s", "peak_memory_mb", "p95_vs_1000_read",
                                              "written_tokens_per_s_ratio", "single_first_token_ratio"]))
        print({k: v for k, v in result.items() if k != "rows"})
        if args.out:
            Path(args.out).write_text(json.dumps({"machine": machine_info(), **result}, indent=1, ensure_ascii=False), encoding="utf-8")
        return 0 if all(r["errors"] == 0 for r in result["rows"]) else 1
    with tempfile.TemporaryDirectory(prefix="rag-load-") as tmp:
        if args.fake:
            env.update(RAG_DATA_DIR=str(Path(tmp) / "data"), RAG_EMBEDDER__BACKEND="hashing", RAG_LLM__BACKEND="fake",
                       RAG_RETRIEVAL__MIN_DENSE_SCORE="0")
        with rag_server(env, log_dir=Path(tmp)) as url:
            result = run(url, args.users, args.questions, args.timeout)
    result["llm"] = "fake" if args.fake else env.get("RAG_LLM__MODEL", "qwen2.5-1.5b (default)")
    print(markdown_table([result], ["users", "requests", "users_served", "errors", "p50_s", "p95_s", "wall_s", "answers_per_min", "llm"]))
    for example in result["error_examples"]:
        print(f"  error: {example}")
    if args.out:
        Path(args.out).write_text(json.dumps({"machine": machine_info(), **result}, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
