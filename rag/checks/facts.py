"""What the checks need to know of a question, computed once: its language and the passages', its form,
whether it asks what the articles say against each other, and the previous question it follows."""

from __future__ import annotations

from dataclasses import dataclass

from rag.ask.questions import asks_to_compare, question_form
from rag.text import detect_language
from rag.types import Form, Passage


@dataclass(frozen=True)
class QuestionFacts:
    text: str
    language: str
    passage_language: str
    form: Form
    compares: bool  # "les articles s'accordent-ils...?": each article's sentence is quoted
    follows: str = ""  # a follow-up's previous question

    @property
    def crosses(self) -> bool:
        """The question is in another language than the passages: words do not match, only cognates and names."""
        return self.language != self.passage_language


def question_facts(question: str, passages: list[Passage], follows: str = "") -> QuestionFacts:
    language = detect_language(question)
    text = " ".join(p.chunk.text for p in passages)
    passage_language = detect_language(text) if text.strip() else language
    return QuestionFacts(question, language, passage_language, Form(question_form(question, language)),
                         asks_to_compare(question), follows)
