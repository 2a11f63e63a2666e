"""The UI's callbacks and rendering on fakes: no server, no browser."""

from __future__ import annotations

import json

import gradio as gr
import pytest
from conftest import SEEDS

from rag import answer, ingest
from rag.errors import InputError
from rag.types import Answer, Chunk, Citation, Passage, Span
from ui import handlers, render
from ui.app import build_app

QUESTION = "Où Kim Jong Un a-t-il rencontré Poutine ?"


def no_progress(*args, **kwargs):
    return None


def passage(text: str, article_id: str = "art", n: int = 0, also_in=None, title: str = "Titre", date: str = "2023-09") -> Passage:
    chunk = Chunk(id=f"{article_id}:{n}", article_id=article_id, n=n, text=text, start=0, end=len(text), title=title, date=date)
    return Passage(chunk=chunk, score=0.5, rank=1, also_in=list(also_in or []))


def run(generator) -> list[tuple]:
    return list(generator)


# -- rendering ------------------------------------------------------------------------------

def test_markers_become_superscript_links_and_text_is_escaped():
    html = render.link_markers("Kim <b>est</b> arrivé [1]. Puis [2, 3].", turn=1)
    assert '<a class="cite" href="#src-1-1"' in html and 'href="#src-1-3"' in html
    assert "<sup" in html and "&lt;b&gt;" in html and "<b>" not in html


def test_cited_sentence_is_highlighted_and_also_in_shown():
    text = "Le train est arrivé à Khasan. Kim a rencontré Poutine au cosmodrome Vostotchny. Il fait beau."
    p = passage(text, also_in=["other:2", "third:0"])
    a = Answer(question="Où ?", text="Kim a rencontré Poutine au cosmodrome [1].", citations=[], passages=[p], abstained=False, language="fr")
    start = text.index("Kim a rencontré")
    end = text.index("Il fait") - 1
    a.citations = [Citation(n=1, passage=p, sentences=["Kim a rencontré Poutine au cosmodrome."], support=[Span(start, end, text[start:end])])]
    html = render.sources_html(1, [p], a)
    assert "<mark>Kim a rencontré Poutine au cosmodrome Vostotchny.</mark>" in html
    assert html.count("<mark>") == 1
    assert 'id="src-1-1"' in html and "Also in" in html and "other:2" in html and "third:0" in html
    assert "Titre" in html and "2023-09" in html and "art" in html


def test_answer_and_sources_on_seeds(seeded):
    final = answer(seeded, QUESTION)
    assert not final.abstained and final.citations
    chat = render.answer_html(final, turn=1)
    assert 'href="#src-1-1"' in chat
    panel = render.sources_html(1, final.passages, final, handlers.article_texts(seeded, final.passages))
    assert 'id="src-1-1"' in panel and "badge-cited" in panel and "<mark>" in panel
    assert "Open the full article" in panel and final.citations[0].passage.chunk.article_id in panel


def test_abstention_has_its_own_look_and_keeps_the_passages(make_services):
    services = make_services(script=["Je ne sais pas."])
    ingest(services, [SEEDS], progress=False)
    final = answer(services, "Quelle est la capitale de l'Australie ?")
    assert final.abstained
    chat = render.answer_html(final, turn=1)
    assert render.ABSTAIN_BADGE in chat and "badge-abstain" in chat and 'class="cite"' not in chat
    assert render.escape(final.abstain_reason) in chat
    panel = render.sources_html(1, final.passages, final)
    assert render.ABSTAIN_BADGE in panel and "looked at" in panel
    assert panel.count('class="src-card uncited"') == len(final.passages) > 0


def test_malicious_article_is_escaped_everywhere(make_services, tmp_path):
    folder = tmp_path / "evil"
    folder.mkdir()
    payload = '<script>alert(1)</script><img src=x onerror="alert(2)"> Poutine a rencontré Kim à Vostotchny. [x](javascript:alert(3))'
    (folder / "evil.txt").write_text(payload + "\n\nKim et Poutine ont parlé de coopération militaire.", encoding="utf-8")
    services = make_services()
    ingest(services, [folder], progress=False)
    final = answer(services, "Où Poutine a-t-il rencontré Kim ?")
    turns = [final]
    html = render.sources_html(1, final.passages, final, handlers.article_texts(services, final.passages))
    html += "".join(m["content"] for m in render.chat_messages(turns))
    assert "<script" not in html and "<img" not in html and "](javascript" not in html
    assert "&lt;script&gt;" in html and "onerror=&quot;" in html


# -- chat callbacks ---------------------------------------------------------------------------

def test_respond_shows_sources_before_the_first_token(seeded):
    outputs = run(handlers.respond(seeded, QUESTION, [], 4))
    first_sources = next(i for i, o in enumerate(outputs) if isinstance(o[1], str) and "src-card" in o[1])
    first_token = next(i for i, o in enumerate(outputs) if "streaming" in o[0][-1]["content"])
    assert first_sources < first_token
    assert "Found 4 passages" in outputs[first_sources][0][-1]["content"]
    messages, panel, turns, box = outputs[-1]
    assert box == "" and len(turns) == 1 and len(messages) == 2
    assert 'class="cite"' in messages[1]["content"] and 'id="src-1-1"' in panel


def test_k_slider_sets_the_number_of_passages(seeded):
    panel = run(handlers.respond(seeded, QUESTION, [], 2))[-1][1]
    assert panel.count('class="src-card') == 2 and 'id="src-1-2"' in panel and 'id="src-1-3"' not in panel


def test_follow_up_passes_history_and_sessions_stay_apart(seeded):
    session_a: list = []
    turns_a = run(handlers.respond(seeded, QUESTION, session_a, 4))[-1][2]
    turns_b = run(handlers.respond(seeded, "Qui accompagnait Kim Jong Un ?", [], 4))[-1][2]
    assert session_a == [] and [t.question for t in turns_a] == [QUESTION]
    assert [t.question for t in turns_b] == ["Qui accompagnait Kim Jong Un ?"]
    follow = run(handlers.respond(seeded, "Et quand ?", turns_a, 4))[-1]
    assert [t.question for t in follow[2]] == [QUESTION, "Et quand ?"] and len(follow[0]) == 4
    assert "Previous question: " + QUESTION in seeded.llm.calls[-1][-1]["content"]
    second = follow[2][1]
    assert ('href="#src-2-' in follow[0][3]["content"]) == (not second.abstained) and 'data-turn="2"' in follow[1]


def test_library_errors_become_gr_error(seeded, monkeypatch):
    def broken(*args, **kwargs):
        raise InputError("the store is broken (rebuild it)")
        yield  # pragma: no cover

    monkeypatch.setattr(handlers, "stream_answer", broken)
    monkeypatch.setattr(handlers, "answer", lambda *a, **k: next(broken()))
    with pytest.raises(gr.Error, match="the store is broken"):
        run(handlers.respond(seeded, QUESTION, [], 4))
    with pytest.raises(gr.Error, match="the store is broken"):
        handlers.ask_json(seeded, QUESTION)
    with pytest.raises(gr.Error, match="history: 'history' must be a list"):
        handlers.ask_json(seeded, QUESTION, history="not a list")


def test_ask_json_matches_cli_contract(seeded):
    out = handlers.ask_json(seeded, QUESTION)
    json.dumps(out)
    assert {"question", "answer", "abstained", "language", "citations", "passages", "timings", "model"} <= out.keys()
    assert out["citations"] and out["question"] == QUESTION
    follow_up = handlers.ask_json(seeded, "Et qu'a-t-il reçu en retour ?", history=[{"role": "user", "content": QUESTION}])
    assert QUESTION in follow_up["retrieval_query"]


def test_show_turn_switches_the_panel_to_an_older_turn(seeded):
    turns = run(handlers.respond(seeded, QUESTION, [], 4))[-1][2]
    turns = run(handlers.respond(seeded, "Et quand ?", turns, 4))[-1][2]
    panel = handlers.show_turn(seeded, turns, '<div class="sources" data-turn="2">', 1)
    assert 'data-turn="1"' in panel and 'id="src-1-1"' in panel
    assert handlers.show_turn(seeded, turns, panel, 0) == gr.skip()  # already shown


# -- feedback and export ----------------------------------------------------------------------

def test_feedback_is_appended_to_jsonl(seeded):
    turns = [answer(seeded, QUESTION)]
    handlers.on_like(seeded, turns, gr.LikeData(None, {"index": 1, "value": "x", "liked": True}))
    handlers.record_feedback(seeded.settings.data_dir, turns, 1, False)
    assert handlers.record_feedback(seeded.settings.data_dir, turns, 7, True) is None
    lines = (seeded.settings.data_dir / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["vote"] for r in records] == ["up", "down"]
    assert records[0]["question"] == QUESTION and records[0]["answer"] == turns[0].text
    assert records[0]["citations"][0]["chunk_id"] and records[0]["timestamp"]


def test_export_markdown_has_answers_and_sources(seeded):
    turns = [answer(seeded, QUESTION)]
    text = render.export_markdown(turns)
    cited = turns[0].citations[0].passage.chunk
    assert f"## 1. {QUESTION}" in text and turns[0].text in text
    assert "### Sources" in text and f"`{cited.article_id}`" in text and "> " in text
    update = handlers.export_conversation(seeded, turns)
    path = seeded.settings.data_dir / "exports"
    assert update["value"].startswith(str(path)) and update["visible"] is True
    assert (path / update["value"].rsplit("/", 1)[1]).read_text(encoding="utf-8") == text


# -- corpus -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["../evil.txt", "a/b.txt", "..\\x.txt", ".hidden.txt", ""])
def test_upload_refuses_unsafe_names(tmp_path, name):
    src = tmp_path / "ok.txt"
    src.write_text("Texte.", encoding="utf-8")
    with pytest.raises(InputError, match="refused file name"):
        handlers.stage_upload(src, tmp_path / "uploads", 10, name=name)
    assert not (tmp_path / "evil.txt").exists()


def test_upload_refuses_bad_type_and_oversize(tmp_path):
    old_word = tmp_path / "doc.doc"
    old_word.write_bytes(b"%PDF")
    with pytest.raises(InputError, match="unsupported type .doc"):
        handlers.stage_upload(old_word, tmp_path / "uploads", 10)
    big = tmp_path / "big.txt"
    big.write_text("x" * 2000, encoding="utf-8")
    with pytest.raises(InputError, match="upload limit"):
        handlers.stage_upload(big, tmp_path / "uploads", 0.001)


def test_upload_copies_into_uploads_and_ingests(make_services, tmp_path):
    services = make_services()
    good = tmp_path / "mon article.txt"
    good.write_text("Un sommet a eu lieu à Vladivostok. Les dirigeants ont parlé longuement.", encoding="utf-8")
    bad = tmp_path / "notes.doc"
    bad.write_bytes(b"%PDF")
    with pytest.warns(UserWarning, match="unsupported type"):  # gr.Warning outside a request
        status, rows, choices, cleared = handlers.upload_articles(services, [str(good), str(bad)], no_progress)
    assert (services.settings.data_dir / "uploads" / "mon_article.txt").is_file()
    assert "Ingested 1 file" in status and "unsupported type .doc" in status and cleared is None
    assert [r[0] for r in rows] == ["mon_article"] and choices["choices"] == ["mon_article"]
    message, rows, _ = handlers.remove_article(services, "mon_article")
    assert "Removed mon_article" in message and rows == []
    with pytest.warns(UserWarning, match="No article"):
        assert "No article" in handlers.remove_article(services, "mon_article")[0]


def test_build_app_exposes_chat_and_ask(seeded):
    demo = build_app(seeded)
    assert isinstance(demo, gr.Blocks)
    names = {fn.api_name for fn in demo.fns.values() if fn.api_visibility == "public"}
    assert {"chat", "ask"} <= names
    states = [b for b in demo.blocks.values() if isinstance(b, gr.State)]
    assert states and all(s.value == [] for s in states)


def test_a_sentence_not_found_is_shown_in_its_own_style_with_the_warning_badge(make_services):
    services = make_services(script=["Ils se sont retrouvés au cosmodrome de Vostotchny [1]. La rencontre a duré 12 heures [1]."])
    ingest(services, [SEEDS], progress=False)
    final = answer(services, "Où Vladimir Poutine et Kim Jong Un se sont-ils retrouvés ?")
    chat = render.answer_html(final, turn=1)
    assert 'class="not-found"' in chat and "12 heures" in chat.split('class="not-found"')[1].split("</span>")[0]
    assert "Vostotchny" in chat.split('class="not-found"')[0] and "badge-unverified" in chat
    assert "Evidence for 1 sentence" in chat and "cosmodrome" in chat.split("<details")[1]


def test_a_verified_answer_has_its_badge_and_no_sentence_marked(make_services):
    services = make_services(script=["Ils se sont retrouvés au cosmodrome de Vostotchny [1]."])
    ingest(services, [SEEDS], progress=False)
    final = answer(services, "Où Vladimir Poutine et Kim Jong Un se sont-ils retrouvés ?")
    chat = render.answer_html(final, turn=1)
    assert final.verdict == "verified" and "badge-verified" in chat and "not-found" not in chat


def test_a_question_asked_as_two_says_so(make_services):
    services = make_services(script=["Vladimir Poutine et Kim Jong Un se sont retrouvés mercredi au cosmodrome de Vostotchny [1].",
                                     "Vladimir Poutine et Kim Jong Un se sont retrouvés au cosmodrome de Vostotchny [1]."])
    ingest(services, [SEEDS], progress=False)
    final = answer(services, "Quand et où Vladimir Poutine et Kim Jong Un se sont-ils retrouvés ?")
    chat = render.answer_html(final, turn=1)
    assert "Asked as 2 questions: Quand Vladimir Poutine" in chat and "· Où Vladimir Poutine" in chat


def test_a_question_on_whether_the_articles_agree_shows_each_articles_sentence_with_its_badge(make_services):
    services = make_services(script=["Oui. Les articles s'accordent sur le moment du départ [1]."])
    ingest(services, [SEEDS], progress=False)
    final = answer(services, "Les dépêches s'accordent-elles sur le moment de la journée où Kim Jong Un a quitté Pyongyang dimanche ?")
    chat = render.answer_html(final, turn=1)
    assert final.form == "each_article" and "Each article quoted" in chat
    assert "sur le moment du départ" in chat.split('class="not-found"')[1]  # the model's verdict: shown, marked
    assert len({c.passage.chunk.article_id for c in final.citations}) > 1


def test_a_question_sent_while_an_answer_streams_is_queued_shown_and_answered_in_turn(make_services):
    services = make_services(script=["Ils se sont retrouvés au cosmodrome de Vostotchny [1].", "Kim est arrivé en train [1]."])
    ingest(services, [SEEDS], progress=False)
    box, pending, shown = handlers.enqueue("Où Poutine et Kim se sont-ils retrouvés ?", [])
    box, pending, shown = handlers.enqueue("Comment Kim est-il arrivé ?", pending)  # sent before the first answer
    assert box == "" and len(pending) == 2 and "Comment Kim est-il arrivé ?" in shown and "2 questions waiting" in shown
    turns: list = []
    for _ in range(2):  # one run per question sent, in turn on the model
        outputs = run(handlers.respond_next(services, pending, turns, 4))
        turns = outputs[-1][2]
        pending = outputs[0][3]
    assert [t.question for t in turns] == ["Où Poutine et Kim se sont-ils retrouvés ?", "Comment Kim est-il arrivé ?"]
    assert pending == [] and "train" in turns[1].text


def test_an_empty_send_queues_nothing():
    box, pending, shown = handlers.enqueue("   ", ["Qui ?"])
    assert pending == ["Qui ?"]


# -- PDF pages and links ------------------------------------------------------------------

def test_a_pdf_passage_shows_its_page_on_the_card_and_in_the_export():
    chunk = Chunk(id="rapport:3", article_id="rapport", n=3, text="Kim a offert une carabine.", start=0, end=26, page=3)
    card = render.source_card(1, 1, Passage(chunk=chunk, score=0.5), [])
    assert "p. 3 · passage" in card
    assert "p. " not in render.source_card(1, 1, passage("Texte sans page."), [])
    found = Answer(question="Q", text="Une carabine [1].", citations=[Citation(1, Passage(chunk=chunk, score=0.5))],
                   passages=[Passage(chunk=chunk, score=0.5)], abstained=False, language="fr")
    assert "article `rapport`, p. 3, passage `rapport:3`" in render.export_markdown([found])
    assert found.to_dict()["citations"][0]["page"] == 3 and found.to_dict()["passages"][0]["page"] == 3


def test_the_url_box_fetches_and_ingests_links(make_services, tmp_path):
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    site = tmp_path / "site"
    site.mkdir()
    (site / "kim.html").write_text("<html><head><title>Kim</title></head><body><article><h1>Kim à Vostotchny</h1>"
                                   "<p>Kim Jong Un a rencontré Vladimir Poutine au cosmodrome.</p></article></body></html>",
                                   encoding="utf-8")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        services = make_services()
        status, rows, _, cleared = handlers.add_links(services, f"{base}/kim.html  ftp://x {base}/none.html", no_progress)
    finally:
        httpd.shutdown()
    assert "Ingested 2 link(s)" in status and "added 1" in status and "404" in status and "not an http(s)" in status
    assert [r[0] for r in rows] == [f"127.0.0.1%3A{httpd.server_address[1]}/kim"] and cleared == ""
    empty, *_ = handlers.add_links(services, "  ", no_progress)
    assert "Type a link first" in empty


# -- issue 27: dates on citations, filters in the chat tab and the API ------------------------

def test_a_citation_shows_its_sources_title_and_date(seeded):
    final = answer(seeded, QUESTION)
    chat = render.answer_html(final, turn=1)
    cited = final.passages[final.citations[0].n - 1].chunk
    assert f'title="Source {final.citations[0].n}: {render.escape(cited.title)} ({cited.date or "no date"})"' in chat


def test_the_chat_tabs_filters_narrow_the_sources_and_bad_values_become_gr_error(seeded):
    scope = handlers.Scope(["002_7b9975ba05c54ee4"], "", "")
    panel = run(handlers.respond(seeded, QUESTION, [], 4, scope))[-1][1]
    assert panel.count('class="src-card') == 4 and panel.count("article <code>002_7b9975ba05c54ee4</code>") == 4
    with pytest.raises(gr.Error, match="is not a date"):
        run(handlers.respond(seeded, QUESTION, [], 4, handlers.Scope(None, "hier", "")))
    labels = dict((value, label) for label, value in handlers.article_choices(seeded))
    assert labels["001_637cde7ca846b1b3"].endswith("(no date)") and labels["002_7b9975ba05c54ee4"].endswith("(2023-09)")


def test_the_api_takes_filters_and_keeps_old_calls_working(seeded):
    old = handlers.ask_json(seeded, QUESTION, 4)
    narrowed = handlers.ask_json(seeded, QUESTION, 4, None, ["004_e36b65c31de3faa9"], "2023-09-01", "2023-09-30")
    assert {p["source"] for p in narrowed["passages"]} == {"004_e36b65c31de3faa9"} != {p["source"] for p in old["passages"]}
    with pytest.raises(gr.Error, match="no article 'nope'") as exc:
        handlers.search_json(seeded, QUESTION, 4, None, ["nope"])
    assert exc.value.title == "InputError"  # the CLI going through a server maps it back to exit code 2
    found = handlers.search_json(seeded, QUESTION, 2, None, [], "2023-10-01")
    assert found == {"question": QUESTION, "passages": []}  # every seed is dated 2023-09 or undated


def test_the_api_has_read_endpoints_everywhere_and_write_endpoints_only_where_writes_are_allowed(seeded):
    def public(demo):
        return {fn.api_name for fn in demo.fns.values() if fn.api_visibility == "public"}

    assert {"ask", "search", "info", "ingest", "remove"} <= public(build_app(seeded))
    read_only = public(build_app(seeded, writes=False))
    assert {"ask", "search", "info"} <= read_only and not {"ingest", "remove"} & read_only
