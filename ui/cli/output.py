"""What the `rag` commands print: JSON lines, or lines for a person; the same for an answer from a running server."""

from __future__ import annotations

import json
import sys

from rag.types import REPEATED


def print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def print_passages(result: dict, as_json: bool) -> None:
    if as_json:
        print_json(result)
        return
    print(f"\n{result['question']}")
    for p in result["passages"]:
        print(f"  {p['rank']}. [{p['source']}] {p['score']:.4f}  {p['date'] or 'no date'}  {' '.join(p['text'].split())[:150]}")


def print_sources(answer: dict) -> None:
    """What the answer's JSON says besides its text, in lines (the same for an answer from a running server)."""
    if answer["abstained"]:
        print(f"\n(abstained: {answer['abstain_reason']})")
    elif answer["form"] == "disagreement":
        print("  (the sources differ: each is cited)")
    elif answer["form"] == "each_article":
        print("  (what each article says, quoted: compare them)")
    parts = answer["question_parts"]
    if len(parts) > 1:
        print(f"  asked as {len(parts)} questions: {' | '.join(parts)}")
    for claim in answer["claims"]:
        if not claim["kept"] and claim["note"] != REPEATED:
            print(f"  left out (not stated in the articles): {claim['text']} [{claim['note']}]")
    for warning in answer["warnings"]:
        print(f"  warning: {warning}")
    for c in answer["citations"]:
        page = f", p. {c['page']}" if c.get("page") else ""  # a PDF passage's page, where the JSON has one
        print(f"  [{c['n']}] {c['source']} — {c['title'][:80]} ({c['date'] or 'no date'}{page})")
    t = answer["timings"]
    print(f"  first token {t.get('first_token_s')}s, total {t.get('total_s')}s")


def print_answer(answer: dict, as_json: bool) -> None:
    if as_json:
        print_json(answer)
    else:
        print(f"\n\n{answer['answer']}" if answer["answer"] != answer["model_text"] else "")
        print_sources(answer)
