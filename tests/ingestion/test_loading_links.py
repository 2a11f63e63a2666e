"""`rag ingest https://...`: links fetched from a local HTTP server (127.0.0.1); no test reaches the internet."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from test_loading_documents import PAGE_1, PAGE_2, write_pdf

from rag import ingest
from rag.ingestion.ids import url_article_id
from rag.ingestion.loading import Skipped, iter_articles

PAGE = """<html><head><title>Kim à Vostotchny | Le Journal</title>
<meta property="og:site_name" content="Le Journal"><meta name="author" content="Anne Martin">
<meta property="article:published_time" content="2023-09-13T08:00:00+02:00"></head>
<body><nav><a href="/">Accueil</a> <a href="/monde">Monde</a></nav>
<article><h1>Kim à Vostotchny</h1>
<p>Le dirigeant nord-coréen Kim Jong Un a rencontré Vladimir Poutine au cosmodrome de Vostotchny mercredi.</p>
<p>Les deux hommes ont parlé pendant quatre heures de coopération militaire et spatiale, selon le Kremlin.</p>
<p>Kim a offert une carabine à Poutine, qui lui a donné une paire de gants de cosmonaute.</p></article>
<footer>© Le Journal 2023 · Mentions légales · Cookies</footer></body></html>"""


class _Handler(BaseHTTPRequestHandler):
    routes: ClassVar[dict] = {}

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        status, headers, body = self.routes.get(self.path, (404, {}, b"not here"))
        if callable(body):
            return body(self)
        self.send_response(status)
        for key, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)


def _endless(handler):
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.end_headers()  # no Content-Length: the size is known only by reading
    try:
        for _ in range(2000):
            handler.wfile.write(b"<p>" + b"x" * 1021)
    except OSError:
        pass


def _slow(handler):
    time.sleep(1.5)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    pdf = write_pdf(tmp_path_factory.mktemp("pdf") / "r.pdf", [PAGE_1, PAGE_2], created="D:20230912000000Z").read_bytes()
    html = {"Content-Type": "text/html; charset=utf-8"}
    _Handler.routes = {
        "/monde/kim.html": (200, html, PAGE.encode("utf-8")),
        "/old": (301, {"Location": "/monde/kim.html"}, b""),
        "/loop": (302, {"Location": "/loop"}, b""),
        "/file": (302, {"Location": "file:///etc/passwd"}, b""),
        "/rapport": (200, {"Content-Type": "application/pdf"}, pdf),
        "/photo.png": (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n" + b"\x00" * 100),
        "/huge": (200, {**html, "Content-Length": str(50_000_000)}, b""),
        "/endless": (200, {}, _endless),
        "/slow": (200, {}, _slow),
    }
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def one(url, **kwargs):
    (item,) = iter_articles([url], **kwargs)
    return item


def test_a_page_is_read_like_a_saved_html_file(server):
    article = one(f"{server}/monde/kim.html")
    assert article.id == f"127.0.0.1%3A{server.rsplit(':', 1)[1]}/monde/kim"
    assert article.title == "Kim à Vostotchny" and article.date == "2023-09-13"
    assert article.author == "Anne Martin" and article.site == "Le Journal"
    assert "carabine" in article.text and "Accueil" not in article.text and "Mentions" not in article.text
    assert article.url == f"{server}/monde/kim.html" and article.source_path == f"{server}/monde/kim.html"


def test_a_saved_page_keeps_its_own_address(tmp_path):
    path = tmp_path / "kim.html"
    path.write_text(PAGE.replace("</head>", '<link rel="canonical" href="https://journal.example/monde/kim"></head>'),
                    encoding="utf-8")
    (article,) = iter_articles([path])
    assert article.url == "https://journal.example/monde/kim" and article.id == "kim" and article.date == "2023-09-13"


def test_redirects_are_followed_and_bounded(server):
    moved = one(f"{server}/old")
    assert moved.url.endswith("/monde/kim.html") and moved.id.endswith("/old")  # the id is the link the user gave
    loop = one(f"{server}/loop")
    assert isinstance(loop, Skipped) and "redirects" in loop.reason
    to_file = one(f"{server}/file")
    assert isinstance(to_file, Skipped) and "not an http(s) address" in to_file.reason


def test_a_pdf_link_goes_through_the_pdf_reader(server):
    article = one(f"{server}/rapport")
    assert article.date == "2023-09-12" and [n for _, n in article.pages] == [1, 2] and "cosmodrome" in article.text


def test_bad_links_get_one_line_each(server):
    cases = {
        "/photo.png": "not a web page but image/png",
        "/missing": "404",
        "/huge": "over the 1 MB limit",
        "/endless": "more than the 1 MB limit",
    }
    for path, expected in cases.items():
        item = one(f"{server}{path}", max_bytes=1_000_000)
        assert isinstance(item, Skipped) and expected in item.reason and "\n" not in item.reason, (path, item)
    started = time.monotonic()
    slow = one(f"{server}/slow", timeout=0.3)
    assert isinstance(slow, Skipped) and "timed out" in slow.reason and time.monotonic() - started < 1.2
    refused = one("http://127.0.0.1:9/nothing")
    assert isinstance(refused, Skipped) and "cannot fetch" in refused.reason


def test_ingest_mixes_links_and_files_and_is_idempotent(make_services, server, tmp_path):
    (tmp_path / "note.txt").write_text("Une dépêche sur le sommet.", encoding="utf-8")
    services = make_services()
    links = [f"{server}/monde/kim.html", f"{server}/rapport", f"{server}/photo.png"]
    report = ingest(services, [*links, tmp_path / "note.txt"], progress=False)
    assert len(report.added) == 3 and [p for p, _ in report.skipped] == [f"{server}/photo.png"]
    again = ingest(services, links[:2], progress=False)
    assert sorted(again.unchanged) == sorted(report.added[:2]) and not again.added


def test_url_ids_are_host_and_path():
    assert url_article_id("https://www.lemonde.fr/international/article/2023/09/13/kim.html") == \
        "www.lemonde.fr/international/article/2023/09/13/kim"
    assert url_article_id("https://Example.com/") == "example.com"
    assert url_article_id("https://example.com/news?id=5#top") == "example.com/news%3Fid%3D5"
    assert url_article_id("https://example.com/news?id=5") != url_article_id("https://example.com/news?id=6")
