"""Many people asking at once: a real `rag serve` process, N users (threads with gradio_client).

    python -m bench.load_test --users 20 --questions 2          # the README figures: real models, as configured
    python -m bench.load_test --quick                            # 20 users, 1 question each, scripted LLM (what CI runs)

Each user opens their own client and asks their questions one after another through the `/ask`
API (the JSON of `rag ask --json`), all users at the same time; the server answers one at a time
(llama.cpp) and queues the rest. A request fails when it raises, times out, or returns an answer
without its fields. Prints users served (every question answered), errors, and the latency
p50/p95 (queueing included), and writes bench/results/load_test.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.common import RESULTS, machine_info, markdown_table, pct
from bench.servers import rag_server

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
            error = f"{type(exc).__name__}: {exc}"[:200]
        results.append({"ok": error is None, "seconds": time.perf_counter() - started, "error": error})


def run(url: str, users: int, per_user: int, timeout_s: float) -> dict:
    pool = questions(max(users * per_user, 1))
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
            "answers_per_min": round(len(seconds) / wall * 60, 1) if wall else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--questions", type=int, default=2, help="questions per user, asked one after another")
    parser.add_argument("--fake", action="store_true", help="scripted LLM and hashing embedder in a temp data dir")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds one request may take, queueing included")
    parser.add_argument("--quick", action="store_true", help="--fake with 1 question per user")
    parser.add_argument("--out", default=str(RESULTS / "load_test.json"), help="JSON result file ('' for none)")
    args = parser.parse_args(argv)
    if args.quick:
        args.fake, args.questions = True, 1
    env = dict(os.environ)
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
