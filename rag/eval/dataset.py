"""The evaluation set: one JSON object per line, validated field by field.

A bad line stops the run with ``file:line: what is wrong``, so a typo in a hand-written set is
found before minutes of generation are spent. Blank lines and lines starting with ``#`` are
skipped (drafts from ``rag eval generate`` carry a ``#`` header asking for review).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rag.ask.conversation import history_problem
from rag.errors import InputError

# The classes of question the report breaks every metric down by (seeds/eval/README.md).
KINDS = ("factoid", "yesno", "either_or", "two_part", "role", "followup", "disagreement", "unanswerable")
LANGUAGES = ("fr", "en")
SPLITS = ("tune", "test")


@dataclass(frozen=True)
class EvalItem:
    id: str
    question: str
    language: str
    answerable: bool
    gold_sources: list[str]
    reference_answer: str
    must_include: list[list[str]]
    kind: str
    history: list[dict] = field(default_factory=list)
    synthetic: bool = False
    split: str = "tune"
    must_not_include: list[str] = field(default_factory=list)
    note: str = ""

    def to_dict(self) -> dict:
        out = asdict(self)
        for optional in ("history", "synthetic", "must_not_include", "note"):
            if not out[optional]:
                out.pop(optional)
        return out


def _is_str_list(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)


def _check_answer_fields(rec: dict) -> str | None:
    if not isinstance(rec.get("answerable"), bool):
        return "'answerable' must be true or false"
    if not isinstance(rec.get("gold_sources"), list) or not all(isinstance(s, str) and s for s in rec["gold_sources"]):
        return "'gold_sources' must be a list of article ids"
    if rec["answerable"] and not rec["gold_sources"]:
        return "an answerable question needs at least one gold source"
    if not rec["answerable"] and rec["gold_sources"]:
        return "an unanswerable question must have no gold source"
    if not isinstance(rec.get("reference_answer", ""), str):
        return "'reference_answer' must be a string"
    groups = rec.get("must_include", [])
    if not isinstance(groups, list) or not all(_is_str_list(g) and g for g in groups):
        return "'must_include' must be a list of non-empty lists of strings"
    if not _is_str_list(rec.get("must_not_include", [])):
        return "'must_not_include' must be a list of strings"
    if rec.get("split", "tune") not in SPLITS:
        return f"'split' must be one of {', '.join(SPLITS)} (got {rec.get('split')!r})"
    return None


def check_record(rec) -> str | None:
    """What is wrong with one parsed line, or None when it is a valid item."""
    if not isinstance(rec, dict):
        return "not a JSON object"
    for name in ("id", "question"):
        if not isinstance(rec.get(name), str) or not rec[name].strip():
            return f"missing or empty '{name}'"
    if rec.get("language") not in LANGUAGES:
        return f"'language' must be one of {', '.join(LANGUAGES)} (got {rec.get('language')!r})"
    if rec.get("kind") not in KINDS:
        return f"'kind' must be one of {', '.join(KINDS)} (got {rec.get('kind')!r})"
    if "history" in rec and (problem := history_problem(rec["history"])):
        return problem
    return _check_answer_fields(rec)


def _item(rec: dict) -> EvalItem:
    return EvalItem(
        id=rec["id"], question=rec["question"].strip(), language=rec["language"], answerable=rec["answerable"],
        gold_sources=list(rec["gold_sources"]), reference_answer=rec.get("reference_answer", ""),
        must_include=[list(g) for g in rec.get("must_include", [])], kind=rec["kind"],
        history=list(rec.get("history", [])), synthetic=bool(rec.get("synthetic", False)),
        split=rec.get("split", "tune"), must_not_include=list(rec.get("must_not_include", [])), note=str(rec.get("note", "")),
    )


def parse_lines(lines, where: str) -> list[EvalItem]:
    items: list[EvalItem] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}:{number}: invalid JSON ({exc.msg} at column {exc.colno})") from None
        if problem := check_record(rec):
            raise InputError(f"{where}:{number}: {problem}")
        if rec["id"] in seen:
            raise InputError(f"{where}:{number}: duplicate id {rec['id']!r}")
        seen.add(rec["id"])
        items.append(_item(rec))
    return items


def load_dataset(path: str | Path, limit: int | None = None) -> list[EvalItem]:
    """Parse and validate an evaluation set; ``limit`` keeps the first N questions."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"evaluation set not found: {path} (give a JSONL file with --dataset)")
    with path.open(encoding="utf-8") as fh:
        items = parse_lines(fh, str(path))
    if not items:
        raise InputError(f"{path}: no questions in the evaluation set")
    return items[:limit] if limit else items


def select(items: list[EvalItem], split: str = "all", kinds: list[str] | None = None, limit: int | None = None) -> list[EvalItem]:
    """The questions of one split ('tune', 'test' or 'all') and of the given kinds, the first ``limit`` of them."""
    unknown = sorted(set(kinds or ()) - set(KINDS))
    if unknown:
        raise InputError(f"unknown kind {', '.join(unknown)}; choose from: {', '.join(KINDS)}")
    chosen = [i for i in items if (split == "all" or i.split == split) and (not kinds or i.kind in kinds)]
    if not chosen:
        raise InputError(f"no question of split {split!r} and kinds {', '.join(kinds or ['any'])} in the evaluation set")
    return chosen[:limit] if limit else chosen
