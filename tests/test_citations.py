from rag.checks.citations import answer_support, build_citations, clean_markers
from rag.types import Chunk, Passage


def passages(*texts):
    return [Passage(Chunk(id=f"a:{i}", article_id="a", n=i, text=t, start=0, end=len(t)), 1.0) for i, t in enumerate(texts)]


def test_invalid_numbers_are_dropped_from_text_and_citations():
    ps = passages("Poutine a offert un gant.", "Kim a offert une carabine.")
    text = clean_markers("Poutine a offert un gant [1]. Kim a offert une carabine [2, 7]. Et plus [9].", shown=2)
    assert text == "Poutine a offert un gant [1]. Kim a offert une carabine [2]. Et plus."
    cits = build_citations(text, ps)
    assert [c.n for c in cits] == [1, 2]
    assert cits[0].sentences == ["Poutine a offert un gant ."] or cits[0].sentences[0].startswith("Poutine a offert un gant")


def test_support_rejects_numbers_absent_from_sources():
    ps = passages("Au moins 20 heures sont nécessaires pour relier Pyongyang et Vladivostok.")
    good, ok = answer_support("Il faut au moins 20 heures [1].", ps)
    assert ok and good > 0.5
    _, ok = answer_support("Il faut 35 heures [1].", ps)
    assert not ok


def test_support_is_low_for_an_answer_unrelated_to_its_source():
    ps = passages("Poutine a offert à Kim un gant provenant d'une combinaison spatiale.")
    lexical, _ = answer_support("Le conducteur du train s'appelle Ivan Petrov [1].", ps)
    assert lexical < 0.34


def test_answer_that_only_restates_the_question_has_no_support():
    ps = passages("Parti dimanche soir de Pyongyang à bord d'un train blindé, Kim Jong Un effectue son premier voyage.")
    question = "Comment s'appelle le conducteur du train blindé de Kim Jong Un ?"
    lexical, _ = answer_support("Le conducteur du train blindé de Kim Jong Un est Kim Jong Un [1].", ps, question)
    assert lexical == 0.0
    lexical, _ = answer_support("Il est parti dimanche soir de Pyongyang [1].", ps, "Quand Kim est-il parti ?")
    assert lexical == 1.0


def test_a_sentence_that_only_points_at_a_passage_gives_its_marker_to_the_previous_one():
    from rag.checks.citations import attach_orphan_markers

    assert attach_orphan_markers("Kim est venu en train blindé. C'est le passage [2].") == "Kim est venu en train blindé [2]."
    assert attach_orphan_markers("The speed is 60 km/h. This is stated in passage [1].") == "The speed is 60 km/h [1]."
    unchanged = "Kim est venu en train [1]. Poutine l'attendait à Vostotchny [2]."
    assert attach_orphan_markers(unchanged) == unchanged


def test_numbers_given_by_the_question_are_not_claims():
    ps = passages("Poutine sera vendredi à Sotchi où il recevra Loukachenko.")
    _, ok = answer_support("Il sera à Sotchi le vendredi 15 septembre [1].", ps, "Où sera Poutine le vendredi 15 septembre ?")
    assert ok


def test_an_english_answer_that_echoes_the_question_adds_nothing():
    ps = passages("La Corée du Nord a tiré mercredi un missile balistique non identifié.")
    question = "What did North Korea fire on Wednesday while Kim was in Russia?"
    lexical, _ = answer_support("North Korea fired on Wednesday while Kim was in Russia [1].", ps, question)
    assert lexical == 0.0
