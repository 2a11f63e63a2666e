"""Search latency at 1k, 10k and 100k chunks: embedded Chroma folder vs a `chroma run` server.

The corpus is synthetic (bench/corpus.py): real seed sentences recombined into 8-chunk articles,
with precomputed random unit vectors, so building 100k chunks costs minutes, not hours of
embedding. Queries are the questions of seeds/eval/dev.jsonl, embedded by the hashing fake (a
constant cost of microseconds, so the dense figure is Chroma's). Per store and size:

- build: upsert time of the whole corpus, and the BM25 index's first build (cold process);
- dense: ``store.query(vector, candidates)`` (HNSW top-20 with documents and metadata);
- bm25: ``keyword_index().search(question, candidates)`` including its per-query freshness check;
- hybrid: ``Retriever.retrieve(question)`` (dense + BM25, RRF, dedup, exact cosines of the top k),
  i.e. everything `rag search` does after loading the models.

Usage: python -m bench.search_latency --sizes 1000 10000 100000 --stores embedded server [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
from pathlib import Path

from bench.common import machine_info, markdown_table, quiet_logs, repeat_ms, summary_ms, timed, write_results
from bench.corpus import DIM, SEEDS, fill_store, open_bench_store, random_unit_vectors, synthetic_chunks


def questions() -> list[str]:
    from rag.eval.dataset import load_dataset

    return [i.question for i in load_dataset(SEEDS / "eval" / "dev.jsonl")]


def measure(store, n: int, kind: str, queries: list[str], runs: int) -> list[dict]:
    from rag.models.embedding import HashingEmbedder
    from rag.retrieve.retrieval import Retriever
    from rag.settings import RetrievalSettings

    chunks = synthetic_chunks(n, seed=1)
    build_s = fill_store(store, chunks, random_unit_vectors(len(chunks), seed=1))
    embedder = HashingEmbedder(DIM)
    cfg = RetrievalSettings(min_dense_score=0.0)
    retriever = Retriever(store, embedder, cfg)
    bm25_build_s, _ = timed(retriever.keyword_index)
    vectors = [embedder.embed_queries([q])[0] for q in queries]
    cycle = {"i": 0}

    def next_query() -> int:
        cycle["i"] = (cycle["i"] + 1) % len(queries)
        return cycle["i"]

    ops = {
        "dense": lambda: store.query(vectors[next_query()], cfg.candidates),
        "bm25": lambda: retriever.keyword_index().search(queries[next_query()], cfg.candidates),
        "hybrid": lambda: retriever.retrieve(queries[next_query()]),
    }
    rows = []
    for op, fn in ops.items():
        stats = summary_ms(repeat_ms(fn, runs, warmup=3))
        rows.append({"chunks": n, "store": kind, "op": op, **stats})
    rows[0].update(upsert_s=round(build_s, 1), bm25_build_s=round(bm25_build_s, 2))
    return rows


def run(sizes: list[int], stores: list[str], runs: int, workdir: Path) -> list[dict]:
    from bench.servers import chroma_server

    rows: list[dict] = []
    for n in sizes:
        for kind in stores:
            with contextlib.ExitStack() as stack:
                url = stack.enter_context(chroma_server(workdir / f"server-{n}")) if kind == "server" else None
                store = open_bench_store(url, workdir / f"embedded-{n}")
                rows += measure(store, n, kind, questions(), runs)
                print(markdown_table(rows[-3:], ["chunks", "store", "op", "p50_ms", "p95_ms", "upsert_s", "bm25_build_s"]), flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--stores", nargs="+", choices=["embedded", "server"], default=["embedded", "server"])
    parser.add_argument("--runs", type=int, default=100, help="timed queries per operation (default 100)")
    parser.add_argument("--workdir", default=None, help="where the stores are built (default: a temp folder, removed)")
    parser.add_argument("--quick", action="store_true", help="smoke test: 1000 chunks, 10 queries per operation")
    args = parser.parse_args(argv)
    quiet_logs()
    sizes, runs = ([1000], 10) if args.quick else (args.sizes, args.runs)
    with contextlib.ExitStack() as stack:
        workdir = Path(args.workdir) if args.workdir else Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-search-")))
        rows = run(sizes, args.stores, runs, workdir)
    print("\n## Search latency (ms)\n")
    print(markdown_table(rows, ["chunks", "store", "op", "p50_ms", "p95_ms", "n", "upsert_s", "bm25_build_s"]))
    info = machine_info(corpus="synthetic: seed sentences recombined, random unit vectors", dim=DIM, quick=args.quick)
    path = write_results("search_latency" + ("-quick" if args.quick else ""), {"machine": info, "rows": rows})
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
