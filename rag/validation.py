"""From what the model wrote to what the user reads: every claim checked against the passages.

Evidence first (shared/DESIGN.md, "Answers: evidence first"):

1. Citation numbers the model was never shown are dropped; "I don't know" is an abstention.
2. The text is cut into claims (sentences); a leading yes/no word is set apart.
3. Each claim is grounded in the window of the passages that holds the most of it
   (:mod:`rag.grounding`): a claim is kept when that window states it as a whole (its words,
   including those taken from the question, its numbers, and its polarity: "a confirmé" is not
   stated by "n'a pas précisé"); it is then cited with the passage that states it, whatever
   number the model gave it (post-hoc attribution). Other claims are dropped, and the answer
   keeps the rest.
4. Nothing kept: abstain, with the reason as data. An open question (who, what, when...) also
   needs a kept claim that adds something to the question: restating it answers nothing.
5. A yes/no question gets the polarity its evidence states.
6. Kept claims from different articles that give different numbers are an answer of their own:
   the sources differ, each cited.
"""

from __future__ import annotations

import re

from rag.citations import clean_markers
from rag.grounding import Grounder, Grounding, Matcher
from rag.prompting import ABSTAIN_TEXT
from rag.settings import AnswerSettings
from rag.text import (
    content_words, detect_language, fold, marker_numbers, negated_words, numbers_in, question_form, says_dont_know,
    split_sentences, strip_markers,
)
from rag.types import Answer, Citation, Claim, Span

# A leading yes/no word, in either language ("Oui.", "Non,", "Yes -", "No:").
_YES_NO = re.compile(r"^\s*(oui|non|yes|no|si)\b\s*[.,:;!–-]*\s*", re.IGNORECASE)
_POLARITY = {"oui": True, "si": True, "yes": True, "non": False, "no": False}
YES_NO_WORD = {("fr", True): "Oui.", ("fr", False): "Non.", ("en", True): "Yes.", ("en", False): "No."}
DIFFER = {"fr": "Les sources diffèrent :", "en": "The sources differ:"}

# Plain words for each reason to abstain: the user reads these, the evaluation counts the codes.
REASONS = {
    "off_topic": "no passage is close to the question",
    "declined": "the model found no answer in the passages",
    "unsupported": "no sentence of the answer is stated by the passages",
    "restated": "the answer only restates the question",
    "off_question": "the passages it cites speak of something else than the question",
}


def abstain(answer: Answer, code: str, detail: str = "") -> Answer:
    answer.abstained = True
    answer.abstain_code = code
    answer.abstain_reason = REASONS[code] + (f" ({detail})" if detail else "")
    answer.text = ABSTAIN_TEXT.get(answer.language, ABSTAIN_TEXT["en"])
    answer.citations = []
    answer.form = "abstained"
    return answer


def _claims(text: str) -> tuple[bool | None, list[Claim]]:
    """The model's polarity word, if it starts with one, and its sentences as claims."""
    polarity = None
    match = _YES_NO.match(text)
    if match:
        polarity = _POLARITY[match.group(1).lower()]
        text = text[match.end():]
    claims = [Claim(text=strip_markers(s), cited=marker_numbers(s)) for s in split_sentences(text)]
    return polarity, [c for c in claims if content_words(c.text)]


class Checker:
    """The checks of one answer, with the passages, the settings and (for cross-language claims) the embedder."""

    def __init__(self, answer: Answer, cfg: AnswerSettings, embedder=None):
        self.answer = answer
        self.cfg = cfg
        self.grounder = Grounder(answer.question, answer.passages, cfg, embedder)
        self.match = Matcher(cfg)
        passages_text = " ".join(p.chunk.text for p in answer.passages)
        self.passage_language = detect_language(passages_text) if passages_text.strip() else answer.language
        self.form = question_form(answer.question, answer.language)

    # -- one claim ---------------------------------------------------------------------------
    def supported(self, g: Grounding) -> tuple[bool, str]:
        """Whether the grounding window states the claim, and why not."""
        cfg = self.cfg
        if g.window is None:
            return False, "no passage"
        if not g.numbers_ok:
            return False, "a number the passages do not give"
        if g.cross_lingual:
            if g.adds and g.coverage < cfg.min_name_match:
                return False, f"names not in the passages ({g.coverage:.2f})"
            if (g.cosine or 0.0) < cfg.min_cross_lingual_cosine:
                return False, f"meaning too far from the passages (cosine {g.cosine:.2f})"
            return True, ""
        if g.coverage < cfg.min_claim_coverage:
            return False, f"the passages hold {g.coverage:.0%} of it"
        if g.adds and g.new_coverage < cfg.min_new_coverage:
            return False, f"what it adds to the question is {g.new_coverage:.0%} in the passages"
        if self._opposite_polarity(g):
            return False, "the passage states the opposite"
        return True, ""

    def _opposite_polarity(self, g: Grounding) -> bool:
        """'Le Kremlin a confirmé la date' grounded in 'Moscou n'a précisé ni la date': a negation on one side only."""
        shared = {w for w in content_words(g.claim) if self.match.found(w, g.window.words)}
        claim_neg = any(self.match.found(w, shared) for w in negated_words(g.claim))
        window_neg = any(self.match.found(w, shared) for w in negated_words(g.window.text))
        return claim_neg != window_neg

    def check(self, claim: Claim) -> Claim:
        cross = self.cfg.cross_lingual_check and detect_language(claim.text) != self.passage_language
        g = self.grounder.ground(claim.text, cross_lingual=cross, prefer=tuple(claim.cited))
        ok, why = self.supported(g)
        claim.kept = ok
        if not ok:
            claim.note = why
            return claim
        claim.passage, claim.span = g.window.passage, Span(g.window.start, g.window.end, g.window.text)
        if claim.cited and g.window.passage not in claim.cited:
            claim.note = f"cited [{', '.join(map(str, claim.cited))}], stated in [{g.window.passage}]"
        elif not claim.cited:
            claim.note = f"no citation, stated in [{g.window.passage}]"
        claim.adds = g.adds
        return claim

    # -- the answer ------------------------------------------------------------------------
    def yes_no(self, model_polarity: bool | None, kept: list[Claim]) -> bool | None:
        """Yes or no, from the evidence when it speaks of the question (a negation on the question's words), else the model's."""
        asked = content_words(self.answer.question)
        question_neg = bool(negated_words(self.answer.question) & asked)
        for claim in kept:
            if claim.span is None or detect_language(claim.text) != self.passage_language:
                continue
            window_neg = any(self.match.found(w, asked) for w in negated_words(claim.span.text))
            return window_neg == question_neg
        return model_polarity

    def rebuild(self, polarity: bool | None, kept: list[Claim]) -> str:
        sentences = [f"{c.text.rstrip('.!?… ')} [{c.passage}]." for c in kept]
        if polarity is not None and self.form == "yesno":
            sentences.insert(0, YES_NO_WORD[(self.answer.language if self.answer.language in ("fr", "en") else "en", polarity)])
        if self._disagree(kept):
            self.answer.form = "disagreement"
            if not any(w in fold(" ".join(sentences)) for w in ("differ", "diverg")):
                sentences.insert(0, DIFFER.get(self.answer.language, DIFFER["en"]))
        elif polarity is not None and self.form == "yesno":
            self.answer.form = "yes_no"
        return " ".join(sentences)

    def _disagree(self, kept: list[Claim]) -> bool:
        """Kept claims from different articles about the same thing that give different numbers."""
        if not self.cfg.disagreement_form:
            return False
        by_article: dict[str, set[str]] = {}
        for claim in kept:
            article = self.answer.passages[claim.passage - 1].chunk.article_id
            by_article.setdefault(article, set()).update(numbers_in(claim.text))
        values = [v for v in by_article.values() if v]
        return len(values) > 1 and len({frozenset(v) for v in values}) > 1


def validate(answer: Answer, raw_text: str, cfg: AnswerSettings, embedder=None) -> Answer:
    """Turn the model's text into the checked answer (or an abstention), keeping every claim's fate as data."""
    answer.model_text = raw_text
    text = clean_markers(raw_text, len(answer.passages))
    if not text or says_dont_know(text, cfg.dont_know_window):
        return abstain(answer, "declined")
    checker = Checker(answer, cfg, embedder)
    polarity, claims = _claims(text)
    answer.claims = [checker.check(c) for c in claims]
    kept = [c for c in answer.claims if c.kept]
    if not kept:
        notes = "; ".join(f"{c.text[:60]}: {c.note}" for c in answer.claims[:2])
        return abstain(answer, "unsupported", notes)
    if checker.form == "open" and not any(c.adds for c in kept):
        return abstain(answer, "restated")
    polarity = checker.yes_no(polarity, kept) if checker.form == "yesno" else None
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
