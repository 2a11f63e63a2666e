"""How much the BM25 keyword index costs to (re)build: cold start, per query, after small and large ingests.

Runs against the embedded store on a synthetic corpus (seed sentences recombined), through the
Retriever's public methods only (``keyword_index()``, ``invalidate()``), so the same script measures
any version of rag/keyword.py + rag/retrieval.py. Scenarios, in order, on one store:

- cold: a new process' first keyword query (fetch the chunks, tokenize, index; or load the saved index)
- per-query: the check a warm index does on every query (nothing changed)
- add-1: one new article (8 chunks) ingested by this process
- add-1 (ids named): the same, the ingest naming the changed article to ``invalidate`` (where supported)
- replace-1: one article's text changed, same number of chunks (the new words must be found)
- remove-1: one article removed
- add-other: one article ingested by another process (only the chunk count tells)
- add-20%: a large ingest (beyond the incremental threshold)
- new-process: a fresh Retriever on the final store (loads the saved index when there is one)

Usage: python -m bench.keyword_refresh --sizes 1000 10000 [--quick]
"""

from __future__ import annotations

import argparse
import inspect
import tempfile
from pathlib import Path

from bench.common import machine_info, markdown_table, quiet_logs, repeat_ms, summary_ms, timed, write_results
from bench.corpus import fill_store, open_bench_store, random_unit_vectors, synthetic_chunks

MARKER = "zyxwvutsrq"  # a word no seed sentence contains: found only if the replaced text was indexed


def make_retriever(store, cache_dir: Path):
    from rag.models.embedding import HashingEmbedder
    from rag.retrieve.retrieval import Retriever
    from rag.settings import RetrievalSettings

    kwargs = {"cache_dir": cache_dir} if "cache_dir" in inspect.signature(Retriever).parameters else {}
    return Retriever(store, HashingEmbedder(), RetrievalSettings(), **kwargs)


def _replace_one(store, chunks) -> None:
    from dataclasses import replace

    aid = chunks[0].article_id
    old = [c for c in chunks if c.article_id == aid]
    new = [replace(c, text=c.text + f" {MARKER}", article_hash="changed") for c in old]
    store.upsert(new, random_unit_vectors(len(new), seed=7), {aid: len(new)})


def run_size(n: int, workdir: Path) -> list[dict]:
    rows: list[dict] = []
    store_dir, cache_dir = workdir / f"store-{n}", workdir / f"keyword-{n}"
    store = open_bench_store(None, store_dir)
    chunks = synthetic_chunks(n, seed=1)
    build_s = fill_store(store, chunks, random_unit_vectors(len(chunks), seed=1))

    def step(name: str, retriever, prepare=None, check=None) -> None:
        if prepare:
            prepare()
        seconds, index = timed(retriever.keyword_index)
        row = {"chunks": n, "scenario": name, "ms": round(seconds * 1000, 1), "indexed": len(index.chunks)}
        if check is not None:
            row["ok"] = check(index)
        rows.append(row)

    retriever = make_retriever(store, cache_dir)
    step("cold", retriever)
    per_query = summary_ms(repeat_ms(retriever.keyword_index, 20))
    rows.append({"chunks": n, "scenario": "per-query", "ms": per_query["p50_ms"], "indexed": len(retriever.keyword_index().chunks)})
    extra = synthetic_chunks(8, seed=2, prefix="add")

    def add_here():
        fill_store(store, extra, random_unit_vectors(8, seed=2))
        retriever.invalidate()

    step("add-1", retriever, add_here, lambda ix: any(c.article_id == extra[0].article_id for c in ix.chunks))
    if "article_ids" in inspect.signature(retriever.invalidate).parameters:
        named = synthetic_chunks(8, seed=5, prefix="named")

        def add_named():
            fill_store(store, named, random_unit_vectors(8, seed=5))
            retriever.invalidate([named[0].article_id])

        step("add-1 (ids named)", retriever, add_named, lambda ix: any(c.article_id == named[0].article_id for c in ix.chunks))

    def replace_here():
        _replace_one(store, chunks)
        retriever.invalidate()

    step("replace-1", retriever, replace_here, lambda ix: bool(ix.search(MARKER, 3)))

    def remove_here():
        store.delete_article(extra[0].article_id)
        retriever.invalidate()

    step("remove-1", retriever, remove_here, lambda ix: not any(c.article_id == extra[0].article_id for c in ix.chunks))
    other = synthetic_chunks(8, seed=3, prefix="other")
    step("add-other", retriever, lambda: fill_store(open_bench_store(None, store_dir), other, random_unit_vectors(8, seed=3)),
         lambda ix: any(c.article_id == other[0].article_id for c in ix.chunks))
    big = synthetic_chunks(max(n // 5, 8), seed=4, prefix="big")

    def add_big():
        fill_store(store, big, random_unit_vectors(len(big), seed=4))
        retriever.invalidate()

    step("add-20%", retriever, add_big, lambda ix: len(ix.chunks) == store.count())
    fresh = make_retriever(open_bench_store(None, store_dir), cache_dir)
    step("new-process", fresh, check=lambda ix: len(ix.chunks) == store.count() and bool(ix.search(MARKER, 3)))
    rows[0]["store_build_s"] = round(build_s, 1)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--quick", action="store_true", help="smoke test: 1000 chunks only")
    parser.add_argument("--label", default="", help="suffix of the JSON file (e.g. before/after)")
    args = parser.parse_args(argv)
    quiet_logs()
    sizes = [1000] if args.quick else args.sizes
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-keyword-") as tmp:
        for n in sizes:
            rows += run_size(n, Path(tmp))
    print(markdown_table(rows, ["chunks", "scenario", "ms", "indexed", "ok", "store_build_s"]))
    name = "keyword_refresh" + (f"-{args.label}" if args.label else "") + ("-quick" if args.quick else "")
    print(f"\nwrote {write_results(name, {'machine': machine_info(), 'rows': rows})}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
