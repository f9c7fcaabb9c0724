"""The `functools.partial` rule: the arguments after a builder, bound as the builder's own. Its
fixtures, byte for byte, from fixtures/partial/ (see tests/cases.py). Run under torchvision:
tests/verify/test_hub_runtime.py."""

from __future__ import annotations

from cases import fixture_tests, noop_tests

test_fixes, test_second_run_changes_nothing = fixture_tests("partial")
test_noop = noop_tests("partial")
