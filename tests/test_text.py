"""The text rules of rag.text: one home for folding, words, sentences, markers, phrases, language."""

from rag.text import (
    content_words,
    detect_language,
    fold,
    marker_numbers,
    numbers_in,
    same_stem,
    says_dont_know,
    sentence_spans,
    split_sentences,
    strip_markers,
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
    assert split_sentences("Putin met Mr. Kim and Mrs. Choe. Then he left.") == ["Putin met Mr. Kim and Mrs. Choe.", "Then he left."]


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


def test_question_form_reads_the_main_clause():
    from rag.ask.questions import question_form

    assert question_form("Le Kremlin a-t-il confirmé la date ?", "fr") == "yesno"
    assert question_form("Kim est-il venu en train ou en avion ?", "fr") == "choice"
    assert question_form("Selon lui, quand le train est-il entré en Russie ?", "fr") == "open"
    assert question_form("Le satellite que Pyongyang a lancé était-il militaire ou civil ?", "fr") == "choice"
    assert question_form("When Putin spoke, did he say what he planned?", "en") == "yesno"
    assert question_form("Who gave Kim a rifle?", "en") == "open"
    assert question_form("Pendant combien de temps a-t-il attendu ?", "fr") == "open"


def test_negation_reaches_the_words_it_bears_on():
    from rag.text import negated_words

    assert negated_words("Moscou n'a précisé ni la date ni le lieu.") == {"precise", "date", "lieu"}
    assert "preciser" in negated_words("a déclaré le porte-parole, sans préciser comment")
    assert negated_words("Kim est arrivé mardi en Russie.") == set()
    assert "say" in negated_words("Putin did not say what he planned.")


def test_sentences_end_at_line_breaks():
    assert split_sentences("Première visite depuis 2019\nParti dimanche soir de Pyongyang.") == [
        "Première visite depuis 2019", "Parti dimanche soir de Pyongyang."]


def test_a_question_on_what_the_articles_say_against_each_other_is_told_from_one_that_merely_names_them():
    from rag.ask.questions import asks_to_compare, compared_facts

    assert asks_to_compare("Les dépêches s'accordent-elles sur le moment du départ ?")
    assert asks_to_compare("Avant le sommet, les articles laissaient-ils entendre que la rencontre aurait lieu à Vladivostok ?")
    assert asks_to_compare("How far is Vladivostok from Pyongyang? Do the articles agree?")
    assert not asks_to_compare("Qui est le porte-parole du Kremlin cité dans les articles ?")
    assert not asks_to_compare("Quelles rencontres antérieures les articles mentionnent-ils ?")
    assert not asks_to_compare("Who said the summit would take place in a different setting?")
    assert compared_facts("Les dépêches s'accordent-elles sur le moment de la journée du départ ?") == {"depart"}


def test_a_question_that_asks_two_things_is_split_in_two():
    from rag.ask.questions import question_parts

    assert question_parts("Quel jour et à quel moment de la journée Poutine et Kim sont-ils arrivés au cosmodrome ?", "fr") == (
        ["Quel jour Poutine et Kim sont-ils arrivés au cosmodrome ?",
         "À quel moment de la journée Poutine et Kim sont-ils arrivés au cosmodrome ?"], False)
    assert question_parts("When and where did Putin and Kim Jong Un first meet?", "en") == (
        ["When did Putin and Kim Jong Un first meet?", "Where did Putin and Kim Jong Un first meet?"], False)
    # the second question leans on the first ('les' are the sanctions): it is asked with the first as its context
    assert question_parts("Qu'interdisent les sanctions visant la Corée du Nord, et quelle instance les a imposées ?", "fr") == (
        ["Qu'interdisent les sanctions visant la Corée du Nord ?", "Quelle instance les a imposées ?"], True)
    assert question_parts("When did Kim's train cross into Russia, and which region was it travelling through?", "en")[0] == [
        "When did Kim's train cross into Russia?", "Which region was it travelling through?"]


def test_a_question_that_asks_one_thing_is_not_split():
    from rag.ask.questions import question_parts

    for question, language in [
        ("Quand Poutine et Kim se sont-ils rencontrés ?", "fr"),  # 'et' joins the people, not two questions
        ("Qui a offert un gant à Kim, et pourquoi pas une montre, selon vous ?", "en"),  # not English: no question word
        ("Le Kremlin a-t-il confirmé la date, et où ?", "fr"),  # a yes/no question
        ("Les articles s'accordent-ils sur la date et sur le lieu ?", "fr"),  # a comparison has its own answer form
        ("Kim est-il venu en train ou en avion ?", "fr"),
        ("Which two officials travelled with Kim?", "en"),
    ]:
        assert question_parts(question, language) == ([question], False), question
