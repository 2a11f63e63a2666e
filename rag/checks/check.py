"""The one check stage: from what the model wrote to the answer the user reads, with a verdict for every
sentence and for the whole (shared/DESIGN.md, "Answers: evidence shown, never a right answer deleted").

1. The model's text is read into claims (rag.checks.claims); "I don't know" is the model declining.
2. Each claim is grounded in the passage window that holds the most of it and is *supported* when no rule
   of rag.checks.support objects; a supported claim is cited with the passage that states it, whatever
   number the model gave (post-hoc attribution). An unsupported claim is shown, marked, with why.
3. The question's form adds what it needs: a yes/no answer's polarity is checked against the sentence
   that decides it (rag.checks.forms.yes_no); a question about what the articles say gets each article's
   sentence (rag.checks.forms.compare).
4. The answer is ``verified`` when every sentence (and a yes/no's polarity) is supported, else
   ``unverified``; it abstains only when the model declined, or with ``answer.unverified = "abstain"``.

Nothing the model wrote is removed; the only rewrite is the one evidence decides: citation numbers. A yes/no word
the deciding sentence contradicts is kept, unverified, with that sentence shown (replacing it lost right answers:
docs/experiments/2026-12-07-check-rules.md).
The pipeline and ``rag eval --replay`` both call :func:`check`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rag.ask.questions import judges_agreement
from rag.ask.wording import NOT_FOUND_WARNING, OFF_QUESTION_WARNING, REASONS, RESTATED_WARNING, UNSURE_WARNING
from rag.checks.claims import read_draft
from rag.checks.confidence import confidence
from rag.checks.facts import QuestionFacts, question_facts
from rag.checks.forms import compare, yes_no
from rag.checks.grounding import Grounder, Matcher
from rag.checks.support import objection
from rag.lang import language as language_of
from rag.settings import AnswerSettings
from rag.text import QUESTION_TYPE_WORDS, content_words, fold, name_like_words, says_dont_know
from rag.types import AbstainCode, Answer, Citation, Claim, Form, Passage, Span, Verdict


@dataclass
class Checked:
    """The verdicts on one draft: what the answer shows, and why."""

    claims: list[Claim]
    verdict: Verdict
    text: str = ""
    form: str = "answer"
    abstain_code: AbstainCode | None = None
    confidence: float | None = None
    warnings: list[str] = field(default_factory=list)


def judge(claim: Claim, grounder: Grounder, facts: QuestionFacts, cfg: AnswerSettings, off: frozenset[str]) -> Claim:
    """Whether a passage states ``claim``; a supported claim is re-attributed to that passage."""
    g = grounder.ground(claim.text, cross_lingual=facts.crosses, prefer=tuple(claim.cited))
    if facts.compares and judges_agreement(claim.text):
        claim.supported, claim.note = False, compare.NOTE
        return claim
    why = objection(g, cfg, off)
    claim.supported, claim.adds = why is None, g.adds
    if why:
        claim.note = why
        return claim
    claim.passage, claim.span = g.window.passage, Span(g.window.start, g.window.end, g.window.text)
    if claim.cited and claim.passage not in claim.cited:
        claim.note = f"cited [{', '.join(map(str, claim.cited))}], stated in [{claim.passage}]"
    elif not claim.cited:
        claim.note = f"no citation, stated in [{claim.passage}]"
    return claim


def check(raw: str, passages: list[Passage], facts: QuestionFacts, cfg: AnswerSettings,
          tokens: list | tuple = (), off: frozenset[str] = frozenset()) -> Checked:
    """The verdicts on the model's text ``raw`` over ``passages``. ``off`` names rules not to apply (the evaluation
    measures each rule by switching it off: rag.eval.rules)."""
    draft = read_draft(raw, len(passages))
    grounder = Grounder(facts.text, passages)
    if not draft.text or says_dont_know(draft.text, cfg.dont_know_window) or not (draft.claims or draft.polarity is not None):
        return declined(facts, grounder, cfg)
    claims = [judge(c, grounder, facts, cfg, off) for c in draft.claims]
    checked = Checked(claims, Verdict.UNVERIFIED, confidence=confidence(list(tokens), facts.text))
    polarity = None
    if facts.form == Form.YES_NO and not facts.compares:
        polarity = yes_no.decide(facts, grounder, draft.polarity, claims)
        checked.form = "yes_no" if polarity.value is not None else "answer"
        claims += [polarity.quote] if polarity.quote else []
        if polarity.value is not None and not polarity.supported:  # the yes/no word is no sentence: say why it is unverified
            checked.warnings.append(f"{language_of(facts.language).YES_NO_WORD[polarity.value].rstrip('.')}: {polarity.note}")
    elif facts.compares and cfg.compare_articles:
        quotes = compare.each_article(facts, grounder, claims, cfg.min_compare_coverage)
        claims += quotes
        checked.form = "each_article" if quotes else "answer"
    checked.verdict = verdict(checked, polarity, facts, cfg, off)
    checked.text = render(claims, polarity.value if polarity else None, checked.form, facts.language)
    if not any(c.supported for c in claims):
        checked.warnings.append(NOT_FOUND_WARNING)
    if checked.verdict == Verdict.UNVERIFIED and cfg.unverified == "abstain":
        checked.verdict, checked.abstain_code = Verdict.ABSTAINED, AbstainCode.UNVERIFIED
    return checked


def declined(facts: QuestionFacts, grounder: Grounder, cfg: AnswerSettings) -> Checked:
    """The model found no answer: an abstention, unless the question asks what each article says and they say it."""
    quotes = compare.each_article(facts, grounder, [], cfg.min_compare_coverage) if facts.compares and cfg.compare_articles else []
    if not quotes:
        return Checked([], Verdict.ABSTAINED, abstain_code=AbstainCode.DECLINED)
    return Checked(quotes, Verdict.VERIFIED, render(quotes, None, "each_article", facts.language), "each_article")


def verdict(checked: Checked, polarity: yes_no.Polarity | None, facts: QuestionFacts, cfg: AnswerSettings,
            off: frozenset[str]) -> Verdict:
    """Verified: every sentence supported, and a yes/no's polarity too."""
    claims = checked.claims
    if not claims or not all(c.supported for c in claims) or (polarity and polarity.value is not None and not polarity.supported):
        return Verdict.UNVERIFIED
    if "restated" not in off and facts.form == Form.OPEN and not any(c.adds for c in claims):
        checked.warnings.append(RESTATED_WARNING)
        return Verdict.UNVERIFIED  # restating the question answers nothing
    if "off_question" not in off and facts.form == Form.OPEN and not facts.crosses \
            and question_coverage(claims, facts) < cfg.min_question_coverage:
        checked.warnings.append(OFF_QUESTION_WARNING)
        return Verdict.UNVERIFIED  # true sentences about something else
    if "confidence" not in off and cfg.min_confidence is not None and checked.confidence is not None \
            and checked.confidence < cfg.min_confidence:
        checked.warnings.append(UNSURE_WARNING)
        return Verdict.UNVERIFIED
    return Verdict.VERIFIED


def question_coverage(claims: list[Claim], facts: QuestionFacts) -> float:
    """Share of the question's content words (not those naming the kind of answer) that the passage sentences stating
    the answer speak of; a follow-up's previous question lends it its words."""
    spans = [c.span.text for c in claims if c.supported and c.span]
    vocabulary = set().union(*(content_words(s) | {fold(n) for n in name_like_words(s)} for s in spans)) | content_words(facts.follows)
    return Matcher().share(content_words(facts.text) - QUESTION_TYPE_WORDS, vocabulary)


def render(claims: list[Claim], polarity: bool | None, form: str, language: str) -> str:
    """The answer's text: every sentence, a supported one with the number of the passage that states it."""
    lang = language_of(language)
    sentences = [f"{c.text.rstrip('.!?… ')} [{c.passage}]." if c.supported else f"{c.text.rstrip('.!?… ')}." for c in claims]
    if form == "each_article":
        sentences.insert(0, lang.EACH_ARTICLE)
    if polarity is not None:
        sentences.insert(0, lang.YES_NO_WORD[polarity])
    return " ".join(sentences)


def citations(claims: list[Claim], passages: list[Passage]) -> list[Citation]:
    """One citation per passage that states a sentence of the answer, with those sentences and where it states them."""
    by_n: dict[int, Citation] = {}
    for claim in claims:
        if not claim.supported:
            continue
        citation = by_n.setdefault(claim.passage, Citation(n=claim.passage, passage=passages[claim.passage - 1]))
        citation.sentences.append(claim.text)
        if claim.span and claim.span not in citation.support:
            citation.support.append(claim.span)
    return [by_n[n] for n in sorted(by_n)]


def abstain(answer: Answer, code: AbstainCode, detail: str = "") -> Answer:
    answer.abstained, answer.verdict, answer.form = True, Verdict.ABSTAINED, "abstained"
    answer.abstain_code = str(code)
    answer.abstain_reason = REASONS[code] + (f" ({detail})" if detail else "")
    answer.text = language_of(answer.language).ABSTAIN_TEXT
    answer.citations = []
    return answer


def check_answer(answer: Answer, raw: str, cfg: AnswerSettings, off: frozenset[str] = frozenset()) -> Answer:
    """Check the model's text ``raw`` for ``answer`` (its question and passages) and make the answer of it, as the
    verdicts make it."""
    facts = question_facts(answer.question, answer.passages, answer.follows)
    checked = check(raw, answer.passages, facts, cfg, answer.tokens, off)
    answer.model_text, answer.claims, answer.confidence = raw, checked.claims, checked.confidence
    if checked.verdict == Verdict.ABSTAINED:
        return abstain(answer, checked.abstain_code)
    answer.verdict, answer.form, answer.text = checked.verdict, checked.form, checked.text
    answer.citations = citations(checked.claims, answer.passages)
    answer.warnings += checked.warnings
    return answer
