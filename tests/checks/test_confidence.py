"""The model's confidence in what its answer adds (rag.checks.confidence), read from llama.cpp's token log-probabilities,
and the warning it gives. Token lists are scripted the way llama.cpp's Qwen tokenizer splits text."""

from __future__ import annotations

import pytest

from rag.ask.wording import UNSURE_WARNING
from rag.checks.check import check_answer
from rag.checks.confidence import added_word_logprobs, confidence
from rag.settings import AnswerSettings
from rag.types import Answer, Chunk, Passage, Verdict

COSMONAUT = ("Kim Jong Un a visité le cosmodrome. Moscou a proposé à Pyongyang d’envoyer un cosmonaute nord-coréen dans "
             "l’espace, selon les agences russes.")
QUESTION = "Comment s'appelle le cosmonaute nord-coréen qui doit partir dans l'espace ?"
REPLY = "Le cosmonaute nord-coréen qui doit partir dans l'espace est Kim Jong Un [1]."


def tokens(added: float) -> list[tuple[str, float]]:
    """REPLY as the model wrote it: the question's words near-certain, 'est Kim Jong Un' at ``added``."""
    return [("Le", -0.2), (" cosm", -0.01), ("onaute", 0.0), (" nord", -0.01), ("-c", 0.0), ("orée", 0.0), ("n", 0.0),
            (" qui", -0.05), (" doit", -0.02), (" partir", -0.01), (" dans", 0.0), (" l", 0.0), ("'", 0.0),
            ("espace", 0.0), (" est", added), (" Kim", added), (" Jong", -0.01), (" Un", -0.01), (" [", -0.1),
            ("1", -0.2), ("].", -0.01), ("", -0.02)]


def check(reply_tokens, settings: AnswerSettings | None = None) -> Answer:
    chunk = Chunk(id="a:0", article_id="a", n=0, text=COSMONAUT, start=0, end=len(COSMONAUT))
    answer = Answer(question=QUESTION, text="", citations=[], passages=[Passage(chunk, 1.0, 1)], abstained=False,
                    language="fr", tokens=reply_tokens)
    return check_answer(answer, REPLY, settings or AnswerSettings())


def test_only_the_first_token_of_each_word_the_question_lacks_counts():
    # added: 'qui', 'dans' (function words the question's content words lack), 'est', 'Kim', 'Jong'; not the question's
    # words, nor 'Le' and 'Un' (two letters), nor what follows a word's first token ('onaute'), nor the marker
    assert added_word_logprobs(tokens(-2.0), QUESTION) == [-0.05, 0.0, -2.0, -2.0, -0.01]
    assert confidence(tokens(-2.0), QUESTION) == pytest.approx(-0.812, abs=1e-3)
    assert confidence([("Le", -1.0), (" cosm", -1.0), ("onaute", -3.0)], QUESTION) is None
    assert confidence([], QUESTION) is None


def test_an_answer_the_model_hesitated_over_is_unverified_with_a_warning_to_check_it():
    result = check(tokens(-2.0))
    assert not result.abstained and "Kim Jong Un" in result.text and result.verdict == Verdict.UNVERIFIED
    assert result.confidence == pytest.approx(-0.812, abs=1e-3) and result.to_dict()["confidence"] == result.confidence
    assert UNSURE_WARNING in result.warnings


def test_the_same_answer_written_with_confidence_has_no_warning():
    result = check(tokens(-0.05))
    assert "Kim Jong Un" in result.text and result.confidence > -0.65 and UNSURE_WARNING not in result.warnings


def test_no_tokens_means_no_confidence_and_no_warning():
    # an OpenAI-compatible server, or sampling at a temperature, gives no log-probabilities
    result = check([])
    assert result.confidence is None and UNSURE_WARNING not in result.warnings


def test_the_confidence_check_is_off_with_none():
    result = check(tokens(-5.0), AnswerSettings(min_confidence=None))
    assert UNSURE_WARNING not in result.warnings


def test_the_pipeline_passes_the_models_tokens_to_the_checks_and_the_json(make_services):
    from conftest import SEEDS

    from rag import answer, ingest
    from rag.models.llm import Usage

    services = make_services(script=["Poutine a offert à Kim une carabine de production russe [1]."])
    ingest(services, [SEEDS], progress=False)
    llm, stream = services.llm, services.llm.stream_chat

    def hesitant(messages, max_tokens, passages=None):  # the scripted reply, written with hesitation over every word
        yield from stream(messages, max_tokens)
        llm.usage = Usage(llm.usage.prompt_tokens, llm.usage.completion_tokens,
                          [(f" {w}", -2.0) for w in ["Poutine", "a", "offert", "à", "Kim", "une", "carabine", "de", "production", "russe"]])

    llm.stream_chat = hesitant
    result = answer(services, "Quel cadeau Poutine a-t-il offert à Kim ?")
    assert not result.abstained and result.confidence == -2.0 and UNSURE_WARNING in result.warnings
    assert result.to_dict()["confidence"] == -2.0
