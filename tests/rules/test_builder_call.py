"""The builder-call rule: `pretrained=`, `pretrained_backbone=`, positional flags and `quantize=` on
torchvision's builders, in every import style and layout, and what it leaves alone. Its fixtures,
byte for byte, from fixtures/builder_call/ (see tests/cases.py); `style_string_*` run with
`--style string`. Run under torchvision: tests/verify/test_runtime_equivalence.py."""

from __future__ import annotations

from cases import fixture_tests, noop_tests

test_fixes, test_second_run_changes_nothing = fixture_tests("builder_call")
test_noop = noop_tests("builder_call")
