"""The fixtures, shared by the test modules: where they are, which cases each folder holds, and the
byte-for-byte checks that each rule's module runs over its own folder.

`fixtures/<folder>/` holds `<case>.in.py` -> `<case>.out.py`, with the diagnostics in
`<case>.diagnostics`; `<case>.noop.py` must come out unchanged with nothing reported. Cases named
`style_string_*` run with `--style string`. A folder per rule (`tests/rules/test_<rule>.py` runs
it), `source_files` for how a file is read and written back whatever the rule
(`tests/pipeline/test_source_files.py`), `notebooks` for the notebook pairs, one written for the
tests and the others taken from public repositories (`tests/pipeline/test_notebooks.py`);
`legacy_sample` and `legacy_sample_migrated` are the README's sample tree and its expected
result, which no glob here walks into but `sources()`."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest

from migrate_weights.diagnostics import Code
from migrate_weights.pipeline.migrate import migrate_source
from migrate_weights.tables.table import LegacyTable

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
RULES = (
    "builder_call",
    "names",
    "hub_load",
    "partial",
    "model_urls",
    "models_utils",
    "removed_api",
)
CASE_FOLDERS = (*RULES, "source_files")
NOTEBOOKS = FIXTURES / "notebooks"
SAMPLE = FIXTURES / "legacy_sample"
SAMPLE_MIGRATED = FIXTURES / "legacy_sample_migrated"
FOLDERS = (*CASE_FOLDERS, NOTEBOOKS.name, SAMPLE.name, SAMPLE_MIGRATED.name)


def _folders(folder: str | None) -> list[Path]:
    if folder is not None and folder not in CASE_FOLDERS:
        raise ValueError(f"no fixture folder {folder!r}: one of {CASE_FOLDERS}")
    return [FIXTURES / name for name in ((folder,) if folder else CASE_FOLDERS)]


def cases(folder: str | None = None) -> list[Path]:
    """The `<case>.in.py` of one folder, or of every case folder."""
    return sorted(path for found in _folders(folder) for path in found.glob("*.in.py"))


def no_ops(folder: str | None = None) -> list[Path]:
    """The `<case>.noop.py` of one folder, or of every case folder."""
    return sorted(path for found in _folders(folder) for path in found.glob("*.noop.py"))


def sources() -> list[Path]:
    """Every Python file of the fixtures: the case folders' (`.in.py`, `.out.py`, `.noop.py`),
    then the sample tree's and its expected result's."""
    return sorted(path for found in _folders(None) for path in found.glob("*.py")) + sorted(
        path for tree in (SAMPLE, SAMPLE_MIGRATED) for path in tree.rglob("*.py")
    )


CASES = cases()
NO_OPS = no_ops()


def parsed_here(path: Path) -> str:
    """A fixture's source, for a test that reads Python's tree of it: skipped where this Python
    cannot parse it (syntax of a later version)."""
    source = path.read_bytes().decode("utf-8", errors="replace")
    try:
        ast.parse(source)
    except SyntaxError:
        pytest.skip("this Python does not parse it")
    return source


def case_id(path: Path) -> str:
    return path.name.split(".")[0]


def style_of(path: Path) -> str:
    return "string" if path.name.startswith("style_string_") else "enum"


def rendered(result) -> str:  # type: ignore[no-untyped-def]
    return "".join(f"{d.line}:{d.column}: {d.code.code} {d.message}\n" for d in result.diagnostics)


def check_fixes(case: Path) -> None:
    """`<case>.in.py` comes out as `<case>.out.py`, byte for byte, with `<case>.diagnostics`."""
    result = migrate_source(case.read_bytes(), case.name, style_of(case))
    expected = case.with_name(case.name.replace(".in.py", ".out.py")).read_bytes()
    assert result.migrated == expected
    diagnostics = case.with_name(case.name.replace(".in.py", ".diagnostics")).read_text()
    assert rendered(result) == diagnostics
    compile(result.migrated, case.name, "exec")


def check_second_run(case: Path) -> None:
    """`<case>.out.py`, run again, comes out the same, with nothing fixed and the same findings
    left for a person: a CI gate gives the same verdict on migrated code as on the original."""
    migrated = case.with_name(case.name.replace(".in.py", ".out.py")).read_bytes()
    assert check_stable(case.read_bytes(), style_of(case)) == migrated


def check_stable(
    source: bytes, style: str = "enum", table: LegacyTable | None = None
) -> bytes | None:
    """The migrated source, once checked that a second run on it changes nothing, fixes nothing
    and reports exactly the findings left for a person that the first run reported."""
    first = migrate_source(source, "m.py", style, table=table)
    if first.migrated is None:
        return None
    again = migrate_source(first.migrated, "m.py", style, table=table)
    assert again.migrated == first.migrated
    assert Code.FIXED not in {d.code for d in again.diagnostics}
    assert left_for_a_person(again) == left_for_a_person(first)
    return first.migrated


def left_for_a_person(result) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """The findings a person must look at, without their lines (an added import moves them)."""
    return sorted((d.code.code, d.message) for d in result.diagnostics if d.code.needs_a_person)


def check_noop(case: Path) -> None:
    """`<case>.noop.py` comes out unchanged, with nothing reported."""
    source = case.read_bytes()
    result = migrate_source(source, case.name)
    assert result.migrated == source
    assert result.diagnostics == []


def fixture_tests(folder: str) -> tuple[Callable[[Path], None], Callable[[Path], None]]:
    """The tests a folder's module runs over its cases: each fixed byte for byte, and run again
    to no change. `test_fixes, test_second_run_changes_nothing = fixture_tests(folder)`."""
    found = cases(folder)

    @pytest.mark.parametrize("case", found, ids=case_id)
    def test_fixes(case: Path) -> None:
        check_fixes(case)

    @pytest.mark.parametrize("case", found, ids=case_id)
    def test_second_run_changes_nothing(case: Path) -> None:
        check_second_run(case)

    return test_fixes, test_second_run_changes_nothing


def noop_tests(folder: str) -> Callable[[Path], None]:
    """The test a folder's module runs over its no-op files: `test_noop = noop_tests(folder)`."""

    @pytest.mark.parametrize("case", no_ops(folder), ids=case_id)
    def test_noop(case: Path) -> None:
        check_noop(case)

    return test_noop
