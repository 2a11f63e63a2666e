"""What a filter costs the BM25 side: searches over N synthetic chunks, unfiltered and with a date or article filter.

    python -m bench.filter_speed [--chunks 100000]
"""

from __future__ import annotations

import argparse
import random
import time

from rag.retrieve.keyword import KeywordIndex
from rag.types import Chunk, Filters


def ms(fn, repeat: int = 10) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    return round((time.perf_counter() - started) * 1000 / repeat, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    n = parser.parse_args().chunks
    rng = random.Random(0)
    words = [f"w{i}" for i in range(5000)]
    chunks = [Chunk(id=f"a{i // 10}:{i % 10}", article_id=f"a{i // 10}", n=i % 10, text=" ".join(rng.choices(words, k=60)),
                    start=0, end=1, date=f"2023-{1 + i // 10 % 12:02d}-{1 + i // 10 % 28:02d}") for i in range(n)]
    index = KeywordIndex(chunks)
    query, month = "w1 w2 w3 w40", Filters.parse(since="2023-03-01", until="2023-03-31")
    articles = Filters.parse([f"a{i}" for i in range(50)])
    print(f"{n} chunks: unfiltered search {ms(lambda: index.search(query, 20))} ms")
    print(f"first filtered search (reads the chunks' dates and ids): {ms(lambda: index.search(query, 20, month), 1)} ms")
    print(f"date filter (one month): {ms(lambda: index.search(query, 20, month))} ms")
    print(f"article filter (50 articles): {ms(lambda: index.search(query, 20, articles))} ms")


if __name__ == "__main__":
    main()
