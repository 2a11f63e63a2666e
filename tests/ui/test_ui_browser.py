"""A real browser (headless Debian Chromium via Playwright) asks a question and follows a citation."""

from __future__ import annotations

import shutil
import socket

import pytest
from conftest import SEEDS, fake_settings

from rag import build_services, ingest
from ui.app import build_app, launch_options

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--headless", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
QUESTION = "Où Kim Jong Un a-t-il rencontré Poutine ?"

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore:::gradio.queueing")]


def launch(tmp_path, script=None):
    settings = fake_settings(tmp_path, script)
    services = build_services(settings)
    ingest(services, [SEEDS], progress=False)
    demo = build_app(services)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True,
                            quiet=True, **launch_options(settings))
    return demo, url


@pytest.fixture
def server(tmp_path):
    demo, url = launch(tmp_path)
    yield url
    demo.close()


@pytest.fixture
def unverified_server(tmp_path):
    demo, url = launch(tmp_path, ["Ils se sont retrouvés au cosmodrome de Vostotchny [1]. La rencontre a duré 12 heures [1]."])
    yield url
    demo.close()


@pytest.fixture
def page():
    if not CHROMIUM:
        pytest.skip("no chromium on the PATH (apt-get install -y chromium; `make test` installs it for CI)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(20_000)
        yield page
        browser.close()


def test_question_answer_citation_click(page, server, tmp_path):
    page.goto(server)
    box = page.locator("#question textarea")
    box.fill(QUESTION)
    box.press("Enter")

    marker = page.locator("#chat a.cite").first
    marker.wait_for(state="visible")
    target = marker.get_attribute("href").lstrip("#")
    card = page.locator(f"#sources #{target}")
    assert target == "src-1-1" and card.is_visible()
    assert "cited" in card.get_attribute("class")
    assert card.locator("mark").count() >= 1  # the cited sentence is highlighted

    marker.click()
    page.wait_for_function("id => document.getElementById(id).classList.contains('flash')", arg=target)
    card.locator("summary").click()  # open the full article
    assert card.locator("details[open] p").count() >= 1

    shot = tmp_path / "chat-citation.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    assert shot.stat().st_size > 10_000


def test_a_sentence_not_found_is_shown_apart_under_the_unverified_badge(page, unverified_server, tmp_path):
    page.goto(unverified_server)
    box = page.locator("#question textarea")
    box.fill(QUESTION)
    box.press("Enter")
    marked = page.locator("#chat .not-found", has_text="12 heures")
    marked.wait_for(state="visible")
    assert "not found in the passages" in marked.inner_text()
    assert page.locator("#chat .badge-unverified").first.is_visible()
    assert "Vostotchny" in page.locator("#chat .answer").last.inner_text()  # every sentence the model wrote is shown
    page.screenshot(path=str(tmp_path / "chat-unverified.png"), full_page=True)
