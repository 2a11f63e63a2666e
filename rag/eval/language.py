"""The evaluation's own language judge (lingua), independent of the pipeline's detector (py3langid).

An answer graded by the detector that chose its language would always look right; lingua is a
different model (n-grams up to five letters, with rules for short texts), restricted to the
two languages of the product.
"""

from __future__ import annotations

from functools import lru_cache

from rag.text import strip_markers


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.FRENCH).build()


def answer_language(text: str) -> str | None:
    """'fr', 'en', or None when lingua cannot tell (no letters, or a bare name)."""
    from lingua import Language

    found = _detector().detect_language_of(strip_markers(text))
    return {Language.FRENCH: "fr", Language.ENGLISH: "en"}.get(found)
