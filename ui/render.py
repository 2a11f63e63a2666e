"""HTML and Markdown for the chat UI: answers with linked [n] markers, source cards, the export.

Pure functions of library objects (Answer, Passage) so they are tested without a server.
Every piece of article or model text goes through ``html.escape``: articles are untrusted input.
"""

from __future__ import annotations

import html
import re

from rag.text import MARKER
from rag.types import Answer, Passage, Span, Verdict

ABSTAIN_BADGE = "No answer in the articles"


def escape(text: str) -> str:
    """HTML-escape, and neutralise Markdown link brackets so model text cannot become a link."""
    return html.escape(text or "", quote=True).replace("[", "&#91;").replace("]", "&#93;")


def source_id(turn: int, n: int) -> str:
    """The sources panel shows one turn at a time; ids carry the turn so old answers link right."""
    return f"src-{turn}-{n}"


def _marker_links(group: str, turn: int, labels: dict[str, str]) -> str:
    numbers = [n for n in re.split(r"\s*[,;]\s*", group) if n]
    links = ",".join(f'<a class="cite" href="#{source_id(turn, n)}" title="{escape(labels.get(n, f"Source {n}"))}">{n}</a>'
                     for n in numbers)
    return f'<sup class="cite-group">[{links}]</sup>'


def citation_label(n: int, passage: Passage) -> str:
    """What hovering [n] shows: the source's title and date."""
    c = passage.chunk
    return f"Source {n}: {c.title or c.article_id} ({c.date or 'no date'})"


def link_markers(text: str, turn: int, passages: list[Passage] | None = None) -> str:
    """Escape ``text`` and turn each [n] / [n, m] marker into superscript links to #src-<turn>-<n> (titled with the
    source's title and date when the ``passages`` are given)."""
    labels = {str(n): citation_label(n, p) for n, p in enumerate(passages or [], start=1)}
    pieces, last = [], 0
    for match in MARKER.finditer(text or ""):
        pieces.append(escape(text[last:match.start()]))
        pieces.append(_marker_links(match.group(1), turn, labels))
        last = match.end()
    pieces.append(escape((text or "")[last:]))
    return "".join(pieces)


def answer_html(answer: Answer, turn: int) -> str:
    """The assistant message: linked answer text, or the abstention badge with its reason."""
    if answer.abstained:
        reason = escape(answer.abstain_reason or "no passage answers the question")
        looked = len(answer.passages)
        return (
            f'<div class="abstain"><span class="badge badge-abstain">{ABSTAIN_BADGE}</span> '
            f'<span class="abstain-reason">{reason}</span></div>'
            f"<p>{escape(answer.text)}</p>"
            f'<p class="muted">{looked} passage{"s" if looked != 1 else ""} looked at: see the sources panel.</p>'
        )
    return (f'<div class="answer">{_verdict_badge(answer)}{_form_badge(answer)}{marked_text(answer, turn)}</div>'
            f"{_parts(answer)}{_evidence(answer)}{_warnings(answer)}")


def _verdict_badge(answer: Answer) -> str:
    if answer.verdict == Verdict.VERIFIED:
        return '<span class="badge badge-verified" title="Every sentence is stated by the passage it cites">✓ verified</span> '
    return ('<span class="badge badge-unverified" title="Sentences marked ⚠ were not found in the passages">'
            "⚠ not all found in the articles</span> ")


def _form_badge(answer: Answer) -> str:
    if answer.form == "each_article":
        return '<span class="badge badge-differ">Each article quoted: compare them</span> '
    return ""


def marked_text(answer: Answer, turn: int) -> str:
    """The answer text with linked markers, each sentence no passage states set apart and marked with why."""
    text, pieces, last = answer.text, [], 0
    for claim in answer.not_found:
        shown = f"{claim.text.rstrip('.!?… ')}."
        at = text.find(shown, last)
        if at < 0:
            continue
        pieces.append(link_markers(text[last:at], turn, answer.passages))
        title = escape(f"Not found in the passages: {claim.note}")
        pieces.append(f'<span class="not-found" title="{title}">{escape(shown)} <sup>⚠ not found in the passages</sup></span>')
        last = at + len(shown)
    pieces.append(link_markers(text[last:], turn, answer.passages))
    return "".join(pieces)


def _evidence(answer: Answer) -> str:
    """For each supported sentence, the passage sentence that states it."""
    supported = [c for c in answer.claims if c.supported and c.span and not c.quoted]
    if not supported:
        return ""
    items = "".join(f"<li>{escape(c.text)} <span class=\"muted\">— [{c.passage}] «{escape(' '.join(c.span.text.split()))}»</span></li>"
                    for c in supported)
    return f'<details class="evidence"><summary class="muted">Evidence for {len(supported)} sentence{"s" if len(supported) != 1 else ""}</summary><ul>{items}</ul></details>'


def _parts(answer: Answer) -> str:
    """A question asked as two (answer.split_questions): which two, so the reader knows how the answer was put together."""
    if len(answer.parts) < 2:
        return ""
    return f'<p class="muted">Asked as {len(answer.parts)} questions: {" · ".join(escape(p) for p in answer.parts)}</p>'


def _warnings(answer: Answer) -> str:
    return "".join(f'<p class="muted warning">⚠ {escape(w)}</p>' for w in answer.warnings)


def queued_html(pending: list[str]) -> str:
    """The questions waiting for the model, in order."""
    if not pending:
        return ""
    items = "".join(f"<li>{escape(q)}</li>" for q in pending)
    return f'<div class="queued muted">⏳ {len(pending)} question{"s" if len(pending) != 1 else ""} waiting: <ol>{items}</ol></div>'


def streaming_html(partial: str, turn: int) -> str:
    return f'<div class="answer streaming">{link_markers(partial, turn)}<span class="cursor">▍</span></div>'


def working_html(found: int | None) -> str:
    """Shown before the first token: the search, then the prompt being read."""
    if found is None:
        return '<div class="working">⏳ Searching the articles…</div>'
    return f'<div class="working">⏳ Found {found} passage{"s" if found != 1 else ""}; the model is reading them…</div>'


def passage_html(text: str, spans: list[Span]) -> str:
    """The passage, escaped, with the sentences that state a cited claim marked (offsets from the checks)."""
    pieces, last = [], 0
    for span in sorted({(s.start, s.end) for s in spans}):
        start, end = max(span[0], last), span[1]
        if start >= end:
            continue
        pieces += [escape(text[last:start]), f"<mark>{escape(text[start:end])}</mark>"]
        last = end
    pieces.append(escape(text[last:]))
    return " ".join("".join(pieces).split())


def _also_in(passage: Passage) -> str:
    if not passage.also_in:
        return ""
    ids = ", ".join(f"<code>{escape(c)}</code>" for c in passage.also_in)
    return f'<div class="src-also">Also in: {ids}</div>'


def _full_article(article_text: str | None) -> str:
    if not article_text:
        return ""
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in re.split(r"\n\s*\n", article_text) if p.strip())
    return f'<details class="src-full"><summary>Open the full article</summary>{paragraphs}</details>'


def page_label(page: int | None, end: str = " · ") -> str:
    """'p. 3' for a passage of a PDF (the page it starts on); nothing for other articles."""
    return f"p. {page}{end}" if page else ""


def source_card(turn: int, n: int, passage: Passage, cited: list[Span] | None, article_text: str | None = None) -> str:
    """One source; ``cited`` (the spans that state the answer's claims) is None while the answer is not known yet,
    [] for an uncited passage."""
    c = passage.chunk
    state = "pending" if cited is None else "cited" if cited else "uncited"
    badge = {"cited": '<span class="badge badge-cited">cited</span>', "uncited": '<span class="badge">not cited</span>'}.get(state, "")
    return (
        f'<div class="src-card {state}" id="{source_id(turn, n)}">'
        f'<div class="src-head"><span class="src-n">[{n}]</span> <b class="src-title">{escape(c.title or c.article_id)}</b> {badge}</div>'
        f'<div class="src-meta">{escape(c.date or "no date")} · article <code>{escape(c.article_id)}</code> · '
        f"{page_label(c.page)}passage <code>{escape(c.id)}</code></div>"
        f'<div class="src-text">{passage_html(c.text, cited or [])}</div>'
        f"{_also_in(passage)}{_full_article(article_text)}</div>"
    )


def sources_html(turn: int, passages: list[Passage], answer: Answer | None = None, texts: dict[str, str] | None = None) -> str:
    """The sources panel for one turn: every passage shown to the model, numbered as in the prompt."""
    texts = texts or {}
    if answer is None:
        header = f'<div class="src-header working">⏳ {len(passages)} passages found; the answer is being written…</div>'
        cited_by_n: dict[int, list[Span]] | None = None
    elif answer.abstained:
        header = f'<div class="src-header"><span class="badge badge-abstain">{ABSTAIN_BADGE}</span> passages looked at:</div>'
        cited_by_n = {}
    else:
        header = f'<div class="src-header">Sources for: <i>{escape(answer.question)}</i></div>'
        cited_by_n = {c.n: c.support or [Span(0, len(c.passage.chunk.text), c.passage.chunk.text)] for c in answer.citations}
    if not passages:
        return f'<div class="sources" data-turn="{turn}">{header}<p class="muted">No passage was found.</p></div>'
    cards = [
        source_card(turn, n, p, None if cited_by_n is None else cited_by_n.get(n, []), texts.get(p.chunk.article_id))
        for n, p in enumerate(passages, start=1)
    ]
    return f'<div class="sources" data-turn="{turn}">{header}{"".join(cards)}</div>'


EMPTY_SOURCES = '<div class="sources"><p class="muted">Sources appear here as soon as they are found.</p></div>'


def chat_messages(turns: list[Answer]) -> list[dict]:
    """Two messages per turn (the like event maps message index // 2 back to the turn)."""
    messages: list[dict] = []
    for turn, answer in enumerate(turns, start=1):
        messages.append({"role": "user", "content": escape(answer.question)})
        messages.append({"role": "assistant", "content": answer_html(answer, turn)})
    return messages


def history(turns: list[Answer]) -> list[dict]:
    """Previous turns as plain role/content dicts, the form ``stream_answer`` takes."""
    out: list[dict] = []
    for answer in turns:
        out += [{"role": "user", "content": answer.question}, {"role": "assistant", "content": answer.text}]
    return out


def export_markdown(turns: list[Answer]) -> str:
    lines = ["# Conversation", ""]
    for i, answer in enumerate(turns, start=1):
        lines += [f"## {i}. {answer.question}", "", answer.text, ""]
        if answer.abstained:
            lines += [f"_{ABSTAIN_BADGE}: {answer.abstain_reason}_", ""]
        shown = answer.passages if answer.abstained else [c.passage for c in answer.citations]
        numbers = range(1, len(shown) + 1) if answer.abstained else [c.n for c in answer.citations]
        if shown:
            lines += ["### Passages looked at" if answer.abstained else "### Sources", ""]
        for n, p in zip(numbers, shown):
            c = p.chunk
            lines += [f"[{n}] **{c.title or c.article_id}** ({c.date or 'no date'}; article `{c.article_id}`, {page_label(c.page, ', ')}passage `{c.id}`)", ""]
            lines += ["> " + " ".join(c.text.split()), ""]
    return "\n".join(lines).rstrip() + "\n"
