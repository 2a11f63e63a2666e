"""From what the model wrote to what the user reads: every claim checked against the passages.

Evidence first (shared/DESIGN.md, "Answers: evidence first"):

1. Citation numbers the model was never shown are dropped; "I don't know" is an abstention.
2. The text is cut into claims (sentences); a leading yes/no word is set apart; "passage 2"
   becomes the marker [2]; a sentence that only points at a passage gives its marker to the
   sentence before it.
3. Each claim is grounded in the window of the passages that holds the most of it
   (:mod:`rag.checks.grounding`): it is kept when that window states it as a whole (its words,
   question words included, the names it adds, its numbers, and its polarity: "a confirmé" is
   not stated by "n'a pas précisé"); it is then cited with the passage that states it, whatever
   number the model gave (post-hoc attribution). A claim whose last clauses the window does not
   hold is cut back to the part it does; other claims are dropped, and the answer keeps the rest.
4. Nothing kept: abstain, with the reason as data. An open question also needs a kept claim
   that adds something to it (restating it answers nothing), evidence that speaks of the
   question, and an answer of the kind it asks for (a number for "combien", a time for "quand").
5. A yes/no question gets the polarity its evidence states; when the model's sentence is not
   kept, the passage sentence that states the question (or its negation) answers instead, and
   when it only restates the question, the passage sentence that states it stands in for it.
6. Kept claims from different articles that give different numbers are announced as sources
   that differ, each cited.
"""

from __future__ import annotations

import re

from rag.ask.questions import (
    asks_to_compare,
    choice_options,
    compared_facts,
    expected_answer,
    gives,
    judges_agreement,
    question_form,
)
from rag.ask.wording import ABSTAIN_TEXT
from rag.checks.citations import POINTER_WORDS, clean_markers
from rag.checks.confidence import confidence
from rag.checks.grounding import Grounder, Grounding, Matcher, Window
from rag.settings import AnswerSettings
from rag.text import (
    QUESTION_TYPE_WORDS,
    content_words,
    detect_language,
    fold,
    marker_numbers,
    negated_words,
    numbers_in,
    says_dont_know,
    split_sentences,
    strip_markers,
)
from rag.types import REPEATED, Answer, Citation, Claim, Span

# A leading yes/no word, in either language ("Oui.", "Non,", "Yes -", "No:").
_YES_NO = re.compile(r"^\s*(oui|non|yes|no|si)\b\s*[.,:;!–-]*\s*", re.IGNORECASE)
_POLARITY = {"oui": True, "si": True, "yes": True, "non": False, "no": False}
YES_NO_WORD = {("fr", True): "Oui.", ("fr", False): "Non.", ("en", True): "Yes.", ("en", False): "No."}
DIFFER = {"fr": "Les sources diffèrent :", "en": "The sources differ:"}
EACH_ARTICLE = {"fr": "Ce que dit chaque article :", "en": "What each article says:"}
# "passage 2", "l'extrait [3]", "Passage 1 describes...", ", according to the passage [3]": a citation written out in
# words (with the words that lead to it, so that "…en 2019, according to [3]." is not left behind).
_WRITTEN_CITATION = re.compile(
    r"(?:,?\s*\b(?:according\s+to|selon|d['’]après|as\s+stated\s+in|comme\s+l['’]indique)\s+)?"
    r"\b(?:in\s+|dans\s+le\s+|le\s+|l['’]|the\s+)?(?:passages?|extraits?)\s*\[?(\d+)\]?", re.IGNORECASE)
_CLAUSE_END = re.compile(r"\s*[,;–—(]\s*")

# Plain words for each reason to abstain: the user reads these, the evaluation counts the codes.
REASONS = {
    "off_topic": "no passage is close to the question",
    "declined": "the model found no answer in the passages",
    "unsupported": "no sentence of the answer is stated by the passages",
    "restated": "the answer only restates the question",
    "off_question": "the passages it cites speak of something else than the question",
    "wrong_kind": "the answer does not give what the question asks for",
    "unsure": "the model hesitated over what its answer adds to the question",
}
# Said with an answer kept despite a low confidence (answer.unsure = "warn"): wrong more often than not on the dev set.
UNSURE_WARNING = "the model hesitated over what this answer adds to the question: check it against the cited passage"


def quote(window: Window, note: str) -> Claim:
    """A passage window standing in for the model's words, as a kept claim."""
    return Claim(text=" ".join(window.text.split()), cited=[], passage=window.passage,
                 span=Span(window.start, window.end, window.text), kept=True, note=note, adds=1)


def abstain(answer: Answer, code: str, detail: str = "") -> Answer:
    answer.abstained = True
    answer.abstain_code = code
    answer.abstain_reason = REASONS[code] + (f" ({detail})" if detail else "")
    answer.text = ABSTAIN_TEXT.get(answer.language, ABSTAIN_TEXT["en"])
    answer.citations = []
    answer.form = "abstained"
    return answer


def split_claims(text: str) -> tuple[bool | None, list[Claim]]:
    """The model's polarity word, if it starts with one, and its sentences as claims (questions it echoed left out)."""
    polarity = None
    match = _YES_NO.match(text)
    if match:
        polarity = _POLARITY[match.group(1).lower()]
        text = text[match.end():]
    claims: list[Claim] = []
    for sentence in split_sentences(text):
        sentence = _WRITTEN_CITATION.sub(r"[\1]", sentence)
        claim = Claim(text=strip_markers(sentence).lstrip(" ,;:"), cited=marker_numbers(sentence))
        if claims and claim.cited and not (content_words(claim.text) - POINTER_WORDS):  # "C'est le passage [2]."
            claims[-1].cited += [n for n in claim.cited if n not in claims[-1].cited]
        elif content_words(claim.text) and not claim.text.rstrip().endswith("?"):
            claims.append(claim)
    return polarity, claims


def _shorter(text: str) -> list[tuple[str, str]]:
    """The claim cut at each clause boundary, longest first: (what is kept, what is dropped)."""
    cuts = [m.start() for m in _CLAUSE_END.finditer(text)]
    out = []
    for cut in reversed(cuts):
        head = text[:cut].rstrip(" ,;")
        if len(head.split()) >= 4:
            out.append((head, text[cut:].strip(" ,;.")))
    return out


class Checker:
    """The checks of one answer, with the passages, the settings and (for cross-language claims) the embedder."""

    def __init__(self, answer: Answer, cfg: AnswerSettings, embedder=None):
        self.answer = answer
        self.cfg = cfg
        self.grounder = Grounder(answer.question, answer.passages, cfg, embedder)
        self.match = Matcher(cfg)
        passages_text = " ".join(p.chunk.text for p in answer.passages)
        self.passage_language = detect_language(passages_text) if passages_text.strip() else answer.language
        self.question_language = detect_language(answer.question)
        self.form = question_form(answer.question, self.question_language)
        self.compares = cfg.compare_articles and asks_to_compare(answer.question)

    def crosses(self, text: str) -> bool:
        return self.cfg.cross_lingual_check and detect_language(text) != self.passage_language

    # -- one claim ---------------------------------------------------------------------------
    def supported(self, g: Grounding) -> tuple[bool, str]:
        """Whether the grounding window states the claim, and why not."""
        cfg = self.cfg
        if g.window is None:
            return False, "no passage"
        if not g.numbers_ok:
            return False, "a number the passages do not give"
        if g.names_found < cfg.min_name_match:
            return False, "a name the passages do not give"
        if g.cross_lingual:
            if g.coverage < cfg.min_cross_lingual_coverage:
                return False, f"the passages hold {g.coverage:.0%} of its words (as cognates)"
            if (g.cosine or 0.0) < cfg.min_cross_lingual_cosine:
                return False, f"meaning too far from the passages (cosine {g.cosine:.2f})"
            if cfg.cross_lingual_polarity and self._opposite_polarity(g, Matcher(cfg, cognates=True)):
                return False, "the passage states the opposite"
            return True, ""
        if g.coverage < cfg.min_claim_coverage:
            return False, f"the passages hold {g.coverage:.0%} of it"
        if g.adds and g.new_coverage < cfg.min_new_coverage:
            return False, f"what it adds to the question is {g.new_coverage:.0%} in the passages"
        if self._opposite_polarity(g):
            return False, "the passage states the opposite"
        return True, ""

    def _opposite_polarity(self, g: Grounding, match: Matcher | None = None) -> bool:
        """'Le Kremlin a confirmé la date' grounded in 'Moscou n'a précisé ni la date': a negation on one side only.
        Across languages ``match`` pairs cognates ('announced the date' shares 'date' with it)."""
        match = match or self.match
        shared = {w for w in content_words(g.claim) if match.found(w, g.window.words)}
        claim_neg = any(match.found(w, shared) for w in negated_words(g.claim))
        window_neg = any(match.found(w, shared) for w in negated_words(g.window.text))
        return claim_neg != window_neg

    def _ground(self, text: str, cited: list[int]) -> tuple[Grounding, bool, str]:
        g = self.grounder.ground(text, cross_lingual=self.crosses(text), prefer=tuple(cited))
        ok, why = self.supported(g)
        return g, ok, why

    def check(self, claim: Claim) -> Claim:
        if self.compares and judges_agreement(claim.text):
            claim.kept, claim.note = False, "a verdict on whether the articles agree, which no passage states"
            return claim
        g, ok, why = self._ground(claim.text, claim.cited)
        if not ok and self.cfg.prune_clauses:
            for head, tail in _shorter(claim.text):
                g_head, ok_head, _ = self._ground(head, claim.cited)
                if ok_head:
                    g, ok, why = g_head, True, f"cut: «{tail}» ({why})"
                    claim.text = head
                    break
        claim.kept = ok
        if not ok:
            claim.note = why
            return claim
        claim.passage, claim.span, claim.adds = g.window.passage, Span(g.window.start, g.window.end, g.window.text), g.adds
        notes = [why] if why else []
        if claim.cited and g.window.passage not in claim.cited:
            notes.append(f"cited [{', '.join(map(str, claim.cited))}], stated in [{g.window.passage}]")
        elif not claim.cited:
            notes.append(f"no citation, stated in [{g.window.passage}]")
        claim.note = "; ".join(notes)
        return claim

    # -- the answer ------------------------------------------------------------------------
    def answers_the_question(self, kept: list[Claim]) -> str | None:
        """Why the kept claims do not answer an open question, as an abstain code; None when they do."""
        if self.form != "open":
            return None
        if not any(c.adds for c in kept):
            return "restated"
        # a question in another language than the passages shares no words with them: no evidence either way
        coverage = self.grounder.question_coverage([c.span.text for c in kept], follows=self.answer.follows)
        if not self.crosses(self.answer.question) and coverage < self.cfg.min_question_coverage:
            return "off_question"
        kind = expected_answer(self.answer.question) if self.cfg.answer_kind_check else None
        if kind and not gives(" ".join(c.text for c in kept), kind, self.answer.question):
            return "wrong_kind"
        return None

    def polarity(self, span: str) -> bool:
        """Yes (True) unless the evidence negates what the question asks ('n'a pas été interrogé')."""
        asked = content_words(self.answer.question)
        question_neg = any(self.match.found(w, asked) for w in negated_words(self.answer.question))
        window_neg = any(self.match.found(w, asked) for w in negated_words(span))
        return window_neg == question_neg

    def yes_no(self, model_polarity: bool | None, kept: list[Claim], quoted: bool = False) -> bool | None:
        """Yes or no: the model's word when it wrote one, its sentence was kept and ``yes_no_model_first``; else
        from the evidence when it is in the question's language, else the model's."""
        if model_polarity is not None and self.cfg.yes_no_model_first and not quoted:
            return model_polarity
        if self.crosses(self.answer.question) or not kept:
            return model_polarity
        return self.polarity(kept[0].span.text)

    def choice_evidence(self) -> tuple[Window, set[str], set[str]] | None:
        """A choice question ('la mer du Japon ou la mer Jaune ?'): the window that speaks most of the question's
        other words and names exactly one of the options, with the words of the option it names and of the other.
        Not across languages (options cannot be matched), and not when equally close windows disagree."""
        if self.form != "choice" or not self.cfg.choice_from_evidence or self.crosses(self.answer.question):
            return None
        options = choice_options(self.answer.question, self.question_language)
        if options is None:
            return None
        frame = content_words(self.answer.question) - options[0] - options[1] - QUESTION_TYPE_WORDS
        best: dict[float, dict[int, Window]] = {}
        for window in self.grounder.windows:
            vocabulary = window.words | window.names
            named = [i for i, option in enumerate(options) if all(self.match.found(w, vocabulary) for w in option)]
            if len(named) == 1:
                best.setdefault(round(self.match.share(frame, vocabulary), 3), {}).setdefault(named[0], window)
        if not best:
            return None
        coverage = max(best)
        if coverage < self.cfg.min_choice_question_coverage or len(best[coverage]) > 1:
            return None
        (chosen, window), = best[coverage].items()
        return window, options[chosen], options[1 - chosen]

    def choose(self, kept: list[Claim]) -> tuple[list[Claim], bool]:
        """The kept claims, or the passage sentence that decides a choice question quoted instead when they choose
        no option or the other one; True when quoted."""
        evidence = self.choice_evidence()
        if evidence is None:
            return kept, False
        window, chosen, other = evidence
        said = set().union(*(content_words(c.text) for c in kept)) if kept else set()
        if kept and all(self.match.found(w, said) for w in chosen) and not all(self.match.found(w, said) for w in other):
            return kept, False
        for claim in kept:
            claim.kept, claim.note = False, "chooses no option, or the other one, than the passage that decides"
        return [quote(window, "the passage sentence that decides between the options, quoted")], True

    def evidence_for_question(self) -> Claim | None:
        """A yes/no question whose answer the model did not state: the window that states the question,
        or its negation, quoted as the answer's claim."""
        if self.form != "yesno" or not self.cfg.yes_no_from_evidence or self.crosses(self.answer.question):
            return None
        g = self.grounder.ground(self.answer.question)
        if g.window is None or not g.numbers_ok or g.coverage < self.cfg.min_yes_no_question_coverage:
            return None
        return quote(g.window, "the passage sentence that decides the question, quoted")

    def quote_restated(self, kept: list[Claim]) -> list[Claim]:
        """A yes/no answer whose kept sentences only restate the question: the passage sentences that state them (their
        grounding windows), which hold the deciding fact, quoted to stand in for them; none otherwise. Not across languages."""
        if not self.cfg.yes_no_quote_restated or not kept or any(c.adds for c in kept) or self.crosses(self.answer.question):
            return []
        quotes: list[Claim] = []
        for claim in kept:
            claim.kept, claim.note = False, "restates the question: the passage sentence that states it is quoted"
            window = Window(claim.passage, claim.span.start, claim.span.end, claim.span.text)
            if all((q.passage, q.span) != (claim.passage, claim.span) for q in quotes):
                quotes.append(quote(window, "the passage sentence that states the restated answer, quoted"))
        return quotes

    def article(self, passage: int) -> str:
        return self.answer.passages[passage - 1].chunk.article_id

    def each_article(self, kept: list[Claim]) -> list[Claim]:
        """A question about what the articles say against each other: for each article shown that no kept claim
        cites, the window that speaks most of the question's facts, quoted. Not across languages: the quote would
        be in another language than the question, and words do not match across languages."""
        facts = compared_facts(self.answer.question)
        if not facts or self.crosses(self.answer.question):
            return []
        cited = {self.article(c.passage) for c in kept}
        best: dict[str, tuple[tuple[float, int], Window]] = {}
        for window in self.grounder.windows:
            article = self.article(window.passage)
            key = (self.match.share(facts, window.words | window.names), -len(window.text))
            if article not in cited and key[0] >= self.cfg.min_compare_coverage and key > best.get(article, ((0.0, 0), None))[0]:
                best[article] = (key, window)
        return [quote(w, "what this article says of the question, quoted") for _, w in sorted(best.values(), key=lambda kw: kw[1].passage)]

    def rebuild(self, polarity: bool | None, kept: list[Claim]) -> str:
        sentences = [f"{c.text.rstrip('.!?… ')} [{c.passage}]." for c in kept]
        language = self.answer.language if self.answer.language in ("fr", "en") else "en"
        if self.compares and len({self.article(c.passage) for c in kept}) > 1:
            self.answer.form = "each_article"
            return " ".join([EACH_ARTICLE[language]] + sentences)
        if self._disagree(kept):
            self.answer.form = "disagreement"
            if not any(w in fold(" ".join(sentences)) for w in ("differ", "diverg")):
                sentences.insert(0, DIFFER[language])
        if polarity is not None and self.form == "yesno":
            sentences.insert(0, YES_NO_WORD[(language, polarity)])
            self.answer.form = "yes_no" if self.answer.form == "answer" else self.answer.form
        return " ".join(sentences)

    def _disagree(self, kept: list[Claim]) -> bool:
        """Kept claims from different articles about the same thing that give different numbers."""
        if not self.cfg.disagreement_form:
            return False
        by_article: dict[str, set[str]] = {}
        for claim in kept:
            by_article.setdefault(self.article(claim.passage), set()).update(numbers_in(claim.text))
        values = [v for v in by_article.values() if v]  # "en 2019" beside "en 2019, à 680 km": no disagreement
        return any(not (a <= b or b <= a) for i, a in enumerate(values) for b in values[i + 1:])


def drop_repeats(claims: list[Claim]) -> list[Claim]:
    """A kept claim that says nothing another kept one does not (its content words all in the other's) is dropped, the
    first of two that say the same kept: a model that answers a question's two parts in its first answer repeats them
    in the second ("…en 2019 [1]. …en 2019 dans la ville située à 680 km [3].")."""
    kept = [c for c in claims if c.kept]
    said = [content_words(c.text) - set(_POLARITY) for c in kept]  # "Oui, ..." opening an open question's second answer
    for i, claim in enumerate(kept):
        if any(j != i and kept[j].kept and said[i] <= said[j] and (said[i] != said[j] or j < i) for j in range(len(kept))):
            claim.kept, claim.note = False, REPEATED
    return claims


def validate(answer: Answer, raw_text: str, cfg: AnswerSettings, embedder=None) -> Answer:
    """Turn the model's text into the checked answer (or an abstention), keeping every claim's fate as data."""
    answer.model_text = raw_text
    checker = Checker(answer, cfg, embedder)
    text = clean_markers(raw_text, len(answer.passages))
    declined = not text or says_dont_know(text, cfg.dont_know_window)
    polarity, claims = (None, []) if declined else split_claims(text)
    answer.claims = drop_repeats([checker.check(c) for c in claims])
    kept = [c for c in answer.claims if c.kept]
    quoted = False  # the deciding passage sentence stands in for the model's
    if checker.compares:
        quotes = checker.each_article(kept)
        answer.claims += quotes
        kept += quotes
    elif not kept and (evidence := checker.evidence_for_question()):
        answer.claims.append(evidence)
        kept, quoted = [evidence], True
    elif checker.form == "choice":
        kept, quoted = checker.choose(kept)
        if quoted:
            answer.claims += kept
    elif checker.form == "yesno" and (quotes := checker.quote_restated(kept)):
        answer.claims += quotes
        kept = quotes
    if not kept:
        if declined:
            return abstain(answer, "declined")
        return abstain(answer, "unsupported", "; ".join(f"{c.text[:60]}: {c.note}" for c in answer.claims[:2]))
    if code := checker.answers_the_question(kept):
        return abstain(answer, code)
    answer.confidence = confidence(answer.tokens, answer.question, cfg)
    if answer.confidence is not None and answer.confidence < cfg.min_confidence:
        if cfg.unsure == "abstain":
            return abstain(answer, "unsure", f"confidence {answer.confidence:.2f}")
        answer.warnings.append(UNSURE_WARNING)
    polarity = checker.yes_no(polarity, kept, quoted) if checker.form == "yesno" and not checker.compares else None
    answer.text = checker.rebuild(polarity, kept)
    answer.citations = citations(answer, kept)
    return answer


def citations(answer: Answer, kept: list[Claim]) -> list[Citation]:
    by_n: dict[int, Citation] = {}
    for claim in kept:
        citation = by_n.setdefault(claim.passage, Citation(n=claim.passage, passage=answer.passages[claim.passage - 1]))
        citation.sentences.append(claim.text)
        if claim.span and claim.span not in citation.support:
            citation.support.append(claim.span)
    return [by_n[n] for n in sorted(by_n)]
