"""The fast path: a file whose legacy calls are calls of builders (directly, through
torch.hub.load or functools.partial), named through imports at module level, is rewritten
without LibCST's parse of the whole module and its scope analysis, which cost about a hundred
times more. Python's own parser finds the calls and resolves their names; each call's own source
is parsed by LibCST, planned by the same rules, and put back in place of the old text; imports
are added as the full path adds them.

Anything this module does not model exactly returns None, and the file takes the full path: a
name bound more than once, an import of torch or torchvision inside a function, a star import,
calls nested in a rewritten call, the shapes the rules for model_urls and
torchvision.models.utils handle, builders looked up at run time, encodings other than plain
UTF-8, line endings other than LF. A test runs every fixture and generated modules through
both paths and requires the same result."""

from __future__ import annotations

import ast
import bisect
import io
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from codemod import table
from codemod.diagnostics import CallRewrite, Diagnostic
from codemod.prefilter import might_be_a_flag

# Roots of the names the rules act on; an import of these anywhere but at module level, or a
# name bound both to one of them and to something else, sends the file to the full path.
RULE_ROOTS = ("torchvision", "torch", "functools")
HUB_LOAD, PARTIAL = "torch.hub.load", "functools.partial"
REMOVED_MODULE = "torchvision.models.utils"


class _FullPath(Exception):
    """The file needs the full path."""


@dataclass
class _Edit:
    start: int  # byte offsets in the source
    end: int
    text: str


def _is_ours(qualified_name: str) -> bool:
    return qualified_name.split(".")[0] in RULE_ROOTS


_BINDING_NODES = frozenset(
    {
        ast.Name, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.arg, ast.ExceptHandler,
        ast.MatchAs, ast.MatchStar, ast.MatchMapping, ast.Global, ast.Nonlocal, ast.Import,
        ast.ImportFrom,
    }
)  # fmt: skip


def _bound_names(node: ast.AST) -> Iterator[str]:
    """Names `node` binds, other than by an import."""
    if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
        yield node.id
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield node.name
    elif isinstance(node, ast.arg):
        yield node.arg
    elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
        yield node.name
    elif isinstance(node, ast.MatchMapping) and node.rest:
        yield node.rest
    elif isinstance(node, (ast.Global, ast.Nonlocal)):
        yield from node.names


def _imported_names(node: ast.Import | ast.ImportFrom) -> Iterator[tuple[str, str]]:
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


def _module_level_imports(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports in the module's own scope, also inside `if`, `try`, `with`, `match` and loops."""
    for statement in body:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            yield statement
        elif not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for field in ("body", "orelse", "finalbody"):
                yield from _module_level_imports(getattr(statement, field, []))
            for clause in [*getattr(statement, "handlers", []), *getattr(statement, "cases", [])]:
                yield from _module_level_imports(clause.body)


class _Names:
    """What each name of the module is bound to: a qualified name for a module-level import,
    None for anything else."""

    def __init__(self, tree: ast.Module, nodes: list[ast.AST]) -> None:
        self.bindings: dict[str, set[str | None]] = {}
        module_level = set()
        for statement in _module_level_imports(tree.body):
            module_level.add(id(statement))
            for name, qualified in _imported_names(statement):
                self.bindings.setdefault(name, set()).add(qualified)
        for node in nodes:
            if type(node) not in _BINDING_NODES:
                continue
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
                    raise _FullPath
                if id(node) not in module_level:
                    if any(_is_ours(qualified) for _, qualified in _imported_names(node)):
                        raise _FullPath
                    for name, _ in _imported_names(node):
                        self.bindings.setdefault(name, set()).add(None)
            else:
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
        if len(found) != 1 or None in found:
            if any(qualified is not None and _is_ours(qualified) for qualified in found):
                raise _FullPath
            return None
        return ".".join([next(iter(found)), *reversed(attributes)])  # type: ignore[list-item]

    def visible(self, name: str) -> set[str]:
        found = self.bindings.get(name, set())
        if None in found:
            raise _FullPath  # bound in some scope: whether it is seen at the call needs scopes
        return found  # type: ignore[return-value]


class _Source:
    """Byte offsets and character columns of a module's source."""

    def __init__(self, source: bytes) -> None:
        self.source = source
        self.line_starts = [0]
        for line in source.splitlines(keepends=True):
            self.line_starts.append(self.line_starts[-1] + len(line))

    def offset(self, line: int, column: int) -> int:
        return self.line_starts[line - 1] + column

    def text(self, node: ast.AST) -> str:
        start = self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end = self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        return self.source[start:end].decode("utf-8")

    def indentation(self, node: ast.stmt) -> str:
        start = self.line_starts[node.lineno - 1]
        line = self.source[start : self.line_starts[node.lineno]]
        return line[: len(line) - len(line.lstrip(b" \t"))].decode("utf-8")

    def column(self, node: ast.AST) -> int:
        """1-based, in characters, as LibCST reports positions."""
        start = self.line_starts[node.lineno - 1]  # type: ignore[attr-defined]
        prefix = self.source[start : start + node.col_offset]  # type: ignore[attr-defined]
        return len(prefix.decode("utf-8")) + 1


def _may_need_a_plan(call: ast.Call, own_positionals: int) -> bool:
    """Whether the rules could change or report on a builder call (`own_positionals`: leading
    positional arguments that are not the builder's, as get_model's name): not when it passes
    only keywords that are no legacy name and hold no legacy flag, as code written for
    torchvision 0.13 and later does."""
    if len(call.args) > own_positionals or any(k.arg is None for k in call.keywords):
        return True
    legacy, new = table.parameter_names()
    for keyword in call.keywords:
        if keyword.arg in legacy:
            return True
        if keyword.arg in new and might_be_a_flag(keyword.value):
            return True
    return False


def _is_model_urls_dict(qualified_name: str | None) -> bool:
    return qualified_name is not None and table.model_urls_dict(qualified_name) is not None


def _builder_calls(
    source: bytes, names: _Names, nodes: list[ast.AST]
) -> list[tuple[ast.Call, str, str | None]]:
    """Calls a rule may act on, in source order: (call, what its callee resolves to, and for a
    partial, what its first argument resolves to). The full path for a file with a shape only
    the full path handles."""
    dicts = b"model_urls" in source  # the model_urls rule's dicts may be named
    found = []
    for node in nodes:
        kind = type(node)
        if kind is ast.Call:
            call: ast.Call = node  # type: ignore[assignment]
            callee = names.qualified(call.func)
            if callee is None:
                if isinstance(call.func, ast.Name) and call.func.id == "getattr" and call.args:
                    if (names.qualified(call.args[0]) or "").startswith("torchvision"):
                        raise _FullPath
            elif callee.startswith(REMOVED_MODULE):
                raise _FullPath
            elif callee == PARTIAL:
                inner = names.qualified(call.args[0]) if call.args else None
                if inner and (table.builder_name_at(inner) or table.is_get_model(inner)):
                    found.append((call, callee, inner))
            elif callee == HUB_LOAD:
                found.append((call, callee, None))
            elif table.builder_name_at(callee) and _may_need_a_plan(call, 0):
                found.append((call, callee, None))
            elif table.is_get_model(callee) and _may_need_a_plan(call, 1):
                found.append((call, callee, None))
        elif kind is ast.Attribute and node.attr in ("__dict__", "utils"):  # type: ignore[attr-defined]
            if (names.qualified(node.value) or "").startswith("torchvision"):  # type: ignore[attr-defined]
                raise _FullPath
        elif dicts and (kind is ast.Attribute or kind is ast.Name):
            if _is_model_urls_dict(names.qualified(node)):  # type: ignore[arg-type]
                raise _FullPath
        elif kind is ast.Import or kind is ast.ImportFrom:
            for _, qualified in _imported_names(node):  # type: ignore[arg-type]
                if qualified.startswith(REMOVED_MODULE) or dicts and _is_model_urls_dict(qualified):
                    raise _FullPath
    found.sort(key=lambda item: (item[0].lineno, item[0].col_offset))
    for (outer, *_), (inner_call, *_) in zip(found, found[1:]):
        if (inner_call.lineno, inner_call.col_offset) < (outer.end_lineno, outer.end_col_offset):
            raise _FullPath  # nested: the outer call's text changes with the inner one's
    return found


def _starts_its_line(body: list[ast.stmt], index: int) -> bool:
    return index == 0 or body[index].lineno > (body[index - 1].end_lineno or 0)


def _alone_on_its_lines(body: list[ast.stmt], index: int) -> bool:
    return _starts_its_line(body, index) and (
        index + 1 == len(body) or _starts_its_line(body, index + 1)
    )


def _is_module_heading(tree: ast.Module, text: _Source) -> bool:
    """A docstring or `__strict__ = ...` first, on its own line: new imports go after it."""
    import libcst as cst

    first = tree.body[0]
    if not _alone_on_its_lines(tree.body, 0):
        return False
    if isinstance(first, ast.Expr):
        return isinstance(cst.parse_expression(text.text(first.value)), cst.SimpleString)
    if isinstance(first, ast.Assign) and len(first.targets) == 1:
        target = first.targets[0]
        return isinstance(target, ast.Name) and target.id == "__strict__"
    return False


def _start_line(statement: ast.stmt) -> int:
    decorators = getattr(statement, "decorator_list", [])
    return min([statement.lineno, *(decorator.lineno for decorator in decorators)])


def _new_imports(tree: ast.Module, text: _Source, wanted: dict[str, str]) -> _Edit:
    """`from module import A, B` statements after the imports that open the module, placed and
    spaced as AddImportsVisitor does on the full path."""
    body = tree.body
    first = 1 if body and _is_module_heading(tree, text) else 0
    end = first
    while end < len(body) and isinstance(body[end], (ast.Import, ast.ImportFrom)):
        if not _alone_on_its_lines(body, end):
            break
        end += 1
    if end == first or body[end - 1].end_lineno == len(text.line_starts) - 1:
        raise _FullPath  # no opening imports, or they end the file
    position = text.line_starts[body[end - 1].end_lineno]  # type: ignore[index]
    modules: dict[str, list[str]] = {}
    for name, module in wanted.items():
        modules.setdefault(module, []).append(name)
    statements = "".join(
        f"from {module} import {', '.join(sorted(modules[module]))}\n" for module in sorted(modules)
    )
    if end < len(body):
        leading = text.source[position : text.line_starts[_start_line(body[end]) - 1]]
        if not leading or leading.lstrip(b" \t").startswith(b"#"):
            statements += "\n"
    return _Edit(position, position, statements)


def _import_edits(tree: ast.Module, text: _Source, wanted: dict[str, str]) -> list[_Edit]:
    """Needed names appended to the first top-level `from module import ...` of their module,
    as the full path does; new statements for the others."""
    import libcst as cst

    from codemod.arguments import source
    from codemod.imports import append_names

    wanted = dict(wanted)
    edits = []
    for index, statement in enumerate(tree.body):
        if not isinstance(statement, ast.ImportFrom) or statement.level:
            continue
        if not _starts_its_line(tree.body, index) or statement.names[0].name == "*":
            continue
        names = [name for name, module in wanted.items() if module == statement.module]
        if not names:
            continue
        node = cst.parse_statement(text.text(statement) + "\n").body[0]  # type: ignore[attr-defined]
        start = text.offset(statement.lineno, statement.col_offset)
        end = text.offset(statement.end_lineno, statement.end_col_offset)  # type: ignore[arg-type]
        edits.append(_Edit(start, end, source(append_names(node, names))))
        for name in names:
            del wanted[name]
    if wanted:
        edits.append(_new_imports(tree, text, wanted))
    return edits


class _Statements:
    """The module's statements, to find the one that holds a call."""

    def __init__(self, nodes: list[ast.AST]) -> None:
        statements = [node for node in nodes if isinstance(node, ast.stmt)]
        statements.sort(key=lambda statement: (_start_line(statement), statement.col_offset))
        self.statements = statements
        self.starts = [(_start_line(s), s.col_offset) for s in statements]

    def holding(self, call: ast.Call) -> ast.stmt:
        """The innermost statement that holds the call: the nearest one starting before it
        that also ends after it."""
        end = (call.end_lineno, call.end_col_offset)
        index = bisect.bisect_right(self.starts, (call.lineno, call.col_offset))
        for statement in reversed(self.statements[:index]):
            if (statement.end_lineno, statement.end_col_offset) >= end:
                return statement
        raise _FullPath


class _ParsedCall:
    """A call's own source, parsed by LibCST. The full path prints a call's line breaks relative
    to its statement's indentation; for a call over several lines in an indented block, so does
    this, by parsing it in a block of that indentation."""

    def __init__(self, segment: str, indentation: str) -> None:
        import libcst as cst

        self.module: cst.Module | None = None
        if not indentation or "\n" not in segment:
            self.call = cst.parse_expression(segment)
        else:
            self.prefix = f"if 1:\n{indentation}_ = "
            self.module = cst.parse_module(f"{self.prefix}{segment}\n")
            block = self.module.body[0].body  # type: ignore[attr-defined]
            self.call = block.body[0].body[0].value
        if not isinstance(self.call, cst.Call):
            raise _FullPath

    def in_place(self, migrated: Any, printed: str) -> str:
        """The migrated call where the call stands (`printed`: as the full path prints it)."""
        if self.module is None:
            return printed
        return self.module.deep_replace(self.call, migrated).code[len(self.prefix) : -1]  # type: ignore[union-attr]


def _rewrite(
    source: bytes, tree: ast.Module, nodes: list[ast.AST], style: str
) -> tuple[bytes, list[Diagnostic], list[CallRewrite]]:
    names = _Names(tree, nodes)
    calls = _builder_calls(source, names, nodes)
    if not calls:
        return source, [], []

    import libcst as cst

    from codemod.legacy_call import plan_named_call
    from codemod.references import EnumReferences
    from codemod.targets import find_target, settle

    text = _Source(source)
    bound_anywhere = {name for name, found in names.bindings.items() if found}
    references = EnumReferences(style, bound_anywhere)
    edits, diagnostics, rewrites = [], [], []
    statements = _Statements(nodes)
    for node, callee, inner_callee in calls:
        try:
            parsed = _ParsedCall(text.text(node), text.indentation(statements.holding(node)))
        except cst.ParserSyntaxError as error:
            raise _FullPath from error
        call = parsed.call

        def plan_call(builder_call: Any, func: Any) -> Any:
            qualified = callee if func is call.func else inner_callee  # noqa: B023
            if qualified is None:
                return None
            return plan_named_call(
                {qualified},
                builder_call.args,
                lambda name: references.maker(func, name, names.visible),
            )

        references.begin_edit()
        target = find_target(call, call, {callee}, plan_call)
        if target is None:
            continue
        settled = settle(target, call, node.lineno, text.column(node))
        diagnostics += settled.diagnostics
        if settled.migrated is None:
            continue
        references.keep_edit()
        if settled.rewrite:
            rewrites.append(settled.rewrite)
        start = text.offset(node.lineno, node.col_offset)
        end = text.offset(node.end_lineno, node.end_col_offset)  # type: ignore[arg-type]
        edits.append(_Edit(start, end, parsed.in_place(settled.migrated, settled.printed)))
    edits += _import_edits(tree, text, references.imported)
    edits.sort(key=lambda edit: (edit.start, edit.end))
    pieces, position = [], 0
    for edit in edits:
        pieces += [source[position : edit.start], edit.text.encode("utf-8")]
        position = edit.end
    pieces.append(source[position:])
    diagnostics.sort(key=lambda d: (d.line, d.column))
    return b"".join(pieces), diagnostics, rewrites


def rewrite(
    source: bytes, tree: ast.Module, nodes: list[ast.AST], style: str
) -> tuple[bytes, list[Diagnostic], list[CallRewrite]] | None:
    """(new source, findings, rewrites) for a module (its syntax tree and the tree's nodes), or
    None when it needs the full path."""
    if b"\r" in source or b"\f" in source:
        return None
    try:
        if tokenize.detect_encoding(io.BytesIO(source).readline)[0] != "utf-8":
            return None  # a BOM ("utf-8-sig") or another encoding
        return _rewrite(source, tree, nodes, style)
    except (_FullPath, UnicodeDecodeError, SyntaxError):
        return None
