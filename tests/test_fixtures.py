"""Every fixture pair, byte for byte: `<case>.in.py` -> `<case>.out.py`, with the diagnostics in
`<case>.diagnostics`; `<case>.noop.py` must come out unchanged with nothing reported. Cases named
`style_string_*` run with `--style string`."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate_weights.diagnostics import Code
from migrate_weights.pipeline.migrate import migrate_source

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CASES = sorted(FIXTURES.glob("*.in.py"))
NO_OPS = sorted(FIXTURES.glob("*.noop.py"))


def case_id(path: Path) -> str:
    return path.name.split(".")[0]


def style_of(path: Path) -> str:
    return "string" if path.name.startswith("style_string_") else "enum"


def rendered(result) -> str:  # type: ignore[no-untyped-def]
    return "".join(f"{d.line}:{d.column}: {d.code.code} {d.message}\n" for d in result.diagnostics)


def test_fixtures_exist() -> None:
    assert len(CASES) >= 15 and NO_OPS


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_fixes(case: Path) -> None:
    result = migrate_source(case.read_bytes(), case.name, style_of(case))
    expected = case.with_name(case.name.replace(".in.py", ".out.py")).read_bytes()
    assert result.migrated == expected
    diagnostics = case.with_name(case.name.replace(".in.py", ".diagnostics")).read_text()
    assert rendered(result) == diagnostics
    compile(result.migrated, case.name, "exec")


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_second_run_changes_nothing(case: Path) -> None:
    migrated = case.with_name(case.name.replace(".in.py", ".out.py")).read_bytes()
    result = migrate_source(migrated, case.name, style_of(case))
    assert result.migrated == migrated
    assert Code.FIXED not in {d.code for d in result.diagnostics}


@pytest.mark.parametrize("case", NO_OPS, ids=case_id)
def test_noop(case: Path) -> None:
    source = case.read_bytes()
    result = migrate_source(source, case.name)
    assert result.migrated == source
    assert result.diagnostics == []
