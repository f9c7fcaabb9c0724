"""Every builder of the installed torchvision, in every legacy form the table knows: the rewritten
call compiles, has no legacy argument left, and, run under torchvision with weight loading
intercepted, requests the same weights and builds the same architecture as the legacy call, with
no deprecation warning."""

from __future__ import annotations

import ast
import importlib
import inspect
import warnings
from dataclasses import dataclass
from typing import Any

import pytest

torch = pytest.importorskip("torch")
models = pytest.importorskip("torchvision.models")

from torchvision.models._api import WeightsEnum  # noqa: E402

from migrate_weights.diagnostics import Code  # noqa: E402
from migrate_weights.pipeline.migrate import migrate_source  # noqa: E402
from migrate_weights.tables.table import LegacyTable, generated  # noqa: E402

pytestmark = pytest.mark.slow  # builds every builder's model, in every legacy form

LEGACY_WARNING = "deprecated since 0.13"
LEGACY_KEYWORDS = {"pretrained", "pretrained_backbone"}


@dataclass(frozen=True)
class Variant:
    arguments: str  # legacy arguments as written in the call
    flag: Any = None  # value of the name `flag` when the arguments use it


def variants(name: str) -> list[Variant]:
    """Legacy forms to try, from the builder's real signature (not from the table under test)."""
    parameters = inspect.signature(models.get_model_builder(name)).parameters
    result = [Variant("pretrained=True"), Variant("pretrained=False"), Variant("True")]
    result += [Variant("pretrained=flag", True), Variant("pretrained=flag", False)]
    result += [Variant('pretrained="legacy"'), Variant("pretrained=flag", "legacy")]
    result += [Variant('**{"pretrained": flag, "progress": False}', True)]
    if "weights_backbone" in parameters:
        result += [Variant("pretrained=False, pretrained_backbone=True")]
        result += [Variant("pretrained_backbone=False")]
        positional = []
        for parameter in parameters.values():
            if parameter.name == "weights_backbone":
                break
            positional.append("False" if parameter.name == "weights" else repr(parameter.default))
        result += [Variant(", ".join(positional + [flag])) for flag in ("True", "False")]
    if "quantize" in parameters:
        result += [
            Variant("pretrained=True, quantize=True"),
            Variant("quantize=True, pretrained=0"),
        ]
        result += [Variant("pretrained=True, quantize=flag", True)]
        result += [Variant("pretrained=True, quantize=flag", False)]
    return result


class _Loaded:
    missing_keys: list[str] = []
    unexpected_keys: list[str] = []


@dataclass
class Outcome:
    requested: list[str]
    architecture: str
    legacy_warnings: list[str]


def architecture(model: Any) -> str:
    entries = [
        (key, tuple(value.shape), value.dtype) if isinstance(value, torch.Tensor) else (key, value)
        for key, value in model.state_dict().items()
    ]
    return repr(model) + repr(entries)


def run(source: str, values: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Outcome:
    """Execute a module that builds `model`, with `values` as its globals; weights are
    recorded, never loaded."""
    requested: list[str] = []

    def record(self: WeightsEnum, *args: Any, **kwargs: Any) -> dict[str, Any]:
        requested.append(f"{type(self).__name__}.{self.name}")
        return {}

    with monkeypatch.context() as patch:
        patch.setattr(WeightsEnum, "get_state_dict", record)
        patch.setattr(torch.nn.Module, "load_state_dict", lambda self, *a, **k: _Loaded())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            namespace = dict(values)
            code = compile(source, "<variant>", "exec")
            torch.manual_seed(0)  # quantization observers read the random initial weights
            try:
                with torch.device("meta"):
                    exec(code, namespace)
            except (RuntimeError, NotImplementedError):
                # Some builders compute on their tensors while building (quantization calibrates,
                # RegNet reads a value): build those for real on the CPU.
                requested.clear()
                torch.manual_seed(0)
                exec(code, namespace)
    messages = [str(w.message) for w in caught if LEGACY_WARNING in str(w.message)]
    return Outcome(requested, architecture(namespace["model"]), messages)


def legacy_arguments_left(source: str) -> list[str]:
    call = next(node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call))
    keys = [k for d in call.keywords if isinstance(d.value, ast.Dict) for k in d.value.keys]
    left = [k.arg for k in call.keywords if k.arg in LEGACY_KEYWORDS]
    left += [k.value for k in keys if isinstance(k, ast.Constant) and k.value in LEGACY_KEYWORDS]
    return left + ["positional"] * len(call.args)


def called_with(source: str, flag: Any, attribute: str, monkeypatch: pytest.MonkeyPatch) -> dict:
    """The arguments a module passes to the builder `zoo.<attribute>`, which is not run; members
    are compared by name, as builders read member names."""
    calls: list[dict[str, Any]] = []
    namespace: dict[str, Any] = {"flag": flag}
    with monkeypatch.context() as patch:
        patch.setattr(zoo_module(source), attribute, lambda **kwargs: calls.append(kwargs))
        exec(compile(source, "<variant>", "exec"), namespace)
    (kwargs,) = calls
    return {k: v.name if isinstance(v, WeightsEnum) else v for k, v in kwargs.items()}


def zoo_module(source: str) -> Any:
    return importlib.import_module(source.split()[1])


@pytest.mark.parametrize("name", sorted(generated().builders))
def test_rewrite_requests_the_same_weights(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    check_builder(name, monkeypatch)


def check_builder(
    name: str, monkeypatch: pytest.MonkeyPatch, table: LegacyTable | None = None
) -> None:
    module, attribute = generated().shortest_path(name).rsplit(".", 1)
    for variant in variants(name):
        legacy = f"import {module} as zoo\n\nmodel = zoo.{attribute}({variant.arguments})\n"
        outputs = {}
        for style in ("enum", "string"):
            result = migrate_source(legacy.encode(), style=style, table=table)
            outputs[style] = result.migrated.decode()
            codes = {d.code for d in result.diagnostics}
            context = f"{legacy!r} -> {outputs[style]!r}"
            if codes == {Code.NO_LEGACY_WEIGHTS}:
                assert outputs[style] == legacy, context
                continue
            assert codes == {Code.FIXED}, context
            assert legacy_arguments_left(outputs[style]) == [], context

        if outputs["enum"] == legacy:  # reported as having no legacy weights: is that so?
            pretrained = f"import {module} as zoo\n\nmodel = zoo.{attribute}(pretrained=True)\n"
            with pytest.raises(ValueError, match="No weights available"):
                run(pretrained, {"flag": None}, monkeypatch)
            continue
        context = f"{legacy!r} -> {outputs['enum']!r}"
        before = run(legacy, {"flag": variant.flag}, monkeypatch)
        try:
            after = run(outputs["enum"], {"flag": variant.flag}, monkeypatch)
        except Exception as error:
            raise AssertionError(f"the rewritten call raised {error!r}: {context}") from error
        assert after.requested == before.requested, context
        assert after.architecture == before.architecture, context
        assert after.legacy_warnings == [], context
        assert before.legacy_warnings, f"the legacy call did not go through the shim: {context}"
        # The string style passes the same member names (the builder, being deterministic in its
        # arguments, then builds the same model), with no legacy argument the shim would warn of.
        as_enum = called_with(outputs["enum"], variant.flag, attribute, monkeypatch)
        as_string = called_with(outputs["string"], variant.flag, attribute, monkeypatch)
        assert as_string == as_enum, f"{legacy!r} -> {outputs['string']!r}"


@pytest.mark.parametrize(
    "name, changes",
    [
        ("resnet50", {"pretrained": "ResNet50_Weights.IMAGENET1K_V2"}),
        ("quantized_shufflenet_v2_x0_5", {"switch": None}),
        (
            "fasterrcnn_mobilenet_v3_large_320_fpn",
            {"parameters": ("weights", "weights_backbone", "num_classes", "progress")},
        ),
        ("ssdlite320_mobilenet_v3_large", {"index": 1, "new": "weights_backbone_dropped"}),
    ],
    ids=["default-member", "quantize-ignored", "positional-order", "backbone-dropped"],
)
def test_differential_check_catches_faults(
    name: str, changes: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tamper_table: Any
) -> None:
    table = tamper_table(name, **changes)
    with pytest.raises(AssertionError):
        check_builder(name, monkeypatch, table)
