"""The `functools.partial` rule: the arguments after a builder, bound as the builder's own. Its
fixtures, byte for byte, from fixtures/partial/ (see tests/cases.py). Run under torchvision:
tests/verify/test_hub_runtime.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from cases import case_id, cases, check_fixes, check_noop, check_second_run, no_ops

CASES = cases("partial")
NO_OPS = no_ops("partial")


def test_cases_exist() -> None:
    assert CASES and NO_OPS


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_fixes(case: Path) -> None:
    check_fixes(case)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_second_run_changes_nothing(case: Path) -> None:
    check_second_run(case)


@pytest.mark.parametrize("case", NO_OPS, ids=case_id)
def test_noop(case: Path) -> None:
    check_noop(case)
