"""Which offline language detector to use: measured on every question and reference answer of the dev set.

Compares the first release's hand-written detector (function words and accents, kept here only
for this comparison), py3langid (restricted to fr/en; the pipeline's) and lingua (restricted to
fr/en; the evaluation's independent judge). Prints correct/total and the errors of each.

Usage: python scripts/language_detectors.py [seeds/eval/dev.jsonl]
"""

from __future__ import annotations

import re
import sys
import unicodedata
from pathlib import Path

from rag.eval.dataset import load_dataset
from rag.eval.language import answer_language
from rag.text import detect_language

_FR = set("le la les des est une que qui quel quelle quels quelles pourquoi comment où qu du au aux avec pour dans sur il elle "
          "ils ont été a-t-il est-ce et de en son sa ses ce cette combien quand".split())
_EN = set("the is are was were what who when where why how which did does of to in with for his her their has have and a an on "
          "at from will would about".split())


def hand_written(text: str) -> str:
    """The first release's detector, verbatim in behaviour."""
    words = re.findall(r"[\w'-]+", text.lower())
    fr = sum(w in _FR or w.startswith(("qu'", "l'", "d'", "s'")) for w in words)
    en = sum(w in _EN for w in words)
    fr += sum(1 for ch in text if unicodedata.decomposition(ch)[:1].isdigit() and ch.isalpha())
    return "fr" if fr > en else "en"


def main(path: str) -> None:
    texts = []
    for item in load_dataset(path):
        texts.append((item.question, item.language, "question"))
        if item.reference_answer:
            texts.append((item.reference_answer, item.language, "answer"))
    for name, detect in (("hand-written (first release)", hand_written), ("py3langid (pipeline)", detect_language),
                         ("lingua (evaluation)", answer_language)):
        wrong = [(t, lang, kind) for t, lang, kind in texts if detect(t) != lang]
        questions = sum(1 for _, _, kind in texts if kind == "question")
        wrong_q = sum(1 for _, _, kind in wrong if kind == "question")
        print(f"{name}: {len(texts) - len(wrong)}/{len(texts)} right (questions {questions - wrong_q}/{questions})")
        for text, lang, kind in wrong:
            print(f"    {kind} ({lang}): {text[:80]}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).resolve().parent.parent / "seeds" / "eval" / "dev.jsonl"))
