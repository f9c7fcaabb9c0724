"""Builders used as values: a builder (or a model module imported by `importlib.import_module`)
that is stored, passed or bound rather than called where it stands. The full path follows some
of these to their calls; a call it cannot follow is reported where it passes what would be a
builder's legacy argument (rules/builder_call.py `plan_unfollowed_call`)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import cast

from migrate_weights.pipeline.parse import Nodes
from migrate_weights.pipeline.scopes import Scopes
from migrate_weights.rules import legacy_api
from migrate_weights.rules.names import Ambiguous, Kind, Resolved, resolve
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
    if isinstance(name, ast.JoinedStr):  # f"torchvision.models": a literal where it has no field
        parts = [part.value for part in name.values if isinstance(part, ast.Constant)]
        if len(parts) == len(name.values):
            name = ast.Constant("".join(map(str, parts)))
    if not isinstance(name, ast.Constant) or not isinstance(name.value, str):
        return ""
    return name.value if table.is_model_module(name.value) else None


def _namespace_looked_up(node: ast.expr, scopes: Scopes) -> ast.expr | None:
    """`models` in `getattr(models, name)` or `models.__dict__[name]`; None for anything else."""
    if isinstance(node, ast.Call) and _is_getattr(node) and node.args:
        assert isinstance(node.func, ast.Name)  # as _is_getattr checks
        if not scopes.bindings(node.func):
            return node.args[0]
    elif isinstance(node, ast.Subscript) and _is_namespace_lookup(node):
        return cast(ast.Attribute, node.value).value
    return None


def _looks_up_a_builder(node: ast.expr, scopes: Scopes, table: LegacyTable) -> bool:
    """`getattr(<model module>, name)` or `<model module>.__dict__[name]`."""
    namespace = _namespace_looked_up(node, scopes)
    if namespace is None:
        return False
    return any(map(table.is_model_module, qualified_names(namespace, scopes, table)))


def _names_of(scopes: Scopes, accepts: Callable[[str], bool]) -> set[str]:
    """The names that imports of what `accepts` accepts bind, anywhere in the module."""
    return {name for name, imported in scopes.imported.items() if any(map(accepts, imported))}


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
    # Only `getattr(...)` and `<name>.__dict__[...]` may look one up (_namespace_looked_up).
    lookups: list[ast.expr] = [call for call in calls if _is_getattr(call)]
    lookups += [node for node in nodes.of(ast.Subscript) if _is_namespace_lookup(node)]
    found += [
        lookup
        for lookup in lookups
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


PARAMETRIZE = "pytest.mark.parametrize"
PYTEST_PARAM = "pytest.param"
_CONTAINERS = (ast.List, ast.Tuple, ast.Set, ast.Dict)
_IMPORTS = (Kind.IMPORT, Kind.FALLBACK)


class HeldValues:
    """What a callee may hold, where the module shows every way it is bound: a name assigned
    (annotated, chained, either side of a conditional), a loop or comprehension variable over a
    literal container, a test's parameter given by `pytest.mark.parametrize`, an element of a
    literal container (`resnets[n]`) that a name or a class attribute holds
    (`self.factory[name]`), an attribute a class's methods assign (`self.arch = ...`), and a
    module that `import_module` imports (`zoo.resnet50`, `getattr(zoo, name)`)."""

    def __init__(self, nodes: Nodes, scopes: Scopes, table: LegacyTable) -> None:
        self.scopes = scopes
        self.table = table
        # `import_module("torchvision.models")` and the like, by where they start: the model
        # module each imports, or "" for one named at run time
        self.imports = run_time_imports(nodes, scopes, table)
        self._classes = nodes.of(ast.ClassDef)
        self._class_of = {  # methods -> their class
            id(statement): owner
            for owner in self._classes
            for statement in owner.body
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef))
        }
        self._class_attributes: dict[str, list[tuple[ast.ClassDef, ast.expr]]] = {}
        for owner in self._classes:
            for statement in owner.body:
                for name, value in _assigned(statement):
                    self._class_attributes.setdefault(name, []).append((owner, value))
        # `target.attribute = value` statements, by the attribute's name; attributes set or
        # deleted any other way (`del x.f`, `a.f, b = ...`) hold what is not known.
        self._attribute_stores: dict[str, list[tuple[ast.Attribute, ast.expr]]] = {}
        assigned: set[int] = set()
        pairs = [(t, a.value) for a in nodes.of(ast.Assign) for t in a.targets]
        pairs += [(a.target, a.value) for a in nodes.of(ast.AnnAssign) if a.value is not None]
        for target, value in pairs:
            if isinstance(target, ast.Attribute):
                self._attribute_stores.setdefault(target.attr, []).append((target, value))
                assigned.add(id(target))
        self._unknown = {
            node.attr
            for node in nodes.of(ast.Attribute)
            if not isinstance(node.ctx, ast.Load) and id(node) not in assigned
        }
        self._following: set[tuple[str, int]] = set()
        # Names read in a comprehension that its loop binds, by id: what the loop goes over
        # (an inner comprehension's loop over an outer's of the same name, visited later)
        self._comprehended: dict[int, ast.expr] = {}
        comprehensions: list[ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp]
        comprehensions = [*nodes.of(ast.ListComp), *nodes.of(ast.SetComp)]
        comprehensions += [*nodes.of(ast.GeneratorExp), *nodes.of(ast.DictComp)]
        for comprehension in comprehensions:
            for generator in comprehension.generators:
                if isinstance(generator.target, ast.Name):
                    self._comprehended.update(
                        (id(node), generator.iter)
                        for node in ast.walk(comprehension)
                        if isinstance(node, ast.Name)
                        and node.id == generator.target.id
                        and node is not generator.target
                    )

    def held(self, callee: ast.expr) -> list[tuple[str, str] | None] | None:
        """For each value a callee may hold: ("builder", registered name), ("namespace", model
        module) for a builder looked up in one at run time, or None for anything else; None
        where one way it is bound is not followed."""
        values = self.values(callee)
        return None if values is None else [self._what(value) for value in values]

    def _what(self, value: ast.expr) -> tuple[str, str] | None:
        namespace = _namespace_looked_up(value, self.scopes)
        if namespace is None:
            builder = self.builder(value)
            return ("builder", builder) if builder else None
        module = self.module(namespace)
        return ("namespace", module) if module else None

    def values(self, node: ast.expr) -> list[ast.expr] | None:
        """The expressions `node` may evaluate to, none of them a name followed further; None
        where one way it is bound is not followed."""
        return self._followed(self._values, node)

    def _followed(
        self, follow: Callable[[ast.expr], list[ast.expr] | None], node: ast.expr
    ) -> list[ast.expr] | None:
        """`follow(node)`, or None where it is already being followed (`a = b` and `b = a`)."""
        key = (follow.__name__, id(node))
        if key in self._following:
            return None
        self._following.add(key)
        try:
            return follow(node)
        finally:
            self._following.discard(key)

    def _values(self, node: ast.expr) -> list[ast.expr] | None:
        if isinstance(node, ast.IfExp):
            return _joined(self.values(node.body), self.values(node.orelse))
        if isinstance(node, ast.Subscript) and not _is_namespace_lookup(node):
            return self.elements(node.value)
        if id(node) in self._comprehended:
            return self.elements(self._comprehended[id(node)])
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            held = self._attribute(node)
            if held is None:
                return [node]  # a name's attribute, read where it stands (`models.resnet50`)
            if any(isinstance(value, _CONTAINERS) for value in held):
                return None
            return _joined([], *map(self.values, held))
        if not isinstance(node, ast.Name):
            return [node]
        name, bindings = node.id, self.scopes.bindings(node)
        if not bindings or any(binding.kind in _IMPORTS for binding in bindings):
            return [node]  # a builtin, or an import: what it names, it names where it stands
        found: list[ast.expr] | None = []
        for binding in bindings:
            statement = binding.statement
            if binding.kind is Kind.NONE:
                continue  # calling None raises before any weights are loaded
            if isinstance(statement, (ast.For, ast.AsyncFor)) and _names(statement.target, name):
                found = _joined(found, self.elements(statement.iter))
            elif isinstance(statement, _DEFINITIONS) and statement.name == name:
                return None
            elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found = _joined(found, self._parametrized(statement, name))
            else:
                assigned = [value for bound, value in _assigned(statement) if bound == name]
                if not assigned or isinstance(assigned[0], _CONTAINERS):
                    return None
                found = _joined(found, self.values(assigned[0]))
        return found

    def elements(self, node: ast.expr) -> list[ast.expr] | None:
        """The elements of the literal containers `node` may be."""
        return self._followed(self._elements, node)

    def _elements(self, node: ast.expr) -> list[ast.expr] | None:
        if isinstance(node, ast.IfExp):
            return _joined(self.elements(node.body), self.elements(node.orelse))
        if isinstance(node, ast.Dict):
            return None if None in node.keys else _joined([], *map(self.values, node.values))
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            if any(isinstance(element, ast.Starred) for element in node.elts):
                return None
            return _joined([], *map(self.values, node.elts))
        if isinstance(node, ast.Attribute):
            held = self._attribute(node)
            return None if held is None else _joined([], *map(self.elements, held))
        if not isinstance(node, ast.Name) or not self.scopes.bindings(node):
            return None
        found: list[ast.expr] | None = []
        for binding in self.scopes.bindings(node):
            assigned = [value for name, value in _assigned(binding.statement) if name == node.id]
            if binding.kind is not Kind.OTHER or not assigned:
                return None
            found = _joined(found, self.elements(assigned[0]))
        return found

    def module(self, node: ast.expr) -> str | None:
        """The model module `node` stands for: imported, or imported by `import_module`."""
        if isinstance(node, ast.Call):
            return self.imports.get((node.lineno, node.col_offset)) or None
        imported = self._resolved(node)
        if imported is not None:
            return imported if self.table.is_model_module(imported) else None
        root, attributes = _root(node)
        values = self.values(root) if isinstance(root, ast.Name) else None
        modules = {self.module(value) if value is not root else None for value in values or []}
        if len(modules) != 1 or None in modules:
            return None
        module = f"{modules.pop()}{attributes}"
        return module if self.table.is_model_module(module) else None

    def builder(self, node: ast.expr) -> str | None:
        """The builder `node` names, by import or in a module `import_module` imports."""
        name = self._resolved(node)
        if name is None and isinstance(node, ast.Attribute):
            module = self.module(node.value)
            name = f"{module}.{node.attr}" if module else None
        return self.table.builder_name_at(name) if name else None

    def _resolved(self, node: ast.expr) -> str | None:
        """What `a.b.c` stands for, where `a` is bound by imports of one object only."""
        root, attributes = _root(node)
        if not isinstance(root, ast.Name):
            return None
        resolution = resolve(root.id, self.scopes.bindings(root), self.table.identity)
        return resolution.qualified + attributes if isinstance(resolution, Resolved) else None

    def _attribute(self, node: ast.Attribute) -> list[ast.expr] | None:
        """What `Owner.factory`, or `self.factory` in a method of `Owner`, may hold: where the
        body of `Owner` binds it once and nothing sets it; through `self`, what the bodies of
        `Owner` and its subclasses in the module bind, and what `self.factory = ...` in their
        methods assigns, where nothing else sets it."""
        if node.attr in self._unknown or not isinstance(node.value, ast.Name):
            return None
        owner = self._owner(node.value)
        stores = self._attribute_stores.get(node.attr, [])
        bound = self._class_attributes.get(node.attr, [])
        if isinstance(owner, ast.ClassDef):  # through the class
            own = [value for binder, value in bound if binder is owner]
            return own if len(own) == 1 and not stores else None
        if owner is None:
            return None
        binders = self._subclasses(owner[0])
        values = [value for binder, value in bound if any(binder is b for b in binders)]
        for target, value in stores:
            by = self._owner(target.value) if isinstance(target.value, ast.Name) else None
            if not isinstance(by, tuple) or not any(by[0] is b for b in binders):
                return None
            values.append(value)
        return values or None

    def assigns_a_builder(self, attribute: str) -> bool:
        """Whether the module gives an attribute of this name what may be a builder, in a class
        body or by `target.attribute = ...`."""
        bound = [value for _, value in self._class_attributes.get(attribute, [])]
        bound += [value for _, value in self._attribute_stores.get(attribute, [])]
        return any(self._what(held) for value in bound for held in self.values(value) or [])

    def _owner(self, name: ast.Name) -> ast.ClassDef | tuple[ast.ClassDef] | None:
        """The class a name stands for, or, as a 1-tuple, the class whose method has it as its
        first parameter (`self`, `cls`)."""
        bindings = self.scopes.bindings(name)
        statement = bindings[0].statement if len(bindings) == 1 else None
        if isinstance(statement, ast.ClassDef) and statement.name == name.id:
            return statement
        if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        parameters = [*statement.args.posonlyargs, *statement.args.args]
        if not parameters or parameters[0].arg != name.id:
            return None
        if any(_imported_as(d, self.scopes) == "staticmethod" for d in statement.decorator_list):
            return None
        owner = self._class_of.get(id(statement))
        return (owner,) if owner else None

    def _subclasses(self, owner: ast.ClassDef) -> list[ast.ClassDef]:
        """`owner` and the classes of the module that derive from it, by the names of bases."""
        found, names, grown = [owner], {owner.name}, True
        while grown:
            grown = False
            for other in self._classes:
                bases = {
                    base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
                    for base in other.bases
                }
                if other.name not in names and bases & names:
                    found.append(other)
                    names.add(other.name)
                    grown = True
        return found

    def _parametrized(
        self, function: ast.FunctionDef | ast.AsyncFunctionDef, name: str
    ) -> list[ast.expr] | None:
        """The values `pytest.mark.parametrize` gives a test's parameter."""
        for decorator in function.decorator_list:
            if not isinstance(decorator, ast.Call):
                continue
            if _imported_as(decorator.func, self.scopes) != PARAMETRIZE:
                continue
            given = dict(zip(("argnames", "argvalues"), decorator.args))
            given.update((k.arg, k.value) for k in decorator.keywords if k.arg)
            names = _parameter_names(given.get("argnames"))
            if names is None or name not in names:
                continue
            argvalues = given.get("argvalues")
            if "indirect" in given or not isinstance(argvalues, (ast.List, ast.Tuple)):
                return None
            index, found = names.index(name), []
            for element in argvalues.elts:
                if _imported_as(getattr(element, "func", element), self.scopes) == PYTEST_PARAM:
                    element = ast.Tuple(elts=cast(ast.Call, element).args)
                elif len(names) == 1:
                    element = ast.Tuple(elts=[element])
                if not isinstance(element, (ast.Tuple, ast.List)) or len(element.elts) != len(
                    names
                ):
                    return None
                if any(isinstance(value, ast.Starred) for value in element.elts):
                    return None
                found.append(element.elts[index])
            return _joined([], *map(self.values, found))
        return None


def _is_getattr(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Name) and call.func.id == "getattr"


def _is_namespace_lookup(node: ast.Subscript) -> bool:
    """`<namespace>.__dict__[name]`."""
    return isinstance(node.value, ast.Attribute) and node.value.attr == "__dict__"


def _joined(*parts: list[ast.expr] | None) -> list[ast.expr] | None:
    if any(part is None for part in parts):
        return None
    return [value for part in parts for value in cast("list[ast.expr]", part)]


def _names(target: ast.expr, name: str) -> bool:
    return isinstance(target, ast.Name) and target.id == name


def _assigned(statement: ast.stmt) -> list[tuple[str, ast.expr]]:
    """(name, value) for each plain name an assignment statement binds to its value."""
    if isinstance(statement, ast.Assign):
        targets = statement.targets
        if all(isinstance(target, ast.Name) for target in targets):
            return [(cast(ast.Name, target).id, statement.value) for target in targets]
    if isinstance(statement, ast.AnnAssign) and statement.value is not None:
        if isinstance(statement.target, ast.Name):
            return [(statement.target.id, statement.value)]
    return []


def _imported_as(node: ast.expr, scopes: Scopes) -> str | None:
    """What `a.b.c` stands for where `a` is only ever bound by imports of one name (any module:
    `pytest` too), or is a builtin."""
    root, attributes = _root(node)
    if not isinstance(root, ast.Name):
        return None
    bindings = scopes.bindings(root)
    qualified = {binding.qualified if binding.kind is Kind.IMPORT else None for binding in bindings}
    if not bindings:
        return root.id + attributes
    return (
        f"{qualified.pop()}{attributes}" if len(qualified) == 1 and None not in qualified else None
    )


def _parameter_names(node: ast.expr | None) -> list[str] | None:
    """`"builder"`, `"name, builder"` or `("name", "builder")` as names."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [name.strip() for name in node.value.split(",") if name.strip()]
    if isinstance(node, (ast.List, ast.Tuple)):
        names = [element.value for element in node.elts if isinstance(element, ast.Constant)]
        strings = [name for name in names if isinstance(name, str)]
        return strings if len(strings) == len(node.elts) else None
    return None
