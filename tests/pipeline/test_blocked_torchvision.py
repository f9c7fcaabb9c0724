"""A migrated module imports nothing its original did not: every fixture whose original module
executes with torch and torchvision blocked (`sys.modules[name] = None`, so that importing them
raises ImportError) executes so once migrated too. Lazy imports stay lazy and guarded ones
guarded. The name-resolution cases of lazy and guarded imports are written to import that way."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cases import CASES, FIXTURES, SAMPLE, SAMPLE_MIGRATED, case_id

BLOCKED = ("torch", "torchvision")
PAIRS = [(case, case.with_name(case.name.replace(".in.py", ".out.py"))) for case in CASES]
PAIRS += [(path, SAMPLE_MIGRATED / path.relative_to(SAMPLE)) for path in SAMPLE.rglob("*.py")]
IMPORT_BLOCKED = {"lazy_import", "guarded_import", "try_except_fallback", "comprehension"}
IMPORT_BLOCKED |= {"global_binding"}  # fixtures/names/ cases that import without torchvision


def executes_blocked(path: Path, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Whether the module runs to its end with torch and torchvision blocked."""
    code = compile(path.read_bytes(), str(path), "exec")
    with monkeypatch.context() as patch:
        for name in [*sys.modules]:
            if name.split(".")[0] in BLOCKED:
                patch.delitem(sys.modules, name)
        for name in BLOCKED:
            patch.setitem(sys.modules, name, None)
        try:
            exec(code, {"__name__": "blocked"})
        except Exception:
            return False
    return True


@pytest.mark.parametrize("original, migrated", PAIRS, ids=[case_id(p) for p, _ in PAIRS])
def test_migrated_module_imports_where_the_original_does(
    original: Path, migrated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    imports = executes_blocked(original, monkeypatch)
    if original.parent == FIXTURES / "names" and case_id(original) in IMPORT_BLOCKED:
        assert imports, "this case must import without torchvision"
    if imports:
        assert executes_blocked(migrated, monkeypatch)


def test_check_sees_an_import_made_eager(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lazy = tmp_path / "lazy.py"
    lazy.write_text("def f():\n    from torchvision.models import vgg19\n    return vgg19()\n")
    eager = tmp_path / "eager.py"
    eager.write_text("from torchvision.models import VGG19_Weights\n\n" + lazy.read_text())
    assert executes_blocked(lazy, monkeypatch)
    assert not executes_blocked(eager, monkeypatch)
