"""Scopes (pipeline/scopes.py) answer from a count of the module's bindings where it tells, and
from the walk of its scopes otherwise: both must give the walk's answer for every name read, in
the fixtures and in generated modules that bind names in every way Python has."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cases import SAMPLE, case_id, parsed_here, sources
from migrate_weights.pipeline.parse import parse
from migrate_weights.pipeline.scopes import Scopes
from migrate_weights.tables.table import generated

UNBOUND = "never_bound_anywhere"


def check_against_the_walk(source: str) -> Scopes:
    """Every answer Scopes gives, compared with the walk's, for each name read and each name
    bound anywhere (and one never bound) where it is read."""
    module = parse(source.encode())
    assert module is not None
    scopes = Scopes(module, generated().star_exports)
    walk = scopes.walked()
    assert scopes.bound == set(walk.everywhere)
    assert scopes.imported == walk.imported
    names = sorted({*walk.everywhere, UNBOUND})
    for read in module.nodes.of(ast.Name):
        assert scopes.bindings(read) == walk.bindings(read), ast.unparse(read)
        for name in names:
            assert scopes.visible(name, read) == walk.visible(name, read), (name, read.id)
    return scopes


@pytest.mark.parametrize(
    "path", [*sources(), *SAMPLE.glob("**/*.py")], ids=lambda path: case_id(Path(path))
)
def test_fixtures_resolve_as_the_walk_does(path: Path) -> None:
    check_against_the_walk(parsed_here(path))


NAMES = ["models", "resnet50", "torchvision", "tv"]
IMPORTS = [
    "import torchvision",
    "import torchvision.models as models",
    "import torchvision.models as tv",
    "from torchvision import models",
    "from torchvision.models import resnet50",
    "from torchvision.models import resnet50 as tv",
    "from torchvision.models import *",
    "from . import models",
]
BINDINGS = [
    *IMPORTS,
    *(f"{name} = None" for name in NAMES),
    *(f"{name} = make()" for name in NAMES),
    *(f"del {name}" for name in NAMES),
    *(f"for {name} in range(3): pass" for name in NAMES),
    *(f"with open(f) as {name}: pass" for name in NAMES),
    *(f"def {name}(): pass" for name in NAMES),
    *(f"class {name}: pass" for name in NAMES),
    *(f"def f({name}=1): pass" for name in NAMES),
    *(f"g = lambda {name}: {name}" for name in NAMES),
    *(f"squares = [{name} for {name} in range(3)]" for name in NAMES),
    *(f"if ({name} := 3): pass" for name in NAMES),
    *(f"global {name}" for name in NAMES),
    *(f"try:\n    pass\nexcept ValueError as {name}:\n    pass" for name in NAMES),
    *(f"try:\n    {i}\nexcept ImportError:\n    {b}" for i in IMPORTS[:3] for b in ("x = 1", i)),
]
if sys.version_info >= (3, 10):
    BINDINGS += [f"match m:\n    case [*{name}]: pass" for name in NAMES]
READS = [f"{name}.resnet50(True)" for name in NAMES] + [f"{name}(True)" for name in NAMES]


def _indented(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


@st.composite
def modules(draw: st.DrawFn) -> str:
    """A module of top-level statements, and functions and classes holding more, each a binding
    of one of a few names or a read of them."""
    statement = st.sampled_from(BINDINGS + READS)
    block = st.lists(statement, min_size=1, max_size=4).map("\n".join)
    nested = st.one_of(
        block.map(lambda body: "def f():\n" + _indented(body)),
        block.map(lambda body: "class C:\n" + _indented(body)),
        block.map(lambda body: "def f():\n    def g():\n" + _indented(_indented(body))),
        block.map(
            lambda body: "def f():\n    models = 1\n    def g():\n        nonlocal models\n"
            + _indented(_indented(body))
        ),
    )
    parts = draw(st.lists(st.one_of(statement, nested), min_size=1, max_size=8))
    return "\n".join(parts) + "\n"


@settings(max_examples=300, deadline=None)
@given(modules())
def test_generated_modules_resolve_as_the_walk_does(source: str) -> None:
    try:
        compile(source, "<generated>", "exec")
    except SyntaxError:
        return  # `global` after a binding, `nonlocal` without one: Python refuses the module
    check_against_the_walk(source)
