"""A question about what the articles say against each other ("Les articles s'accordent-ils sur...",
"Do the articles agree..."): no passage states the answer, each article states its part. For each article
shown that no supported sentence of the answer cites, the window that speaks most of the question's facts is
quoted; a sentence of the answer that judges the articles' agreement is shown as not found (no passage says it).
Not across languages: the quote would be in another language than the question."""

from __future__ import annotations

from rag.ask.questions import compared_facts
from rag.checks.facts import QuestionFacts
from rag.checks.forms.yes_no import quote
from rag.checks.grounding import Grounder, Matcher, Window
from rag.types import Claim

NOTE = "a verdict on whether the articles agree, which no passage states"


def each_article(facts: QuestionFacts, grounder: Grounder, claims: list[Claim], min_coverage: float) -> list[Claim]:
    """The sentence of each article the answer does not cite, quoted, in passage order."""
    wanted = compared_facts(facts.text)
    if not wanted or facts.crosses:
        return []
    article = lambda n: grounder.passages[n - 1].chunk.article_id  # noqa: E731
    cited = {article(c.passage) for c in claims if c.supported}
    match = Matcher()
    best: dict[str, tuple[tuple[float, int], Window]] = {}
    for window in grounder.windows:
        key = (match.share(wanted, window.words | window.names), -len(window.text))
        name = article(window.passage)
        if name not in cited and key[0] >= min_coverage and (name not in best or key > best[name][0]):
            best[name] = (key, window)
    chosen = sorted((w for _, w in best.values()), key=lambda w: w.passage)
    return [quote(w, "what this article says of the question, quoted") for w in chosen]
