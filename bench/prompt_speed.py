"""What attending to the cached system prompt costs: first token and total of llama.cpp options against the default, in one run.

llama.cpp keeps the fixed system prompt evaluated from one question to the next, so it is not read
again; but every new token (the passages, the question, the answer) still attends to it. This
script measures that cost the way ``rag eval`` meets it: one ``llama_cpp.Llama`` per variant, each
question asked after the previous one (its prompt and answer still cached), the variants taking turns
on each question (in the opposite order on the second pass), so that a machine that slows down
mid-run slows them all. Variants:

- ``default``: the system prompt (rules and worked examples of every kind of question) as ``rag`` runs it;
- ``flash attention`` and ``f32 KV cache``: llama.cpp options that could make attending to a long cached
  prefix cheaper on a CPU;
- ``--system FILE``: a candidate system prompt (its speed only: answers need ``rag eval``).

The user messages are the project's own (``bench.llm_speed.seed_prompts``: seed questions, hashing
embedder, hybrid retrieval, k=4). Ratios are against ``default`` question by question; ``same text``
counts the answers identical to the default's (greedy decoding: any difference is numerical).

Usage: python -m bench.prompt_speed [--prompts 8] [--max-tokens 64] [--system FILE] [--quick]
"""

from __future__ import annotations

import argparse
import gc
import statistics
from pathlib import Path

from bench.common import machine_info, markdown_table, quiet_logs, write_results
from bench.llm_speed import generate, seed_prompts

F32 = 0  # ggml's type number for 32-bit floats (llama.cpp's KV cache is f16 by default)


def variants(system_file: Path | None) -> dict[str, tuple[str, dict]]:
    """name -> (system prompt, extra ``Llama`` keyword arguments)."""
    from rag.ask.prompting import SYSTEM_PROMPT

    out = {"default": (SYSTEM_PROMPT, {}), "flash attention": (SYSTEM_PROMPT, {"flash_attn": True}),
           "f32 KV cache": (SYSTEM_PROMPT, {"type_k": F32, "type_v": F32})}
    if system_file is not None:
        out[f"candidate ({system_file.name})"] = (system_file.read_text(encoding="utf-8").strip(), {})
    return out


def run(prompts: list[list[dict]], chosen: dict[str, tuple[str, dict]], max_tokens: int, passes: int) -> dict[str, list[dict]]:
    from llama_cpp import Llama

    from rag import load_settings
    from rag.models.files import resolve_gguf
    from rag.models.llm import engine_options

    settings = load_settings()
    model = resolve_gguf(settings.llm.model, settings.models_dir)
    llms = {name: Llama(model_path=str(model), **{**engine_options(settings.llm), **kwargs}) for name, (_, kwargs) in chosen.items()}
    for name, (system, _) in chosen.items():  # a previous question in the cache, as in a running server
        generate(llms[name], [{"role": "system", "content": system}, prompts[-1][1]], max_tokens, cold=True)
    runs: dict[str, list[dict]] = {name: [] for name in chosen}
    for n in range(passes):
        for user in (p[1] for p in prompts):
            order = list(chosen) if n % 2 == 0 else list(reversed(chosen))
            for name in order:
                runs[name].append(generate(llms[name], [{"role": "system", "content": chosen[name][0]}, user], max_tokens, cold=False))
    del llms
    gc.collect()
    return runs


def summarize(runs: dict[str, list[dict]]) -> list[dict]:
    default = runs["default"]
    rows = []
    for name, rs in runs.items():
        rows.append({
            "variant": name,
            "prompt_tokens": round(statistics.mean(r["prompt_tokens"] for r in rs)),
            "ttft_p50_s": round(statistics.median(r["ttft_s"] for r in rs), 2),
            "ttft_minus_default_p50_s": round(statistics.median(r["ttft_s"] - t["ttft_s"] for r, t in zip(rs, default)), 3),
            "total_vs_default_p50": round(statistics.median(r["total_s"] / t["total_s"] for r, t in zip(rs, default)), 3),
            "gen_tok_s": round(statistics.median(r["gen_tok_s"] for r in rs if r["gen_tok_s"]), 1),
            "same_text_as_default": f"{sum(r['text'] == d['text'] for r, d in zip(rs, default))}/{len(rs)}",
        })
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--passes", type=int, default=2, help="each pass asks every question once (alternating the variants' order)")
    parser.add_argument("--system", type=Path, help="a candidate system prompt (text file) to time beside the default")
    parser.add_argument("--quick", action="store_true", help="2 questions, one pass, 8 tokens: checks that it runs")
    args = parser.parse_args(argv)
    quiet_logs()
    if args.quick:
        args.prompts, args.passes, args.max_tokens = 2, 1, 8
    prompts = seed_prompts(args.prompts)
    rows = summarize(run(prompts, variants(args.system), args.max_tokens, args.passes))
    print("\n## The cached system prompt\n\n" + markdown_table(rows, list(rows[0])))
    info = machine_info(prompts=args.prompts, passes=args.passes, max_tokens=args.max_tokens, quick=args.quick)
    path = write_results("prompt_speed" + ("-quick" if args.quick else ""), {"machine": info, "rows": rows})
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
