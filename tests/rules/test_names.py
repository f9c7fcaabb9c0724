"""Names resolved through every scope (rules/names.py, pipeline/scopes.py): builders imported in
functions, class bodies, guards and `try`, called in comprehensions or bound through `global`,
with the enum imported beside the builder; names bound to more than one thing reported; names
that are not torchvision's where they are used left alone. Byte for byte, from fixtures/names/;
run under torchvision, and imported with torchvision blocked: tests/verify/test_fixture_runtime.py
and tests/pipeline/test_blocked_torchvision.py."""

from __future__ import annotations

from cases import fixture_tests, noop_tests

test_fixes, test_second_run_changes_nothing = fixture_tests("names")
test_noop = noop_tests("names")
