"""What each check rule is worth, cross-validated over the whole dev set: `rag eval --replay REPORT --rules`.

Every rule that can change a verdict or what the answer shows is switched off (or, for a candidate that is
off by default, on) and the stored texts of a full run are checked again. The questions are dealt into
``folds`` parts, each kind of question spread evenly; on each part the gain of the default over the
variant is measured, so a rule's gain comes with its spread across the parts. The measures:

- verdict accuracy: among the answers shown, the verdict is right (``verified`` exactly when the answer is right);
- verified precision: right answers among the verified ones;
- right verified: verified answers among the right ones shown;
- right shown: answerable questions whose shown answer holds the must-include words.

A rule stays when it gains verdict accuracy on average without costing right answers shown (docs/experiments/).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from statistics import fmean

from rag.eval.dataset import EvalItem
from rag.eval.runner import right_answer
from rag.eval.systems import replayed_answer
from rag.settings import Settings

# name -> (rules switched off, answer settings changed): the variant without the lever (or with a candidate).
LEVERS: dict[str, tuple[frozenset[str], dict]] = {
    **{rule: (frozenset({rule}), {}) for rule in ("numbers", "names", "coverage", "polarity", "roles")},
    "restated": (frozenset({"restated"}), {}),
    "off_question": (frozenset({"off_question"}), {}),
    "confidence": (frozenset({"confidence"}), {}),
    "compare_articles": (frozenset(), {"compare_articles": False}),
}
CANDIDATES: set[str] = set()  # levers off by default: the table shows what turning one on gains
MEASURES = ("verdict_accuracy", "verified_precision", "right_verified", "right_shown")


@dataclass(frozen=True)
class Judged:
    shown: bool
    verified: bool
    right: bool
    answerable: bool


def fold_of(items: list[EvalItem], folds: int) -> dict[str, int]:
    """Each question's part: within each kind, questions in a fixed pseudo-random order dealt round-robin."""
    out: dict[str, int] = {}
    for kind in sorted({i.kind for i in items}):
        ordered = sorted((i for i in items if i.kind == kind), key=lambda i: zlib.crc32(i.id.encode()))
        out.update({item.id: n % folds for n, item in enumerate(ordered)})
    return out


def judge_all(services, items: list[EvalItem], rows: dict[str, dict], off: frozenset[str]) -> dict[str, Judged]:
    out = {}
    for item in items:
        answer = replayed_answer(services, item, rows[item.id], off)
        right = right_answer(item, answer.text, answer.abstained)
        out[item.id] = Judged(not answer.abstained, answer.verdict == "verified", bool(right), item.answerable)
    return out


def measures(judged: list[Judged]) -> dict[str, float | None]:
    shown = [j for j in judged if j.shown]
    verified = [j for j in shown if j.verified]
    right_shown = [j for j in shown if j.right and j.answerable]
    answerable = [j for j in judged if j.answerable]
    share = lambda hits, pool: sum(hits) / len(pool) if pool else None  # noqa: E731
    return {
        "verdict_accuracy": share([j.verified == (j.right and j.answerable) for j in shown], shown),
        "verified_precision": share([j.right and j.answerable for j in verified], verified),
        "right_verified": share([j.verified for j in right_shown], right_shown),
        "right_shown": share([j.shown and j.right for j in answerable], answerable),
    }


def gains(default: dict[str, Judged], variant: dict[str, Judged], parts: dict[str, int], folds: int) -> dict[str, list[float]]:
    """Per measure, ``default``'s gain over ``variant`` on each part (in points)."""
    out: dict[str, list[float]] = {k: [] for k in MEASURES}
    for part in range(folds):
        ids = [i for i, p in parts.items() if p == part]
        a, b = measures([default[i] for i in ids]), measures([variant[i] for i in ids])
        for key in MEASURES:
            if a[key] is not None and b[key] is not None:
                out[key].append(100 * (a[key] - b[key]))
    return out


def rule_table(services, items: list[EvalItem], rows: dict[str, dict], folds: int = 5) -> list[str]:
    """The Markdown table: what each lever gains (in points, positive: it helps), its mean over the parts and the spread
    (min..max) across them; a rule on by default against the default without it, a candidate as turned on."""
    parts = fold_of(items, folds)
    base_settings = services.settings
    default = judge_all(services, items, rows, frozenset())
    lines = [f"| lever | {' | '.join(MEASURES)} |", "|---" * (len(MEASURES) + 1) + "|"]
    overall = measures(list(default.values()))
    lines.append("| (default, all parts) | " + " | ".join(f"{100 * overall[k]:.1f}" if overall[k] is not None else "n.a."
                                                     for k in MEASURES) + " |")
    for name, (off, changes) in LEVERS.items():
        services.settings = Settings(**{**base_settings.model_dump(), "answer": {**base_settings.answer.model_dump(), **changes}})
        try:
            variant = judge_all(services, items, rows, off)
        finally:
            services.settings = base_settings
        per_part = gains(variant, default, parts, folds) if name in CANDIDATES else gains(default, variant, parts, folds)
        cells = [f"{fmean(v):+.1f} ({min(v):+.1f}..{max(v):+.1f})" if v else "n.a." for v in (per_part[k] for k in MEASURES)]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines
