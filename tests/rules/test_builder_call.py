"""The builder-call rule: `pretrained=`, `pretrained_backbone=`, positional flags and `quantize=` on
torchvision's builders, in every import style and layout, and what it leaves alone. Its fixtures,
byte for byte, from fixtures/builder_call/ (see tests/cases.py); `style_string_*` run with
`--style string`. Run under torchvision: tests/verify/test_runtime_equivalence.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from cases import case_id, cases, check_fixes, check_noop, check_second_run, no_ops

CASES = cases("builder_call")
NO_OPS = no_ops("builder_call")


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
