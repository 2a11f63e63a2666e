from rag import search
from rag.retrieve.retrieval import collapse_duplicates, overlap, rrf_fuse, shingles
from rag.types import Chunk, Passage


def chunk(cid, text="x"):
    aid, n = cid.split(":")
    return Chunk(id=cid, article_id=aid, n=int(n), text=text, start=0, end=len(text))


def test_rrf_matches_hand_computed_scores():
    a, b, c = chunk("a:0"), chunk("b:0"), chunk("c:0")
    fused = rrf_fuse([[a, b], [b, c]], k=60)
    scores = {ch.id: s for ch, s in fused}
    assert abs(scores["b:0"] - (1 / 62 + 1 / 61)) < 1e-12
    assert abs(scores["a:0"] - 1 / 61) < 1e-12
    assert [ch.id for ch, _ in fused] == ["b:0", "a:0", "c:0"]


def test_near_duplicates_collapse_into_also_in():
    text = "Washington craint que la Russie ne s'approvisionne en armes pour ses opérations militaires en Ukraine."
    p1 = Passage(chunk("a:0", text + " Suite A."), 0.9)
    p2 = Passage(chunk("b:3", "Intro B. " + text), 0.8)
    p3 = Passage(chunk("c:1", "Poutine a offert un gant de combinaison spatiale."), 0.7)
    kept = collapse_duplicates([p1, p2, p3], threshold=0.6)
    assert [p.chunk.id for p in kept] == ["a:0", "c:1"]
    assert kept[0].also_in == ["b:3"]
    assert overlap(shingles(text), shingles("rien à voir du tout ici")) == 0.0


def test_hybrid_search_finds_names_and_ranks(seeded):
    passages = search(seeded, "gant combinaison spatiale carabine", k=3)
    assert passages[0].chunk.article_id == "004_e36b65c31de3faa9"
    assert [p.rank for p in passages] == [1, 2, 3]
    assert all(-1.0 <= p.dense_score <= 1.0 for p in passages)
    ids = [p.chunk.id for p in passages]
    assert len(ids) == len(set(ids))


def test_search_returns_distinct_passages_after_dedup(seeded):
    passages = search(seeded, "Washington craint que la Russie s'approvisionne en armes", k=4)
    texts = [shingles(p.chunk.text) for p in passages]
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            assert overlap(texts[i], texts[j]) < seeded.settings.retrieval.dedup_threshold
    assert any(p.also_in for p in passages)


def test_bm25_only_and_dense_only_modes(make_services):
    from conftest import SEEDS

    from rag import ingest

    for mode in ("bm25", "dense"):
        services = make_services(retrieval={"mode": mode})
        ingest(services, [SEEDS], progress=False)
        top = search(services, "Oleg Kojemiako Telegram", k=1)[0]
        assert top.chunk.article_id == "000_31a72e92112284c7"
