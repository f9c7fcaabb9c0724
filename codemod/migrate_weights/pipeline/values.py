"""Builders used as values: a builder (or a model module imported by `importlib.import_module`)
that is stored, passed or bound rather than called where it stands. The full path follows some
of these to their calls; a call it cannot follow is reported where it passes what would be a
builder's legacy argument (rules/builder_call.py `plan_unfollowed_call`)."""

from __future__ import annotations

import ast
from collections.abc import Callable

from migrate_weights.pipeline.parse import Nodes
from migrate_weights.pipeline.scopes import Scopes
from migrate_weights.rules import legacy_api
from migrate_weights.rules.names import Ambiguous, Kind, resolve
from migrate_weights.tables.table import LegacyTable

IMPORT_MODULE = "importlib.import_module"
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _root(node: ast.expr) -> tuple[ast.expr, str]:
    """`a.b.c` as `a` and ".b.c"."""
    attributes = ""
    while isinstance(node, ast.Attribute):
        attributes = f".{node.attr}{attributes}"
        node = node.value
    return node, attributes


def qualified_names(node: ast.expr, scopes: Scopes, table: LegacyTable) -> set[str]:
    """What `a.b.c` may stand for, where `a` is bound by an import: each candidate."""
    root, attributes = _root(node)
    if not isinstance(root, ast.Name):
        return set()
    resolution = resolve(root.id, scopes.bindings(root), table.identity)
    if resolution is None:
        return set()
    if isinstance(resolution, Ambiguous):
        return {candidate + attributes for candidate in resolution.candidates}
    return {resolution.qualified + attributes}


def imported_at_run_time(call: ast.Call, scopes: Scopes, table: LegacyTable) -> str | None:
    """For a call of `import_module`: the model module it imports, or "" where its argument is
    no literal (it may import any); None for any other call or module."""
    if qualified_names(call.func, scopes, table) != {IMPORT_MODULE} or not call.args:
        return None
    name = call.args[0]
    if not isinstance(name, ast.Constant) or not isinstance(name.value, str):
        return ""
    return name.value if table.is_model_module(name.value) else None


def _looks_up_a_builder(node: ast.expr, scopes: Scopes, table: LegacyTable) -> bool:
    """`getattr(<model module>, name)` or `<model module>.__dict__[name]`."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args:
        if node.func.id != "getattr" or scopes.bindings(node.func):
            return False
        namespace = node.args[0]
    elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute):
        if node.value.attr != "__dict__":
            return False
        namespace = node.value.value
    else:
        return False
    return any(map(table.is_model_module, qualified_names(namespace, scopes, table)))


def _names_of(scopes: Scopes, accepts: Callable[[str], bool]) -> set[str]:
    """The names that imports of what `accepts` accepts bind, anywhere in the module."""
    return {
        name
        for name, bindings in scopes.everywhere.items()
        if any(
            binding.kind in (Kind.IMPORT, Kind.FALLBACK) and accepts(binding.qualified or "")
            for binding in bindings
        )
    }


def run_time_imports(
    nodes: Nodes, scopes: Scopes, table: LegacyTable
) -> dict[tuple[int, int], str]:
    """The calls of `import_module` by where they start (line, column): the model module each
    imports, or "" where its argument is no literal."""
    importers = _names_of(scopes, {IMPORT_MODULE, IMPORT_MODULE.partition(".")[0]}.__contains__)
    found = {}
    for call in nodes.of(ast.Call) if importers else []:
        root, _ = _root(call.func)
        if isinstance(root, ast.Name) and root.id in importers:
            imported = imported_at_run_time(call, scopes, table)
            if imported is not None:
                found[call.lineno, call.col_offset] = imported
    return found


def builders_used_as_values(nodes: Nodes, scopes: Scopes, table: LegacyTable) -> list[ast.expr]:
    """Builders, lookups of them, and model modules that `import_module` imports, where they
    stand as values, in source order."""
    imported = _names_of(scopes, lambda qualified: qualified.startswith("torchvision"))
    partials = _names_of(
        scopes, {legacy_api.PARTIAL, legacy_api.PARTIAL.partition(".")[0]}.__contains__
    )
    calls = nodes.of(ast.Call)
    # Called where they stand, or part of a longer name: no value held
    not_values = {id(call.func) for call in calls}
    not_values.update(id(attribute.value) for attribute in nodes.of(ast.Attribute))
    found: list[ast.expr] = []
    named: list[ast.Name | ast.Attribute] = [*nodes.of(ast.Name), *nodes.of(ast.Attribute)]
    for node in named:
        if id(node) in not_values or not isinstance(node.ctx, ast.Load):
            continue
        root, _ = _root(node)
        if not isinstance(root, ast.Name) or root.id not in imported:
            continue
        if any(table.builder_name_at(name) for name in qualified_names(node, scopes, table)):
            found.append(node)
    found += [
        lookup
        for lookup in [*calls, *nodes.of(ast.Subscript)]
        if id(lookup) not in not_values and _looks_up_a_builder(lookup, scopes, table)
    ]
    imports = run_time_imports(nodes, scopes, table)
    found += [call for call in calls if imports.get((call.lineno, call.col_offset))]
    if found:
        found = _held(found, nodes, scopes, table, partials)
    return sorted(found, key=lambda node: (node.lineno, node.col_offset))


def _held(
    found: list[ast.expr], nodes: Nodes, scopes: Scopes, table: LegacyTable, partials: set[str]
) -> list[ast.expr]:
    """Those of `found` that may be held: not compared or tested (`if resnet18 is None`), not
    given to `partial` (the partial rule's, rules/partial.py)."""
    used: set[int] = set()
    for compare in nodes.of(ast.Compare):
        used.update(map(id, [compare.left, *compare.comparators]))
    for tested in (ast.If, ast.While, ast.IfExp, ast.Assert):
        used.update(id(getattr(node, "test")) for node in nodes.of(tested))  # noqa: B009
    for call in nodes.of(ast.Call) if partials else []:
        root, _ = _root(call.func)
        if call.args and isinstance(root, ast.Name) and root.id in partials:
            if qualified_names(call.func, scopes, table) == {legacy_api.PARTIAL}:
                used.add(id(call.args[0]))
    return [node for node in found if id(node) not in used]


def bound_by_the_module(name: ast.Name, scopes: Scopes, indexed: bool) -> bool:
    """Whether only the module's own assignments, loops, parameters and the like bind a name
    where it is read: not an import, not nothing (a builtin), and not a `def` or a `class`
    unless the callee indexes what it holds (`Factory.models[depth]`)."""
    bindings = scopes.bindings(name)
    return bool(bindings) and all(
        binding.kind in (Kind.OTHER, Kind.NONE)
        and (
            indexed
            or not (
                isinstance(binding.statement, _DEFINITIONS) and binding.statement.name == name.id
            )
        )
        for binding in bindings
    )
