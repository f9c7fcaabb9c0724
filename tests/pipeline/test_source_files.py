"""How a file is read and written back, whatever the rule: coding cookies, a byte order mark, CRLF
and mixed line endings, form feeds, tabs, no final newline. The fixtures, byte for byte, from
fixtures/source_files/ (see tests/cases.py)."""

from __future__ import annotations

from cases import fixture_tests

test_fixes, test_second_run_changes_nothing = fixture_tests("source_files")
