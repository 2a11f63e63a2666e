"""Reading the model's text into claims: markers, the yes/no word, sentences that only point at a passage."""

from rag.checks.claims import clean_markers, read_draft


def test_markers_written_after_the_full_stop_stay_with_their_sentence():
    assert clean_markers("Ils se sont retrouvés à Vostotchny. [1], [2] Mercredi [1].", 4) == (
        "Ils se sont retrouvés à Vostotchny [1], [2]. Mercredi [1].")


def test_markers_citing_a_passage_never_shown_are_dropped():
    assert clean_markers("Ils se sont retrouvés à Vostotchny. [7] Mercredi [1].", 4) == (
        "Ils se sont retrouvés à Vostotchny. Mercredi [1].")


def test_the_yes_no_word_is_set_apart_from_the_sentences():
    draft = read_draft("Non, Moscou n'a précisé ni la date ni le lieu [1].", 4)
    assert draft.polarity is False and [c.text for c in draft.claims] == ["Moscou n'a précisé ni la date ni le lieu."]


def test_a_sentence_that_only_points_at_a_passage_gives_its_number_to_the_one_before():
    draft = read_draft("Ils se sont retrouvés à Vostotchny. C'est le passage [2].", 4)
    assert len(draft.claims) == 1 and draft.claims[0].cited == [2]


def test_a_citation_written_in_words_is_read_as_a_marker():
    draft = read_draft("Ils se sont retrouvés à Vostotchny, selon le passage 3.", 4)
    assert draft.claims[0].cited == [3] and "passage" not in draft.claims[0].text


def test_every_sentence_the_model_wrote_is_a_claim():
    draft = read_draft("Ils se sont retrouvés à Vostotchny [1]. Ils ont dîné. Kim est reparti jeudi [2].", 4)
    assert len(draft.claims) == 3
