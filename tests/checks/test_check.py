"""The one check stage on scripted model outputs: a verdict for every sentence and for the answer.

Each reply is a shape the 1.5B model really gives on the dev set, over passages of the seed articles.
The checks annotate: no sentence the model wrote is ever removed from the answer.
"""

from __future__ import annotations

import pytest
from checks.passages import ARMY, DEPART_000, DEPART_001, GIFTS, MEETING, SUMMIT, passages

from rag.ask.wording import NOT_FOUND_WARNING
from rag.checks.check import check_answer
from rag.settings import AnswerSettings
from rag.types import Answer, Verdict


def check(question: str, reply: str, *texts: str, language: str = "fr", articles: tuple[str, ...] = (), **settings) -> Answer:
    answer = Answer(question=question, text="", citations=[], passages=passages(*texts, articles=articles), abstained=False,
                    language=language)
    return check_answer(answer, reply, AnswerSettings(**settings))


# -- supported sentences -------------------------------------------------------------------------------

def test_a_right_sentence_with_the_wrong_number_is_verified_and_cited_with_the_passage_that_states_it():
    result = check("Quel cadeau Poutine a-t-il offert à Kim ?", "Poutine a offert à Kim une carabine de production russe [1].",
                   SUMMIT, GIFTS)
    assert result.verdict == Verdict.VERIFIED and [c.n for c in result.citations] == [2] and "[2]" in result.text
    assert result.claims[0].note == "cited [1], stated in [2]"
    support = result.citations[0].support[0]
    assert support.text.endswith("Il a aussi offert à Kim une carabine de production russe de la plus haute qualité.")
    assert GIFTS[support.start:support.end] == support.text
    assert result.to_dict()["verdict"] == "verified" and result.to_dict()["claims"][0]["supported"] is True


def test_two_supported_sentences_make_a_verified_answer_with_both():
    result = check("Quels cadeaux Poutine a-t-il offerts à Kim ?",
                   "Poutine a offert à Kim un gant provenant d'une combinaison spatiale [1]. "
                   "Il lui a aussi offert une carabine de production russe [1].", GIFTS)
    assert result.verdict == Verdict.VERIFIED and "gant" in result.text and "carabine" in result.text


# -- sentences not found: shown, marked, never deleted ------------------------------------------------

def test_a_sentence_stating_the_roles_the_other_way_round_is_not_supported_and_still_shown():
    result = check("Et qu'a offert Kim en retour ?", "Kim a offert à Vladimir Poutine une carabine de production russe [1].", GIFTS)
    assert result.verdict == Verdict.UNVERIFIED and not result.abstained
    assert "Kim a offert à Vladimir Poutine une carabine" in result.text and "[1]" not in result.text
    assert result.claims[0].supported is False and "roles" in result.claims[0].note and result.citations == []


def test_the_same_roles_as_the_passage_are_supported():
    result = check("Qu'a offert Poutine à Kim ?", "Poutine a offert à Kim une carabine de production russe [1].", GIFTS)
    assert result.verdict == Verdict.VERIFIED


def test_a_symmetric_relation_is_not_read_as_roles_the_other_way_round():
    result = check("Quel ministre russe s'est entretenu avec Kim ?",
                   "Alexandre Kozlov s'est entretenu avec Kim Jong Un à la gare de Khassan [1].",
                   "A la gare de Khassan, Kim Jong Un s'est entretenu avec le ministre russe Alexandre Kozlov.")
    assert result.claims[0].supported


def test_true_sentences_about_something_else_are_unverified():
    result = check("Où Poutine et Kim se sont-ils retrouvés en septembre ?",
                   "La première rencontre a eu lieu en 2019 dans la ville située à environ 680 kilomètres au nord de Pyongyang [1].",
                   "La première rencontre a eu lieu en 2019 dans la ville située à environ 680 kilomètres au nord de Pyongyang.")
    assert result.claims[0].supported and result.verdict == Verdict.UNVERIFIED
    assert any("speak of little of the question" in w for w in result.warnings)


def test_a_passive_sentence_is_not_read_as_roles_the_other_way_round():
    result = check("Où Kim a-t-il été accueilli ?", "Kim a été accueilli par Poutine au cosmodrome de Vostotchny [1].",
                   "Poutine a accueilli Kim au cosmodrome de Vostotchny mercredi.")
    assert result.claims[0].supported


def test_an_unsupported_sentence_is_marked_beside_the_supported_one_and_the_answer_is_unverified():
    result = check("Où Poutine et Kim se sont-ils retrouvés ?",
                   "Ils se sont retrouvés au cosmodrome de Vostotchny [1]. La rencontre a duré 12 heures [1].", MEETING)
    assert result.verdict == Verdict.UNVERIFIED and "Vostotchny [1]" in result.text and "12 heures" in result.text
    assert [c.supported for c in result.claims] == [True, False] and "number" in result.claims[1].note
    assert [c.text for c in result.not_found] == ["La rencontre a duré 12 heures."]
    assert NOT_FOUND_WARNING not in result.warnings  # one sentence is found: no warning over the whole answer


def test_an_answer_with_nothing_supported_is_shown_under_a_plain_warning():
    result = check("Qui a remporté le prix Nobel de la paix 2020 ?", "Kim Jong Un a remporté le prix Nobel de la paix 2020 [1].",
                   DEPART_000)
    assert not result.abstained and result.verdict == Verdict.UNVERIFIED
    assert "prix Nobel" in result.text and NOT_FOUND_WARNING in result.warnings


def test_with_unverified_abstain_an_unverified_answer_is_withdrawn():
    result = check("Qui a remporté le prix Nobel de la paix 2020 ?", "Kim Jong Un a remporté le prix Nobel de la paix 2020 [1].",
                   DEPART_000, unverified="abstain")
    assert result.abstained and result.verdict == Verdict.ABSTAINED and result.abstain_code == "unverified"
    assert result.claims and result.model_text  # what the model wrote stays inspectable


def test_an_open_answer_that_only_restates_the_question_is_unverified():
    result = check("Comment s'appelle le fleuve frontalier près duquel le train a été vu ?",
                   "Le fleuve frontalier près duquel le train a été vu est le fleuve frontalier [1].",
                   "Des journalistes ont vu lundi un train vert dans une gare, du côté nord-coréen d'un fleuve frontalier.")
    assert result.verdict == Verdict.UNVERIFIED and not result.abstained and "fleuve frontalier" in result.text
    assert any("only restates the question" in w for w in result.warnings)


def test_an_answer_the_model_hesitated_over_is_unverified():
    question = "Où Poutine et Kim se sont-ils retrouvés ?"
    reply = "Ils se sont retrouvés au cosmodrome de Vostotchny [1]."
    sure = [(" Ils", -0.01), (" se", -0.01), (" sont", -0.01), (" retrouvés", -0.01), (" au", -0.01), (" cosmodrome", -0.05)]
    unsure = [(text, -2.0) for text, _ in sure]
    for tokens, expected in ((sure, Verdict.VERIFIED), (unsure, Verdict.UNVERIFIED)):
        answer = Answer(question=question, text="", citations=[], passages=passages(MEETING), abstained=False, language="fr",
                        tokens=tokens)
        assert check_answer(answer, reply, AnswerSettings()).verdict == expected
    answer = Answer(question=question, text="", citations=[], passages=passages(MEETING), abstained=False, language="fr",
                    tokens=unsure)
    assert check_answer(answer, reply, AnswerSettings(min_confidence=None)).verdict == Verdict.VERIFIED


def test_an_english_claim_its_french_passage_negates_is_not_supported():
    question = "Had Moscow announced the date of the summit?"
    wrong = check(question, "Yes. Moscow announced the date of the summit [1].", SUMMIT, language="en")
    assert wrong.verdict == Verdict.UNVERIFIED and wrong.claims[0].note == "the passage states the opposite"
    assert "Moscow announced the date" in wrong.text
    right = check(question, "No. Moscow did not give the date of the summit [1].", SUMMIT, language="en")
    assert right.text.startswith("No.") and right.claims[0].note != "the passage states the opposite"


# -- yes/no --------------------------------------------------------------------------------------------

def test_a_yes_no_answer_its_deciding_sentence_confirms_is_verified():
    result = check("Moscou a-t-il précisé la date de la rencontre ?", "Non. Moscou n'a précisé ni la date ni le lieu [1].", SUMMIT)
    assert result.verdict == Verdict.VERIFIED and result.text.startswith("Non.") and result.form == "yes_no"


def test_a_yes_no_word_the_deciding_sentence_contradicts_is_kept_unverified_with_that_sentence_shown():
    question = "Le porte-parole a-t-il expliqué comment l'armée savait que le train était entré en Russie ?"
    reply = "Oui, il a expliqué comment l'armée savait que le train était entré en Russie [1]."
    result = check(question, reply, ARMY)
    assert result.verdict == Verdict.UNVERIFIED and result.text.startswith("Oui.") and "sans préciser" in result.text
    assert "Oui: the passage sentence that decides the question says the opposite" in result.warnings


def test_a_yes_no_answer_without_its_word_gets_the_deciding_sentences():
    result = check("Moscou a-t-il précisé la date de la rencontre ?", "Moscou n'a précisé ni la date ni le lieu [1].", SUMMIT)
    assert result.text.startswith("Non.") and result.verdict == Verdict.VERIFIED


def test_a_yes_no_word_is_written_in_the_questions_language():
    result = check("Had Moscow given the date of the meeting?", "Non. Moscou n'a précisé ni la date ni le lieu [1].",
                   SUMMIT, language="en")
    assert result.text.startswith("No.")


# -- questions about what the articles say ------------------------------------------------------------

def test_a_question_on_whether_the_articles_agree_gets_each_articles_sentence_and_the_models_verdict_marked():
    question = "Les dépêches s'accordent-elles sur le moment de la journée où Kim Jong Un a quitté Pyongyang dimanche ?"
    result = check(question, "Oui. Les dépêches s'accordent sur le moment où Kim Jong Un a quitté Pyongyang dimanche [1].",
                   DEPART_000, DEPART_001, SUMMIT, articles=("000", "001", "003"))
    assert result.form == "each_article" and "soir" in result.text and "après-midi" in result.text
    assert "Les dépêches s'accordent sur le moment" in result.text  # shown, marked
    assert result.claims[0].supported is False and "agree" in result.claims[0].note
    assert [c.n for c in result.citations] == [1, 2] and result.verdict == Verdict.UNVERIFIED


def test_the_model_declining_a_comparison_still_gets_what_each_article_says():
    result = check("Les articles s'accordent-ils sur le moment où Kim a quitté Pyongyang dimanche ?", "Je ne sais pas.",
                   DEPART_000, DEPART_001, articles=("000", "001"))
    assert not result.abstained and result.form == "each_article" and "soir" in result.text and "après-midi" in result.text


# -- abstention: only when the model declines ----------------------------------------------------------

@pytest.mark.parametrize("reply", ["Je ne sais pas.", "I don't know.", "", "Les passages ne précisent pas le nom du conducteur."])
def test_the_model_declining_is_an_abstention_with_its_reason(reply):
    result = check("Comment s'appelle le conducteur du train ?", reply, DEPART_000)
    assert result.abstained and result.abstain_code == "declined" and result.verdict == Verdict.ABSTAINED
    assert result.citations == [] and result.to_dict()["verdict"] == "abstained"


def test_hallucinated_citation_numbers_are_dropped():
    result = check("Où Poutine et Kim se sont-ils retrouvés ?", "Au cosmodrome de Vostotchny [7].", MEETING)
    assert [c.n for c in result.citations] == [1] and "[7]" not in result.text
