"""Gradio callbacks, each thin: convert the session's turns, call the library, render.

Per-user state is the list of :class:`rag.Answer` kept in a ``gr.State``; nothing here keeps
a user's data on a shared object. Library errors (``RagError``) become ``gr.Error``.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import gradio as gr

from rag import Filters, RagError, answer, ingest, remove, search, stream_answer
from rag.ask.conversation import checked_history
from rag.errors import InputError
from rag.ingestion.loading import SUPPORTED as UPLOAD_TYPES
from rag.ingestion.web import is_url
from rag.services import describe
from rag.types import Answer, Passage
from ui import render

_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


# -- chat ---------------------------------------------------------------------------------

def article_texts(services, passages: list[Passage]) -> dict[str, str]:
    ids = dict.fromkeys(p.chunk.article_id for p in passages)
    return {aid: services.store.article_text(aid) for aid in ids}


def _assistant(content: str) -> dict:
    return {"role": "assistant", "content": content}


@dataclass(frozen=True)
class Scope:
    """The chat tab's filter boxes, as typed (checked when a question is asked)."""

    articles: list | None = None
    since: str = ""
    until: str = ""

    def filters(self) -> Filters | None:
        return Filters.parse(self.articles, self.since, self.until)


def article_choices(services) -> list[tuple[str, str]]:
    """(label, id) of each stored article for the filter's picker: the title and date help, the id is what is kept."""
    try:
        rows = services.store.articles()
    except RagError:
        return []
    return [(f"{a['title'][:60] or a['id']} ({a['date'] or 'no date'})", a["id"]) for a in rows]


def respond(services, question: str, turns: list[Answer], k: float, scope: Scope | None = None):
    """Stream one answer: sources as soon as retrieval is done, then tokens, then the final render.

    Yields (chat messages, sources panel, turns, question box).
    """
    question = (question or "").strip()
    if not question:
        gr.Warning("Type a question first.")
        yield render.chat_messages(turns), gr.skip(), turns, ""
        return
    turn = len(turns) + 1
    head = [*render.chat_messages(turns), {"role": "user", "content": render.escape(question)}]
    yield [*head, _assistant(render.working_html(None))], gr.skip(), turns, ""
    final, pieces, texts = None, [], {}
    try:
        filters = scope.filters() if scope else None
        for event in stream_answer(services, question, history=render.history(turns), k=int(k) if k else None, filters=filters):
            if event.kind == "passages":
                texts = article_texts(services, event.passages)
                panel = render.sources_html(turn, event.passages, None, texts)
                yield [*head, _assistant(render.working_html(len(event.passages)))], panel, turns, ""
            elif event.kind == "token":
                pieces.append(event.token)
                yield [*head, _assistant(render.streaming_html("".join(pieces), turn))], gr.skip(), turns, ""
            elif event.kind == "answer":
                final = event.answer
    except RagError as exc:
        raise gr.Error(str(exc)) from None
    turns = [*turns, final]
    yield render.chat_messages(turns), render.sources_html(turn, final.passages, final, texts), turns, ""


def enqueue(question: str, pending: list[str]) -> tuple[str, list[str], str]:
    """A question sent while an answer is still being written waits its turn, shown: never lost.
    Returns (question box, pending questions, the queue's display)."""
    question = (question or "").strip()
    if not question:
        gr.Warning("Type a question first.")
        return "", pending, render.queued_html(pending)
    pending.append(question)  # in place: a run of this session waiting its turn reads it (see respond_next)
    return "", pending, render.queued_html(pending)


_session_turns: dict[str, threading.Lock] = {}


def respond_next(services, pending: list[str], turns: list[Answer], k: float, scope: Scope | None = None,
                 session: str | None = None):
    """Answer the first waiting question (one run per question sent). Several sessions are answered at once; within
    ``session`` the runs take turns, and ``pending`` and ``turns`` are updated in place, so a run that waited reads the
    answer before it as history. Yields (chat messages, sources panel, turns, pending questions, the queue's display)."""
    lock = _session_turns.setdefault(session, threading.Lock()) if session else contextlib.nullcontext()
    with lock:
        if not pending:
            yield gr.skip(), gr.skip(), turns, pending, gr.skip()
            return
        question = pending.pop(0)
        first = True
        for messages, panel, answered, _ in respond(services, question, turns, k, scope):
            turns[len(turns):] = answered[len(turns):]
            # the queue is written once, at the start: questions sent meanwhile are added to it by ``enqueue``
            yield messages, panel, turns, *((pending, render.queued_html(pending)) if first else (gr.skip(), gr.skip()))
            first = False


def show_turn(services, turns: list[Answer], shown: str, index):
    """Clicking a message (or its [n]) shows that turn's sources, unless the panel already does."""
    index = index[0] if isinstance(index, (list, tuple)) else index
    if not isinstance(index, int) or not 0 <= index // 2 < len(turns):
        return gr.skip()
    turn = index // 2 + 1
    if f'data-turn="{turn}"' in (shown or ""):
        return gr.skip()
    answer = turns[turn - 1]
    try:
        return render.sources_html(turn, answer.passages, answer, article_texts(services, answer.passages))
    except RagError as exc:
        raise gr.Error(str(exc)) from None


def api_error(exc: RagError) -> gr.Error:
    """A library error for an API caller: the message, and the error's class as the title (the CLI going through a
    running server maps it back to the same exit code)."""
    return gr.Error(str(exc), title=type(exc).__name__, print_exception=False)


def ask_json(services, question: str, k: int = 0, history: list | None = None, articles: list | None = None,
             since: str = "", until: str = "") -> dict:
    """The `ask` API endpoint: the same JSON object as `rag ask --json`; ``history`` for follow-ups."""
    if not (question or "").strip():
        raise gr.Error("empty question: pass the question text", title="InputError")
    try:
        filters = Filters.parse(articles, since, until)
        return answer(services, question, checked_history(history), k=int(k) if k else None, filters=filters).to_dict()
    except RagError as exc:
        raise api_error(exc) from None


def search_json(services, question: str, k: int = 0, history: list | None = None, articles: list | None = None,
                since: str = "", until: str = "") -> dict:
    """The `search` API endpoint: the same JSON object as `rag search --json`."""
    if not (question or "").strip():
        raise gr.Error("empty question: pass the question text", title="InputError")
    try:
        filters = Filters.parse(articles, since, until)
        passages = search(services, question, k=int(k) if k else None, history=checked_history(history), filters=filters)
    except RagError as exc:
        raise api_error(exc) from None
    return {"question": question, "passages": [p.to_dict() for p in passages]}


def info_json(services, articles: bool = False) -> dict:
    try:
        return describe(services, bool(articles))
    except RagError as exc:
        raise api_error(exc) from None


def ingest_json(services, paths: list | None, rebuild: bool = False) -> dict:
    """The `ingest` API endpoint (local writes only): files or folders on the server's machine, as `rag ingest` takes."""
    try:
        if not rebuild:
            services.store.check_readable(services.settings.store.collection)
        report = ingest(services, [str(p) for p in paths or []], rebuild=bool(rebuild), progress=False)
    except RagError as exc:
        raise api_error(exc) from None
    return {"report": report.to_dict(), "summary": report.summary()}


def remove_json(services, article_id: str) -> dict:
    from ui.cli.main import remove_article

    try:
        return remove_article(services, article_id)
    except RagError as exc:
        raise api_error(exc) from None


def model_markdown(services) -> str:
    info = services.model_info()
    return f"**Model:** `{info.get('llm', '?')}` · **Embedder:** `{info.get('embedder', '?')}`"


# -- feedback and export ------------------------------------------------------------------

def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def record_feedback(data_dir: Path, turns: list[Answer], index, liked) -> dict | None:
    """Append one vote to <data_dir>/feedback.jsonl; ``index`` is the liked chat message's index."""
    index = index[0] if isinstance(index, (list, tuple)) else index
    if not isinstance(index, int) or not 0 <= index // 2 < len(turns):
        return None
    answer = turns[index // 2]
    vote = {True: "up", False: "down"}.get(liked, str(liked)) if isinstance(liked, bool) else str(liked)
    record = {
        "timestamp": _now(), "vote": vote, "question": answer.question, "answer": answer.text,
        "abstained": answer.abstained, "citations": [c.to_dict() for c in answer.citations], "model": answer.model,
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / "feedback.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(record, ensure_ascii=False) + "\n")
    return record


def on_like(services, turns: list[Answer], evt: gr.LikeData) -> None:
    if record_feedback(services.settings.data_dir, turns, evt.index, evt.liked):
        gr.Info("Thanks, your feedback was saved.")


def export_conversation(services, turns: list[Answer]):
    """Write the conversation with its sources as Markdown under <data_dir>/exports/."""
    if not turns:
        gr.Warning("Nothing to export yet: ask a question first.")
        return gr.skip()
    folder = services.settings.data_dir / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"conversation-{datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}.md"
    path.write_text(render.export_markdown(turns), encoding="utf-8")
    return gr.update(value=str(path), visible=True)


# -- corpus -------------------------------------------------------------------------------

def stage_upload(source: str | Path, uploads_dir: Path, max_mb: float, name: str | None = None) -> Path:
    """Copy one upload into ``uploads_dir`` under a sanitised basename; raise InputError if refused."""
    source = Path(source)
    name = source.name if name is None else name
    if not name or "/" in name or "\\" in name or ".." in name or name.startswith(".") or "\x00" in name:
        raise InputError(f"refused file name {name!r}: it must be a plain file name (no folders, no '..')")
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_TYPES:
        raise InputError(f"{name}: unsupported type {suffix or '(none)'}; upload {', '.join(UPLOAD_TYPES)} files")
    size_mb = source.stat().st_size / 1e6
    if size_mb > max_mb:
        raise InputError(f"{name}: {size_mb:.1f} MB is over the {max_mb:g} MB upload limit (settings ui.max_upload_mb)")
    uploads_dir.mkdir(parents=True, exist_ok=True)
    target = (uploads_dir / _NAME_UNSAFE.sub("_", name)).resolve()
    if target.parent != uploads_dir.resolve():
        raise InputError(f"refused file name {name!r}: it would be written outside the uploads folder")
    shutil.copyfile(source, target)
    return target


def corpus_rows(services) -> list[list]:
    return [[a["id"], a["title"], a["date"], a["chunks"]] for a in services.store.articles()]


def refresh_corpus(services):
    try:
        rows = corpus_rows(services)
    except RagError as exc:
        raise gr.Error(str(exc)) from None
    return rows, gr.update(choices=[r[0] for r in rows], value=None)


def upload_articles(services, files, progress=gr.Progress(track_tqdm=True)):
    """Validate and copy the uploads into <data_dir>/uploads/, then ingest them."""
    uploads_dir = services.settings.data_dir / "uploads"
    staged, refused = [], []
    for i, f in enumerate(files or []):
        progress((i, len(files)), desc="checking uploads")
        try:
            staged.append(stage_upload(getattr(f, "name", f), uploads_dir, services.settings.ui.max_upload_mb))
        except InputError as exc:
            refused.append(str(exc))
    lines = [f"Refused: {reason}" for reason in refused]
    if staged:
        lines = _ingest_lines(services, staged) + lines
    if refused:
        gr.Warning(refused[0])
    rows, choices = refresh_corpus(services)
    return "\n\n".join(lines) or "No file uploaded.", rows, choices, None


def _ingest_lines(services, items: list, noun: str = "file(s)", shown=lambda where: Path(where).name) -> list[str]:
    """Ingest ``items`` (files or links) and say what happened, one line each for notes and skips."""
    try:
        report = ingest(services, items, progress=True)
    except RagError as exc:
        raise gr.Error(str(exc)) from None
    return ([f"Ingested {len(items)} {noun}: {report.summary()}"]
            + [f"Note on {shown(where)}: {note}" for where, note in report.notes]
            + [f"Skipped {shown(where)}: {reason}" for where, reason in report.skipped])


def add_links(services, text: str | None, progress=gr.Progress(track_tqdm=True)):
    """Fetch and ingest the http(s) links typed in the URL box (one or more, separated by spaces or lines)."""
    words = (text or "").split()
    links = list(dict.fromkeys(w for w in words if is_url(w)))
    lines = [f"Refused {w[:100]!r}: not an http(s):// link" for w in words if not is_url(w)]
    if links:
        progress(0, desc="fetching links")
        lines = _ingest_lines(services, links, "link(s)", shown=str) + lines
    rows, choices = refresh_corpus(services)
    return "\n\n".join(lines) or "Type a link first (https://...).", rows, choices, ""


def remove_article(services, article_id: str | None):
    if not article_id:
        gr.Warning("Pick an article to remove.")
        return gr.skip(), gr.skip(), gr.skip()
    try:
        removed = remove(services, article_id)
    except RagError as exc:
        raise gr.Error(str(exc)) from None
    message = f"Removed {article_id} ({removed} chunks)." if removed else f"No article {article_id!r} in the store."
    if not removed:
        gr.Warning(message)
    rows, choices = refresh_corpus(services)
    return message, rows, choices
