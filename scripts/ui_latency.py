"""Measure what a person waits for in the chat UI, in a real browser, with the configured models.

For each question (a fresh page, so no follow-up context): time from pressing Enter to the
sources panel filling, to the first answer token, and to the finished answer (marker or
abstention badge). Prints a table and the medians; saves a screenshot of each answer.

    .venv/bin/python scripts/ui_latency.py --n 10 --out /tmp/ui-latency
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import time
from pathlib import Path

from rag import build_services, ensure_corpus, load_settings
from ui.app import build_app, launch_options

ARGS = ["--no-sandbox", "--disable-gpu", "--headless", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def questions(n: int) -> list[str]:
    rows = [json.loads(ln) for ln in Path("seeds/eval/dev.jsonl").read_text(encoding="utf-8").splitlines() if ln.strip()]
    return [r["question"] for r in rows if not r.get("history")][:: max(1, len(rows) // n)][:n]


def wait(page, js: str, timeout_s: float = 180) -> float:
    page.wait_for_function(js, timeout=timeout_s * 1000, polling=20)
    return time.perf_counter()


def one(page, url: str, question: str, shot: Path) -> dict:
    page.goto(url)
    box = page.locator("#question textarea")
    box.fill(question)
    t0 = time.perf_counter()
    box.press("Enter")
    sources = wait(page, "document.querySelectorAll('#sources .src-card').length > 0")
    last_bot = "(() => { const b = document.querySelectorAll('#chat .bot, #chat [data-testid=\"bot\"]'); return b.length ? b[b.length-1] : null; })()"
    first = wait(page, f"(() => {{ const b = {last_bot}; return b && !b.querySelector('.working') && b.innerText.trim().length > 0; }})()")
    # finished = the sources panel no longer says the answer is being written (validation done)
    done = wait(page, "document.querySelector('#sources .src-card') && !document.querySelector('#sources .working')")
    page.screenshot(path=str(shot), full_page=True)
    abstained = page.locator("#chat .badge-abstain").count() > 0
    return {"question": question, "sources_s": sources - t0, "first_token_s": first - t0, "answer_s": done - t0,
            "abstained": abstained, "screenshot": str(shot)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10)
    parser.add_argument("--out", default="/tmp/ui-latency")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    settings = load_settings()
    services = build_services(settings)
    ensure_corpus(services)
    from rag import answer

    answer(services, "Qui est Dmitri Peskov ?")  # load the LLM once, as a running server would have
    demo = build_app(services)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **launch_options(settings))
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        for i, q in enumerate(questions(args.n), start=1):
            rows.append(one(page, url, q, out / f"answer-{i:02d}.png"))
            r = rows[-1]
            print(f"{r['sources_s']:6.2f} {r['first_token_s']:6.2f} {r['answer_s']:6.2f} {'abstained' if r['abstained'] else 'answered '}  {q[:60]}", flush=True)
        browser.close()
    demo.close()
    med = {k: round(statistics.median(r[k] for r in rows), 2) for k in ("sources_s", "first_token_s", "answer_s")}
    print(f"median over {len(rows)} questions: sources {med['sources_s']} s, first token {med['first_token_s']} s, answer {med['answer_s']} s")
    (out / "ui_latency.json").write_text(json.dumps({"rows": rows, "median": med}, indent=1, ensure_ascii=False))
    print(f"screenshots: {out}/answer-NN.png")


if __name__ == "__main__":
    main()
