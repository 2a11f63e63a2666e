"""Language as data: each language the assistant reads and writes is one module here (fr.py, en.py) holding its
word lists, patterns and wording under the same names. Adding a language is adding one module (and its tests);
it is found by itself. The rules read a language through :func:`language`, or all of them through the unions
below (a French answer may carry English words, and the other way round)."""

from __future__ import annotations

import importlib
import pkgutil
import re
from types import ModuleType

LANGUAGES: dict[str, ModuleType] = {
    info.name: importlib.import_module(f"{__name__}.{info.name}") for info in pkgutil.iter_modules(__path__)
}
DEFAULT = "en"


def language(code: str) -> ModuleType:
    """The module of language ``code``; English for a language the assistant does not know."""
    return LANGUAGES.get(code, LANGUAGES[DEFAULT])


def union(name: str) -> frozenset:
    """One word list of every language, as one set."""
    return frozenset().union(*(getattr(module, name) for module in LANGUAGES.values()))


def any_of(name: str) -> re.Pattern:
    """One pattern of every language, as alternatives."""
    return re.compile("|".join(f"(?:{getattr(module, name)})" for module in LANGUAGES.values()), re.IGNORECASE)


def by_language(name: str) -> dict[str, object]:
    """One value of every language, by its code: {'fr': 'Oui.', 'en': 'Yes.'}."""
    return {code: getattr(module, name) for code, module in LANGUAGES.items()}
