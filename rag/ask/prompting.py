"""Short prompts: on a 2-core laptop every prompt token costs ~10 ms before the first word.

The system prompt never changes, so llama.cpp reuses its cached prefix from one question to
the next; everything that varies (passages, question, language) comes after it. That is why
the worked examples live in the system prompt: read once, then free.

Two styles, chosen by ``answer.prompt``: ``v1`` (rules only, the configuration before the
answer-quality work, kept as the ``today`` evaluation preset) and ``v2`` (rules and worked
examples of every kind of question).
"""

from __future__ import annotations

from rag.ask.conversation import previous_turn
from rag.types import Passage

SYSTEM_V1 = (
    "Answer the question using only the numbered passages. After each sentence, cite the passage "
    "it comes from, like [1]. Be brief: one to three sentences. If the passages do not contain the "
    "answer, reply only: I don't know."
)

# Invented examples (a bridge in an invented town), so the model cannot copy their facts into a real answer.
SYSTEM_V2 = """You answer questions about news articles using only the numbered passages given with the question.
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

SYSTEM_PROMPTS = {"v1": SYSTEM_V1, "v2": SYSTEM_V2}

LANGUAGE_LINE = {
    "v1": {"fr": "Réponds en français, en citant les passages comme [1].", "en": "Answer in English, citing the passages like [1]."},
    "v2": {"fr": "Réponds en français.", "en": "Answer in English."},
}



def format_passages(passages: list[Passage], best_last: bool = False) -> str:
    """The passages numbered in rank order ([1] the best); with ``best_last`` shown from the last to [1], next to the question."""
    numbered = [f"[{i}] {' '.join(p.chunk.text.split())}" for i, p in enumerate(passages, start=1)]
    return "\n\n".join(reversed(numbered) if best_last else numbered)


def build_messages(question: str, passages: list[Passage], language: str, history: list[dict] | None = None,
                   style: str = "v2", with_answer: bool = True, best_last: bool = False,
                   question_first: bool = False) -> list[dict]:
    """The chat messages for one question: the fixed system prompt first, then what varies."""
    previous, previous_answer = previous_turn(history)
    line = LANGUAGE_LINE[style].get(language, LANGUAGE_LINE[style]["en"])
    if style == "v1":
        asked = f"{question} (previous question: {previous})" if previous else question
        user = f"{format_passages(passages)}\n\nQuestion: {asked}\n{line}"
    else:
        context = f"Previous question: {previous}\n" if previous else ""
        if previous_answer and with_answer:
            context += f"Previous answer: {previous_answer}\n"
        before = f"Question: {question}\n\n" if question_first else ""
        user = f"{before}Passages:\n{format_passages(passages, best_last)}\n\n{context}Question: {question}\n{line}"
    return [{"role": "system", "content": SYSTEM_PROMPTS[style]}, {"role": "user", "content": user}]


# The instruction of a second try (answer.second_try), when the checks did not keep the first answer: a
# fresh prompt, not a reply in the same conversation (the 1.5B model only repeats its first answer when
# told it was wrong), asking for the passage's own words. It replaces the last line of the first prompt, so
# llama.cpp reads only these few tokens: the system prompt and the passages are its cached prefix.
SECOND_TRY = {
    "fr": "Recopie mot pour mot la phrase du passage qui répond à cette question, suivie du numéro du passage comme [2].",
    "en": "Answer in English with what the passage that answers this question says, followed by the passage's number like [2].",
}


def second_try_messages(messages: list[dict], language: str) -> list[dict]:
    """The first prompt with its last line (the language line) replaced by the second try's instruction."""
    *head, user = messages
    kept = user["content"].rsplit("\n", 1)[0]
    return [*head, {"role": "user", "content": f"{kept}\n{SECOND_TRY.get(language, SECOND_TRY['en'])}"}]
