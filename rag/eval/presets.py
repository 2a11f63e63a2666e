"""Named configurations to compare, each a small override of the base settings.

Every configuration evaluates against its own collection (prefix ``eval``) holding exactly the
evaluation corpus, so the user's own store, whatever it holds, never skews the numbers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from rag.errors import InputError
from rag.settings import Settings, load_settings

EVAL_COLLECTION = "eval"

PRESETS: dict[str, dict] = {
    "dense": {"retrieval": {"mode": "dense"}},
    "hybrid": {"retrieval": {"mode": "hybrid"}},
    "hybrid-rerank": {"retrieval": {"mode": "hybrid", "rerank": True}},
    "k3": {"retrieval": {"k": 3}},
    "k6": {"retrieval": {"k": 6}},
    "chunk80": {"chunking": {"chunk_size": 80}},
    "chunk120": {"chunking": {"chunk_size": 120, "chunk_overlap": 20}},  # the default before 80
    "chunk200": {"chunking": {"chunk_size": 200}},
    "qwen0.5b": {"llm": {"model": "qwen2.5-0.5b"}},
    "naive": {},  # the llama-index baseline over the default settings' chunks (rag.eval.baseline)
    # The default without query expansion (rag.retrieve.expansion), to measure what it buys in the same run.
    "no-expansion": {"retrieval": {"expand_min_cosine": None}},
}
DEFAULT_PRESETS = ("hybrid", "naive")


@dataclass
class EvalConfig:
    name: str
    settings: Settings
    naive: bool = False
    replay: dict | None = None  # question id -> stored row: re-check answers a model already wrote


def deep_merge(base: dict, override: dict) -> dict:
    out = dict(base)
    for key, value in override.items():
        out[key] = deep_merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def for_eval(settings: Settings, overrides: dict | None = None) -> Settings:
    """The settings with ``overrides`` applied and the evaluation's own collection."""
    merged = deep_merge(settings.model_dump(), overrides or {})
    merged = deep_merge(merged, {"store": {"collection": EVAL_COLLECTION}})
    return Settings(**merged)


def preset_config(name: str, base: Settings) -> EvalConfig:
    if name not in PRESETS:
        raise InputError(f"unknown preset {name!r}; choose from: {', '.join(PRESETS)}")
    return EvalConfig(name=name, settings=for_eval(base, PRESETS[name]), naive=name == "naive")


def file_config(path: str | Path) -> EvalConfig:
    """A TOML settings file is one configuration, named after the file."""
    return EvalConfig(name=Path(path).stem, settings=for_eval(load_settings(path)))


def parse_assignment(text: str) -> tuple[str, str]:
    """'answer.min_claim_coverage=0.5' -> ('answer.min_claim_coverage', '0.5')."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or "=" in key:
        raise InputError(f"expected KEY=VALUE, got {text!r} (e.g. --set answer.min_claim_coverage=0.5)")
    return key.strip(), value.strip()


def nested(key: str, value: str) -> dict:
    """{'answer': {'min_claim_coverage': 0.5}} from a dotted key; JSON values are parsed, others kept as text."""
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        parsed = value
    out: dict = parsed
    for part in reversed(key.split(".")):
        out = {part: out}
    return out


def with_overrides(config: EvalConfig, assignments: list[tuple[str, str]], suffix: str = "") -> EvalConfig:
    merged = config.settings.model_dump()
    for key, value in assignments:
        merged = deep_merge(merged, nested(key, value))
    try:
        settings = Settings(**merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(f"bad setting {'.'.join(map(str, first['loc']))}: {first['msg']} (see: rag info --json)") from None
    return EvalConfig(name=f"{config.name}{suffix}", settings=settings, naive=config.naive, replay=config.replay)


def swept(configs: list[EvalConfig], sweeps: list[str]) -> list[EvalConfig]:
    """Each non-naive configuration once per combination of the swept values (the naive one once)."""
    for sweep in sweeps:
        key, values = parse_assignment(sweep)
        out = []
        for config in configs:
            if config.naive:
                out.append(config)
                continue
            out += [with_overrides(config, [(key, v)], f" {key.split('.')[-1]}={v}") for v in values.split(",") if v.strip()]
        configs = out
    return configs


def resolve_configs(base_config: str | None, presets: list[str], files: list[str], sets: list[str] = (),
                    sweeps: list[str] = (), replayed: list[EvalConfig] = ()) -> list[EvalConfig]:
    """Replayed configurations, files, then presets (with none of them: hybrid vs naive); then --set on all, then --sweep."""
    configs = list(replayed) + [file_config(f) for f in files]
    if presets or not configs:
        base = load_settings(base_config)
        configs += [preset_config(p, base) for p in (presets or DEFAULT_PRESETS)]
    assignments = [parse_assignment(a) for a in sets]
    configs = swept([with_overrides(c, assignments) for c in configs], list(sweeps))
    names = [c.name for c in configs]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise InputError(f"configuration named twice: {', '.join(sorted(duplicates))} (rename a TOML file)")
    return configs
