"""Query expansion into the corpus's own words (rag/expansion.py), on a word-table fake embedder."""

from __future__ import annotations

import zlib

import numpy as np

from rag.retrieve.expansion import QueryExpander
from rag.retrieve.keyword import KeywordIndex
from rag.types import Chunk

# Translation pairs share a direction; every other word gets its own (nearly orthogonal) one.
PAIRS = {"summit": "sommet", "sommet": "sommet", "gift": "cadeau", "cadeau": "cadeau", "glove": "gant", "gant": "gant"}


class WordEmbedder:
    dim = 256

    def __init__(self):
        self.embedded: list[str] = []

    def _vector(self, text: str) -> np.ndarray:
        word = text.strip().lower()
        rng = np.random.default_rng(zlib.crc32(PAIRS.get(word, word).encode()))
        v = rng.standard_normal(self.dim)
        return (v / np.linalg.norm(v)).astype(np.float32)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        self.embedded += texts
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)


def _chunks(*texts: str) -> list[Chunk]:
    return [Chunk(id=f"a:{i}", article_id="a", n=i, text=t, start=0, end=len(t), title="t") for i, t in enumerate(texts)]


CORPUS = _chunks(
    "Le sommet entre Poutine et Kim s'est tenu au cosmodrome de Vostotchny.",
    "Poutine a offert à Kim un gant de combinaison spatiale en cadeau.",
)


def test_words_the_corpus_lacks_get_their_nearest_corpus_word():
    expander = QueryExpander(WordEmbedder(), min_cosine=0.85, max_vocabulary=1000)
    index = KeywordIndex(CORPUS)
    # "summit" and "gift" are unknown to the corpus and have a near twin; "held" has none (nothing added);
    # "Vostotchny" and "Poutine" are the corpus's own words; "where", "the", "did" are function words.
    assert expander.added_words("Where was the summit held, and did Poutine bring a gift to Vostotchny?", index) == ["sommet", "cadeau"]
    assert expander.expand("What was the gift?", index) == "What was the gift? cadeau"
    assert expander.expand("Le sommet de Vostotchny", index) == "Le sommet de Vostotchny"


def test_the_threshold_decides_and_above_one_nothing_is_added():
    index = KeywordIndex(CORPUS)
    assert QueryExpander(WordEmbedder(), min_cosine=1.01, max_vocabulary=1000).added_words("the summit", index) == []
    # with no threshold at all, any unknown word gets some corpus word
    assert len(QueryExpander(WordEmbedder(), min_cosine=-1.0, max_vocabulary=1000).added_words("held summit", index)) == 2


def test_the_vocabulary_is_embedded_once_and_only_new_words_after_a_refresh():
    embedder = WordEmbedder()
    expander = QueryExpander(embedder, min_cosine=0.85, max_vocabulary=1000)
    index = KeywordIndex(CORPUS)
    expander.added_words("the summit", index)
    vocabulary = set(embedder.embedded) - {"summit"}
    assert {"sommet", "cadeau", "gant", "cosmodrome"} <= vocabulary
    embedder.embedded.clear()
    expander.added_words("the gift", index)
    assert embedder.embedded == ["gift"]  # the question word only
    embedder.embedded.clear()
    bigger = KeywordIndex(CORPUS + [Chunk(id="b:0", article_id="b", n=0, text="Un train blindé vert.", start=0, end=21)], previous=index)
    assert expander.added_words("the glove", bigger) == ["gant"]
    assert sorted(embedder.embedded) == sorted(["blinde", "train", "vert", "glove"])


def test_only_the_most_frequent_words_are_embedded_when_the_vocabulary_is_capped():
    embedder = WordEmbedder()
    index = KeywordIndex(CORPUS)
    QueryExpander(embedder, min_cosine=0.85, max_vocabulary=2).added_words("the summit", index)
    assert len(embedder.embedded) == 3 and {"poutine", "kim"} <= set(embedder.embedded)  # in both chunks


def test_the_retriever_searches_the_expanded_query(seeded):
    services = seeded
    retriever = services.retriever
    retriever.expander.embedder = WordEmbedder()
    question = "Which glove?"
    assert retriever.expanded(question) == "Which glove? gant"
    top = retriever.retrieve(question, k=1)[0]
    assert "gant" in top.chunk.text
    services.settings.retrieval.expand_min_cosine = None
    assert retriever.expanded(question) == question


def test_an_answer_reports_the_expanded_query_as_what_was_searched(seeded):
    from rag import answer

    seeded.retriever.expander.embedder = WordEmbedder()
    seeded.retriever.warm_up()
    result = answer(seeded, "Which glove?")
    assert result.retrieval_query == "Which glove? gant"
    assert result.to_dict()["retrieval_query"] == "Which glove? gant"


def test_the_vectors_are_saved_so_a_new_process_does_not_embed_the_vocabulary_again(tmp_path):
    cache = tmp_path / "keyword" / "expansion-words.npz"
    index = KeywordIndex(CORPUS)
    first = WordEmbedder()
    assert QueryExpander(first, 0.85, 1000, cache).added_words("the summit", index) == ["sommet"]
    assert cache.exists() and len(first.embedded) > 10
    again = WordEmbedder()
    assert QueryExpander(again, 0.85, 1000, cache).added_words("the summit", index) == ["sommet"]
    assert again.embedded == ["summit"]
    cache.write_bytes(b"not a numpy file")  # damaged: ignored, embedded again, rewritten
    third = WordEmbedder()
    assert QueryExpander(third, 0.85, 1000, cache).added_words("the summit", index) == ["sommet"]
    assert len(third.embedded) > 10
    assert QueryExpander(WordEmbedder(), 0.85, 1000, cache)._load().keys() == set(first.embedded) - {"summit"}
