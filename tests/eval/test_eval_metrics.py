import json
import math

import pytest
from conftest import ROOT

from rag.errors import InputError
from rag.eval import metrics as m
from rag.eval.dataset import load_dataset, parse_lines
from rag.eval.support import judged_sentences, lexical_supports
from rag.types import Chunk, Passage

GOLD = {"A", "C"}


def test_hit_at_k():
    ranked = ["B", "C", "A", "D"]
    assert m.hit_at_k(ranked, GOLD, 1) == 0.0
    assert m.hit_at_k(ranked, GOLD, 2) == 1.0
    assert m.hit_at_k([], GOLD, 5) == 0.0


def test_reciprocal_rank_and_cutoff():
    assert m.reciprocal_rank(["B", "C", "A"], GOLD) == 0.5
    assert m.reciprocal_rank(["A"], GOLD) == 1.0
    assert m.reciprocal_rank(["B", "B", "D", "D", "D", "A"], GOLD, k=5) == 0.0
    assert m.mean([m.reciprocal_rank(["A"], GOLD), m.reciprocal_rank(["B", "A"], GOLD), m.reciprocal_rank(["B"], GOLD)]) == pytest.approx(0.5)


def test_ndcg_worked_example():
    # passages from articles B, A, A, C, D -> deduped B, A, C, D (positions 1..4); gold {A, C}
    # DCG = 1/log2(3) + 1/log2(4) = 0.6309 + 0.5 ; IDCG = 1/log2(2) + 1/log2(3) = 1 + 0.6309
    expected = (1 / math.log2(3) + 0.5) / (1 + 1 / math.log2(3))
    assert m.ndcg_at_k(["B", "A", "A", "C", "D"], GOLD, 5) == pytest.approx(expected)
    assert expected == pytest.approx(0.6934, abs=1e-4)


def test_ndcg_counts_each_article_once():
    assert m.ndcg_at_k(["A", "A", "A"], {"A"}, 5) == pytest.approx(1.0)
    assert m.ndcg_at_k(["A", "C"], GOLD, 5) == pytest.approx(1.0)
    assert m.ndcg_at_k(["B", "D"], GOLD, 5) == 0.0
    assert m.ndcg_at_k(["A"], set(), 5) == 0.0
    assert m.ndcg_at_k(["B", "A"], {"A"}, 1) == 0.0  # cut at k passages before deduping


def test_must_include_accents_and_case():
    groups = [["Vostotchny", "Vostochny"], ["gant", "glove"]]
    assert m.must_include_ok("Au cosmodrome de VOSTOTCHNY, Poutine a offert un Gant.", groups)
    assert m.must_include_ok("He gave a glove at Vostochny.", groups)
    assert not m.must_include_ok("Au cosmodrome de Vostotchny.", groups)
    assert m.must_include_ok("La Coree du Nord", [["Corée"]]) and m.must_include_ok("LA CORÉE", [["coree"]])
    assert m.must_include_ok("anything", [])


def test_citation_recall_precision_alce():
    facts = {"p1": {"s1"}, "p2": {"s1"}, "p3": set(), "p4": {"s3a"}, "p5": {"s3b"}}

    def supports(sentence, cited):  # s3 needs p4 and p5 together
        got = set().union(*(facts[p] for p in cited))
        return "s1" in got if sentence == "s1" else {"s3a", "s3b"} <= got if sentence == "s3" else False

    pairs = [("s1", ["p1", "p3"]), ("s2", []), ("s3", ["p4", "p5"])]
    recall, precision = m.citation_recall_precision(pairs, supports)
    assert recall == pytest.approx(2 / 3)  # s2 cites nothing
    assert precision == pytest.approx(3 / 4)  # p3 neither supports alone nor is needed
    # p1 and p2 both support s1 alone: both precise
    assert m.citation_recall_precision([("s1", ["p1", "p2"])], supports) == (1.0, 1.0)
    # unsupported sentence: its citations are not precise
    assert m.citation_recall_precision([("s2", ["p1"])], supports) == (0.0, 0.0)
    assert m.citation_recall_precision([("s1", [])], supports) == (0.0, 0.0)
    assert m.citation_recall_precision([], supports) == (0.0, 0.0)


def test_abstention_scores():
    abstained = [True, True, False, False, True, False]
    answerable = [False, True, False, True, True, True]
    s = m.abstention_scores(abstained, answerable)
    assert s["abstain_precision"] == pytest.approx(1 / 3)  # 1 of 3 abstentions was right
    assert s["abstain_recall"] == pytest.approx(1 / 2)  # 1 of 2 unanswerable
    assert s["false_abstention"] == pytest.approx(2 / 4)
    none = m.abstention_scores([False, False], [True, True])
    assert none == {"abstain_precision": None, "abstain_recall": None, "false_abstention": 0.0}


def test_percentiles_and_speed():
    values = [1.0, 2.0, 3.0, 4.0, None]
    assert m.percentile(values, 50) == 2.5
    assert m.percentile(values, 95) == pytest.approx(3.85)
    assert m.percentile([7.0], 95) == 7.0
    assert m.percentile([None], 50) is None
    assert m.mean([None]) is None
    # 9 tokens after the first in 1.5 s, 4 in 0.5 s; the abstained question (None) is skipped
    assert m.tokens_per_second([10, 5, 0], [0.5, 1.0, None], [2.0, 1.5, 0.1]) == pytest.approx(13 / 2.0)


def _passage(text: str, cid: str = "a:0") -> Passage:
    return Passage(chunk=Chunk(id=cid, article_id=cid.split(":")[0], n=0, text=text, start=0, end=len(text)), score=1.0)


def test_judged_sentences_and_lexical_judge():
    p1 = _passage("Poutine a offert à Kim un gant de combinaison spatiale.", "a:0")
    p2 = _passage("Le train blindé roule à 60 km/h.", "b:0")
    pairs = judged_sentences("Poutine a offert un gant spatial [1]. Le train roule à 80 km/h [2]. Voilà.", [p1, p2])
    assert [(s, [p.chunk.id for p in c]) for s, c in pairs] == [
        ("Poutine a offert un gant spatial.", ["a:0"]), ("Le train roule à 80 km/h.", ["b:0"]), ("Voilà.", [])]
    assert lexical_supports(pairs[0][0], [p1])
    assert not lexical_supports(pairs[1][0], [p2])  # 80 is not in the passage
    assert not lexical_supports(pairs[0][0], [p2])


def test_dataset_errors_name_file_and_line():
    good = {"id": "x1", "question": "Q ?", "language": "fr", "answerable": True, "gold_sources": ["a"],
            "reference_answer": "r", "must_include": [["r"]], "kind": "factoid"}
    lines = ["# header", "", json.dumps(good)]
    assert [i.id for i in parse_lines(lines, "f.jsonl")] == ["x1"]
    cases = {
        "{not json": "f.jsonl:1: invalid JSON",
        json.dumps({**good, "language": "de"}): "f.jsonl:1: 'language' must be one of fr, en",
        json.dumps({**good, "gold_sources": []}): "needs at least one gold source",
        json.dumps({**good, "must_include": [[]]}): "'must_include'",
        json.dumps({**good, "history": [{"role": "bot", "content": "x"}]}): "'history' turn",
        json.dumps({**good, "kind": "other"}): "'kind'",
    }
    for line, message in cases.items():
        with pytest.raises(InputError, match=message.replace("(", r"\(")):
            parse_lines([line], "f.jsonl")
    with pytest.raises(InputError, match="f.jsonl:2: duplicate id 'x1'"):
        parse_lines([json.dumps(good), json.dumps(good)], "f.jsonl")


def test_dev_set_loads():
    items = load_dataset(ROOT / "seeds" / "eval" / "dev.jsonl")
    assert len(items) == 352
    assert sum(not i.answerable for i in items) == 57
    assert len({i.id for i in items}) == len(items)
    assert all(i.history for i in items if i.kind == "followup")
    test = [i for i in items if i.split == "test"]
    for kind in ("factoid", "yesno", "either_or", "two_part", "role", "followup", "disagreement", "unanswerable"):
        assert sum(i.kind == kind for i in test) >= 10, kind
    assert sum(i.language == "en" for i in test) >= 10


def test_must_include_matches_whole_words_and_must_not_include_catches_the_opposite():
    assert not m.must_include_ok("Moscou a annoncé la date.", [["non"]])
    assert m.must_include_ok("Non, Moscou n'a rien annoncé.", [["non"]])
    assert m.must_include_ok("Le trajet fait 1.200 km.", [["1.200", "1200"]])
    assert not m.must_include_ok("Un entrainement.", [["train"]])
    assert m.must_not_include_ok("Poutine a offert un gant à Kim.", ["Kim a offert"])
    assert not m.must_not_include_ok("Oui, il l'a confirmé.", ["oui", "yes"])
