"""The fixtures' layout: a folder per rule, each case complete, nothing a test module would not
run. The cases themselves run in the module of their folder (see tests/cases.py)."""

from __future__ import annotations

import re

from cases import CASE_FOLDERS, CASES, FIXTURES, FOLDERS, NO_OPS, NOTEBOOKS, ROOT, RULES

CASE_FILE = re.compile(r"(?P<case>\w+)\.(?P<kind>in\.py|out\.py|diagnostics|noop\.py)")
MODULES = {  # the folder's cases: run there
    **{rule: ROOT / "tests" / "rules" / f"test_{rule}.py" for rule in RULES},
    "source_files": ROOT / "tests" / "pipeline" / "test_source_files.py",
    "notebooks": ROOT / "tests" / "pipeline" / "test_notebooks.py",
}


def test_fixtures_exist() -> None:
    assert len(CASES) >= 15 and NO_OPS


def test_fixtures_are_only_in_known_folders() -> None:
    """A file or folder added anywhere else would be run by no test."""
    assert sorted(path.name for path in FIXTURES.iterdir()) == sorted(FOLDERS)
    names = sorted(path.name for path in NOTEBOOKS.iterdir())
    pairs = sorted(name.replace(".in.", ".out.") for name in names if name.endswith(".in.ipynb"))
    assert names == sorted(["SOURCES.md", *pairs, *(n.replace(".out.", ".in.") for n in pairs)])
    assert "notebook.in.ipynb" in names and len(pairs) >= 5


def test_every_case_is_complete() -> None:
    """Each `<case>.in.py` has its `.out.py` and `.diagnostics`, every file in a case folder is
    named for a case, and no case name is in two folders."""
    seen: dict[str, str] = {}
    for folder in CASE_FOLDERS:
        found: dict[str, set[str]] = {}
        for path in (FIXTURES / folder).iterdir():
            match = CASE_FILE.fullmatch(path.name)
            assert match and path.is_file(), path
            found.setdefault(match["case"], set()).add(match["kind"])
        assert found, folder
        for case, kinds in found.items():
            assert seen.setdefault(case, folder) == folder, (case, folder)
            if kinds != {"noop.py"}:
                assert {"in.py", "out.py", "diagnostics"} <= kinds, (folder, case, kinds)


def test_every_folder_has_its_test_module() -> None:
    """Each case folder's module takes its cases by the folder's name."""
    assert sorted(MODULES) == sorted([*CASE_FOLDERS, NOTEBOOKS.name])
    for folder, module in MODULES.items():
        assert module.is_file(), (folder, module)
        if folder in CASE_FOLDERS:
            assert f'fixture_tests("{folder}")' in module.read_text(), module
