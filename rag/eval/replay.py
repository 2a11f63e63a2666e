"""Re-check answers a model already wrote, without the model: `rag eval --replay report.json`.

Generating an answer costs seconds on a laptop; checking one costs milliseconds. A full run
stores, per question, the model's raw text and the passages it was given; replaying it under
other answer settings (``--set``, ``--sweep``) measures a check rule or a threshold over
the whole set in seconds. What depends on the prompt or the model is not replayed: a change
there needs a full run.
"""

from __future__ import annotations

import json
from pathlib import Path

from rag.errors import InputError
from rag.eval.presets import EvalConfig, for_eval
from rag.settings import AnswerSettings, Settings


def current_fields(stored: dict) -> dict:
    """A stored report's settings without the keys today's settings no longer have (a report outlives retired settings)."""
    out = {}
    for key, value in stored.items():
        field = Settings.model_fields.get(key)
        if field is None:
            continue
        section = getattr(field.annotation, "model_fields", None)
        out[key] = {k: v for k, v in value.items() if k in section} if section and isinstance(value, dict) else value
    return out


def replay_configs(path: str | Path, names: list[str] | None = None, answer: AnswerSettings | None = None) -> list[EvalConfig]:
    """One configuration per (non-naive) configuration of a full-run report, with its stored rows, its texts checked
    under ``answer`` (today's answer settings by default; ``--set`` changes them further)."""
    try:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read the report to replay {path}: {exc} (give the report.json of a full rag eval run)") from None
    if report.get("mode") != "full":
        raise InputError(f"{path} is a retrieval-only report: replay needs the answers of a full run")
    configs = []
    for stored in report["configs"]:
        if stored["naive"] or (names and stored["name"] not in names):
            continue
        stored_settings = current_fields({k: v for k, v in stored["settings"].items() if k != "ui"})
        stored_settings["answer"] = (answer or AnswerSettings()).model_dump()
        settings = for_eval(Settings(**stored_settings))
        rows = {r["id"]: r for r in stored["rows"] if "error" not in r}
        configs.append(EvalConfig(name=f"{stored['name']} (replayed)", settings=settings, replay=rows))
    if not configs:
        raise InputError(f"{path} holds no configuration to replay{' named ' + ', '.join(names) if names else ''}")
    return configs
