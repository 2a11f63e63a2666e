"""The claim-level checks of rag.checks.validation on scripted model outputs, one class of failure at a time.

Each test is a reply a 1.5B model really gives (shapes seen on the dev set), over passages taken
from the seed articles; the first-release checks (rag.checks.legacy) get most of them wrong.
"""

from __future__ import annotations

import pytest

from rag.checks.legacy import validate_v1
from rag.checks.validation import validate
from rag.settings import AnswerSettings
from rag.types import Answer, Chunk, Passage

GIFTS = ("« M.Poutine a offert à Kim un gant provenant d’une combinaison spatiale, qui a voyagé plusieurs fois dans l’espace. "
         "Il a aussi offert à Kim une carabine de production russe de la plus haute qualité. En retour, il a également reçu "
         "une carabine fabriquée en Corée du Nord », a indiqué à la presse Dmitri Peskov, porte-parole du Kremlin.")
SUMMIT = ("M. Kim devrait le retrouver dans les prochains jours quelque part dans l'Extrême-Orient russe. "
          "Moscou n'a précisé ni la date ni le lieu de la rencontre.")
MEETING = ("Vladimir Poutine et Kim Jong Un se sont retrouvés mercredi au cosmodrome russe de Vostotchny, dans l'Est de la "
           "Russie, le président russe parlant d'aider la Corée du Nord à construire des satellites.")
ARMY = ("L’armée sud-coréenne a évalué le train entré en Russie mardi matin, a déclaré Jeon Ha Gyu, porte-parole du ministère "
        "sud-coréen de la Défense, lors d’un point de presse, sans préciser comment l’armée a obtenu l’information.")
DEPART_000 = "Parti dimanche soir de Pyongyang à bord d'un train blindé, Kim Jong Un effectue son premier voyage à l'étranger."
DEPART_001 = "L’agence a déclaré que Kim était monté à bord de son train personnel dimanche après-midi."
TRIP_003 = "Au moins 20 heures sont nécessaires pour relier Pyongyang et Vladivostok, un trajet de 1.200 kilomètres."
TRIP_001 = "La première rencontre a eu lieu en 2019 dans la ville située à environ 680 kilomètres au nord de Pyongyang."


def passages(*texts: str, articles: tuple[str, ...] = ()) -> list[Passage]:
    out = []
    for i, text in enumerate(texts):
        article = articles[i] if articles else f"a{i}"
        out.append(Passage(Chunk(id=f"{article}:{i}", article_id=article, n=i, text=text, start=100, end=100 + len(text)), 1.0, i + 1))
    return out


def check(question: str, reply: str, *texts: str, language: str = "fr", articles: tuple[str, ...] = (), checks=validate) -> Answer:
    answer = Answer(question=question, text="", citations=[], passages=passages(*texts, articles=articles), abstained=False,
                    language=language)
    return checks(answer, reply, AnswerSettings())


# -- 1. right answer, wrong number or none ------------------------------------------------------

def test_a_right_sentence_with_the_wrong_number_is_cited_with_the_passage_that_states_it():
    result = check("Quel cadeau Poutine a-t-il offert à Kim ?", "Poutine a offert à Kim une carabine de production russe [2].",
                   SUMMIT, GIFTS)
    assert not result.abstained and [c.n for c in result.citations] == [2]
    result = check("Quel cadeau Poutine a-t-il offert à Kim ?", "Poutine a offert à Kim une carabine de production russe [1].",
                   SUMMIT, GIFTS)
    assert not result.abstained and [c.n for c in result.citations] == [2] and "[2]" in result.text
    assert result.claims[0].note == "cited [1], stated in [2]"
    support = result.citations[0].support[0]
    # "Il a aussi offert..." needs the sentence before it to say who "il" is
    assert support.text.endswith("Il a aussi offert à Kim une carabine de production russe de la plus haute qualité.")
    assert GIFTS[support.start:support.end] == support.text
    assert result.citations[0].to_dict()["support"][0]["article_start"] == 100 + support.start


def test_the_first_release_abstained_on_that_reattributable_answer():
    result = check("Quel cadeau Poutine a-t-il offert à Kim ?", "Poutine a offert à Kim une carabine de production russe.",
                   SUMMIT, GIFTS, checks=validate_v1)
    assert result.abstained


# -- 2. yes/no and either/or ------------------------------------------------------------------------

def test_a_yes_no_answer_takes_the_polarity_its_passage_states():
    result = check("Moscou a-t-il précisé la date de la rencontre ?", "Non. Moscou n'a précisé ni la date ni le lieu [1].", SUMMIT)
    assert not result.abstained and result.text.startswith("Non.") and result.form == "yes_no"
    wrong = check("Le porte-parole a-t-il expliqué comment l'armée savait que le train était entré en Russie ?",
                  "Oui, il a expliqué comment l'armée savait que le train était entré en Russie [1].", ARMY)
    assert wrong.abstained or wrong.text.startswith("Non")


def test_a_right_no_is_kept_when_the_passage_negates_in_words_the_cues_miss():
    visit = ("La visite du dirigeant nord-coréen en Russie « se poursuit encore quelques jours », a précisé D. Peskov, "
             "sans donner plus de détails sur le programme.")
    result = check("Dmitri Peskov a-t-il détaillé le programme de la suite de la visite de Kim Jong Un en Russie ?",
                   "Non. La visite du dirigeant nord-coréen en Russie « se poursuit encore quelques jours », a précisé "
                   "D. Peskov, sans donner plus de détails sur le programme. [1]", visit)
    assert not result.abstained and result.text.startswith("Non.")


def test_a_yes_no_answer_that_only_restates_the_question_shows_the_passage_sentence_instead():
    question = "Poutine a-t-il offert un gant à Kim ?"
    result = check(question, "Oui. Poutine a offert un gant à Kim [1].", GIFTS)
    assert not result.abstained and result.text.startswith("Oui.") and "combinaison spatiale" in result.text
    assert [c.n for c in result.citations] == [1] and "combinaison spatiale" in result.citations[0].sentences[0]
    assert [c.kept for c in result.claims] == [False, True] and result.claims[0].note.startswith("restates the question")
    negative = check("Moscou a-t-il précisé la date de la rencontre ?", "Non. Moscou n'a pas précisé la date de la rencontre [2].",
                     GIFTS, SUMMIT)
    assert negative.text.startswith("Non.") and "ni le lieu" in negative.text and [c.n for c in negative.citations] == [2]
    # an answer that adds the deciding fact is kept in the model's words; so is one across languages (the quote would be French)
    adds = check(question, "Oui. Poutine a offert à Kim un gant provenant d'une combinaison spatiale [1].", GIFTS)
    assert adds.claims[0].kept and len(adds.claims) == 1
    english = check("Did Putin give Kim a glove?", "Yes. Putin gave Kim a glove [1].", GIFTS, language="en")
    assert "combinaison" not in english.text
    off = AnswerSettings(yes_no_quote_restated=False)
    plain = validate(Answer(question=question, text="", citations=[], passages=passages(GIFTS), abstained=False, language="fr"),
                     "Oui. Poutine a offert un gant à Kim [1].", off)
    assert "combinaison" not in plain.text


def test_a_yes_no_word_in_the_wrong_language_is_written_in_the_questions():
    result = check("Had Moscow given the date of the meeting?", "Non. Moscou n'a précisé ni la date ni le lieu [1].",
                   SUMMIT, language="en")
    assert result.text.startswith("No.")


def test_an_english_claim_that_its_french_passage_negates_is_not_kept():
    question = "Had Moscow announced the date of the summit?"
    wrong = check(question, "Yes. Moscow announced the date of the summit [1].", SUMMIT, language="en")
    assert wrong.abstained and wrong.claims[0].note == "the passage states the opposite"
    right = check(question, "No. Moscow did not give the date of the summit [1].", SUMMIT, language="en")
    assert not right.abstained and right.text.startswith("No.")


def test_an_either_or_answer_that_repeats_the_chosen_option_is_kept():
    result = check("Kim Jong Un est-il parti de Pyongyang en train ou en avion ?",
                   "Kim Jong Un est parti de Pyongyang à bord d'un train blindé [1].", DEPART_000)
    assert not result.abstained and "train" in result.text


MISSILE = ("Pendant que Kim Jong Un se trouve en Russie, la Corée du Nord a tiré mercredi « un missile balistique non identifié "
           "en direction de la mer de l'Est », a déclaré l'état-major interarmées de Séoul, en employant le nom coréen de la mer "
           "du Japon.")
SEA = "La « mer de l'Est » vers laquelle le missile a été tiré désigne-t-elle la mer du Japon ou la mer Jaune ?"


def test_a_choice_the_passage_decides_otherwise_is_replaced_by_the_deciding_sentence():
    result = check(SEA, "La mer de l'Est désigne la mer Jaune [1].", SUMMIT, MISSILE)
    assert not result.abstained and "mer du Japon [2]." in result.text and "Jaune" not in result.text
    assert [c.kept for c in result.claims] == [False, True]


def test_a_choice_question_the_model_only_echoed_gets_the_deciding_sentence():
    result = check(SEA, f"{SEA} [2]", SUMMIT, MISSILE)
    assert not result.abstained and "mer du Japon" in result.text


def test_the_model_choosing_the_option_the_passage_names_keeps_its_own_answer():
    result = check("Kim Jong Un est-il parti de Pyongyang en train ou en avion ?",
                   "Kim Jong Un est parti de Pyongyang à bord d'un train blindé [1].", DEPART_000)
    assert result.text == "Kim Jong Un est parti de Pyongyang à bord d'un train blindé [1]."


def test_a_passage_naming_both_options_decides_nothing():
    both = "Kim Jong Un a préféré le train à l'avion pour se rendre en Russie."
    result = check("Kim Jong Un est-il allé en Russie en train ou en avion ?", "Kim Jong Un est allé en Russie en avion [1].", both)
    assert "avion" in result.text or result.abstained
    assert not any("decides between" in c.note for c in result.claims)


# -- 3. one bad detail -----------------------------------------------------------------------------

def test_an_unsupported_sentence_is_dropped_and_the_supported_one_kept():
    result = check("Où Poutine et Kim se sont-ils retrouvés ?",
                   "Ils se sont retrouvés au cosmodrome de Vostotchny [1]. La rencontre a duré 12 heures [1].", MEETING)
    assert not result.abstained and "Vostotchny" in result.text and "12 heures" not in result.text
    assert [c.kept for c in result.claims] == [True, False] and "number" in result.claims[1].note
    assert check("Où Poutine et Kim se sont-ils retrouvés ?",
                 "Ils se sont retrouvés au cosmodrome de Vostotchny [1]. La rencontre a duré 12 heures [1].",
                 MEETING, checks=validate_v1).abstained


# -- 4 and 5. restated-question inventions, off-question copying --------------------------------

def test_a_restated_question_with_an_invented_answer_is_not_found_in_the_passages():
    result = check("Qui a remporté le prix Nobel de la paix 2020 ?", "Kim Jong Un a remporté le prix Nobel de la paix 2020 [1].",
                   DEPART_000)
    assert result.abstained and result.abstain_code == "unsupported"


def test_an_answer_that_only_restates_the_question_abstains():
    result = check("Comment s'appelle le fleuve frontalier près duquel le train a été vu ?",
                   "Le fleuve frontalier près duquel le train a été vu est le fleuve frontalier [1].",
                   "Des journalistes ont vu lundi un train vert dans une gare, du côté nord-coréen d’un fleuve frontalier.")
    assert result.abstained and result.abstain_code in ("restated", "unsupported")


# -- 6. roles and parts --------------------------------------------------------------------------

def test_both_parts_of_a_two_part_answer_are_kept_with_their_citations():
    result = check("Quels cadeaux Poutine a-t-il offerts à Kim ?",
                   "Poutine a offert à Kim un gant provenant d'une combinaison spatiale [1]. "
                   "Il lui a aussi offert une carabine de production russe [1].", GIFTS)
    assert not result.abstained and "gant" in result.text and "carabine" in result.text and len(result.claims) == 2


# -- 9. disagreement -----------------------------------------------------------------------------

def test_figures_from_two_articles_that_differ_are_announced_as_such():
    result = check("Quelle distance sépare Pyongyang de Vladivostok ?",
                   "Le trajet fait 1.200 kilomètres [1]. La ville est à environ 680 kilomètres de Pyongyang [2].",
                   TRIP_003, TRIP_001, articles=("003", "001"))
    assert not result.abstained and result.form == "disagreement"
    assert result.text.startswith("Les sources diffèrent") and "[1]" in result.text and "[2]" in result.text


def test_a_figure_one_article_adds_to_another_is_no_disagreement():
    result = check("Quand et où Poutine et Kim se sont-ils rencontrés pour la première fois ?",
                   "Leur première rencontre a eu lieu en 2019 [1]. La première rencontre a eu lieu en 2019 dans la ville située "
                   "à environ 680 kilomètres au nord de Pyongyang [2].",
                   "La première rencontre entre les deux dirigeants a eu lieu en 2019.", TRIP_001, articles=("000", "001"))
    assert not result.abstained and result.form == "answer" and not result.text.startswith("Les sources")


def test_a_question_on_whether_the_articles_agree_gets_each_articles_sentence_not_the_models_verdict():
    question = "Les dépêches s'accordent-elles sur le moment de la journée où Kim Jong Un a quitté Pyongyang dimanche ?"
    result = check(question, "Oui. Les dépêches s'accordent sur le moment où Kim Jong Un a quitté Pyongyang dimanche [1].",
                   DEPART_000, DEPART_001, SUMMIT, articles=("000", "001", "003"))
    assert not result.abstained and result.form == "each_article"
    assert "soir" in result.text and "après-midi" in result.text and not result.text.startswith("Oui")
    assert "[1]" in result.text and "[2]" in result.text and "[3]" not in result.text  # the summit passage says nothing of it
    assert [c.kept for c in result.claims][0] is False and "agree" in result.claims[0].note
    assert [c.n for c in result.citations] == [1, 2]


def test_the_model_declining_a_comparison_still_gets_what_each_article_says():
    result = check("Les articles s'accordent-ils sur le moment où Kim a quitté Pyongyang dimanche ?", "Je ne sais pas.",
                   DEPART_000, DEPART_001, articles=("000", "001"))
    assert not result.abstained and result.form == "each_article" and "soir" in result.text and "après-midi" in result.text


def test_a_comparison_the_articles_do_not_speak_of_is_still_an_abstention():
    result = check("Les articles s'accordent-ils sur le prix du billet de train ?", "Je ne sais pas.",
                   SUMMIT, MEETING, articles=("000", "002"))
    assert result.abstained and result.abstain_code == "declined"


# -- abstention stays --------------------------------------------------------------------------------

@pytest.mark.parametrize("reply", ["Je ne sais pas.", "I don't know.", "", "Les passages ne précisent pas le nom du conducteur."])
def test_the_model_declining_is_an_abstention_with_its_reason(reply):
    result = check("Comment s'appelle le conducteur du train ?", reply, DEPART_000)
    assert result.abstained and result.abstain_code == "declined" and result.citations == []


def test_hallucinated_citation_numbers_are_dropped():
    result = check("Où Poutine et Kim se sont-ils retrouvés ?", "Au cosmodrome de Vostotchny [7].", MEETING)
    assert not result.abstained and [c.n for c in result.citations] == [1] and "[7]" not in result.text


def test_markers_written_after_the_full_stop_stay_with_their_sentence():
    from rag.checks.citations import clean_markers

    assert clean_markers("Ils se sont retrouvés à Vostotchny. [1], [2] Mercredi [1].", 4) == (
        "Ils se sont retrouvés à Vostotchny [1], [2]. Mercredi [1].")
    assert clean_markers("Ils se sont retrouvés à Vostotchny. [7] Mercredi [1].", 4) == (
        "Ils se sont retrouvés à Vostotchny. Mercredi [1].")


def test_a_sentence_that_repeats_an_earlier_one_is_dropped():
    from rag.checks.validation import drop_repeats
    from rag.types import REPEATED, Claim

    claims = drop_repeats([
        Claim("Les sanctions interdisent la vente d'armes.", [1], passage=1, kept=True),
        Claim("Oui, les sanctions interdisent la vente d'armes.", [1], passage=1, kept=True),
        Claim("Le Conseil de sécurité a imposé les sanctions.", [2], passage=2, kept=True),
    ])
    assert [c.kept for c in claims] == [True, False, True] and claims[1].note == REPEATED
    claims = drop_repeats([  # the fuller sentence comes second: the first, which it holds, goes
        Claim("La première rencontre a eu lieu en 2019.", [1], passage=1, kept=True),
        Claim("La première rencontre a eu lieu en 2019 à Vladivostok.", [2], passage=2, kept=True),
    ])
    assert [c.kept for c in claims] == [False, True]
