"""Language as data: every language module holds the same names, and the rules read them."""

import re

import pytest

from rag.ask.questions import question_form
from rag.lang import LANGUAGES, language
from rag.text import says_dont_know
from rag.types import Form

REQUIRED = {name for name in vars(LANGUAGES["fr"]) if name.isupper()}


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_every_language_module_defines_every_name_the_rules_read(code):
    missing = REQUIRED - {name for name in vars(LANGUAGES[code]) if name.isupper()}
    assert not missing, f"rag/lang/{code}.py lacks {sorted(missing)}"


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_every_pattern_compiles_and_word_lists_are_folded(code):
    lang = LANGUAGES[code]
    for name in ("DONT_KNOW", "COMPARE", "AGREEMENT_CLAIM", "CITATION_LEAD", "CITATION_ARTICLE", "CITATION_NOUN"):
        re.compile(getattr(lang, name))
    assert all(w == w.lower() for w in lang.STOPWORDS | lang.QUESTION_TYPE_WORDS)


def test_an_unknown_language_reads_as_english():
    assert language("de") is LANGUAGES["en"]


def test_each_language_is_read_by_the_rules():
    assert says_dont_know("Je ne sais pas.") and says_dont_know("I don't know.")
    assert question_form("Kim est-il arrivé en train ?", "fr") == Form.YES_NO
    assert question_form("Did Kim arrive by train?", "en") == Form.YES_NO
    assert language("fr").YES_NO_WORD[False] == "Non." and language("en").ABSTAIN_TEXT.startswith("The articles")
