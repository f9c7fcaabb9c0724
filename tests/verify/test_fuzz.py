"""Differential fuzzing: hypothesis writes modules that call random builders in random legal
legacy forms; the tool's output must compile, be stable under a second run, and, executed under
torchvision with weight loading intercepted, request the same weights and build the same
architectures as the original, with no deprecation warning.

Imports are written every way (star imports too), at module level, in the function (lazy) or
under a guard; a builder may be looked up in its module as at run time (`getattr(models, "x")`)
or in a module imported by `importlib.import_module`, held before it is called (by a name, a
loop, a comprehension, a class attribute read through the class or `self`, a test's
parametrization), given a legacy flag as `weights=` or in a `**` dict, and a backbone
helper (`resnet_fpn_backbone`) may stand for a builder.
The CI profile runs a few hundred modules;
`MIGRATE_WEIGHTS_FUZZ=long pytest tests/verify/test_fuzz.py` runs thousands.
"""

from __future__ import annotations

import ast
import os
import textwrap
from typing import Any

import pytest

pytest.importorskip("torchvision")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from test_runtime_equivalence import run  # noqa: E402

from cases import left_for_a_person  # noqa: E402
from migrate_weights.diagnostics import Code  # noqa: E402
from migrate_weights.pipeline.migrate import migrate_source  # noqa: E402
from migrate_weights.tables.table import LegacyTable, generated  # noqa: E402

pytestmark = pytest.mark.slow  # builds the models of hundreds of generated modules

LONG = os.environ.get("MIGRATE_WEIGHTS_FUZZ") == "long"
# Builders that build on the meta device (RegNet computes while building, and a quantized model
# calibrates on real data): cheap enough for hundreds of modules.
CHEAP = sorted(
    name
    for name in generated().builders
    if not name.startswith(("regnet", "quantized"))
    and all(p.pretrained for p in generated().builder_named(name).legacy)
)
QUANTIZED = ["quantized_mobilenet_v2", "quantized_shufflenet_v2_x0_5"]

IMPORTS = {
    "package": ("import torchvision\n", "torchvision.models.{module}{name}"),
    "alias": ("import torchvision.models as tvm\n", "tvm.{module}{name}"),
    "models": ("from torchvision import models\n", "models.{module}{name}"),
    "star": ("from torchvision.models import *\n", "{module}{name}"),
}
IMPORTERS = [
    ("import importlib\n", "importlib.import_module"),
    ("from importlib import import_module as load\n", "load"),
]
# How a builder is held before it is called: `{callee}` is the builder, `{arguments}` the call's.
HELD = {
    "name": "held_{i} = {callee}\nmodel_{i} = held_{i}({arguments})\n",
    "loop": "for held_{i} in ({callee},):\n    model_{i} = held_{i}({arguments})\n",
    "comprehension": "model_{i} = [held_{i}({arguments}) for held_{i} in [{callee}]][0]\n",
    "class": (
        "class Held_{i}:\n    builders = {{0: {callee}}}\n\n\n"
        "model_{i} = Held_{i}.builders[0]({arguments})\n"
    ),
    "method": (
        "class Held_{i}:\n    builders = [{callee}]\n\n    def build(self):\n"
        "        return self.builders[0]({arguments})\n\n\nmodel_{i} = Held_{i}().build()\n"
    ),
    "parametrize": (
        '@pytest.mark.parametrize("held", [{callee}])\ndef build_{i}(held):\n'
        "    return held({arguments})\n\n\n"
        "model_{i} = build_{i}(*build_{i}.pytestmark[0].args[1])\n"
    ),
}
SPACING = ["{}", " {} ", "\n    {}\n", "{}  # note\n"]


@st.composite
def flag(draw: st.DrawFn, names: list[str]) -> str:
    literal = draw(st.sampled_from(["True", "False", "1", "0", "flag_a", "flag_b", "cfg.flag"]))
    if literal in ("flag_a", "flag_b", "cfg.flag"):
        names.append(literal)
    return literal


@st.composite
def helper_call(draw: st.DrawFn, style: str, names: list[str]) -> tuple[str, str, str]:
    """A call of a backbone helper, whose legacy member is that of the builder it names."""
    helper = draw(st.sampled_from(sorted(generated().helpers)))
    module, attribute = generated().shortest_path(helper).rsplit(".", 1)
    (param,) = generated().helpers[helper]["legacy"]
    key, members = param["chosen_by"] or ("", {})
    backbone = repr(draw(st.sampled_from(sorted(members))))
    if style == "from" or style == "star":
        imports, callee = f"from {module} import {attribute}\n", attribute
    else:
        imports, callee = f"import {module}\n", f"{module}.{attribute}"
    required = ["fpn=True"] if "fpn" in generated().helpers[helper]["parameters"] else []
    if draw(st.booleans()):
        arguments = [backbone, draw(flag(names))]  # both deprecated as positional arguments
    else:
        arguments = [f"{key}={backbone}", f"pretrained={draw(flag(names))}"]
    spaced = [draw(st.sampled_from(SPACING)).format(a) for a in arguments + required]
    return imports, callee, ",".join(spaced)


@st.composite
def call(draw: st.DrawFn, style: str, names: list[str]) -> tuple[str, str, str]:
    """The import a call needs, the callee and the arguments."""
    if draw(st.integers(0, 7)) == 0:
        return draw(helper_call(style, names))
    quantized = draw(st.integers(0, 7)) == 0  # they calibrate on real data: slow
    name = draw(st.sampled_from(QUANTIZED if quantized else CHEAP))
    builder = generated().builder_named(name)
    assert builder is not None
    module, attribute = generated().shortest_path(name).rsplit(".", 1)
    submodule = module.removeprefix("torchvision.models").lstrip(".")
    if style == "from":
        imports, callee = f"from {module} import {attribute}\n", attribute
    else:
        imports = IMPORTS[style][0]
        callee = IMPORTS[style][1].format(
            module=f"{submodule}." if submodule else "", name=attribute
        )
        namespace = callee.removesuffix(f".{attribute}")
        if namespace != callee and draw(st.integers(0, 3)) == 0:  # looked up as at run time
            lookup = draw(st.sampled_from(['getattr({}, "{}")', '{}.__dict__["{}"]']))
            callee = lookup.format(namespace, attribute)
    if draw(st.integers(0, 7)) == 0:  # in a module imported at run time
        importer, function = draw(st.sampled_from(IMPORTERS))
        imports = importer + (imports if style != "from" else "")
        callee = f'getattr({function}("{module}"), "{attribute}")'
    arguments = []
    legacy = {p.legacy for p in builder.legacy}
    form = draw(st.sampled_from(["positional", "keyword", "keyword", "as weights", "spread"]))
    if form == "positional":
        arguments.append(draw(flag(names)))  # in the place of `weights`
        if draw(st.booleans()):
            arguments.append(draw(st.sampled_from(["True", "False"])))  # progress
    elif form == "as weights":  # a flag the shim reads as `pretrained=`
        arguments.append(f"weights={draw(st.sampled_from(['True', 'False', '1', '0']))}")
    elif form == "spread":
        arguments.append(f'**{{"pretrained": {draw(flag(names))}}}')
    else:
        arguments.append(f"pretrained={draw(flag(names))}")
    if "pretrained_backbone" in legacy and draw(st.booleans()):
        arguments.append(f"pretrained_backbone={draw(flag(names))}")
    if quantized and draw(st.booleans()):
        arguments.append(f"quantize={draw(st.sampled_from(['True', 'False', 'quantize']))}")
        names.append("quantize")
    spaced = [draw(st.sampled_from(SPACING)).format(argument) for argument in arguments]
    return imports, callee, ",".join(spaced)


@st.composite
def module(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A module, its imports at module level, in the function that makes the call (lazy), or
    in a `try` whose `except ImportError` binds the names to None (optional)."""
    style = draw(st.sampled_from([*sorted(IMPORTS), "from"]))
    names: list[str] = []
    calls = draw(st.lists(call(style, names), min_size=1, max_size=2))
    places = ["module", "guard"] if style == "star" else ["module", "function", "guard"]
    where = draw(st.sampled_from(places))  # a star import only at module level
    if where == "function":
        return (
            "".join(
                f"def build_{i}():\n{textwrap.indent(imports, '    ')}"
                f"    return {callee}({arguments})\n\n\n"
                f"model_{i} = build_{i}()\n"
                for i, (imports, callee, arguments) in enumerate(calls)
            ),
            names,
        )
    imports = "".join(dict.fromkeys(imports for imports, _, _ in calls))
    body = ""
    for i, (_, callee, arguments) in enumerate(calls):
        held = draw(st.sampled_from(["called"] * 4 + sorted(HELD)))
        if held != "called":  # the builder held first, then called
            body += HELD[held].format(i=i, callee=callee, arguments=arguments)
        else:
            body += f"model_{i} = {callee}({arguments})\n"
    if where == "guard":
        bound = [name for line in imports.splitlines() for name in _bound(line)]
        fallback = "".join(f"    {name} = None\n" for name in bound) or "    pass\n"
        imports = f"try:\n{textwrap.indent(imports, '    ')}except ImportError:\n{fallback}"
    return "import pytest\n" + imports + "\n" + body, names


def _bound(import_line: str) -> list[str]:
    """The name an import of this module's forms binds (none known for a star import)."""
    statement = ast.parse(import_line).body[0]
    assert isinstance(statement, (ast.Import, ast.ImportFrom))
    alias = statement.names[0]
    return [] if alias.name == "*" else [alias.asname or alias.name.split(".")[0]]


class _Config:
    flag = True


def namespace_values(names: list[str], truth: bool) -> dict[str, Any]:
    config = _Config()
    config.flag = truth
    return {"flag_a": truth, "flag_b": not truth, "quantize": truth, "cfg": config}


@settings(
    max_examples=5000 if LONG else 300,
    deadline=None,
    derandomize=not LONG,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=module(), truth=st.booleans())
def test_rewrite_is_equivalent(
    case: tuple[str, list[str]], truth: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_module(*case, truth, monkeypatch)


def check_module(
    source: str,
    names: list[str],
    truth: bool,
    monkeypatch: pytest.MonkeyPatch,
    table: LegacyTable | None = None,
) -> None:
    result = migrate_source(source.encode(), table=table)
    migrated = result.migrated.decode()
    codes = {d.code for d in result.diagnostics}
    compile(migrated, "<migrated>", "exec")
    assert codes <= {Code.FIXED, Code.NOT_FIXABLE}, (source, result.diagnostics)
    again = migrate_source(migrated.encode(), table=table)
    assert again.migrated == result.migrated, (source, migrated)
    assert Code.FIXED not in {d.code for d in again.diagnostics}, (source, migrated)
    assert left_for_a_person(again) == left_for_a_person(result), (source, migrated)

    values = namespace_values(names, truth)
    before = run_module(source, values, monkeypatch)
    after = run_module(migrated, values, monkeypatch)
    assert after.requested == before.requested, (source, migrated)
    assert after.architecture == before.architecture, (source, migrated)
    if Code.NOT_FIXABLE not in codes:
        assert after.legacy_warnings == [], (source, migrated)


def run_module(source: str, values: dict[str, Any], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """`run` for a module of several calls: their models concatenated into one `model`."""
    body = source + "model = __import__('torch').nn.ModuleList(\n"
    body += "    [v for k, v in sorted(globals().items()) if k.startswith('model_')]\n)\n"
    return run(body, values, monkeypatch)


def test_the_property_catches_a_wrong_table(
    monkeypatch: pytest.MonkeyPatch, tamper_table: Any
) -> None:
    source = "from torchvision import models\n\nmodel_0 = models.resnet50(pretrained=flag_a)\n"
    check_module(source, ["flag_a"], True, monkeypatch)
    table = tamper_table("resnet50", pretrained="ResNet50_Weights.IMAGENET1K_V2")
    with pytest.raises(AssertionError):
        check_module(source, ["flag_a"], True, monkeypatch, table)
