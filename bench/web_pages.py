"""Web pages: how much main text each HTML reader keeps and how much boilerplate it leaves out.

Needs a folder of real saved pages, each ``<name>.html`` beside ``<name>.json`` holding its known
main text as ``{"articleBody": ...}`` (the layout of the public ScrapingHub article-extraction
benchmark, MIT; its pages are not in this repository). For every page and reader:

- main text kept: the share of the ground truth's sentences (4 words or more) found in what the
  reader returned (compared lower-cased, on words only, so spacing and quotes do not count);
- boilerplate left out: the page's visible lines (BeautifulSoup's text of the whole page, scripts
  and styles removed) that are not in the ground truth are its boilerplate (menus, footers, share,
  cookie and "related" lines); the share of them the reader did not return.

Shares are pooled over all pages (every sentence and line counts once); the mean per page is beside
them. Readers: ``old`` is the hand-written BeautifulSoup reader replaced in December 2026 (kept here
verbatim), ``new`` is ``rag.ingestion.htmltext.read_html`` (trafilatura).

Usage: python -m bench.web_pages /work/webpages [--limit N] [--quick]
(Not in bench.run_all: it needs the saved pages.)
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
import unicodedata
from pathlib import Path

from bench.common import machine_info, markdown_table, quiet_logs, write_results

_DROPPED = ["script", "style", "noscript", "template", "iframe", "nav", "footer"]
_WORDS = re.compile(r"\w+")


def old_reader(text: str) -> str:
    """The body text of the BeautifulSoup reader this project used until 2026-12-07."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(_DROPPED):
        tag.decompose()
    body_root = soup.find("article") or soup.body or soup
    lines = [ln.strip() for ln in body_root.get_text("\n").splitlines()]
    return "\n\n".join(ln for ln in lines if ln)


def new_reader(text: str) -> str:
    from rag.ingestion.htmltext import read_html

    return read_html(text, "page").text


def norm(text: str) -> str:
    return " ".join(_WORDS.findall(unicodedata.normalize("NFKC", text).lower()))


def _inside(part: str, whole: str) -> bool:
    return f" {part} " in f" {whole} "


def page_lines(html: str) -> list[str]:
    """Every visible line of the page, normalised, once each."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    seen = dict.fromkeys(norm(ln) for ln in soup.get_text("\n").splitlines())
    return [ln for ln in seen if ln]


def truth_sentences(body: str) -> list[str]:
    from rag.text import sentence_spans

    sentences = (norm(body[a:b]) for a, b in sentence_spans(body))
    return [s for s in dict.fromkeys(sentences) if len(s.split()) >= 4]


def score(output: str, sentences: list[str], boilerplate: list[str]) -> tuple[int, int]:
    """(main-text sentences kept, boilerplate lines left out) of one reader's output."""
    got = norm(output)
    return sum(_inside(s, got) for s in sentences), sum(not _inside(b, got) for b in boilerplate)


def run(folder: Path, limit: int | None) -> dict:
    readers = {"old (BeautifulSoup)": old_reader, "new (trafilatura)": new_reader}
    totals = {name: {"kept": 0, "out": 0, "seconds": 0.0, "failed": 0, "kept_pp": [], "out_pp": []} for name in readers}
    n_sent = n_boiler = pages = 0
    for html_path in sorted(folder.glob("*.html"))[:limit]:
        html = html_path.read_text(encoding="utf-8", errors="replace")
        body = json.loads(html_path.with_suffix(".json").read_text(encoding="utf-8"))["articleBody"]
        sentences, truth = truth_sentences(body), norm(body)
        boilerplate = [ln for ln in page_lines(html) if not _inside(ln, truth)]
        if not sentences:
            continue
        pages += 1
        n_sent, n_boiler = n_sent + len(sentences), n_boiler + len(boilerplate)
        for name, reader in readers.items():
            started = time.perf_counter()
            try:
                output = reader(html)
            except Exception:  # noqa: BLE001 - a refused page keeps nothing and leaves all out
                output, totals[name]["failed"] = "", totals[name]["failed"] + 1
            totals[name]["seconds"] += time.perf_counter() - started
            kept, out = score(output, sentences, boilerplate)
            t = totals[name]
            t["kept"], t["out"] = t["kept"] + kept, t["out"] + out
            t["kept_pp"].append(kept / len(sentences))
            t["out_pp"].append(out / len(boilerplate) if boilerplate else 1.0)
    rows = [{
        "reader": name,
        "main text kept": t["kept"] / n_sent,
        "boilerplate left out": t["out"] / n_boiler,
        "kept, mean per page": statistics.mean(t["kept_pp"]),
        "left out, mean per page": statistics.mean(t["out_pp"]),
        "refused pages": t["failed"],
        "ms per page": 1000 * t["seconds"] / pages,
    } for name, t in totals.items()]
    return {"pages": pages, "sentences": n_sent, "boilerplate_lines": n_boiler, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="saved pages: <name>.html beside <name>.json with 'articleBody'")
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages")
    parser.add_argument("--quick", action="store_true", help="smoke test: the first 5 pages")
    args = parser.parse_args()
    quiet_logs()
    result = run(args.folder, 5 if args.quick else args.limit)
    print(f"{result['pages']} pages, {result['sentences']} main-text sentences, {result['boilerplate_lines']} boilerplate lines")
    print(markdown_table(result["rows"], list(result["rows"][0])))
    write_results("web_pages-quick" if args.quick or args.limit else "web_pages", {"machine": machine_info(), **result})


if __name__ == "__main__":
    main()
