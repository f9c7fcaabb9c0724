"""Every builder of the installed torchvision, in every legacy form the table knows: the rewritten
call compiles, has no legacy argument left, and, run under torchvision with weight loading
intercepted, requests the same weights and builds the same architecture as the legacy call, with
no deprecation warning."""

from __future__ import annotations

import ast
import itertools
import warnings
from dataclasses import dataclass
from typing import Any

import pytest

torch = pytest.importorskip("torch")
models = pytest.importorskip("torchvision.models")

from codemod import legacy_table  # noqa: E402
from codemod.diagnostics import Code  # noqa: E402
from codemod.runner import migrate_source  # noqa: E402
from codemod.table import Builder, builder_named  # noqa: E402
from torchvision.models._api import WeightsEnum  # noqa: E402

LEGACY_WARNING = "deprecated since 0.13"
LEGACY_KEYWORDS = {"pretrained", "pretrained_backbone"}


@dataclass(frozen=True)
class Variant:
    arguments: str  # legacy arguments as written in the call
    flag: Any = None  # value of the name `flag` when the arguments use it


def shortest_path(name: str) -> str:
    paths = [path for path, builder in legacy_table.PATHS.items() if builder == name]
    return min(paths, key=lambda path: (path.count("."), path))


def variants(builder: Builder) -> list[Variant]:
    result = [Variant("pretrained=True"), Variant("pretrained=False"), Variant("True")]
    result += [Variant("pretrained=flag", True), Variant("pretrained=flag", False)]
    for param in builder.legacy:
        if param.legacy == "pretrained_backbone":
            result += [Variant("pretrained=False, pretrained_backbone=True")]
            result += [Variant("pretrained_backbone=False")]
        if param.switch:
            key = param.switch[0]
            result += [Variant(f"pretrained=True, {key}=True"), Variant(f"{key}=True, pretrained=0")]
            result += [Variant(f"pretrained=True, {key}=flag", True)]
            result += [Variant(f"pretrained=True, {key}=flag", False)]
        for text in param.strings:
            result += [Variant(f'{param.legacy}="{text}"'), Variant(f"{param.legacy}=flag", text)]
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


def run(source: str, flag: Any, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    """Execute a module that builds `model`; weights are recorded, never loaded."""
    requested: list[str] = []

    def record(self: WeightsEnum, *args: Any, **kwargs: Any) -> dict[str, Any]:
        requested.append(f"{type(self).__name__}.{self.name}")
        return {}

    with monkeypatch.context() as patch:
        patch.setattr(WeightsEnum, "get_state_dict", record)
        patch.setattr(torch.nn.Module, "load_state_dict", lambda self, *a, **k: _Loaded())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            namespace = {"flag": flag}
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
    left = [k.arg for k in call.keywords if k.arg in LEGACY_KEYWORDS]
    return left + ["positional"] * len(call.args)


@pytest.mark.parametrize("name", sorted(legacy_table.BUILDERS))
def test_rewrite_requests_the_same_weights(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    builder = builder_named(name)
    assert builder is not None
    module, attribute = shortest_path(name).rsplit(".", 1)
    no_weights = any(p.pretrained is None for p in builder.legacy if p.legacy == "pretrained")
    legacy_outcomes: dict[tuple[str, Any], Outcome] = {}
    for style, variant in itertools.product(("enum", "string"), variants(builder)):
        legacy = f"import {module} as zoo\n\nmodel = zoo.{attribute}({variant.arguments})\n"
        result = migrate_source(legacy.encode(), style=style)
        migrated = result.migrated.decode()
        codes = {d.code for d in result.diagnostics}
        context = f"{legacy!r} -> {migrated!r}"

        if no_weights and variant.arguments in ("pretrained=True", "True", "pretrained=flag"):
            assert migrated == legacy and codes == {Code.NO_LEGACY_WEIGHTS}, context
            if variant.flag is not False:
                with pytest.raises(ValueError, match="No weights available"):
                    run(legacy, variant.flag, monkeypatch)
            continue

        assert codes == {Code.FIXED}, context
        assert legacy_arguments_left(migrated) == [], context
        key = (legacy, variant.flag)
        if key not in legacy_outcomes:
            legacy_outcomes[key] = run(legacy, variant.flag, monkeypatch)
        before = legacy_outcomes[key]
        after = run(migrated, variant.flag, monkeypatch)
        assert after.requested == before.requested, context
        assert after.architecture == before.architecture, context
        assert after.legacy_warnings == [], context
        assert before.legacy_warnings, f"the legacy call did not go through the shim: {context}"
