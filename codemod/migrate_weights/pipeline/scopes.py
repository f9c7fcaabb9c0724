"""Which bindings reach a name where it is used, by Python's scoping rules, read from its syntax
tree in one walk: function, lambda, class and comprehension scopes, `global` and `nonlocal`, class
bodies that the functions inside them do not see. Flow is not followed: a name is bound by every
binding of it in the scope it resolves in. Both paths resolve names here.

Most names the rules ask about need no walk: a name the module binds nowhere is bound nowhere
wherever it is read, and one it binds once, by an import among its top-level statements, is
that import wherever it is read. Such names are answered from the module's nodes, which Python's
parse lists by type; the walk is made on the first question about any other name."""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import ClassVar, cast

from migrate_weights.pipeline.parse import Nodes, Parsed
from migrate_weights.rules.names import Binding, Kind

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError"})
_TRY_STAR = tuple(getattr(ast, kind) for kind in ("TryStar",) if hasattr(ast, kind))  # 3.11 on


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


@dataclass(eq=False)
class Scope:
    kind: type[ast.AST]  # ast.Module, ast.ClassDef, a function's or a comprehension's class
    parent: Scope | None
    bindings: dict[str, list[Binding[ast.stmt]]] = field(default_factory=dict)
    declared_global: set[str] = field(default_factory=set)
    declared_nonlocal: set[str] = field(default_factory=set)

    def sees_from_inside(self) -> bool:
        """Whether scopes nested in this one see its names (a class body's they do not)."""
        return self.kind is not ast.ClassDef


class Scopes:
    """The bindings that may reach each name read in a module."""

    def __init__(
        self, module: Parsed, star_exports: Mapping[str, Mapping[str, str]] | None = None
    ) -> None:
        """`star_exports`: module -> what `from module import *` binds that matters (name ->
        qualified name); other star imports bind nothing known."""
        self._tree, self._star_exports = module.tree, star_exports
        self._walk: Walk | None = None
        self._counted = _Counted.of(module) if not _has_star_imports(module.nodes) else None

    def walked(self) -> Walk:
        """The walk of the module's scopes, made once."""
        if self._walk is None:
            self._walk = Walk(self._tree, self._star_exports)
        return self._walk

    def bindings(self, name: ast.Name) -> list[Binding[ast.stmt]]:
        """The bindings that may reach `name` (read where it stands); none for a builtin or a
        name the module never binds."""
        known = self._known(name.id)
        return self.walked().bindings(name) if known is None else known

    def visible(self, name: str, at: ast.Name) -> set[str]:
        """What `name` may stand for where `at` is read: the qualified name of each import that
        binds it there, the name itself for any other binding."""
        known = self._known(name)
        if known is None:
            return self.walked().visible(name, at)
        return {binding.qualified or name for binding in known}

    def alike_everywhere(self, name: str) -> bool:
        """Whether the same bindings reach `name` wherever it is read, as the count tells."""
        return self._known(name) is not None

    def _known(self, name: str) -> list[Binding[ast.stmt]] | None:
        """The bindings that reach `name` wherever it is read, where the count of the module's
        bindings tells (None where it does not)."""
        if self._counted is None:
            return None
        if name in self._counted.once:
            return [self._counted.once[name]]
        return None if name in self._counted.bound else []

    @property
    def bound(self) -> set[str]:
        """Every name the module binds, in any scope."""
        return self._counted.bound if self._counted else set(self.walked().everywhere)

    @property
    def imported(self) -> dict[str, list[str]]:
        """What the imports binding each name, anywhere, import ("" for a fallback's other
        binding)."""
        if self._counted and self._counted.imported is not None:
            return self._counted.imported
        return self.walked().imported

    @property
    def everywhere(self) -> dict[str, list[Binding[ast.stmt]]]:
        """Each name's bindings, in any scope."""
        return self.walked().everywhere


def _has_star_imports(nodes: Nodes) -> bool:
    return any(alias.name == "*" for s in nodes.of(ast.ImportFrom) for alias in s.names)


@dataclass
class _Counted:
    """What a count of a module's bindings (no star import among them) tells."""

    bound: set[str]  # every name bound, in any scope
    once: dict[str, Binding[ast.stmt]]  # names bound once, by an import among the top statements
    imported: dict[str, list[str]] | None  # as Walk's; None where ImportError is caught

    @classmethod
    def of(cls, module: Parsed) -> _Counted:
        nodes = module.nodes
        counts = Counter(n.id for n in nodes.of(ast.Name) if type(n.ctx) is not ast.Load)
        counts.update(argument.arg for argument in nodes.of(ast.arg))
        definitions: list[ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef] = []
        definitions += nodes.of(ast.FunctionDef) + nodes.of(ast.AsyncFunctionDef)
        counts.update(definition.name for definition in definitions + nodes.of(ast.ClassDef))
        handlers = nodes.of(ast.ExceptHandler)
        counts.update(handler.name for handler in handlers if handler.name)
        counts.update(name for kind in _PATTERNS for n in nodes.of(kind) for name in _bound_by(n))
        imports: list[ast.Import | ast.ImportFrom] = [*nodes.of(ast.Import)]
        imports += nodes.of(ast.ImportFrom)
        imports.sort(key=lambda statement: (statement.lineno, statement.col_offset))
        bindings = [(s, name, qualified) for s in imports for name, qualified in imported_names(s)]
        imported: dict[str, list[str]] = {}
        for _, name, qualified in bindings:
            counts[name] += 1
            imported.setdefault(name, []).append(qualified)
        top_level = {id(statement) for statement in module.tree.body}
        once = {
            name: _binding(Kind.IMPORT, qualified, statement, top_level=True)
            for statement, name, qualified in bindings
            if id(statement) in top_level and counts[name] == 1
        }
        catches = any(_catches_import_error(handler.type) for handler in handlers)
        return cls(set(counts), once, None if catches else imported)


def _binding(
    kind: Kind,
    qualified: str | None,
    statement: ast.stmt,
    top_level: bool,
    declared: bool = False,
    in_class_body: bool = False,
    star: bool = False,
) -> Binding[ast.stmt]:
    from_module = None
    if isinstance(statement, ast.ImportFrom) and not statement.level:
        from_module = statement.module
    return Binding(
        kind, qualified, statement, from_module, top_level, declared, in_class_body, star
    )


class Walk:
    """The scopes of a module, and the scope each name that is read sits in."""

    _visits: ClassVar[dict[type[ast.AST], Callable[..., None]]]  # by the node's type

    def __init__(
        self, tree: ast.Module, star_exports: Mapping[str, Mapping[str, str]] | None = None
    ) -> None:
        """`star_exports`: module -> what `from module import *` binds that matters (name ->
        qualified name); other star imports bind nothing known."""
        self.star_exports = star_exports or {}
        self.module = Scope(ast.Module, None)
        self._scope_of: dict[int, Scope] = {}  # id of a Name read -> its scope
        self.everywhere: dict[str, list[Binding[ast.stmt]]] = {}  # a name's bindings, any scope
        # What the imports binding each name, anywhere, import ("" for a fallback's other binding)
        self.imported: dict[str, list[str]] = {}
        self._statement: ast.stmt = ast.Pass()
        self._fallback = False  # within an `except ImportError` handler
        self._top_level: set[int] = {id(statement) for statement in tree.body}
        for statement in tree.body:
            self._visit(statement, self.module)

    def bindings(self, name: ast.Name) -> list[Binding[ast.stmt]]:
        """The bindings that may reach `name` (read where it stands); none for a builtin or a
        name the module never binds."""
        scope = self._scope_of.get(id(name), self.module)
        return self.resolved(name.id, scope)

    def visible(self, name: str, at: ast.Name) -> set[str]:
        """What `name` may stand for where `at` is read: the qualified name of each import that
        binds it there, the name itself for any other binding."""
        found = self.resolved(name, self._scope_of.get(id(at), self.module))
        return {binding.qualified or name for binding in found}

    def resolved(self, name: str, scope: Scope) -> list[Binding[ast.stmt]]:
        return _without_shadowed_stars(self._resolved(name, scope))

    def _resolved(self, name: str, scope: Scope) -> list[Binding[ast.stmt]]:
        if name in scope.declared_global:
            return self.module.bindings.get(name, [])
        if name in scope.bindings and name not in scope.declared_nonlocal:
            return scope.bindings[name]
        enclosing = scope.parent
        while enclosing is not None:
            if enclosing.sees_from_inside() or enclosing is self.module:
                if name in enclosing.declared_global:
                    return self.module.bindings.get(name, [])
                if name in enclosing.bindings and name not in enclosing.declared_nonlocal:
                    return enclosing.bindings[name]
            enclosing = enclosing.parent
        return []

    def _bind(
        self, scope: Scope, name: str, kind: Kind, qualified: str | None = None, star: bool = False
    ) -> None:
        declared_in = scope
        if name in scope.declared_global:
            declared_in = self.module
        elif name in scope.declared_nonlocal:  # the nearest enclosing function's name
            declared_in = scope.parent or self.module
            while declared_in.parent and declared_in.kind not in _FUNCTIONS:
                declared_in = declared_in.parent
        if kind is not Kind.NONE and self._fallback:
            kind = Kind.FALLBACK
        statement = self._statement
        binding = _binding(
            kind,
            qualified,
            statement,
            top_level=id(statement) in self._top_level,
            declared=declared_in is not scope,
            in_class_body=scope.kind is ast.ClassDef,
            star=star,
        )
        declared_in.bindings.setdefault(name, []).append(binding)
        self.everywhere.setdefault(name, []).append(binding)
        if kind in (Kind.IMPORT, Kind.FALLBACK):
            self.imported.setdefault(name, []).append(qualified or "")

    def _visit(self, node: ast.AST, scope: Scope) -> None:
        if isinstance(node, ast.stmt):
            self._statement = node
        visit = self._visits.get(type(node), Walk._visit_children)
        visit(self, node, scope)

    def _visit_children(self, node: ast.AST, scope: Scope) -> None:
        if type(node) in _PATTERNS:
            for name in _bound_by(node):
                self._bind(scope, name, Kind.OTHER)
        for attribute in node._fields:  # ast.iter_child_nodes, inlined: most of the walk
            value = getattr(node, attribute, None)
            for child in value if type(value) is list else (value,):
                kind = type(child)
                if kind is ast.Name and type(cast(ast.Name, child).ctx) is ast.Load:  # most nodes
                    self._scope_of[id(child)] = scope
                elif kind not in _BINDING_NOTHING and isinstance(child, ast.AST):
                    self._visit(child, scope)

    def _visit_name(self, node: ast.Name, scope: Scope) -> None:
        if isinstance(node.ctx, ast.Load):
            self._scope_of[id(node)] = scope
        else:
            self._bind(scope, node.id, Kind.OTHER)

    def _visit_import(self, node: ast.Import | ast.ImportFrom, scope: Scope) -> None:
        for name, qualified in imported_names(node):
            if name != "*":
                self._bind(scope, name, Kind.IMPORT, qualified)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                for exported, what in self.star_exports.get(node.module, {}).items():
                    self._bind(scope, exported, Kind.IMPORT, what, star=True)

    def _visit_assign(self, node: ast.Assign, scope: Scope) -> None:
        if not _is_none(node.value):
            self._visit_children(node, scope)
            return
        for target in node.targets:
            if isinstance(target, ast.Name):
                self._bind(scope, target.id, Kind.NONE)
            else:
                self._visit(target, scope)

    def _visit_global(self, node: ast.Global, scope: Scope) -> None:
        scope.declared_global.update(node.names)

    def _visit_nonlocal(self, node: ast.Nonlocal, scope: Scope) -> None:
        scope.declared_nonlocal.update(node.names)

    def _visit_definition(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef, scope: Scope
    ) -> None:
        """Decorators, defaults, annotations and bases are read where the definition stands;
        the body in a scope of its own."""
        inner = Scope(type(node), scope)
        outside: list[ast.AST] = []
        if isinstance(node, ast.ClassDef):
            outside += [*node.decorator_list, *node.bases, *node.keywords]
        else:
            arguments = node.args
            outside += [*arguments.defaults, *(d for d in arguments.kw_defaults if d)]
            every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
            every += [a for a in (arguments.vararg, arguments.kwarg) if a]
            for argument in every:
                self._bind(inner, argument.arg, Kind.OTHER)
                outside += [argument.annotation] if argument.annotation else []
            if not isinstance(node, ast.Lambda):
                outside += [*node.decorator_list, *([node.returns] if node.returns else [])]
        for child in outside:
            self._visit(child, scope)
        if not isinstance(node, ast.Lambda):
            self._bind(scope, node.name, Kind.OTHER)
            for statement in node.body:
                self._visit(statement, inner)
        else:
            self._visit(node.body, inner)

    def _visit_comprehension(
        self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp, scope: Scope
    ) -> None:
        """The first iterable is read where the comprehension stands; the rest inside it."""
        inner = Scope(type(node), scope)
        for index, generator in enumerate(node.generators):
            self._visit(generator.iter, scope if index == 0 else inner)
            self._visit(generator.target, inner)
            for condition in generator.ifs:
                self._visit(condition, inner)
        parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        for part in parts:
            self._visit(part, inner)

    def _visit_try(self, node: ast.Try, scope: Scope) -> None:
        for statement in [*node.body, *node.orelse]:
            self._visit(statement, scope)
        for handler in node.handlers:
            outer = self._fallback
            self._fallback = outer or _catches_import_error(handler.type)
            if handler.type:
                self._visit(handler.type, scope)
            if handler.name:
                self._bind(scope, handler.name, Kind.OTHER)
            for statement in handler.body:
                self._visit(statement, scope)
            self._fallback = outer
        for statement in node.finalbody:
            self._visit(statement, scope)


# How each kind of node is visited; any other: its children.
Walk._visits = {
    ast.Name: Walk._visit_name,
    ast.Import: Walk._visit_import,
    ast.ImportFrom: Walk._visit_import,
    ast.Assign: Walk._visit_assign,
    ast.Global: Walk._visit_global,
    ast.Nonlocal: Walk._visit_nonlocal,
    **{kind: Walk._visit_definition for kind in (*_FUNCTIONS, ast.ClassDef)},
    **{kind: Walk._visit_comprehension for kind in _COMPREHENSIONS},
    ast.Try: Walk._visit_try,
    **{kind: Walk._visit_try for kind in _TRY_STAR},  # the same fields
}


def _without_shadowed_stars(bindings: list[Binding[ast.stmt]]) -> list[Binding[ast.stmt]]:
    """A name a star import binds and the module binds itself too is the module's: a function
    defined after `from torchvision.models import *` is what the name calls."""
    named = [binding for binding in bindings if not binding.star]
    return named or bindings


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _catches_import_error(caught: ast.expr | None) -> bool:
    names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
    return any(isinstance(name, ast.Name) and name.id in _IMPORT_ERRORS for name in names)


# Match statements' captures, from Python 3.10 on; 3.9 parses no match statement.
_CAPTURES = tuple(getattr(ast, kind) for kind in ("MatchAs", "MatchStar") if hasattr(ast, kind))
_MAPPING_PATTERNS = tuple(getattr(ast, kind) for kind in ("MatchMapping",) if hasattr(ast, kind))


_PATTERNS = frozenset(_CAPTURES + _MAPPING_PATTERNS)
# Nodes with nothing inside that binds or reads a name: contexts, operators, constants.
_BINDING_NOTHING = frozenset(
    {ast.Constant}.union(
        *(
            base.__subclasses__()
            for base in (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)
        )
    )
)


def _bound_by(node: ast.AST) -> Iterator[str]:
    """The names a match statement's pattern binds (not as a Name)."""
    if isinstance(node, (*_CAPTURES, *_MAPPING_PATTERNS)):
        # getattr: the match patterns' classes exist from Python 3.10 on
        name = getattr(node, "rest" if isinstance(node, _MAPPING_PATTERNS) else "name")
        if name:
            yield name
