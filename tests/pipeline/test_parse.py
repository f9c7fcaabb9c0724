"""The parse's grouping of nodes by type (pipeline/parse.py) holds what `ast.walk` yields, but for
contexts and operators, in the same order: the fields it does not walk hold no other node."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from cases import SAMPLE, case_id, parsed_here, sources
from migrate_weights.pipeline.parse import parse

NOT_GROUPED = (ast.expr_context, ast.operator, ast.boolop, ast.unaryop, ast.cmpop)

EVERY_FORM = '''
"""A module with a node of every kind this Python has."""
from __future__ import annotations
import os.path as osp, sys
from . import sibling
from torchvision.models import *
x: int = 1
y = z = -x + 2 ** 3 @ m // 4 if not a and b or c else {1: 2, **d}
del y, z[0], w.attr
global g
assert x, "message"
raise ValueError("no") from None
f"{x!r:>{width}} {y=}"
b"bytes" [1:2:3], (*rest,), [1, *more], {1, 2}, ...
[e for e in range(3) if e], {e for e in xs}, {k: v for k, v in items}, (g for g in gs)
lambda p, /, q=1, *args, r, s=2, **kwargs: p
(n := 10) < 11 <= 12 is not None in [] not in ()
x += 1
@decorator(arg)
class C(Base, metaclass=Meta):
    attribute: list[int]
    def method(self, a: int = 1, *, b: str = "b") -> None:
        nonlocal_free = 1
        def inner():
            nonlocal nonlocal_free
            return nonlocal_free
        yield from inner()
        yield
async def coroutine():
    async with lock as held, other:
        await thing
    async for item in stream:
        pass
    else:
        break_out = [x async for x in stream]
for i in range(3):
    if i:
        continue
    elif i > 1:
        break
else:
    pass
while x:
    pass
try:
    import torchvision
except (ImportError, ValueError) as error:
    pass
else:
    pass
finally:
    pass
with open(osp.join("a", "b")) as (first, second):
    pass
'''
if sys.version_info >= (3, 10):
    EVERY_FORM += """
match command:
    case [1, *others] | (2 | 3):
        pass
    case {"key": value, **remaining} if value:
        pass
    case Point(x=0, y=py) as point:
        pass
    case None | True | "text" | -1 | 1 + 2j | Enum.MEMBER | _:
        pass
"""
if sys.version_info >= (3, 11):
    EVERY_FORM += """
try:
    pass
except* OSError as group:
    pass
"""
if sys.version_info >= (3, 12):
    EVERY_FORM += """
type Alias[T, *Ts, **P] = list[T]
def generic[U: int](value: U) -> U:
    return value
class Box[V]:
    pass
"""


def check_grouping(source: str) -> None:
    module = parse(source.encode())
    assert module is not None
    walked: dict[type[ast.AST], list[ast.AST]] = {}
    for node in ast.walk(module.tree):
        if not isinstance(node, NOT_GROUPED):
            walked.setdefault(type(node), []).append(node)
    for kind, nodes in walked.items():
        assert list(map(id, module.nodes.of(kind))) == list(map(id, nodes)), kind.__name__
    for kind in NOT_GROUPED:
        assert not module.nodes.of(kind)


def test_a_node_of_every_kind_is_grouped_as_the_walk_finds_it() -> None:
    check_grouping(EVERY_FORM)


@pytest.mark.parametrize(
    "path", [*sources(), *SAMPLE.glob("**/*.py")], ids=lambda path: case_id(Path(path))
)
def test_fixtures_are_grouped_as_the_walk_finds_them(path: Path) -> None:
    check_grouping(parsed_here(path))
