"""Saved passage states (llm.passage_cache) against the full prompt: first token and total, in one run.

One process, one model: the seed articles are ingested into a fresh data directory (timed), then every
chunk's state is built as an ingest-time step would (timed, with its bytes on disk); the same machine's
time to read a 1,000-token prompt from scratch is measured (the issue's yardstick). Then each dev question
(the first ``--n`` without history) is answered by the pipeline three ways, taking turns (the order
rotates from one question to the next, so a machine that slows down slows them all):

- ``full``: the whole prompt read, as with ``passage_cache = false``;
- ``cached``: the passages' saved states moved into place, only labels and question read;
- ``cached + recompute N``: the first N tokens of each passage read again after the passages before it
  (CacheBlend's fix for the attention between passages).

Before each answer llama.cpp keeps only the system prompt, as after any other question. ``facts`` counts
the answerable questions whose answer holds the expected words (must_include), as ``rag eval`` does.

Usage: python -m bench.passage_cache [--n 15] [--recompute 16] [--quick]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.common import machine_info, markdown_table, pct, quiet_logs, write_results

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def build_all_states(services, limit: int | None = None) -> float:
    """Every chunk's state (the first ``limit``), four passages to a prompt as a question brings them; seconds taken."""
    from rag.ask.prompting import build_messages
    from rag.types import Passage

    chunks = services.store.all_chunks()[:limit]
    started = time.perf_counter()
    for i in range(0, len(chunks), 4):
        passages = [Passage(chunk=c, score=1.0) for c in chunks[i:i + 4]]
        for _ in services.llm.stream_chat(build_messages("?", passages, "fr"), 1, passages=passages):
            pass
    return time.perf_counter() - started


def read_1000_tokens(services) -> float:
    """Seconds to read a 1,000-token prompt with nothing cached (the product's model and options)."""
    from rag.ask.prompting import build_messages

    llm = services.llm
    question = "Quel cadeau Poutine a-t-il offert à Kim ?"
    passages = services.retriever.retrieve(question, k=8)
    tokens = llm.prompt_tokens(build_messages(question, passages, "fr"))
    assert len(tokens) >= 1000, len(tokens)
    llm.engine.forget(0)
    started = time.perf_counter()
    llm.engine.decode(0, tokens[:1000], 0)
    seconds = time.perf_counter() - started
    llm.engine.forget(0)
    return seconds


def system_length(services) -> int:
    """Tokens every prompt shares (system prompt and the user turn's opening): what stays cached between questions."""
    from rag.ask.prompting import build_messages
    from rag.models.kv_assembly import common_prefix

    tokens = services.llm.prompt_tokens
    return common_prefix(tokens(build_messages("a", [], "fr")), tokens(build_messages("b", [], "fr")))


def ask(services, assembler, recompute: int, item, keep: int) -> dict:
    from rag import answer
    from rag.eval.metrics import must_include_ok

    engine = services.llm.engine
    engine.assembler = assembler
    if assembler is not None:
        assembler.recompute = recompute
    engine.forget(keep)  # only the system prompt stays read
    result = answer(services, item.question)
    ok = must_include_ok(result.text, item.must_include) if item.answerable and item.must_include else None
    return {"first_token_s": result.timings["first_token_s"], "total_s": result.timings["total_s"],
            "retrieve_s": result.timings["retrieve_s"], "ok": ok, "text": result.text, "abstained": result.abstained}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=15)
    parser.add_argument("--recompute", type=int, default=16)
    parser.add_argument("--quick", action="store_true", help="3 questions")
    args = parser.parse_args()
    quiet_logs()
    from rag import build_services, ingest, load_settings
    from rag.eval.dataset import load_dataset

    n = 3 if args.quick else args.n
    items = [i for i in load_dataset(SEEDS / "eval" / "dev.jsonl") if not i.history][:n]
    with tempfile.TemporaryDirectory(prefix="bench-passage-cache-") as tmp:
        settings = load_settings(data_dir=Path(tmp), models_dir=load_settings().models_dir, llm={"passage_cache": True})
        services = build_services(settings)
        ingest_s = time.perf_counter()
        report = ingest(services, [SEEDS], progress=False)
        ingest_s = time.perf_counter() - ingest_s
        services.retriever.retrieve("warm up", k=1)
        assembler = services.llm.engine.assembler
        assert assembler is not None, "the passage cache is off for this model (see the log)"
        build_s = build_all_states(services, 8 if args.quick else None)
        read_s = read_1000_tokens(services)
        keep = system_length(services)
        ways = {"full": (None, 0), "cached": (assembler, 0), f"cached + recompute {args.recompute}": (assembler, args.recompute)}
        runs = {name: [] for name in ways}
        for q, item in enumerate(items):
            names = list(ways)
            for name in names[q % 3:] + names[:q % 3]:
                runs[name].append(ask(services, *ways[name], item, keep))
        states = assembler.states
        saved = len(list(states.folder.rglob("*.kv")))
        payload = summarize(runs, read_s, ingest_s, build_s, report.chunks_written, states.disk_bytes(), saved, items)
    payload["machine"] = machine_info(model=settings.llm.model)
    print(markdown_table(payload["rows"], ["way", "first_token_p50_s", "total_p50_s", "first_token_ratio", "total_speedup",
                                           "first_token_vs_1000_read", "facts", "same_text"]))
    print({k: v for k, v in payload.items() if k not in ("rows", "answers", "machine")})
    write_results("passage_cache", payload)


def summarize(runs: dict, read_s: float, ingest_s: float, build_s: float, chunks: int, disk: int, saved: int, items) -> dict:
    full = runs["full"]
    rows = []
    for name, got in runs.items():
        first, total = pct([r["first_token_s"] for r in got], 50), pct([r["total_s"] for r in got], 50)
        rows.append({"way": name, "first_token_p50_s": first, "total_p50_s": total,
                     "first_token_ratio": first / pct([r["first_token_s"] for r in full], 50) if first else None,
                     "total_speedup": pct([r["total_s"] for r in full], 50) / total,
                     "first_token_vs_1000_read": first / read_s if first else None,
                     "facts": f"{sum(bool(r['ok']) for r in got)}/{sum(r['ok'] is not None for r in got)}",
                     "same_text": f"{sum(r['text'] == f['text'] for r, f in zip(got, full))}/{len(got)}"})
    return {"rows": rows, "read_1000_tokens_s": round(read_s, 2), "ingest_s": round(ingest_s, 1),
            "build_states_s": round(build_s, 1), "ingest_with_states_s": round(ingest_s + build_s, 1), "chunks": chunks,
            "states_saved": saved, "state_bytes_per_chunk": disk // max(saved, 1),
            "state_bytes_seed_store": disk * chunks // max(saved, 1),
            "answers": {name: [{"id": i.id, **r} for i, r in zip(items, got)] for name, got in runs.items()}}


if __name__ == "__main__":
    main()
