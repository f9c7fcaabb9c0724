"""The name-resolution fixtures run under torchvision: each `fixtures/names/<case>.in.py` and the
tool's migration of it are executed and their `main()` called, with weight loading intercepted.
Both request the same weights, in the same order; the legacy module goes through torchvision's
shim and the migrated one does not. Cases with findings left for a person are checked byte for
byte only (tests/rules/test_names.py)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")

from torchvision.models._api import WeightsEnum  # noqa: E402

from cases import case_id, cases, style_of  # noqa: E402
from migrate_weights.pipeline.migrate import migrate_source  # noqa: E402
from migrate_weights.tables.table import LegacyTable  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_thread_per_worker")]

LEGACY_WARNING = "deprecated since 0.13"


def _runnable(case: Path) -> bool:
    diagnostics = case.with_name(case.name.replace(".in.py", ".diagnostics")).read_text()
    return " MW002 " not in diagnostics and " MW003 " not in diagnostics


RUNNABLE = [case for case in cases("names") if _runnable(case)]


class _Loaded:
    missing_keys: list[str] = []
    unexpected_keys: list[str] = []


def run(source: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    """The weights a module's `main()` requests, and the shim's warnings on the way."""
    requested: list[str] = []

    def record(self: WeightsEnum, *args: Any, **kwargs: Any) -> dict[str, Any]:
        requested.append(f"{type(self).__name__}.{self.name}")
        return {}

    code = compile(source, "<fixture>", "exec")
    with monkeypatch.context() as patch, warnings.catch_warnings(record=True) as caught:
        patch.setattr(WeightsEnum, "get_state_dict", record)
        patch.setattr(torch.nn.Module, "load_state_dict", lambda self, *a, **k: _Loaded())
        warnings.simplefilter("always")
        namespace: dict[str, Any] = {"__name__": "fixture"}
        with torch.device("meta"):
            exec(code, namespace)
            namespace["main"]()
    return requested, [str(w.message) for w in caught if LEGACY_WARNING in str(w.message)]


def check(case: Path, monkeypatch: pytest.MonkeyPatch, table: LegacyTable | None = None) -> None:
    legacy = case.read_bytes()
    migrated = migrate_source(legacy, case.name, style_of(case), table=table).migrated
    assert migrated is not None and migrated != legacy
    before, legacy_warnings = run(legacy, monkeypatch)
    after, warnings_left = run(migrated, monkeypatch)
    assert legacy_warnings, "the fixture does not go through the shim"
    assert after == before
    assert warnings_left == []


@pytest.mark.parametrize("case", RUNNABLE, ids=case_id)
def test_migrated_fixture_requests_the_same_weights(
    case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check(case, monkeypatch)


def test_check_catches_a_wrong_member(monkeypatch: pytest.MonkeyPatch, tamper_table: Any) -> None:
    table = tamper_table("resnet50", pretrained="ResNet50_Weights.IMAGENET1K_V2")
    with pytest.raises(AssertionError):
        check(Path("fixtures/names/lazy_import.in.py").resolve(), monkeypatch, table)
