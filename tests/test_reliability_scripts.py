"""The reliability suite's fast versions (CI): kill -9 at random moments, and 20 users at once.

The full versions are in the README's "Reliability" section with their last figures:
`python -m bench.fault_injection --runs 60` and `python -m bench.load_test --users 20` (real model).
"""

from __future__ import annotations

import json
import sys

from conftest import ROOT

if str(ROOT) not in sys.path:  # bench/ is not an installed package
    sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402

from bench import fault_injection, load_test  # noqa: E402

pytestmark = pytest.mark.integration


def test_killed_ingests_and_removals_leave_a_store_a_rerun_makes_equal_to_a_clean_ingest(tmp_path):
    out = tmp_path / "faults.json"
    assert fault_injection.main(["--quick", "--out", str(out)]) == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["runs"] == result["survived"] == 2 and result["failed"] == 0


def test_twenty_users_at_once_are_all_answered(tmp_path):
    out = tmp_path / "load.json"
    assert load_test.main(["--quick", "--out", str(out)]) == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["users_served"] == 20 and result["errors"] == 0 and result["requests"] == 20
