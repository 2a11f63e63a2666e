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


# Short lists on purpose: the folded forms of the commonest French and English function words.
STOPWORDS = frozenset(
    """
    a au aux avec ce ces cette dans de des du elle en et eux il ils je la le les leur lui ma mais me meme mes moi mon
    ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos votre vous c d j
    l m n s t y est sont ete etre avait avoir ont a-t-il quel quelle quels quelles quoi comment combien pourquoi ou
    lors apres avant selon entre plus tres aussi dont cela ceci quand lorsque puis
    the of and to in is was were be been are for on at by with from as that this these those it its an or not what
    which who whom whose when where why how did does do has have had will would can could about into than then there
    """.split()
)


# Words of a question that name the kind of answer, not its subject ("Quel jour...", "What is the name..."):
# the passage that answers holds "mardi" or "Kozlov", not "jour" or "nom".
QUESTION_TYPE_WORDS = frozenset(
    "jour date annee heure moment journee lieu endroit ville pays nom appelle moyen facon maniere raison raisons source sources "
    "day year time place city country name way reason kind type according selon article articles".split()
)


def content_word_list(text: str) -> list[str]:
    """Folded words that carry meaning, in order: no stop words, no one- or two-letter words except numbers."""
    return [w for w in words(strip_markers(text)) if w not in STOPWORDS and (len(w) > 2 or w.isdigit())]


def content_words(text: str) -> set[str]:
    return set(content_word_list(text))


_NUMBER = re.compile(r"\d+(?:[.,\s]\d{3})*")


def numbers_in(text: str) -> set[str]:
    """The numbers of ``text`` as digit strings: '1.200', '1 200' and '1200' are all '1200'."""
    return {re.sub(r"\D", "", n) for n in _NUMBER.findall(strip_markers(text))}


def same_stem(a: str, b: str, prefix: int = 5, min_length: int = 4) -> bool:
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
DONT_KNOW = re.compile(
    r"\b(i\s+(do\s*n[o']t|don't|do not)\s+know|je\s+ne\s+sais\s+pas|ne\s+(contiennent|permettent|mentionnent|précisent|donnent)\s+pas"
    r"|do(es)?\s*n[o']t\s+(contain|mention|say|specify|provide)|do(es)?\s+not\s+(contain|mention|say|specify|provide)"
    r"|no\s+information|aucune\s+information|pas\s+d'information|not\s+(mentioned|specified|provided))\b",
    re.IGNORECASE,
)


def says_dont_know(text: str, window: int = 300) -> bool:
    return bool(DONT_KNOW.search(text[:window]))


# -- language --------------------------------------------------------------------------------

LANGUAGES = ("fr", "en")


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def detect_language(text: str) -> str:
    """'fr' or 'en' (py3langid's naive Bayes model restricted to the two, offline)."""
    cleaned = strip_markers(text).strip()
    if not cleaned:
        return "en"
    return _identifier().classify(cleaned)[0]


# -- names, negation and the form of a question ----------------------------------------------

_NAME = re.compile(r"(?<![\w'’-])[A-ZÀ-Ý][\w’'-]*[\w]")


def name_like_words(text: str) -> list[str]:
    """Capitalised words that are not function words ('Kozlov', 'Vostotchny', 'KCNA'): the words of a
    claim that keep their form across languages, give or take a spelling."""
    return [w for w in _NAME.findall(strip_markers(text)) if fold(w) not in STOPWORDS and len(w) > 2]


# Negation cues, and how many words after the cue a negation reaches. "ne"/"n'" reach up to
# their particle ("n'a pas été interrogé", "n'a précisé ni la date ni le lieu") and beyond it.
_PARTICLES = {"pas", "plus", "jamais", "rien", "ni", "aucun", "aucune", "guère", "point"}
_CUES = {"sans": 3, "non": 2, "rien": 5, "aucun": 3, "aucune": 3, "ni": 3, "refuse": 4, "refusant": 4, "refusé": 4,
         "nié": 3, "nie": 3, "nient": 3, "démenti": 3, "not": 4, "never": 4, "no": 3, "nothing": 4, "none": 3,
         "neither": 3, "nor": 3, "without": 3, "denied": 3, "refused": 4, "declined": 4}
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


def negated(text: str) -> bool:
    """Whether ``text`` states a negative at all ('Moscou n'a précisé ni la date ni le lieu', 'did not say')."""
    return bool(negated_words(text)) or bool(re.search(r"\b(?:ne|n['’])\s*\w+\s+(?:pas|jamais|rien)\b", text, re.IGNORECASE))


_WH = {
    "fr": {"qui", "que", "qu", "quoi", "quel", "quelle", "quels", "quelles", "lequel", "laquelle", "lesquels", "lesquelles",
           "où", "quand", "comment", "combien", "pourquoi"},
    "en": {"who", "whom", "whose", "what", "which", "where", "when", "why", "how"},
}
_AUXILIARIES = {"is", "are", "was", "were", "do", "does", "did", "has", "have", "had", "can", "could", "will", "would",
                "should", "may", "might", "must"}
# Words that may come before the question word: "Et quand...", "Selon quelle source...", "From whom...".
_LEAD_IN = {"et", "mais", "alors", "donc", "à", "a", "de", "d", "des", "du", "dans", "pour", "par", "sur", "avec", "depuis",
            "selon", "en", "sous", "outre", "chez", "vers", "auprès", "contre", "jusqu", "and", "but", "so", "then", "in", "on",
            "at", "for", "by", "from", "with", "to", "of", "during", "after", "before", "since", "according", "pendant",
            "durant", "après", "avant", "parmi", "entre"}
_INVERSION = re.compile(r"^[\w’'-]+-(t-)?(il|elle|ils|elles|on)$", re.IGNORECASE)
_CHOICE = {"fr": re.compile(r"\sou\s", re.IGNORECASE), "en": re.compile(r"\sor\s", re.IGNORECASE)}


def _clause_form(clause: str, language: str) -> str | None:
    tokens = [t.lower() for t in re.findall(r"[\w’'-]+", clause)]
    while len(tokens) > 1 and tokens[0] in _LEAD_IN:
        tokens = tokens[1:]
    if not tokens:
        return None
    first = re.sub(r"^(qu)['’].*", r"\1", tokens[0]) if language == "fr" else tokens[0]  # "qu'a-t-il" asks "what"
    if first in _WH[language]:
        return "open"
    if language == "en" and first in _AUXILIARIES:
        return "yesno"
    if language == "fr" and any(t == "est-ce" or _INVERSION.match(t) for t in tokens):
        return "yesno"
    return None


def question_form(question: str, language: str) -> str:
    """'open' (who, what, when...), 'yesno', or 'choice' (a yes/no question offering alternatives:
    'en train ou en avion ?'). The main clause decides: the last one ('Selon lui, quand...?',
    'When Putin spoke, did he say...?'), else the question's start."""
    language = language if language in _WH else "en"
    segments = [s for s in re.split(r"[,;:.]", question) if len(re.findall(r"\w+", s)) >= 2]
    for clause in ([segments[-1]] if segments else []) + [question]:
        form = _clause_form(clause, language)
        if form:
            return "choice" if form == "yesno" and _CHOICE[language].search(question) else form
    return "open"


def choice_options(question: str, language: str, max_words: int = 3) -> tuple[set[str], set[str]] | None:
    """The words that tell apart the two options of a choice question: 'désigne-t-elle la mer du Japon ou la mer
    Jaune ?' -> ({japon}, {jaune}). The second option is what follows the last 'ou' ('or'), at most ``max_words``
    content words; the first, as many content words before it. None when they cannot be told apart."""
    language = language if language in _CHOICE else "en"
    parts = _CHOICE[language].split(question.rstrip(" ?"))
    if len(parts) < 2:
        return None
    second = content_word_list(parts[-1])
    first = content_word_list(" ".join(parts[:-1]))[-len(second):] if second else []
    a, b = set(first) - set(second), set(second) - set(first)
    if not a or not b or len(second) > max_words or b <= {"non", "pas", "not"}:  # 'prévu ou non ?' is a yes/no question
        return None
    return a, b


# -- what kind of answer a question expects --------------------------------------------------------

_EXPECTS = (
    ("number", re.compile(r"\b(combien|quelle\s+distance|how\s+(many|much|far|long)|what\s+distance)\b", re.IGNORECASE)),
    ("time", re.compile(r"\b(quand|quel\s+jour|quelle\s+date|à\s+quelle\s+heure|en\s+quelle\s+année|when|what\s+(day|date|time)"
                        r"|which\s+(day|year)|what\s+year)\b", re.IGNORECASE)),
    ("name", re.compile(r"\b(comment\s+s['’]appelle|quel\s+est\s+le\s+nom|what\s+is\s+the\s+name|name\s+of)\b", re.IGNORECASE)),
)
_NUMBER_WORDS = set("un une deux trois quatre cinq six sept huit neuf dix onze douze vingt trente cent cents mille millier "
                    "milliers dizaine dizaines centaine centaines million millions one two three four five six seven eight "
                    "nine ten eleven twelve twenty thirty hundred hundreds thousand thousands dozen dozens".split())
_TIME_WORDS = set("lundi mardi mercredi jeudi vendredi samedi dimanche janvier fevrier mars avril mai juin juillet aout "
                  "septembre octobre novembre decembre matin midi apres-midi soir soiree nuit hier demain aujourd "
                  "prochainement bientot monday tuesday wednesday thursday friday saturday sunday january february march "
                  "april may june july august september october november december morning noon afternoon evening night "
                  "yesterday today tomorrow soon later week semaine jours days lendemain veille".split())


def expected_answer(question: str) -> str | None:
    """'number', 'time' or 'name' when the question asks for one (combien, quand, comment s'appelle...), else None."""
    return next((kind for kind, pattern in _EXPECTS if pattern.search(question)), None)


def gives(text: str, kind: str, question: str = "") -> bool:
    """Whether ``text`` holds an answer of that kind that the question does not already hold."""
    asked = set(words(question)) | {fold(n) for n in name_like_words(question)}
    new = [w for w in words(text) if w not in asked]
    if kind == "number":  # "combien de jours" is also answered by "le lendemain"
        durations = re.search(r"\b(jours?|heures?|temps|days?|hours?|long)\b", question, re.IGNORECASE)
        return any(w.isdigit() or w in _NUMBER_WORDS or (durations and w in _TIME_WORDS) for w in new)
    if kind == "time":
        return any(w.isdigit() or w in _TIME_WORDS for w in new)
    return any(fold(n) not in asked for n in name_like_words(text))


# -- questions about what each article says ---------------------------------------------------------

# "Les articles s'accordent-ils...", "Do the articles agree?", "selon les articles": a question about the sources
# themselves, which no single passage answers. Checked on the tune part's question wording (8 of its 17 disagreement
# questions, none of another class).
_COMPARE = re.compile(
    r"s['’]accord|concord|diverg|contredi|\bagree|\bdisagree|\bdiffer\b|contradict|\bconsistent\b"
    r"|\b(selon|d['’]après)\s+les\s+(articles|dépêches|sources)\b|\b(according\s+to|across)\s+the\s+(articles|reports|sources)\b"
    r"|(^|[,;:]\s*)les\s+(articles|dépêches|sources)\b[^?,]*-(ils|elles)\b|(^|[,;:]\s*)do\s+the\s+(articles|reports|sources)\b",
    re.IGNORECASE,
)
# Words of such a question that speak of the sources, not of the facts: left out when looking for what each says.
_COMPARE_STEMS = ("accord", "concord", "diverg", "contredi", "agree", "disagree", "differ", "contradict", "consistent",
                  "article", "depeche", "source", "report", "ils", "elles")
# An answer's sentence that only judges the sources ("Les articles s'accordent sur...", "The articles agree"):
# no passage can state it.
_AGREEMENT_CLAIM = re.compile(r"s['’]accord|concord|\bagree|\bcoincid|\bconsistent\b", re.IGNORECASE)


def asks_to_compare(question: str) -> bool:
    """Whether the question asks what the articles say against each other ('s'accordent-ils', 'do the articles agree')."""
    return bool(_COMPARE.search(question))


def compared_facts(question: str) -> set[str]:
    """The question's content words about the facts, without those about the sources or the kind of answer."""
    return {w for w in content_words(question) - QUESTION_TYPE_WORDS if not w.startswith(_COMPARE_STEMS)}


def judges_agreement(claim: str) -> bool:
    """'Les articles s'accordent sur...', 'The articles agree on this distance': a judgement no passage states."""
    return bool(_AGREEMENT_CLAIM.search(claim))


# -- questions in two parts ------------------------------------------------------------------------

# Question words that take a noun after them ("quel jour", "which region", "combien de missiles", "how many"):
# the question phrase runs on over lower-case words, "de la journée" included, up to a name, a pronoun or a verb.
_WH_NOUN = {"quel", "quelle", "quels", "quelles", "combien", "which", "what", "how", "whose"}
_PHRASE_STOP = {"le", "la", "les", "l", "un", "une", "des", "ce", "cet", "cette", "ces", "son", "sa", "ses", "leur", "leurs",
                "il", "elle", "ils", "elles", "on", "y", "en", "se", "s", "ne", "n", "the", "a", "an", "this", "that", "his",
                "her", "their", "its", "he", "she", "they", "it"}
_LINKS = {"de", "d", "du", "des", "of"}
# A second question joined to the first: "..., et quelle instance les a imposées ?", "..., and which region...?".
_JOINED = re.compile(r"\s*[,;]\s*(?:et|and)\s+", re.IGNORECASE)
_AND = {"et", "and"}


def _bare(token: str) -> str:
    return token.lower().strip("?.,;:!«»\"“”()")


def _wh_phrase_end(tokens: list[str], start: int, language: str) -> int | None:
    """Where the question phrase that starts at ``tokens[start]`` ends ('Où', 'à quel moment de la journée',
    'How many'), or None when no question word starts there (prepositions before it allowed)."""
    i = start
    while i < len(tokens) and _bare(tokens[i]) in _LEAD_IN - _AND:
        i += 1
    if i >= len(tokens) or _bare(tokens[i]) not in _WH[language]:
        return None
    wh, i = _bare(tokens[i]), i + 1
    if wh not in _WH_NOUN:
        return i
    taken = 0
    while i < len(tokens) and taken < 5:
        word, previous = _bare(tokens[i]), _bare(tokens[i - 1])
        stops = (not tokens[i][:1].islower() or word in _AUXILIARIES or word in _AND or "-" in word
                 or (word in _PHRASE_STOP and previous not in _LINKS) or word in _WH[language])
        if stops or tokens[i - 1].endswith((",", "?")):
            break
        i, taken = i + 1, taken + 1
    return i


def question_parts(question: str, language: str) -> tuple[list[str], bool]:
    """An open question that asks two things, as two questions, and whether the second leans on the first
    ('..., et quelle instance les a imposées ?': 'les' is in the first). 'Quand et où se sont-ils retrouvés ?'
    -> 'Quand se sont-ils retrouvés ?', 'Où se sont-ils retrouvés ?'; any other question -> ([question], False)."""
    language = language if language in _WH else "en"
    if question_form(question, language) != "open" or asks_to_compare(question):
        return [question], False
    mark = " ?" if language == "fr" else "?"
    tokens = question.split()
    first_end = _wh_phrase_end(tokens, 0, language)
    if first_end and first_end < len(tokens) and _bare(tokens[first_end]) in _AND:
        second_end = _wh_phrase_end(tokens, first_end + 1, language)
        rest = tokens[second_end:] if second_end else []
        if second_end and len([t for t in rest if re.search(r"\w", t)]) >= 2:
            second = " ".join(tokens[first_end + 1:second_end])
            return [" ".join(tokens[:first_end] + rest), " ".join([second[:1].upper() + second[1:]] + rest)], False
    for joint in _JOINED.finditer(question):
        head, tail = question[:joint.start()].strip(), question[joint.end():].strip()
        if (len(head.split()) >= 3 and len(tail.split()) >= 2 and _clause_form(tail, language) == "open"
                and question_form(head, language) == "open"):
            return [head.rstrip(" ?") + mark, tail[:1].upper() + tail[1:]], True
    return [question], False
