"""What the `rag` commands print: JSON lines, or lines for a person; the same for an answer from a running server."""

from __future__ import annotations

import json
import sys


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


VERDICT_LINE = {"verified": "✓ verified: every sentence is stated by the passage it cites",
                "unverified": "⚠ unverified: the sentences marked ⚠ were not found in the passages"}


def not_found(answer: dict) -> list[dict]:
    """The answer's sentences no passage states (shown, marked)."""
    return [c for c in answer["claims"] if c.get("kept", True) and not c.get("supported", True)]


def marked_answer(answer: dict, color: bool) -> str:
    """The answer text with each sentence no passage states marked: yellow with ⚠ on a terminal, ⚠[...] elsewhere."""
    text = answer["answer"]
    for claim in not_found(answer):
        shown = f"{claim['text'].rstrip('.!?… ')}."
        text = text.replace(shown, f"\x1b[33m{shown} ⚠\x1b[0m" if color else f"⚠[{shown}]", 1)
    return text


def print_sources(answer: dict) -> None:
    """What the answer's JSON says besides its text, in lines (the same for an answer from a running server)."""
    if answer["abstained"]:
        print(f"\n(abstained: {answer['abstain_reason']})")
    else:
        print(f"  {VERDICT_LINE.get(answer.get('verdict'), '')}")
    if answer["form"] == "each_article":
        print("  (what each article says, quoted: compare them)")
    parts = answer["question_parts"]
    if len(parts) > 1:
        print(f"  asked as {len(parts)} questions: {' | '.join(parts)}")
    for claim in not_found(answer):
        print(f"  ⚠ not found in the passages: {claim['text']} ({claim['note']})")
    for warning in answer["warnings"]:
        print(f"  warning: {warning}")
    for c in answer["citations"]:
        page = f", p. {c['page']}" if c.get("page") else ""  # a PDF passage's page, where the JSON has one
        print(f"  [{c['n']}] {c['source']} — {c['title'][:80]} ({c['date'] or 'no date'}{page})")
    t = answer["timings"]
    if t.get("first_token_s") is not None:
        print(f"  first token {t['first_token_s']}s, total {t.get('total_s')}s")
    else:
        print(f"  total {t.get('total_s')}s (the model was not asked)")


def print_answer(answer: dict, as_json: bool) -> None:
    if as_json:
        print_json(answer)
    else:
        print(f"\n\n{marked_answer(answer, sys.stdout.isatty())}")
        print_sources(answer)
