"""The Gradio app behind `rag serve`: chat with streamed, cited answers, and a corpus tab.

``build_app(services)`` makes the Blocks (testable without a server); ``serve`` loads the
settings, ingests the seeds into an empty store, and launches. Callbacks live in
``ui.handlers`` and HTML in ``ui.render``; the functions here only wire components to them.
"""

from __future__ import annotations

import sys

import gradio as gr

from rag import build_services, ensure_corpus, load_settings
from rag.errors import RagError, SettingsError
from rag.pipeline import warm_up
from ui import handlers, render, server_file

CSS = """
#chat .cite-group { font-size: 0.75em; line-height: 0; }
#chat a.cite { text-decoration: none; font-weight: 700; padding: 0 1px; color: #2563eb; }
.badge { display: inline-block; border-radius: 999px; padding: 1px 8px; font-size: 0.8em;
         background: #e5e7eb; color: #374151; font-weight: 600; }
.badge-cited { background: #dcfce7; color: #166534; }
.badge-abstain { background: #fee2e2; color: #991b1b; }
.badge-differ { background: #fef3c7; color: #92400e; }
.badge-verified { background: #dcfce7; color: #166534; }
.badge-unverified { background: #ffedd5; color: #9a3412; }
.not-found { background: #fff7ed; color: #9a3412; text-decoration: underline dotted; }
.not-found sup { font-size: 0.7em; }
.left-out { margin-top: 4px; font-size: 0.9em; }
.abstain { margin-bottom: 6px; }
.abstain-reason, .muted { color: #6b7280; font-size: 0.9em; }
.working { color: #92400e; font-style: italic; }
.sources { max-height: 640px; overflow-y: auto; }
.src-header { margin: 4px 0 8px; }
.src-card { border: 1px solid #d1d5db; border-radius: 8px; padding: 8px 10px; margin: 8px 0; scroll-margin-top: 12px; }
.src-card.uncited { opacity: 0.7; }
.src-card:target, .src-card.flash { outline: 3px solid #f59e0b; }
.src-meta { color: #6b7280; font-size: 0.85em; margin: 2px 0 6px; }
.src-text mark { background: #fde68a; color: inherit; padding: 0 2px; }
.src-also { font-size: 0.85em; margin-top: 6px; }
.src-full summary { cursor: pointer; margin-top: 6px; color: #2563eb; }
.src-full p { font-size: 0.9em; }
"""

# Clicking [n] in the chat scrolls its card into view inside the sources panel, even when the
# hash does not change (the same [n] clicked twice) or the panel scrolls on its own.
HEAD = """
<script>
document.addEventListener("click", (e) => {
  const link = e.target.closest && e.target.closest("a.cite");
  if (!link) return;
  e.preventDefault();
  const id = link.getAttribute("href").slice(1);
  let tries = 30;  // an older turn's panel arrives from the server a moment after the click
  const show = () => {
    const card = document.getElementById(id);
    if (!card) { if (tries-- > 0) setTimeout(show, 100); return; }
    card.scrollIntoView({behavior: "smooth", block: "nearest"});
    document.querySelectorAll(".src-card.flash").forEach((c) => c.classList.remove("flash"));
    card.classList.add("flash");
  };
  show();
}, true);
</script>
"""


def _theme() -> gr.themes.Base:
    # System fonts: the default theme fetches Google Fonts, and this app runs offline.
    return gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])


def launch_options(settings) -> dict:
    """Keyword arguments for ``demo.launch``: look, export folder, upload cap."""
    return dict(
        theme=_theme(), css=CSS, head=HEAD, footer_links=["api", "settings"],
        allowed_paths=[str(settings.data_dir / "exports")],
        max_file_size=int(settings.ui.max_upload_mb * 1_000_000),
    )


def _chat_tab(services, demo: gr.Blocks, turns: gr.State) -> None:
    settings = services.settings
    with gr.Row():
        with gr.Column(scale=3):
            chatbot = gr.Chatbot(elem_id="chat", label="Chat", height=540, buttons=["copy"],
                                 placeholder="Ask a question about the articles. Answers cite them as [n].")
            question = gr.Textbox(elem_id="question", show_label=False, submit_btn=True,
                                  placeholder="Your question, then Enter (e.g. Où Kim Jong Un a-t-il rencontré Poutine ?)")
            with gr.Row():
                clear = gr.Button("New conversation", size="sm")
                export = gr.Button("Export as Markdown", size="sm")
            export_file = gr.File(label="Conversation export", visible=False, interactive=False)
            queued = gr.HTML("", elem_id="queued")
        with gr.Column(scale=2):
            model = gr.Markdown(handlers.model_markdown(services), elem_id="model-info")
            k = gr.Slider(1, 10, value=settings.retrieval.k, step=1, label="Passages shown to the model (k)")
            scope = _filter_controls()
            sources = gr.HTML(render.EMPTY_SOURCES, elem_id="sources", label="Sources")
    _wire_chat(services, turns, chatbot, question, [k, *scope], sources, model, queued)

    def choices():
        return gr.update(choices=handlers.article_choices(services))

    demo.load(choices, None, scope[0], api_visibility="private")
    scope[0].focus(choices, None, scope[0], api_visibility="private", concurrency_limit=None)  # articles added since
    clear.click(lambda: ([], render.EMPTY_SOURCES, [], gr.update(value=None, visible=False)), None,
                [chatbot, sources, turns, export_file], api_visibility="private", concurrency_limit=None)
    export.click(lambda t: handlers.export_conversation(services, t), turns, export_file, api_visibility="private")


def _filter_controls() -> list:
    """Ask within some articles or dates: what retrieval may return (rag.types.Filters)."""
    with gr.Accordion("Only some articles or dates", open=False, elem_id="filters"):
        articles = gr.Dropdown(label="Only these articles", choices=[], multiselect=True, elem_id="filter-articles")
        with gr.Row():
            since = gr.Textbox(label="Since", placeholder="YYYY-MM-DD", elem_id="filter-since")
            until = gr.Textbox(label="Until", placeholder="YYYY-MM-DD", elem_id="filter-until")
    return [articles, since, until]


def _wire_chat(services, turns, chatbot, question, options, sources, model, queued) -> None:
    def chat(message: str, session: list, passages: float, articles: list | None = None, since: str | None = None,
             until: str | None = None):
        yield from handlers.respond(services, message, session, passages, handlers.Scope(articles, since, until))

    def chat_next(waiting: list, session: list, passages: float, articles: list | None = None, since: str | None = None,
                  until: str | None = None, request: gr.Request = None):
        yield from handlers.respond_next(services, waiting, session, passages, handlers.Scope(articles, since, until),
                                         request.session_hash if request else None)

    def select(session: list, shown: str, evt: gr.SelectData):
        return handlers.show_turn(services, session, shown, evt.index)

    def like(session: list, evt: gr.LikeData):
        handlers.on_like(services, session, evt)

    # A question sent while an answer streams joins the session's queue at once (trigger_mode="multiple": no send is
    # ignored); each send then runs one answer, a session's in turn, and the queue shows what waits.
    pending = gr.State([])
    question.submit(handlers.enqueue, [question, pending], [question, pending, queued], trigger_mode="multiple",
                    api_visibility="private", concurrency_limit=None).then(
        chat_next, [pending, turns, *options], [chatbot, sources, turns, pending, queued], concurrency_id="llm",
        concurrency_limit=services.settings.llm.parallel,
        show_progress="minimal", api_visibility="private").then(
        lambda: handlers.model_markdown(services), None, model, api_visibility="private", concurrency_limit=None)
    # The same chat for API clients (Client(url).predict(question, k, api_name="/chat")), the session's turns kept.
    api_question = gr.Textbox(visible=False)
    api_question.submit(chat, [api_question, turns, *options], [chatbot, sources, turns, api_question], api_name="chat",
                        concurrency_id="llm", concurrency_limit=services.settings.llm.parallel)
    chatbot.select(select, [turns, sources], sources, api_visibility="private", concurrency_limit=None)
    chatbot.clear(lambda: ([], render.EMPTY_SOURCES), None, [turns, sources], api_visibility="private", concurrency_limit=None)
    chatbot.like(like, turns, None, api_visibility="private")


READ_ONLY_NOTE = ("Read-only: this server listens beyond this machine without a password, so articles cannot be "
                  "added or removed here (set RAG_UI__AUTH_USER and RAG_UI__AUTH_PASSWORD, or use `rag ingest`).")


def _corpus_tab(services, demo: gr.Blocks, writes: bool) -> None:
    table = gr.Dataframe(headers=["id", "title", "date", "chunks"], interactive=False, label="Articles", wrap=True,
                         column_widths=["22%", "58%", "12%", "8%"])

    def listing():
        return handlers.refresh_corpus(services)

    if writes:
        pick = _corpus_writes(services, table)
    else:  # the handlers are not registered at all: nothing to call over the HTTP queue API
        gr.Markdown(READ_ONLY_NOTE, elem_id="corpus-status")
        pick = gr.Dropdown(visible=False)
    refresh = gr.Button("Refresh list")
    refresh.click(listing, None, [table, pick], api_visibility="private")
    demo.load(listing, None, [table, pick], api_visibility="private")


def _corpus_writes(services, table: gr.Dataframe) -> gr.Dropdown:
    """Upload, links and removal, wired only when this server may write (see ``writes_allowed``)."""
    limit = services.settings.ui.max_upload_mb
    upload = gr.File(label=f"Add articles ({' '.join(handlers.UPLOAD_TYPES)}, at most {limit:g} MB each)",
                     file_count="multiple", file_types=list(handlers.UPLOAD_TYPES), elem_id="upload")
    with gr.Row():
        link = gr.Textbox(label="Add articles from links (web pages or PDFs, one or more https://...)", elem_id="add-link",
                          placeholder="https://www.example.com/2023/09/13/article.html", scale=4)
        fetch = gr.Button("Fetch and add", scale=1)
    status = gr.Markdown(elem_id="corpus-status")
    with gr.Row():
        pick = gr.Dropdown(label="Article to remove (or click a row)", choices=[], scale=3)
        remove = gr.Button("Remove article", variant="stop", scale=1)

    def do_upload(files: list | None, progress=gr.Progress(track_tqdm=True)):
        return handlers.upload_articles(services, files, progress)

    def pick_row(evt: gr.SelectData):
        return evt.row_value[0] if evt.row_value else gr.skip()

    def do_links(text: str, progress=gr.Progress(track_tqdm=True)):
        return handlers.add_links(services, text, progress)

    upload.upload(do_upload, upload, [status, table, pick, upload], concurrency_id="write", api_visibility="private")
    for event in (link.submit, fetch.click):
        event(do_links, link, [status, table, pick, link], concurrency_id="write", api_visibility="private")
    remove.click(lambda article_id: handlers.remove_article(services, article_id), pick, [status, table, pick],
                 concurrency_id="write", api_visibility="private")
    table.select(pick_row, None, pick, api_visibility="private", concurrency_limit=None)
    return pick


def _api(services, writes: bool) -> None:
    """The endpoints `rag ask/search/info/ingest/remove` go through while this server holds the store
    (ui.cli.remote); ingest and remove exist only where this server may write."""

    def ask(question: str, k: int = 0, history: list | None = None, articles: list | None = None,
            since: str = "", until: str = "") -> dict:
        """Answer one question (a follow-up of ``history``: [{role, content}, ...]), within the given article ids and
        dates (YYYY-MM-DD) if any; returns the same JSON object as `rag ask --json`."""
        return handlers.ask_json(services, question, k, history, articles, since, until)

    def search(question: str, k: int = 0, history: list | None = None, articles: list | None = None,
               since: str = "", until: str = "") -> dict:
        """The passages retrieved for a question; the same JSON object as `rag search --json`."""
        return handlers.search_json(services, question, k, history, articles, since, until)

    def info(articles: bool = False) -> dict:
        """The store, models and settings in use, as `rag info --json` (``articles``: with the article list)."""
        return handlers.info_json(services, articles)

    gr.api(ask, api_name="ask", concurrency_id="llm", concurrency_limit=services.settings.llm.parallel)
    gr.api(search, api_name="search", concurrency_limit=None)
    gr.api(info, api_name="info", concurrency_limit=None)
    if not writes:
        return

    def ingest(paths: list, rebuild: bool = False) -> dict:
        """Ingest files or folders of this machine, as `rag ingest`: {report (as --json), summary}."""
        return handlers.ingest_json(services, paths, rebuild)

    def remove(article_id: str) -> dict:
        """Remove one article, as `rag remove --json`."""
        return handlers.remove_json(services, article_id)

    gr.api(ingest, api_name="ingest", concurrency_id="write")
    gr.api(remove, api_name="remove", concurrency_id="write")


def build_app(services, writes: bool = True) -> gr.Blocks:
    """The whole UI for ``services``; per-user chats live in a gr.State, never on ``services``.
    Without ``writes`` the corpus tab only lists the articles (see ``writes_allowed``)."""
    with gr.Blocks(title="Ask the news articles", analytics_enabled=False) as demo:
        gr.Markdown("## Ask the news articles\nAnswers cite numbered passages: click a [n] to see its source.")
        turns = gr.State([])
        with gr.Tab("Chat"):
            _chat_tab(services, demo, turns)
        with gr.Tab("Corpus"):
            _corpus_tab(services, demo, writes)

        _api(services, writes)
    # Answers: as many at once as the model decodes together (llm.parallel), the others wait in gradio's queue, told
    # their place; writes to the store one at a time.
    demo.queue(default_concurrency_limit=1)
    return demo


def _auth(settings) -> tuple[str, str] | None:
    user, password = settings.ui.auth_user, settings.ui.auth_password.get_secret_value()
    if bool(user) != bool(password):
        raise SettingsError("set both ui.auth_user and ui.auth_password (RAG_UI__AUTH_USER / RAG_UI__AUTH_PASSWORD), or neither")
    return (user, password) if user else None


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def writes_allowed(settings, host: str, auth) -> bool:
    """Uploads and removals: on localhost, behind a password, or when the settings say a proxy authenticates."""
    return host in LOOPBACK or auth is not None or settings.ui.open_writes


def serve(config=None, host: str | None = None, port: int | None = None) -> int:
    """`rag serve`: ingest the seeds into an empty store (progress on the terminal), then launch."""
    try:
        settings = load_settings(config)
        auth = _auth(settings)
        services = build_services(settings)
        if services.store.count() == 0:
            print(f"The article store is empty: ingesting {settings.seeds_dir} first…", flush=True)
        ensure_corpus(services, progress=True)
        print("Loading the models…", flush=True)
        warm_up(services)  # the first question must not wait ~15 s for the LLM to load
        print(f"{len(services.store.articles())} articles, {services.store.count()} passages: ready.", flush=True)
        host, port = host or settings.ui.host, port or settings.ui.port
        writes = writes_allowed(settings, host, auth)
        demo = build_app(services, writes=writes)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    if not writes:
        print(f"warning: listening on {host} without a password, so the UI is read-only (no uploads or removals); "
              "set RAG_UI__AUTH_USER and RAG_UI__AUTH_PASSWORD to manage articles in it", file=sys.stderr)
    try:
        demo.launch(server_name=host, server_port=port, auth=auth, prevent_thread_lock=True, **launch_options(settings))
    except OSError as exc:
        print(f"error: cannot listen on {host}:{port}: {exc} (pick another --port)", file=sys.stderr)
        return 1
    _run_announced(demo, settings.data_dir, host, port, writes)
    return 0


def _run_announced(demo: gr.Blocks, data_dir, host: str, port: int, writes: bool) -> None:
    """Serve until stopped, announced in <data_dir>/server.json so `rag` commands go through this server meanwhile."""
    import signal

    def stop(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)  # `kill` leaves no file behind either, as Ctrl-C does
    server_file.write(data_dir, host, port, writes)
    try:
        demo.block_thread()
    finally:
        server_file.remove(data_dir)
        signal.signal(signal.SIGTERM, previous)
