"""Re-check answers a model already wrote, without the model: `rag eval --replay report.json`.

Generating an answer costs seconds on a laptop; checking one costs milliseconds. A full run
stores, per question, the model's raw text and the passages it was given; replaying it under
other answer settings (``--set``, ``--sweep``) measures a validation rule or a threshold over
the whole set in seconds. What depends on the prompt or the model is not replayed: a change
there needs a full run. So is a second try (``answer.second_try``): the model's first text is
checked, as if the second try were off.
"""

from __future__ import annotations

import json
from pathlib import Path

from rag.errors import InputError
from rag.eval.presets import EvalConfig, for_eval
from rag.settings import Settings
from rag.types import Answer, Passage


def replay_configs(path: str | Path, names: list[str] | None = None) -> list[EvalConfig]:
    """One configuration per (non-naive) configuration of a full-run report, with its stored rows."""
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
        settings = for_eval(Settings(**{k: v for k, v in stored["settings"].items() if k != "ui"}))
        rows = {r["id"]: r for r in stored["rows"] if "error" not in r}
        configs.append(EvalConfig(name=f"{stored['name']} (replayed)", settings=settings, replay=rows))
    if not configs:
        raise InputError(f"{path} holds no configuration to replay{' named ' + ', '.join(names) if names else ''}")
    return configs


class ReplaySystem:
    """Answers from stored rows, checked again under this configuration's answer settings."""

    def __init__(self, services, rows: dict[str, dict]):
        from rag.eval.support import EmbeddingJudge

        self.services = services
        self.rows = rows
        self.judge = EmbeddingJudge(services.embedder, services.store)

    def _row(self, item) -> dict:
        row = self.rows.get(item.id)
        if row is None or "passages" not in row:
            raise InputError(f"question {item.id} has no stored answer with its passages in the replayed report")
        return row

    def rank(self, item):
        from rag.eval.runner import Outcome

        row = self._row(item)
        return Outcome(row["retrieved"], row["retrieved_chunks"], dict(row["timings"]))

    def warm_up(self, retrieval_only: bool) -> None:
        pass

    def ask(self, item):
        from rag.eval.runner import pipeline_outcome
        from rag.legacy import validate_v1
        from rag.pipeline import gate
        from rag.conversation import previous_turn
        from rag.text import detect_language
        from rag.validation import abstain, validate

        row, cfg = self._row(item), self.services.settings
        chunks = {c.id: c for c in self.services.store.chunks_of({cid.rsplit(":", 1)[0] for cid in row["passages"]})}
        passages = [Passage(chunks[cid], 0.0, rank, dense_score=d) for rank, (cid, d) in enumerate(zip(row["passages"], row["dense"]), 1)]
        answer = Answer(question=item.question, text="", citations=[], passages=passages, abstained=False,
                        language=detect_language(item.question), timings=dict(row["timings"]),
                        follows=previous_turn(item.history)[0], tokens=[tuple(t) for t in row.get("tokens", [])])
        gated = gate(answer, cfg.retrieval.min_dense_score)
        if not gated and row.get("abstain_code") == "off_topic":  # the run's gate read the cosines before they were rounded
            abstain(answer, "off_topic", row.get("abstain_reason", "").partition("(")[2].rstrip(")"))
        elif not gated:  # an empty text is the model declining, as in the run
            check = validate if cfg.answer.checks == "v2" else validate_v1
            check(answer, row.get("first_try") or row.get("model_text") or "", cfg.answer, self.services.embedder)
        out = pipeline_outcome(answer, self.rank(item))
        out.prompt_tokens, out.completion_tokens = row.get("prompt_tokens", 0), row.get("completion_tokens", 0)
        self.judge.prepare(out.cited)
        return out
