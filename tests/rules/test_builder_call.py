"""The builder-call rule: `pretrained=`, `pretrained_backbone=`, positional flags and `quantize=` on
torchvision's builders, in every import style and layout, and what it leaves alone. Its fixtures,
byte for byte, from fixtures/builder_call/ (see tests/cases.py); `style_string_*` run with
`--style string`. Run under torchvision: tests/verify/test_runtime_equivalence.py."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cases import check_stable, fixture_tests, noop_tests
from migrate_weights.tables.table import LegacyTable

test_fixes, test_second_run_changes_nothing = fixture_tests("builder_call")
test_noop = noop_tests("builder_call")


def test_the_stability_check_catches_a_rewrite_that_a_second_run_rewrites(
    tamper_table: Callable[..., LegacyTable],
) -> None:
    source = (
        b"from torchvision.models import detection\n\n"
        b"net = detection.retinanet_resnet50_fpn(pretrained=True)\n"
    )
    assert check_stable(source) is not None
    table = tamper_table("retinanet_resnet50_fpn", new="pretrained_backbone")
    with pytest.raises(AssertionError):  # `pretrained=` rewritten to a legacy keyword
        check_stable(source, table=table)
