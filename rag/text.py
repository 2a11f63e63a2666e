"""Text rules, each in one place: folding, words, sentences, citation markers, stop words,
"does not know" phrases and the language of a text.

Keyword search, citation checks, the UI's highlighting and the evaluation metrics all read
text through these functions, so a rule changed here changes everywhere at once.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Iterator

from rag.lang import LANGUAGES as LANGUAGE_MODULES
from rag.lang import any_of, by_language, union

# -- folding and words ---------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower-case and strip accents: 'Vostotchny' and 'VOSTOTCHNY', 'Corée' and 'Coree' match."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


WORD = re.compile(r"\w+", re.UNICODE)
# Words and punctuation marks, for counting chunk sizes the way a reader would.
WORD_OR_MARK = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def words(text: str) -> list[str]:
    """The folded words of ``text``, in order (digits count as words)."""
    return WORD.findall(fold(text))


# Short lists on purpose: the folded forms of the commonest function words of every language (rag.lang).
STOPWORDS = union("STOPWORDS")


# Words of a question that name the kind of answer, not its subject ("Quel jour...", "What is the name..."):
# the passage that answers holds "mardi" or "Kozlov", not "jour" or "nom".
QUESTION_TYPE_WORDS = union("QUESTION_TYPE_WORDS")


def content_word_list(text: str) -> list[str]:
    """Folded words that carry meaning, in order: no stop words, no one- or two-letter words except numbers."""
    return [w for w in words(strip_markers(text)) if w not in STOPWORDS and (len(w) > 2 or w.isdigit())]


def content_words(text: str) -> set[str]:
    return set(content_word_list(text))


_NUMBER = re.compile(r"\d+(?:[.,\s]\d{3})*")


def numbers_in(text: str) -> set[str]:
    """The numbers of ``text`` as digit strings: '1.200', '1 200' and '1200' are all '1200'."""
    return {re.sub(r"\D", "", n) for n in _NUMBER.findall(strip_markers(text))}


# Two words match when they share their first STEM_PREFIX letters ('sanctions'~'sanction'); a word shorter than
# that matches by prefix only if it has STEM_MIN_LENGTH letters ('fire'~'fired').
STEM_PREFIX, STEM_MIN_LENGTH = 5, 4


def same_stem(a: str, b: str, prefix: int = STEM_PREFIX, min_length: int = STEM_MIN_LENGTH) -> bool:
    """Inflection-tolerant equality of two folded words: 'sanctions'~'sanction', 'fire'~'fired'.

    They share their first ``prefix`` letters, or the whole shorter word when it is shorter than
    that but at least ``min_length`` long.
    """
    shorter = min(len(a), len(b))
    return a == b or (shorter >= min_length and a[: min(prefix, shorter)] == b[: min(prefix, shorter)])


# -- sentences -----------------------------------------------------------------------------

# A sentence ends at . ! ? … followed by space, unless the dot closes an initial or a title
# ("M. Kim", "MM. Poutine et Kim", "Siemon T. Wezeman", "Mr. Putin" in an English answer). Fixed-width look-behinds only, so
# splitting is linear in the text's length whatever it holds.
_SENTENCE_END = re.compile(r"(?<![\s(][A-Z]\.)(?<!^[A-Z]\.)(?<!\bMM\.)(?<!\bMme\.)(?<!\bDr\.)(?<!\bMr\.)(?<!\bMrs\.)(?<!\bMs\.)(?<=[.!?…])\s+")
# In running text (answers, passages) the next sentence must also start like one.
_SENTENCE_START = re.compile(r"[A-ZÀ-Ý«\"“(]")


def sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) character offsets of each sentence of ``text``, white space trimmed. A line break
    always ends a sentence: headings and photo captions are not part of the paragraph that follows."""
    line_start = 0
    for line in text.split("\n"):
        start = line_start
        for match in _SENTENCE_END.finditer(line):
            if not _SENTENCE_START.match(line, match.end()):
                continue
            yield from _trimmed(text, start, line_start + match.start())
            start = line_start + match.end()
        yield from _trimmed(text, start, line_start + len(line))
        line_start += len(line) + 1


def _trimmed(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        yield start, end


def split_sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def first_sentence(text: str) -> str:
    """The first sentence of the first non-empty line (a title for an article that has none)."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return _SENTENCE_END.split(line, maxsplit=1)[0]


# -- citation markers ----------------------------------------------------------------------

# "[1]", "[1, 2]", "[1;3]": the numbers of the passages an answer sentence cites.
MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
# "[1], [2] et [3]": markers in a row, removed with what separates them.
_MARKER_RUN = re.compile(rf"{MARKER.pattern}(?:\s*(?:[,;]|\bet\b|\band\b)?\s*{MARKER.pattern})*")


def marker_numbers(text: str) -> list[int]:
    """Every number cited in ``text``, in order of first appearance."""
    numbers: list[int] = []
    for group in MARKER.findall(text):
        for raw in re.split(r"\s*[,;]\s*", group):
            if int(raw) not in numbers:
                numbers.append(int(raw))
    return numbers


def strip_markers(text: str) -> str:
    """``text`` without its [n] markers, spaces tidied ("arrivé [1]." -> "arrivé.")."""
    return re.sub(r"\s+([.,;:!?…])", r"\1", " ".join(_MARKER_RUN.sub(" ", text).split()))


# -- "does not know" -----------------------------------------------------------------------

# What a model writes when the passages do not answer. Read at the start of an answer only:
# "the articles do not say when" deep in a good answer is a detail, not a refusal.
DONT_KNOW = re.compile(rf"\b(?:{any_of('DONT_KNOW').pattern})\b", re.IGNORECASE)


def says_dont_know(text: str, window: int = 300) -> bool:
    return bool(DONT_KNOW.search(text[:window]))


# -- language --------------------------------------------------------------------------------

LANGUAGES = tuple(LANGUAGE_MODULES)


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def detect_language(text: str) -> str:
    """The language of ``text`` among those rag.lang knows ('fr', 'en'): py3langid's naive Bayes model, offline."""
    cleaned = strip_markers(text).strip()
    if not cleaned:
        return "en"
    return _identifier().classify(cleaned)[0]


# -- names and negation ----------------------------------------------------------------------

_NAME = re.compile(r"(?<![\w'’-])[A-ZÀ-Ý][\w’'-]*[\w]")


def name_like_words(text: str) -> list[str]:
    """Capitalised words that are not function words ('Kozlov', 'Vostotchny', 'KCNA'): the words of a
    claim that keep their form across languages, give or take a spelling."""
    return [w for w in _NAME.findall(strip_markers(text)) if fold(w) not in STOPWORDS and len(w) > 2]


# Negation cues, and how many words after the cue a negation reaches. "ne"/"n'" reach up to
# their particle ("n'a pas été interrogé", "n'a précisé ni la date ni le lieu") and beyond it.
_PARTICLES = union("NEGATION_PARTICLES")
_CUES = {cue: reach for cues in by_language("NEGATION_CUES").values() for cue, reach in cues.items()}
_TOKEN = re.compile(r"[\w’'-]+")


def negated_words(text: str) -> set[str]:
    """The content words a negation of ``text`` bears on: 'Moscou n'a précisé ni la date ni le lieu'
    -> {precise, date, lieu}; 'il a été reçu' -> set()."""
    tokens = [t.lower() for t in _TOKEN.findall(strip_markers(text))]
    reached: set[int] = set()
    for i, token in enumerate(tokens):
        if token in ("ne", "n") or token.startswith(("n'", "n’")) or token.endswith(("n't", "n’t")):
            particle = next((j for j in range(i + 1, min(i + 5, len(tokens))) if tokens[j] in _PARTICLES), None)
            if particle is not None or token.endswith(("n't", "n’t")):
                end = (particle if particle is not None else i) + 6
                reached.update(range(i, min(end, len(tokens))))
        elif token in _CUES:
            reached.update(range(i + 1, min(i + 1 + _CUES[token], len(tokens))))
    scoped = " ".join(re.sub(r"^[nN]['’]", "", tokens[i]) for i in sorted(reached))
    return content_words(scoped)
