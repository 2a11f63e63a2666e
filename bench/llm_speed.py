"""LLM speed on CPU: time to first token and tokens/s, against the memory-bandwidth bound.

Generating one token reads every weight once, so tokens/s can't beat (memory bandwidth ÷ model
bytes). The bandwidth is measured here with numpy (a large-array sum: one thread and all cores;
a copy), and the bound uses the better read figure. Speculative decoding checks several tokens
per pass over the weights, so it alone can beat the bound. Prompts are the project's own: ``rag.ask.prompting.build_messages`` on the
passages retrieved for seed questions (hashing embedder, hybrid retrieval, k=4).

Configurations, each a fresh ``llama_cpp.Llama`` (n_ctx 2048, greedy), compared with
llama-cpp-python's defaults (n_batch 256, n_threads unset, which it turns into cpu_count // 2 for
generation and cpu_count for the prompt). What ``rag`` uses (LlamaCppLLM: all cores, n_batch 512)
came out of this comparison:
- n_threads: every other value in {1, 2, cpu_count} (generation threads);
- n_batch: 64 and 512 (prompt-processing batch);
- prompt-lookup decoding: ``draft_model=LlamaPromptLookupDecoding(num_pred_tokens=2 | 10)``
  (drafts tokens by matching the last n-gram in the prompt; answers copy from the passages).
  llama-cpp-python 0.3.36 needs ``logits_all=True`` with a draft model (else its logits buffer
  overflows past n_batch tokens), which makes the prompt slower and costs n_ctx x vocab floats;
- warm prefix: the defaults' object without a reset between questions, so llama-cpp-python reuses
  the longest cached prefix (the system prompt at least) instead of the cold prompt (reset first);
- combined: the configurations that answered faster (whole answer, > 5%), their knobs together.
Greedy decoding makes every configuration write the same text; ``same_text`` checks it.

Usage: python -m bench.llm_speed [--models qwen2.5-1.5b qwen2.5-0.5b] [--prompts 3] [--max-tokens 96] [--quick]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import machine_info, markdown_table, quiet_logs, write_results
from bench.corpus import SEEDS


def memory_bandwidth(mb: int = 512, tries: int = 5) -> dict:
    """GB/s of numpy over ``mb`` MB, best of ``tries``: a sum (read) on one thread and split over all
    cores (numpy releases the GIL in reductions), and a copy (read + write traffic, one thread)."""
    from concurrent.futures import ThreadPoolExecutor

    a = np.ones(mb * (1 << 20) // 8)
    b = np.empty_like(a)
    parts = np.array_split(a, os.cpu_count() or 1)
    best = {"sum": float("inf"), "sum_all": float("inf"), "copy": float("inf")}
    with ThreadPoolExecutor(len(parts)) as pool:
        for _ in range(tries):
            for key, fn in (("sum", a.sum), ("sum_all", lambda: list(pool.map(np.sum, parts))), ("copy", lambda: np.copyto(b, a))):
                started = time.perf_counter()
                fn()
                best[key] = min(best[key], time.perf_counter() - started)
    gb = a.nbytes / 1e9
    return {"read_gb_s": round(gb / best["sum"], 2), "read_all_cores_gb_s": round(gb / best["sum_all"], 2),
            "copy_gb_s": round(2 * gb / best["copy"], 2), "array_mb": mb}


def seed_prompts(n: int) -> list[list[dict]]:
    """``n`` French seed questions, each as the chat messages the pipeline would send."""
    from rag import build_services, ingest, load_settings
    from rag.ask.prompting import build_messages
    from rag.eval.dataset import load_dataset
    from rag.text import detect_language

    items = load_dataset(SEEDS / "eval" / "dev.jsonl")
    picked = [i.question for i in items if i.answerable and i.language == "fr" and not i.history][:n]
    with tempfile.TemporaryDirectory(prefix="bench-llm-") as tmp:
        services = build_services(load_settings(data_dir=Path(tmp), embedder={"backend": "hashing"}, llm={"backend": "fake"}))
        ingest(services, [SEEDS], progress=False)
        return [build_messages(q, services.retriever.retrieve(q, k=4), detect_language(q)) for q in picked]


def generate(llm, messages: list[dict], max_tokens: int, cold: bool) -> dict:
    if cold:
        llm.reset()  # forget the cached tokens: the whole prompt is evaluated again
    started = time.perf_counter()
    first, pieces = None, []
    for chunk in llm.create_chat_completion(messages=messages, max_tokens=max_tokens, temperature=0.0, stream=True):
        delta = chunk["choices"][0]["delta"].get("content")
        if delta:
            first = first or time.perf_counter()
            pieces.append(delta)
    end = time.perf_counter()
    ttft = (first or end) - started
    prompt_tokens = max(llm.n_tokens - len(pieces), 0)
    return {"ttft_s": ttft, "total_s": end - started, "gen_tok_s": (len(pieces) - 1) / (end - first) if first and len(pieces) > 1 else None,
            "tokens": len(pieces), "prompt_tokens": prompt_tokens, "text": "".join(pieces)}


def configurations(quick: bool) -> list[tuple[str, dict, bool]]:
    """(name, Llama keyword arguments, cold) for every configuration; llama-cpp-python's defaults first."""
    defaults = {"n_batch": 256, "n_threads": None}
    default_threads = max((os.cpu_count() or 2) // 2, 1)
    threads = sorted({1, 2, os.cpu_count() or 2} - {default_threads})
    configs = [(f"llama-cpp-python defaults (n_batch 256, n_threads default={default_threads})", defaults, True)]
    configs += [(f"n_threads={t}", {**defaults, "n_threads": t}, True) for t in threads]
    configs += [(f"n_batch={b}", {**defaults, "n_batch": b}, True) for b in ((512,) if quick else (64, 512))]
    configs += [(f"prompt-lookup decoding ({k})", {**defaults, "draft": k}, True) for k in ((2,) if quick else (2, 10))]
    configs.append(("warm prefix (no reset between questions)", defaults, False))
    return configs


def load(model: Path, kwargs: dict):
    from llama_cpp import Llama
    from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

    kwargs = dict(kwargs)
    draft = kwargs.pop("draft", None)
    if draft:  # llama-cpp-python sizes its logits buffer from this argument, not from draft_model (0.3.36)
        kwargs.update(draft_model=LlamaPromptLookupDecoding(num_pred_tokens=draft), logits_all=True)
    return Llama(model_path=str(model), n_ctx=2048, verbose=False, **kwargs)


def run_config(model: Path, name: str, kwargs: dict, cold: bool, prompts, max_tokens: int, repeats: int) -> dict:
    llm = load(model, kwargs)
    if not cold:  # a running server's state: an earlier question left the system prompt cached
        from rag.ask.prompting import build_messages

        generate(llm, build_messages("Qui a rencontré qui ?", [], "fr"), 4, cold=True)
    runs = [generate(llm, p, max_tokens, cold) for _ in range(repeats) for p in prompts]
    del llm
    gc.collect()
    speeds = [r["gen_tok_s"] for r in runs if r["gen_tok_s"]]
    return {
        "config": name, "ttft_s": round(statistics.median(r["ttft_s"] for r in runs), 2),
        "total_s": round(statistics.median(r["total_s"] for r in runs), 2),
        "gen_tok_s": round(statistics.median(speeds), 2) if speeds else None,
        "prompt_tok_s": round(statistics.median(r["prompt_tokens"] / r["ttft_s"] for r in runs), 1),
        "prompt_tokens": round(statistics.mean(r["prompt_tokens"] for r in runs)),
        "tokens": round(statistics.mean(r["tokens"] for r in runs), 1), "_texts": [r["text"] for r in runs],
        "_kwargs": kwargs, "_cold": cold,
    }


def faster(rows: list[dict], margin: float = 0.05) -> list[dict]:
    """Configurations that answer faster than defaults (whole answer: prompt + generation) by more than ``margin``."""
    return [r for r in rows[1:] if r["total_vs_defaults"] < 1 - margin]


def combined(model: Path, rows: list[dict], prompts, max_tokens: int, repeats: int) -> dict | None:
    winners = faster(rows)
    if len(winners) < 2:
        return None
    defaults = rows[0]["_kwargs"]
    kwargs, cold = dict(defaults), True
    for r in sorted(winners, key=lambda r: -r["total_vs_defaults"]):  # the best value of a knob is applied last
        kwargs.update({k: v for k, v in r["_kwargs"].items() if defaults.get(k) != v})
        cold = cold and r["_cold"]
    names = " + ".join(r["config"].split(" (")[0] for r in winners)
    return run_config(model, f"combined: {names}", kwargs, cold, prompts, max_tokens, repeats)


def bench_model(name: str, prompts, max_tokens: int, repeats: int, bandwidth: dict, quick: bool) -> list[dict]:
    from rag import load_settings
    from rag.models.files import PRESETS, ensure_preset

    model = ensure_preset(PRESETS[name], load_settings().models_dir)
    size = model.stat().st_size
    bound = max(bandwidth["read_gb_s"], bandwidth["read_all_cores_gb_s"]) * 1e9 / size
    rows = []
    for config, kwargs, cold in configurations(quick):
        rows.append(run_config(model, config, kwargs, cold, prompts, max_tokens, repeats))
        print(f"  {name}: {config}: first token {rows[-1]['ttft_s']}s, {rows[-1]['gen_tok_s']} tok/s", flush=True)
    if not quick and (extra := combined(model, _scored(rows, bound), prompts, max_tokens, repeats)):
        rows.append(extra)
    rows = _scored(rows, bound)
    for r in rows:
        r.update(model=name, model_mb=round(size / 1e6), bound_tok_s=round(bound, 1))
    return rows


def _scored(rows: list[dict], bound: float) -> list[dict]:
    base = rows[0]
    for r in rows:
        r["same_text"] = r["_texts"] == base["_texts"]
        r["ttft_vs_defaults"] = round(r["ttft_s"] / base["ttft_s"], 2)
        r["total_vs_defaults"] = round(r["total_s"] / base["total_s"], 2)
        r["gen_vs_defaults"] = round(r["gen_tok_s"] / base["gen_tok_s"], 2) if r["gen_tok_s"] and base["gen_tok_s"] else None
        r["pct_of_bound"] = round(100 * r["gen_tok_s"] / bound, 1) if r["gen_tok_s"] else None
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["qwen2.5-1.5b"], choices=["qwen2.5-1.5b", "qwen2.5-0.5b"])
    parser.add_argument("--prompts", type=int, default=3, help="seed questions per configuration (default 3)")
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--repeats", type=int, default=1, help="passes over the prompts (median taken)")
    parser.add_argument("--bandwidth-mb", type=int, default=512)
    parser.add_argument("--quick", action="store_true", help="smoke test: 0.5B, 1 prompt, 16 tokens, fewer configurations")
    args = parser.parse_args(argv)
    quiet_logs()
    if args.quick:
        args.models, args.prompts, args.max_tokens, args.repeats, args.bandwidth_mb = ["qwen2.5-0.5b"], 1, 16, 1, 64
    bandwidth = memory_bandwidth(args.bandwidth_mb)
    print(f"memory bandwidth (numpy): read {bandwidth['read_gb_s']} GB/s on 1 thread, {bandwidth['read_all_cores_gb_s']} GB/s "
          f"on all cores; copy {bandwidth['copy_gb_s']} GB/s", flush=True)
    prompts = seed_prompts(args.prompts)
    rows = [r for m in args.models for r in bench_model(m, prompts, args.max_tokens, args.repeats, bandwidth, args.quick)]
    columns = ["model", "config", "ttft_s", "ttft_vs_defaults", "prompt_tok_s", "gen_tok_s", "gen_vs_defaults",
               "total_s", "total_vs_defaults", "tokens", "bound_tok_s", "pct_of_bound", "same_text"]
    print("\n## LLM speed\n\n" + markdown_table(rows, columns))
    for m in args.models:
        mine = [r for r in rows if r["model"] == m]
        wins = faster(mine)
        print(f"\n{m}: answers faster than defaults (>5% on the whole answer): " + (", ".join(
              f"{r['config']} (total x{r['total_vs_defaults']}: first token x{r['ttft_vs_defaults']}, tokens/s x{r['gen_vs_defaults']})"
              for r in wins) or "none"))
    for r in rows:
        r["sample_text"] = r.pop("_texts")[0][:200]
        r["llama_kwargs"] = {k: v for k, v in r.pop("_kwargs").items()}
        r["cold_prompt"] = r.pop("_cold")
    info = machine_info(bandwidth=bandwidth, prompts=args.prompts, max_tokens=args.max_tokens, repeats=args.repeats, quick=args.quick)
    path = write_results("llm_speed" + ("-quick" if args.quick else ""), {"machine": info, "rows": rows})
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
