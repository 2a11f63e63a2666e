"""The chat history a follow-up question comes with: its shape, checked in one place."""

from __future__ import annotations

from rag.errors import InputError

ROLES = ("user", "assistant")


def history_problem(history) -> str | None:
    """What is wrong with ``history``, or None when it is a list of {role, content} turns."""
    if not isinstance(history, list):
        return "'history' must be a list of {role, content} turns"
    for turn in history:
        if not isinstance(turn, dict) or turn.get("role") not in ROLES or not isinstance(turn.get("content"), str):
            return "each 'history' turn must be {\"role\": \"user\"|\"assistant\", \"content\": str}"
    return None


def checked_history(history, where: str = "history") -> list[dict]:
    """``history`` as plain {role, content} dicts; InputError with ``where`` when it is malformed."""
    if history is None:
        return []
    if problem := history_problem(history):
        raise InputError(f"{where}: {problem}")
    return [{"role": t["role"], "content": t["content"]} for t in history]
