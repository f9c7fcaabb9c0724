"""How a file is read and written back, whatever the rule: coding cookies, a byte order mark, CRLF
and mixed line endings, form feeds, tabs, no final newline. The fixtures, byte for byte, from
fixtures/source_files/ (see tests/cases.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cases import case_id, cases, check_fixes, check_second_run

CASES = cases("source_files")


def test_cases_exist() -> None:
    assert CASES


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_fixes(case: Path) -> None:
    check_fixes(case)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_second_run_changes_nothing(case: Path) -> None:
    check_second_run(case)
