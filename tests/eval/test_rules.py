"""The cross-validated rule table's parts and measures (rag.eval.rules)."""

from rag.eval.dataset import EvalItem
from rag.eval.rules import Judged, fold_of, gains, measures


def item(i: int, kind: str) -> EvalItem:
    return EvalItem(id=f"q{i:03}", question="?", language="fr", answerable=True, gold_sources=[], reference_answer="",
                    must_include=[], kind=kind, split="tune")


def test_each_kind_is_dealt_evenly_over_the_parts():
    items = [item(i, "factoid") for i in range(10)] + [item(100 + i, "yesno") for i in range(5)]
    parts = fold_of(items, 5)
    for kind, size in (("factoid", 2), ("yesno", 1)):
        counts = [sum(1 for i in items if i.kind == kind and parts[i.id] == p) for p in range(5)]
        assert counts == [size] * 5
    assert parts == fold_of(list(reversed(items)), 5)  # the deal does not depend on the file's order


def test_verdict_accuracy_counts_verified_right_and_unverified_wrong_answers():
    judged = [Judged(True, True, True, True), Judged(True, False, False, True), Judged(True, True, False, True),
              Judged(False, False, False, True), Judged(True, True, False, False)]
    got = measures(judged)
    assert got["verdict_accuracy"] == 2 / 4  # verified+right and unverified+wrong are right verdicts
    assert got["verified_precision"] == 1 / 3 and got["right_verified"] == 1.0 and got["right_shown"] == 1 / 4


def test_a_rule_that_only_marks_wrong_answers_unverified_gains_in_every_part():
    default = {f"q{i}": Judged(True, i % 2 == 0, i % 2 == 0, True) for i in range(10)}
    without = {f"q{i}": Judged(True, True, i % 2 == 0, True) for i in range(10)}  # everything verified
    parts = {f"q{i}": i // 5 for i in range(10)}
    per_part = gains(default, without, parts, 2)
    assert all(g > 0 for g in per_part["verdict_accuracy"]) and per_part["right_shown"] == [0.0, 0.0]
