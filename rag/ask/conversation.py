"""The chat history a follow-up question comes with: its shape, checked in one place."""

from __future__ import annotations

from rag.ask.wording import ABSTAIN_TEXT
from rag.errors import InputError
from rag.text import strip_markers

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


def previous_turn(history: list[dict] | None, answer_words: int = 40) -> tuple[str, str]:
    """The last user question of ``history`` and the answer that followed it (markers removed, cut
    to ``answer_words`` words; empty when it was an abstention): what a follow-up's pronouns point to."""
    question, answer = "", ""
    for turn in history or []:
        if turn.get("role") == "user":
            question, answer = turn["content"], ""
        elif turn.get("role") == "assistant" and question:
            answer = strip_markers(turn["content"])
    if answer in ABSTAIN_TEXT.values():
        answer = ""
    return question, " ".join(answer.split()[:answer_words])


def retrieval_query(question: str, history: list[dict] | None, with_answer: bool = True) -> str:
    """Follow-ups ("Et qu'a répondu Poutine ?") borrow the previous question's words, and its
    answer's, for retrieval: cheaper than asking the LLM to rewrite the question (a whole extra
    generation on 2 cores)."""
    previous, answer = previous_turn(history)
    parts = [previous, answer if with_answer else "", question]
    return " ".join(p for p in parts if p)
