"""The text rules of rag.text: one home for folding, words, sentences, markers, phrases, language."""

from rag.text import (
    content_words, detect_language, fold, marker_numbers, numbers_in, same_stem, sentence_spans, split_sentences, strip_markers,
    says_dont_know,
)


def test_cited_numbers_reads_lists_and_repeats():
    assert marker_numbers("Ils se sont vus [1][2] puis [2, 3].") == [1, 2, 3]


def test_dont_know_detection_in_both_languages():
    assert says_dont_know("I don't know.")
    assert says_dont_know("Je ne sais pas.")
    assert says_dont_know("Les passages ne mentionnent pas la date.")
    assert not says_dont_know("Poutine a offert un gant [1].")


def test_split_sentences_keeps_markers_with_their_sentence():
    assert split_sentences("A est là [1]. B aussi [2].") == ["A est là [1].", "B aussi [2]."]


def test_fold_strips_case_and_accents():
    assert fold("Corée VOSTOTCHNY Élysée") == "coree vostotchny elysee"


def test_sentences_keep_titles_and_initials_whole_and_give_offsets():
    text = "M. Kim est arrivé. Selon Siemon T. Wezeman, MM. Poutine et Kim parleront. 3 heures plus tard."
    assert split_sentences(text) == ["M. Kim est arrivé.", "Selon Siemon T. Wezeman, MM. Poutine et Kim parleront. 3 heures plus tard."]
    for (start, end), sentence in zip(sentence_spans(text), split_sentences(text)):
        assert text[start:end] == sentence


def test_sentence_split_is_linear_on_pathological_text():
    import time

    text = "a. " * 200_000 + "." + " " * 200_000
    started = time.perf_counter()
    split_sentences(text)
    assert time.perf_counter() - started < 2.0


def test_markers_are_stripped_with_their_spaces():
    assert strip_markers("Kim est venu en train [1]. Poutine [2, 3] l'attendait [4].") == "Kim est venu en train. Poutine l'attendait."


def test_content_words_and_numbers_ignore_markers_and_stop_words():
    assert content_words("Le train de Kim [12] roule à 60 km/h.") == {"train", "kim", "roule", "60"}
    assert numbers_in("un trajet de 1.200 kilomètres [3], soit 1 200 km") == {"1200"}


def test_same_stem_tolerates_inflection_only():
    assert same_stem("sanctions", "sanction") and same_stem("fire", "fired")
    assert not same_stem("train", "trait") and not same_stem("kim", "kime")


def test_language_of_questions_and_answers():
    assert detect_language("Où Kim Jong Un a-t-il rencontré Poutine ?") == "fr"
    assert detect_language("Which Russian minister met Kim at Khasan station?") == "en"
    assert detect_language("Poutine a offert un gant [1].") == "fr"
    assert detect_language("") == "en"
