"""The prompt's layout: what varies comes after the fixed system prompt, in the order the settings ask for."""

from __future__ import annotations

from rag.ask.prompting import SYSTEM_PROMPT, build_messages
from rag.types import Chunk, Passage


def _passages(*texts: str) -> list[Passage]:
    return [Passage(Chunk(id=f"a:{i}", article_id="a", n=i, text=t, start=0, end=len(t)), 1.0, i + 1) for i, t in enumerate(texts)]


def test_passages_come_in_rank_order_after_the_system_prompt_and_before_the_question():
    system, user = build_messages("Qui ?", _passages("Premier.", "Second."), "fr")
    assert system == {"role": "system", "content": SYSTEM_PROMPT}
    assert user["content"].index("[1] Premier.") < user["content"].index("[2] Second.") < user["content"].index("Question: Qui ?")
