from conftest import SEEDS

from rag.ingestion.chunking import Chunker, article_hash
from rag.ingestion.loading import iter_articles
from rag.settings import ChunkingSettings


def seed_article(stem="001_637cde7ca846b1b3"):
    return next(iter_articles([SEEDS / f"{stem}.txt"]))


def test_chunks_have_deterministic_ids_and_exact_offsets():
    article = seed_article()
    chunks = Chunker(ChunkingSettings(chunk_size=60, chunk_overlap=10))(article)
    assert len(chunks) > 5
    assert [c.id for c in chunks] == [f"{article.id}:{n}" for n in range(len(chunks))]
    for c in chunks:
        assert article.text[c.start : c.end] == c.text
    assert chunks == Chunker(ChunkingSettings(chunk_size=60, chunk_overlap=10))(article)


def test_chunks_end_on_sentence_boundaries_and_overlap():
    article = seed_article()
    chunks = Chunker(ChunkingSettings(chunk_size=60, chunk_overlap=15))(article)
    ends_cleanly = sum(c.text.rstrip()[-1] in ".!?»\"”)" for c in chunks[:-1])
    assert ends_cleanly >= len(chunks) // 2
    assert any(chunks[i + 1].start < chunks[i].end for i in range(len(chunks) - 1))


def test_hash_changes_with_text_or_chunking():
    article = seed_article()
    cfg = ChunkingSettings()
    assert article_hash(article, cfg) == article_hash(article, cfg)
    assert article_hash(article, cfg) != article_hash(article, ChunkingSettings(chunk_size=50))


def test_article_is_rebuilt_from_its_chunks(seeded):
    from rag.types import Chunk, join_chunks

    article = "Premier paragraphe. Il continue ici.\n\nDeuxième paragraphe, long. Fin."
    pieces = [(0, 36), (20, 36), (25, 52), (38, len(article))]  # overlaps, a contained one, a gap
    chunks = [Chunk(id=f"a:{n}", article_id="a", n=n, text=article[s:e], start=s, end=e) for n, (s, e) in enumerate(pieces)]
    assert join_chunks(chunks) == article
    article_id = seeded.store.articles()[0]["id"]
    stored = seeded.store.article_chunks(article_id)
    text = seeded.store.article_text(article_id)
    assert all(c.text in text for c in stored) and len(text) <= sum(len(c.text) + 2 for c in stored)
