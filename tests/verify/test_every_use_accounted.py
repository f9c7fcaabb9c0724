"""Every legacy use is accounted for. Modules are executed under torchvision, weight loading
intercepted, with `warnings.warn` recorded together with the line of the executed module that
led to each warning: torchvision's own deprecation warnings (the shim's, and its warning for
deprecated positional arguments) are the oracle. Each must come from a call that the tool
rewrites or reports. Over the name-resolution fixtures that define `main()`, a module of every
shape the rules know (SHAPES), and the fuzzer's modules. The check fails when the table has one
builder's legacy parameters switched off."""

from __future__ import annotations

import ast
import dataclasses
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from test_fuzz import module, namespace_values  # noqa: E402
from torchvision.models._api import WeightsEnum  # noqa: E402

from cases import cases  # noqa: E402
from migrate_weights.diagnostics import Code  # noqa: E402
from migrate_weights.pipeline.migrate import migrate_source  # noqa: E402
from migrate_weights.tables.table import LegacyTable, generated  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_thread_per_worker")]

DEPRECATED = "deprecated since 0.13"
FILENAME = "<oracle>"
ACCOUNTED = {Code.FIXED, Code.NOT_FIXABLE, Code.NO_LEGACY_WEIGHTS}

SHAPES = """\
import functools
import importlib
import torchvision
import torchvision.models as models
from torchvision.models import get_model, resnet18
from torchvision.models.detection import fasterrcnn_mobilenet_v3_large_fpn
from torchvision.models.detection.backbone_utils import resnet_fpn_backbone
from torchvision.models.quantization import mobilenet_v2 as quantized_mobilenet_v2

flag = True
keyword = models.resnet50(pretrained=True)
positional = resnet18(True, progress=False)
looked_up = models.__dict__["alexnet"](pretrained=flag)
found = getattr(torchvision.models, "squeezenet1_0")(True)
by_name = get_model("mobilenet_v3_small", pretrained=True)
backbone = fasterrcnn_mobilenet_v3_large_fpn(pretrained=False, pretrained_backbone=True)
quantized = quantized_mobilenet_v2(pretrained=True, quantize=False)
partial = functools.partial(models.vgg11, pretrained=flag)()
helper = resnet_fpn_backbone("resnet18", True)
current_by_position = models.resnet18(None)
video = models.video.r3d_18(pretrained=True)
no_legacy_weights = models.vit_h_14(pretrained=False)
spread = models.__dict__["resnet18"](**{"pretrained": False})
imported = getattr(importlib.import_module("torchvision.models"), "alexnet")(pretrained=True)
flag_as_weights = getattr(models, "resnet18")(weights=True)
looped = [builder(pretrained=True) for builder in (models.resnet18,)]


class Holder:
    builders = {0: models.mobilenet_v2}


from_class = Holder.builders[0](True)
"""


class _Loaded:
    missing_keys: list[str] = []
    unexpected_keys: list[str] = []


def warned_lines(source: str, values: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> set[int]:
    """The lines of `source` that led to a deprecation warning of torchvision's, when it runs
    (and its `main()`, if it has one) with `values` as globals."""
    lines: set[int] = set()

    def record(message: Any, *args: Any, **kwargs: Any) -> None:
        if DEPRECATED not in str(message):
            return
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename != FILENAME:
            frame = frame.f_back  # type: ignore[assignment]
        assert frame is not None, f"a deprecation warning from outside the module: {message}"
        lines.add(frame.f_lineno)

    # Warnings raised by C++ code do not go through `warnings.warn`: kept here, not errors.
    with monkeypatch.context() as patch, warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        patch.setattr(warnings, "warn", record)
        patch.setattr(WeightsEnum, "get_state_dict", lambda self, *a, **k: {})
        patch.setattr(torch.nn.Module, "load_state_dict", lambda self, *a, **k: _Loaded())
        code = compile(source, FILENAME, "exec")
        try:
            with torch.device("meta"):
                _execute(code, values)
        except (RuntimeError, NotImplementedError):
            # Some builders compute on their tensors while building (quantization calibrates):
            # run those for real on the CPU.
            lines.clear()
            _execute(code, values)
    return lines


def _execute(code: Any, values: dict[str, Any]) -> None:
    namespace = {"__name__": "oracle", **values}
    torch.manual_seed(0)
    exec(code, namespace)
    if callable(namespace.get("main")):
        namespace["main"]()


def unaccounted(source: str, lines: set[int], table: LegacyTable | None = None) -> list[int]:
    """The warned lines where no call the line is in has a finding of the tool's."""
    result = migrate_source(source.encode(), table=table)
    found = {(d.line, d.column) for d in result.diagnostics if d.code in ACCOUNTED}
    calls = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)]
    return sorted(
        line
        for line in lines
        if not any(
            call.lineno <= line <= (call.end_lineno or call.lineno)
            and (call.lineno, call.col_offset + 1) in found
            for call in calls
        )
    )


def check(source: str, values: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    lines = warned_lines(source, values, monkeypatch)
    assert lines, f"nothing went through the shim: {source}"
    assert unaccounted(source, lines) == [], source


RUNNABLE = [case for case in cases("names") if "def main(" in case.read_text()]


@pytest.mark.parametrize("case", RUNNABLE, ids=lambda case: case.name)
def test_every_warning_of_a_fixture_is_accounted_for(
    case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check(case.read_text(), {}, monkeypatch)


def test_every_shape_warns_and_is_accounted_for(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = warned_lines(SHAPES, {}, monkeypatch)
    calls = {n for n, line in enumerate(SHAPES.splitlines(), 1) if " = " in line and "(" in line}
    assert lines == calls  # each shape is a legacy use, by the oracle
    assert unaccounted(SHAPES, lines) == []


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=module())
def test_every_warning_of_a_generated_module_is_accounted_for(
    case: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    source, names = case
    check(source, namespace_values(names, True), monkeypatch)


def test_the_oracle_catches_a_rule_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    table = generated()
    entry = {**table.builders["resnet50"], "legacy": ()}
    switched_off = dataclasses.replace(table, builders={**table.builders, "resnet50": entry})
    lines = warned_lines(SHAPES, {}, monkeypatch)
    assert unaccounted(SHAPES, lines) == []
    assert unaccounted(SHAPES, lines, switched_off) == [SHAPES.splitlines().index(
        "keyword = models.resnet50(pretrained=True)"
    ) + 1]  # fmt: skip
