"""What each name of a module is bound to, read from Python's syntax tree: a qualified name for
a module-level import, nothing for any other binding."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from migrate_weights.fast_path.source import FullPath
from migrate_weights.pipeline.parse import Nodes, blocks

# Roots of the names the rules act on; an import of these anywhere but at module level, or a
# name bound both to one of them and to something else, sends the file to the full path.
RULE_ROOTS = ("torchvision", "torch", "functools")


def is_ours(qualified_name: str) -> bool:
    return qualified_name.split(".")[0] in RULE_ROOTS


# Match statements' captures, from Python 3.10 on; 3.9 parses no match statement.
_CAPTURES = tuple(getattr(ast, kind) for kind in ("MatchAs", "MatchStar") if hasattr(ast, kind))
_MAPPING_PATTERNS = tuple(getattr(ast, kind) for kind in ("MatchMapping",) if hasattr(ast, kind))
# Nodes that bind names, other than imports and a Name stored or deleted.
_BINDING_NODES = (
    ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.arg, ast.ExceptHandler,
    *_CAPTURES, *_MAPPING_PATTERNS, ast.Global, ast.Nonlocal,
)  # fmt: skip


def _bound_names(node: ast.AST) -> Iterator[str]:
    """Names `node` binds, other than by an import or as a Name."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield node.name
    elif isinstance(node, ast.arg):
        yield node.arg
    elif isinstance(node, (ast.ExceptHandler, *_CAPTURES, *_MAPPING_PATTERNS)):
        # getattr: the match patterns' classes exist from Python 3.10 on
        name = getattr(node, "rest" if isinstance(node, _MAPPING_PATTERNS) else "name")
        if name:
            yield name
    elif isinstance(node, (ast.Global, ast.Nonlocal)):
        yield from node.names


def imported_names(node: ast.Import | ast.ImportFrom) -> Iterator[tuple[str, str]]:
    """(bound name, qualified name) for each name an import binds."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                yield alias.asname, alias.name
            else:
                root = alias.name.split(".")[0]
                yield root, root
        return
    for alias in node.names:
        if node.level or node.module is None:
            yield alias.asname or alias.name, f".{alias.name}"  # relative: not torchvision
        else:
            yield alias.asname or alias.name, f"{node.module}.{alias.name}"


def module_level_imports(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports in the module's own scope, also inside `if`, `try`, `with`, `match` and loops."""
    for statement in body:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            yield statement
        elif not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for block in blocks(statement):
                yield from module_level_imports(block)


class Names:
    """What each name of the module is bound to: a qualified name for a module-level import,
    None for anything else."""

    def __init__(self, tree: ast.Module, nodes: Nodes) -> None:
        self.bindings: dict[str, set[str | None]] = {}
        module_level = set()
        for statement in module_level_imports(tree.body):
            module_level.add(id(statement))
            for name, qualified in imported_names(statement):
                self.bindings.setdefault(name, set()).add(qualified)
        for node in nodes.of(ast.Name):
            if type(node.ctx) is not ast.Load:
                self.bindings.setdefault(node.id, set()).add(None)
        imports: list[ast.Import | ast.ImportFrom] = [*nodes.of(ast.Import)]
        for statement in [*imports, *nodes.of(ast.ImportFrom)]:
            if isinstance(statement, ast.ImportFrom) and any(
                alias.name == "*" for alias in statement.names
            ):
                raise FullPath
            if id(statement) not in module_level:
                if any(is_ours(qualified) for _, qualified in imported_names(statement)):
                    raise FullPath
                for name, _ in imported_names(statement):
                    self.bindings.setdefault(name, set()).add(None)
        for kind in _BINDING_NODES:
            for node in nodes.of(kind):
                for name in _bound_names(node):
                    self.bindings.setdefault(name, set()).add(None)

    def qualified(self, node: ast.expr) -> str | None:
        """The qualified name of `a.b.c`, when `a` is bound once, by a module-level import."""
        attributes = []
        while isinstance(node, ast.Attribute):
            attributes.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id not in self.bindings:
            return None
        found = self.bindings[node.id]
        only = next(iter(found)) if len(found) == 1 else None
        if only is None:
            if any(qualified is not None and is_ours(qualified) for qualified in found):
                raise FullPath
            return None
        return ".".join([only, *reversed(attributes)])

    def visible(self, name: str) -> set[str]:
        found = self.bindings.get(name, set())
        if None in found:
            raise FullPath  # bound in some scope: whether it is seen at the call needs scopes
        return {qualified for qualified in found if qualified is not None}
