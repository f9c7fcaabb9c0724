"""Names on the fast path: what a name used in the module stands for (pipeline/scopes.py finds
the bindings that reach it, rules/names.py decides), and what the fast path leaves to the full
path: a name that may stand for different objects (which the full path reports)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cached_property

from migrate_weights.fast_path.source import FullPath
from migrate_weights.pipeline.parse import Parsed, blocks
from migrate_weights.pipeline.scopes import Scopes, imported_names
from migrate_weights.rules.names import Ambiguous, Resolution, Resolved, resolve
from migrate_weights.rules.references import Visible
from migrate_weights.tables.table import LegacyTable

__all__ = ["Names", "imported_names", "module_level_imports"]


def module_level_imports(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports in the module's own scope, also inside `if`, `try`, `with`, `match` and loops."""
    for statement in body:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            yield statement
        elif not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for block in blocks(statement):
                yield from module_level_imports(block)


def _dotted(node: ast.expr) -> tuple[ast.Name, list[str]] | None:
    """`a.b.c` as the name `a` and ["b", "c"]."""
    attributes = []
    while isinstance(node, ast.Attribute):
        attributes.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return node, attributes[::-1]


class Names:
    def __init__(self, module: Parsed, table: LegacyTable) -> None:
        self.scopes = Scopes(module, table.star_exports)
        self.identity = table.identity
        self._tree = module.tree
        # What names that the same bindings reach wherever they are read resolve to.
        self._alike: dict[str, Resolution[ast.stmt]] = {}

    @cached_property
    def module_level(self) -> set[int]:
        """The imports in the module's own scope, by id (wanted only where removed API is)."""
        return {id(s) for s in module_level_imports(self._tree.body)}

    def resolution(self, node: ast.expr) -> tuple[Resolved[ast.stmt] | Ambiguous, str] | None:
        """What `a.b.c` stands for, when `a` may stand for objects of ours, and ".b.c"."""
        dotted = _dotted(node)
        if dotted is None:
            return None
        name, attributes = dotted
        if name.id not in self.scopes.imported:
            return None  # no import binds it anywhere: none of ours
        if not self.scopes.alike_everywhere(name.id):
            resolution = resolve(name.id, self.scopes.bindings(name), self.identity)
        else:
            if name.id not in self._alike:
                self._alike[name.id] = resolve(name.id, self.scopes.bindings(name), self.identity)
            resolution = self._alike[name.id]
        if resolution is None:
            return None
        return resolution, "".join(f".{attribute}" for attribute in attributes)

    def resolved(self, node: ast.expr) -> tuple[Resolved[ast.stmt], str] | None:
        """What `a.b.c` stands for, when `a` stands for one object of ours: its resolution and
        the qualified name. Ambiguous names are left to the full path, which reports them."""
        found = self.resolution(node)
        if found is None:
            return None
        resolution, attributes = found
        if isinstance(resolution, Ambiguous):
            raise FullPath
        return resolution, resolution.qualified + attributes

    def qualified(self, node: ast.expr) -> str | None:
        """The qualified name of `a.b.c`, for a lookup or a path the removed-API rules edit:
        only where `a` is imported by the module's own statements."""
        found = self.resolved(node)
        if found is None:
            return None
        resolution, qualified = found
        if not all(binding.top_level for binding in resolution.imports):
            raise FullPath
        return qualified

    def visible_at(self, node: ast.expr) -> Visible:
        """What a name resolves to where `node` (a dotted name) is read."""
        dotted = _dotted(node)
        assert dotted is not None
        return lambda name: self.scopes.visible(name, dotted[0])
