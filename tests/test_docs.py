"""The docs stay true to the code: the settings reference is generated, the README short, its links alive."""

from __future__ import annotations

import re
import sys

from conftest import ROOT

if str(ROOT) not in sys.path:  # scripts/ is not an installed package
    sys.path.insert(0, str(ROOT))

from scripts import settings_doc

README = ROOT / "README.md"
DOCS = ROOT / "docs"
# A relative Markdown link to a file: [text](docs/x.md) or [text](docs/x.md#part); web links are not followed.
LINK = re.compile(r"\]\((?!https?://|#|mailto:)([^)\s#]+)(?:#[^)\s]*)?\)")


def linked_files(page) -> list:
    return [(page.parent / target).resolve() for target in LINK.findall(page.read_text(encoding="utf-8"))]


def test_settings_reference_matches_the_settings_descriptions():
    written = (DOCS / "settings.md").read_text(encoding="utf-8") if (DOCS / "settings.md").is_file() else ""
    assert written == settings_doc.render(), f"docs/settings.md is stale: run `{settings_doc.REGENERATE}` and commit it"


def test_readme_is_at_most_250_lines():
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= 250, f"README.md has {lines} lines: move the depth into docs/ (at most 250)"


def test_every_docs_page_the_readme_links_to_exists():
    targets = [t for t in linked_files(README) if DOCS in t.parents]
    assert targets, "the README links to no page of docs/"
    missing = [str(t.relative_to(ROOT)) for t in targets if not t.is_file()]
    assert not missing, f"README.md links to missing pages: {missing}"


def test_every_relative_link_between_docs_pages_exists():
    missing = [f"{page.relative_to(ROOT)} -> {t.relative_to(ROOT) if ROOT in t.parents else t}"
               for page in sorted(DOCS.rglob("*.md")) for t in linked_files(page) if not t.exists()]
    assert not missing, f"broken links in docs/: {missing}"
