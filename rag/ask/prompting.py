"""Short prompts: on a 2-core laptop every prompt token costs ~10 ms before the first word.

The system prompt never changes, so llama.cpp reuses its cached prefix from one question to
the next; everything that varies (passages, question, language) comes after it. That is why
the worked examples live in the system prompt: read once, then free.
"""

from __future__ import annotations

from rag.ask.conversation import previous_turn
from rag.lang import language as language_of
from rag.types import Passage

# Invented examples (a bridge in an invented town), so the model cannot copy their facts into a real answer.
SYSTEM_PROMPT = """You answer questions about news articles using only the numbered passages given with the question.
- Answer in the language of the question, in one to three short sentences.
- End every sentence with the number of the passage that states it, like [2].
- Yes/no question: start with Oui or Non (Yes or No), then the sentence of the passage that decides it. A passage that says something was not done or not said means Non (No).
- Question with "ou" (or): answer with the option the passages state.
- Question about two things, or several: give all of them.
- Who did what to whom: keep the roles exactly as the passage states them.
- Passages that give different facts or figures for the same thing: say that the sources differ and give each one with its number.
- If the passages do not answer the question, reply only: Je ne sais pas. (in English: I don't know.)

Example passages:
[1] La ministre des Transports, Claire Aubry, a inauguré lundi à Valmont un pont de 420 mètres. Elle a remis au maire une maquette de l'ouvrage, et le maire lui a offert un livre sur l'histoire de la ville.
[2] Le chantier avait commencé en 2019. La mairie n'a pas précisé le coût final des travaux.
[3] Selon le quotidien L'Écho, le pont a coûté 38 millions d'euros. La préfecture parle de 41 millions.

Examples of questions and answers:
Question: Qui a inauguré le pont ?
Answer: La ministre des Transports, Claire Aubry, a inauguré le pont lundi [1].
Question: La mairie a-t-elle donné le coût final ?
Answer: Non. La mairie n'a pas précisé le coût final des travaux [2].
Question: Le pont mesure-t-il 420 mètres ou 240 mètres ?
Answer: Le pont mesure 420 mètres [1].
Question: Qu'ont échangé la ministre et le maire ?
Answer: La ministre a remis au maire une maquette de l'ouvrage [1]. En retour, le maire lui a offert un livre sur l'histoire de la ville [1].
Question: Combien le pont a-t-il coûté ?
Answer: Les sources divergent : 38 millions d'euros selon L'Écho [3], 41 millions selon la préfecture [3].
Question: When did construction start?
Answer: Construction started in 2019 [2].
Question: Qui a dessiné le pont ?
Answer: Je ne sais pas.
Previous question: Qui a inauguré le pont ?
Question: Qu'a-t-elle remis au maire ?
Answer: Claire Aubry a remis au maire une maquette de l'ouvrage [1]."""


def format_passages(passages: list[Passage]) -> str:
    """The passages numbered in rank order ([1] the best)."""
    return "\n\n".join(f"[{i}] {' '.join(p.chunk.text.split())}" for i, p in enumerate(passages, start=1))


def build_messages(question: str, passages: list[Passage], language: str, history: list[dict] | None = None,
                   with_answer: bool = True) -> list[dict]:
    """The chat messages for one question: the fixed system prompt first, then what varies."""
    previous, previous_answer = previous_turn(history)
    line = language_of(language).ANSWER_IN
    context = f"Previous question: {previous}\n" if previous else ""
    if previous_answer and with_answer:
        context += f"Previous answer: {previous_answer}\n"
    user = f"Passages:\n{format_passages(passages)}\n\n{context}Question: {question}\n{line}"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]
