"""The fast path: a file that uses the legacy API through names imported at module level
(builder calls, directly or through torch.hub.load or functools.partial; model_urls lookups;
torchvision.models.utils) is rewritten without LibCST's parse of the whole module and its scope
analysis, which cost about a hundred times more. Python's own parser finds the sites and
resolves their names; a builder call (directly, through torch.hub.load or a partial) is planned
by the same rules on its own text (codemod/migrate_weights/syntax/text.py) and put back in place of the old text,
or, where its text holds what that does not read, parsed by LibCST and planned on the nodes (the
only use of LibCST here, imported then); lookups and imports of removed API are edited as text;
imports are added and removed as the full path adds and removes them.

Anything this module does not model exactly returns None, and the file takes the full path: a
name bound more than once, an import of torch or torchvision inside a function, a star import,
sites nested in one another, a model_urls dict used other than by a lookup with a known literal
key, a torchvision.models.utils import of another form, an import statement removed where
LibCST would move the lines around it, builders looked up at run time, encodings other than
plain UTF-8, line endings other than LF. A test runs every fixture and generated modules
through both paths and requires the same result."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from migrate_weights.fast_path import imports as import_text
from migrate_weights.rules import model_urls as removed_api
from migrate_weights.tables import table
from migrate_weights.syntax.arguments import folded
from migrate_weights.syntax.text import is_one_string
from migrate_weights.diagnostics import CallRewrite, Code, Diagnostic
from migrate_weights.pipeline.screen import REMOVED_NAMES, Nodes, blocks, might_be_a_flag, start_line
from migrate_weights.pipeline.safety import Replacement, line_starts

# Roots of the names the rules act on; an import of these anywhere but at module level, or a
# name bound both to one of them and to something else, sends the file to the full path.
RULE_ROOTS = ("torchvision", "torch", "functools")
HUB_LOAD, PARTIAL = "torch.hub.load", "functools.partial"
UTILS_FUNCTION = f"{removed_api.MODULE}.{removed_api.FUNCTION}"
# The shapes of lookups and imports edited here as text; others (a key with spaces, an import
# over several lines or with a comment) take the full path.
_LOOKUP = re.compile(r"[\w.]+\[(\"[^\"\\\n]*\"|'[^'\\\n]*')\]")
_PATH = re.compile(r"[\w.]+")
_UTILS_FROM = re.compile(r"(from[ \t]+)torchvision\.models\.utils([ \t]+import[ \t][\w \t,]*)")
_UTILS_AS = re.compile(r"(import[ \t]+)torchvision\.models\.utils([ \t]+as[ \t]+\w+)")


class _FullPath(Exception):
    """The file needs the full path."""


@dataclass
class _Edit:
    start: int  # byte offsets in the source
    end: int
    text: str


def _is_ours(qualified_name: str) -> bool:
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
    elif isinstance(node, (ast.ExceptHandler, *_CAPTURES)) and node.name:
        yield node.name
    elif isinstance(node, _MAPPING_PATTERNS) and node.rest:
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
            for block in blocks(statement):
                yield from _module_level_imports(block)


class _Names:
    """What each name of the module is bound to: a qualified name for a module-level import,
    None for anything else."""

    def __init__(self, tree: ast.Module, nodes: Nodes) -> None:
        self.bindings: dict[str, set[str | None]] = {}
        module_level = set()
        for statement in _module_level_imports(tree.body):
            module_level.add(id(statement))
            for name, qualified in _imported_names(statement):
                self.bindings.setdefault(name, set()).add(qualified)
        for node in nodes.get(ast.Name, []):
            if type(node.ctx) is not ast.Load:  # type: ignore[attr-defined]
                self.bindings.setdefault(node.id, set()).add(None)  # type: ignore[attr-defined]
        for kind in (ast.Import, ast.ImportFrom):
            for statement in nodes.get(kind, []):  # type: ignore[assignment]
                if isinstance(statement, ast.ImportFrom) and any(
                    alias.name == "*" for alias in statement.names
                ):
                    raise _FullPath
                if id(statement) not in module_level:
                    if any(_is_ours(qualified) for _, qualified in _imported_names(statement)):
                        raise _FullPath
                    for name, _ in _imported_names(statement):
                        self.bindings.setdefault(name, set()).add(None)
        for kind in _BINDING_NODES:
            for node in nodes.get(kind, []):
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
        self.line_starts = line_starts(source)

    def offset(self, line: int, column: int) -> int:
        return self.line_starts[line - 1] + column

    def span(self, node: ast.AST) -> tuple[int, int]:
        start = self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        return start, self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]

    def text(self, node: ast.AST) -> str:
        start, end = self.span(node)
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


@dataclass
class _Survey:
    """What the rules may act on, found by Python's parser."""

    # (call, what its callee resolves to, and for a partial, what its first argument does)
    calls: list[tuple[ast.Call, str, str | None]] = field(default_factory=list)
    # `model_urls[key]`: (the lookup, the dict's name where it is used, the dict it is)
    lookups: list[tuple[ast.Subscript, str, str]] = field(default_factory=list)
    utils_paths: list[ast.Attribute] = field(default_factory=list)  # torchvision.models.utils.f
    utils_imports: list[ast.Import | ast.ImportFrom] = field(default_factory=list)
    dict_imports: list[ast.ImportFrom] = field(default_factory=list)  # of a model_urls dict

    def sites(self) -> list[ast.expr]:
        """The expressions that may be edited, in source order; the full path if one holds
        another (the outer one's text would change with the inner one's)."""
        found = [node for node, *_ in self.calls + self.lookups] + self.utils_paths  # type: ignore[operator]
        found.sort(key=lambda node: (node.lineno, node.col_offset))
        for outer, inner in zip(found, found[1:]):
            if (inner.lineno, inner.col_offset) < (outer.end_lineno, outer.end_col_offset):
                raise _FullPath
        return found


def _survey(source: bytes, names: _Names, nodes: Nodes) -> _Survey:
    """The full path for a file with a shape only the full path handles."""
    dicts = b"model_urls" in source  # the model_urls rule's dicts may be named
    survey = _Survey()
    calls: list[ast.Call] = nodes.get(ast.Call, [])  # type: ignore[assignment]
    for call in calls:
        callee = names.qualified(call.func)
        if callee is None:
            if isinstance(call.func, ast.Name) and call.func.id == "getattr" and call.args:
                if (names.qualified(call.args[0]) or "").startswith("torchvision"):
                    raise _FullPath
        elif callee == PARTIAL:
            inner = names.qualified(call.args[0]) if call.args else None
            if inner and (table.builder_name_at(inner) or table.is_get_model(inner)):
                survey.calls.append((call, callee, inner))
        elif callee == HUB_LOAD:
            survey.calls.append((call, callee, None))
        elif table.builder_name_at(callee) and _may_need_a_plan(call, 0):
            survey.calls.append((call, callee, None))
        elif table.is_get_model(callee) and _may_need_a_plan(call, 1):
            survey.calls.append((call, callee, None))
    taken: set[int] = set()  # expressions inside a lookup or a path the survey took
    subscripts: list[ast.Subscript] = nodes.get(ast.Subscript, []) if dicts else []  # type: ignore[assignment]
    for subscript in subscripts:
        value = subscript.value
        if isinstance(value, (ast.Name, ast.Attribute)):
            qualified = names.qualified(value)
            defined = table.model_urls_dict(qualified) if qualified else None
            if defined:
                survey.lookups.append((subscript, qualified, defined))  # type: ignore[arg-type]
                taken.add(id(value))
    attributes: list[ast.Attribute] = nodes.get(ast.Attribute, [])  # type: ignore[assignment]
    for attribute in attributes:  # breadth-first: a path before the paths inside it
        if id(attribute) in taken:
            continue
        if attribute.attr == removed_api.FUNCTION:
            path = attribute.value
            if isinstance(path, ast.Attribute) and path.attr == "utils":
                if names.qualified(attribute) == UTILS_FUNCTION:
                    survey.utils_paths.append(attribute)
                    taken.add(id(path))
        elif attribute.attr in ("__dict__", "utils"):
            if (names.qualified(attribute.value) or "").startswith("torchvision"):
                raise _FullPath
        elif dicts and _is_model_urls_dict(names.qualified(attribute)):
            raise _FullPath  # a dict used other than by a lookup
    for name in nodes.get(ast.Name, []) if dicts else []:
        if id(name) not in taken and _is_model_urls_dict(names.qualified(name)):  # type: ignore[arg-type]
            raise _FullPath
    imports: list[ast.Import] = nodes.get(ast.Import, [])  # type: ignore[assignment]
    for statement in imports:
        if any(alias.name.startswith(removed_api.MODULE) for alias in statement.names):
            survey.utils_imports.append(statement)
    imports_from: list[ast.ImportFrom] = nodes.get(ast.ImportFrom, [])  # type: ignore[assignment]
    for statement_from in imports_from:
        imported = [qualified for _, qualified in _imported_names(statement_from)]
        if any(qualified.startswith(removed_api.MODULE) for qualified in imported):
            survey.utils_imports.append(statement_from)
        elif dicts and any(_is_model_urls_dict(qualified) for qualified in imported):
            survey.dict_imports.append(statement_from)
    return survey


def _lookup_edit(
    lookup: ast.Subscript,
    qualified: str,
    defined: str,
    text: _Source,
    references: Any,
    names: _Names,
) -> tuple[_Edit, Diagnostic]:
    """`model_urls["resnet50"]` -> `ResNet50_Weights.IMAGENET1K_V1.url`, as the full path
    writes it: only a literal key the old dict had, read."""
    segment = text.text(lookup)
    key = lookup.slice
    if not isinstance(lookup.ctx, ast.Load) or not _LOOKUP.fullmatch(segment):
        raise _FullPath
    if not isinstance(key, ast.Constant) or not isinstance(key.value, str):
        raise _FullPath
    member, note = removed_api.member_for_key(defined, key.value)
    if member is None:
        raise _FullPath
    references.begin_edit()
    value = segment[: segment.index("[")]
    reference = references.text_maker(value, qualified, names.visible, "enum")(member)
    if reference.startswith('"'):
        raise _FullPath  # the enum's name means something else here: reported
    references.keep_edit()
    printed = f"{reference}.url"
    message = f"{segment} -> {printed}{note}"
    position = lookup.lineno, text.column(lookup)
    return _Edit(*text.span(lookup), printed), Diagnostic(
        *position, Code.FIXED, message, (segment, printed)
    )


def _utils_edit(node: ast.AST, text: _Source) -> tuple[_Edit, Diagnostic]:
    """`torchvision.models.utils` -> `torch.hub` in a spelled-out path, `from ... import f [as
    g]` and `import ... as name`; the full path for other imports of it."""
    segment = text.text(node)
    if isinstance(node, ast.Attribute):
        if not _PATH.fullmatch(segment):
            raise _FullPath
        new = UTILS_FUNCTION.replace(removed_api.MODULE, "torch.hub")
    else:
        match = None
        if isinstance(node, ast.ImportFrom) and node.module == removed_api.MODULE:
            function = removed_api.FUNCTION
            if all(alias.name == function for alias in node.names):
                match = _UTILS_FROM.fullmatch(segment)
        elif isinstance(node, ast.Import) and len(node.names) == 1 and node.names[0].asname:
            match = _UTILS_AS.fullmatch(segment)
        if match is None:
            raise _FullPath
        new = f"{match[1]}torch.hub{match[2]}"
    message = f"{folded(segment)} -> {folded(new)}: {removed_api.MODULE_REMOVED}"
    position = node.lineno, text.column(node)  # type: ignore[attr-defined]
    return _Edit(*text.span(node), new), Diagnostic(*position, Code.FIXED, message, (segment, new))


def _plain_utils_import(
    statement: ast.Import,
    tree: ast.Module,
    text: _Source,
    names: _Names,
    nodes: Nodes,
    survey: _Survey,
) -> tuple[_Edit | None, Diagnostic]:
    """`import torchvision.models.utils`, which binds `torchvision`: `import torchvision.models`,
    or (None) no statement where another import binds `torchvision` or every use of the name was a
    path rewritten to torch.hub (as RemovedModules.going decides with scope analysis)."""
    if statement not in tree.body or text.text(statement) != f"import {removed_api.MODULE}":
        raise _FullPath
    if names.bindings.get("torchvision") != {"torchvision"}:
        raise _FullPath  # bound by something else too: whose uses are whose needs scopes
    bound_elsewhere = any(
        _bound_root(other, alias) == "torchvision"
        for other in _module_level_imports(tree.body)
        if other is not statement
        for alias in other.names
    )
    rewritten = set()
    for path in survey.utils_paths:
        root = path.value
        while isinstance(root, ast.Attribute):
            root = root.value
        rewritten.add(id(root))
    uses = [node for node in nodes.get(ast.Name, []) if node.id == "torchvision"]  # type: ignore[attr-defined]
    segment = text.text(statement)
    position = statement.lineno, text.column(statement)
    if bound_elsewhere or all(id(use) in rewritten for use in uses):
        message = f"{segment}: dropped, as nothing needs it: {removed_api.MODULE_REMOVED}"
        return None, Diagnostic(*position, Code.FIXED, message)
    new = "import torchvision.models"
    fix = (segment, new)
    message = f"{segment} -> {new}: {removed_api.MODULE_REMOVED}"
    return _Edit(*text.span(statement), new), Diagnostic(*position, Code.FIXED, message, fix)


def _bound_root(statement: ast.Import | ast.ImportFrom, alias: ast.alias) -> str:
    """The first part of the name an import binds, as LibCST's scope analysis records it."""
    if isinstance(statement, ast.Import) and not alias.asname:
        return alias.name.split(".")[0]
    return alias.asname or alias.name


def _removals(tree: ast.Module, text: _Source, removed: set[int]) -> dict[int, _Edit]:
    """Top-level statements gone with their lines, as imports.remove_statements removes them:
    the comments above a statement go with it, its blank lines move to the next statement that
    has none. Only after a simple statement: where the lines after a block belong is LibCST's
    affair."""
    indices = sorted(index for index, s in enumerate(tree.body) if id(s) in removed)
    edits, blank = {}, b""
    for index in indices:
        statement = tree.body[index]
        if not index or index + 1 == len(tree.body) or not _alone_on_its_lines(tree.body, index):
            raise _FullPath
        previous = tree.body[index - 1]
        if blocks(previous):
            raise _FullPath
        start = text.line_starts[previous.end_lineno]  # type: ignore[index]
        end = text.line_starts[statement.end_lineno]  # type: ignore[index]
        leading = text.source[start : text.line_starts[statement.lineno - 1]]
        blank = blank or b"".join(line for line in leading.splitlines(True) if not line.strip())
        if index + 1 in indices:
            edits[id(statement)] = _Edit(start, end, "")  # its blank lines go further
            continue
        following_has_leading_lines = text.line_starts[start_line(tree.body[index + 1]) - 1] > end
        edits[id(statement)] = _Edit(
            start, end, "" if following_has_leading_lines else blank.decode()
        )
        blank = b""
    return edits


def _starts_its_line(body: list[ast.stmt], index: int) -> bool:
    return index == 0 or body[index].lineno > (body[index - 1].end_lineno or 0)


def _alone_on_its_lines(body: list[ast.stmt], index: int) -> bool:
    return _starts_its_line(body, index) and (
        index + 1 == len(body) or _starts_its_line(body, index + 1)
    )


def _is_module_heading(tree: ast.Module, text: _Source) -> bool:
    """A docstring or `__strict__ = ...` first, on its own line: new imports go after it."""
    first = tree.body[0]
    if not _alone_on_its_lines(tree.body, 0):
        return False
    if isinstance(first, ast.Expr):
        return is_one_string(text.text(first.value))
    if isinstance(first, ast.Assign) and len(first.targets) == 1:
        target = first.targets[0]
        return isinstance(target, ast.Name) and target.id == "__strict__"
    return False


def _opening_imports(body: list[ast.stmt], heading: bool) -> tuple[int, int]:
    """Where the imports that open the module are in `body` (after its heading, when it has
    one): one a line, as AddImportsVisitor counts them."""
    first = end = 1 if body and heading else 0
    while end < len(body) and isinstance(body[end], (ast.Import, ast.ImportFrom)):
        if not _alone_on_its_lines(body, end):
            break
        end += 1
    return first, end


def _new_imports(
    tree: ast.Module,
    text: _Source,
    wanted: dict[str, str],
    modules: list[str],
    removals: dict[int, _Edit],
) -> _Edit:
    """`import module` and then `from module import A, B` statements after the imports that open
    the module (once the statements of `removals` are gone), placed and spaced as
    AddImportsVisitor does on the full path."""
    body = [statement for statement in tree.body if id(statement) not in removals]
    first, end = _opening_imports(body, _is_module_heading(tree, text))
    if end == first or body[end - 1].end_lineno == len(text.line_starts) - 1:
        raise _FullPath  # no opening imports, or they end the file
    position = text.line_starts[body[end - 1].end_lineno]  # type: ignore[index]
    from_modules: dict[str, list[str]] = {}
    for name, module in wanted.items():
        from_modules.setdefault(module, []).append(name)
    statements = "".join(f"import {module}\n" for module in sorted(modules)) + "".join(
        f"from {module} import {', '.join(sorted(from_modules[module]))}\n"
        for module in sorted(from_modules)
    )
    if end < len(body):
        previous = tree.body[tree.body.index(body[end]) - 1]  # perhaps a removed statement
        start = text.line_starts[previous.end_lineno]  # type: ignore[index]
        leading = text.source[start : text.line_starts[start_line(body[end]) - 1]]
        if not leading and id(previous) in removals:  # the blank lines it leaves behind
            leading = removals[id(previous)].text.encode("utf-8")
        if not leading or leading.lstrip(b" \t").startswith(b"#"):
            statements += "\n"
    return _Edit(position, position, statements)


def _edited_import(
    statement: ast.ImportFrom, text: _Source, dropped: set[str], added: list[str]
) -> _Edit | None:
    """A top-level `from module import ...` with the names bound to `dropped` taken out and
    `added` appended, as the full path leaves it; None when no name is left: it goes."""
    if all((alias.asname or alias.name) in dropped for alias in statement.names) and not added:
        return None
    written = text.text(statement)
    new = import_text.edited(statement, written, dropped, added)
    if new is None:  # a layout only LibCST edits as the full path does
        import libcst as cst

        from migrate_weights.syntax.cst_nodes import source
        from migrate_weights.full_path.imports import append_names, remove_names

        node = cst.parse_statement(written + "\n").body[0]  # type: ignore[attr-defined]
        if added:
            node = append_names(node, added)
        if dropped:
            node = remove_names(node, dropped)
        new = source(node)
    return _Edit(*text.span(statement), new)


def _import_edits(
    tree: ast.Module,
    text: _Source,
    wanted: dict[str, str],
    dropped: dict[int, set[str]],
    modules: list[str],
    removed: set[int],
) -> list[_Edit]:
    """Needed names appended to the first top-level `from module import ...` of their module,
    as the full path does, `dropped` (statement -> names) taken out of theirs; new statements
    for the other names and for `modules`, placed as if the `removed` statements, and those
    that lose all their names, were gone."""
    wanted, dropped = dict(wanted), dict(dropped)
    edits = []
    for index, statement in enumerate(tree.body):
        if not isinstance(statement, ast.ImportFrom) or statement.level:
            continue
        names = []
        if _starts_its_line(tree.body, index) and statement.names[0].name != "*":
            names = [name for name, module in wanted.items() if module == statement.module]
        for name in names:
            del wanted[name]
        gone = dropped.pop(id(statement), set())
        if gone or names:
            edit = _edited_import(statement, text, gone, names)
            if edit is None:
                removed = removed | {id(statement)}
            else:
                edits.append(edit)
    if dropped:
        raise _FullPath  # an import of a dict that is not a statement of the module's own
    removals = _removals(tree, text, removed)
    if wanted or modules:
        edits.append(_new_imports(tree, text, wanted, modules, removals))
    return edits + list(removals.values())


def _dropped_dicts(survey: _Survey, text: _Source) -> tuple[dict[int, set[str]], list[Diagnostic]]:
    """The names imports bind to a model_urls dict, per statement, and a finding for each: every
    use of them was a lookup the survey took, rewritten."""
    dropped: dict[int, set[str]] = {}
    diagnostics = []
    for statement in survey.dict_imports:
        if statement.level or statement.module is None:
            raise _FullPath
        segment = folded(text.text(statement))
        for alias in statement.names:
            if alias.name in REMOVED_NAMES and _is_model_urls_dict(
                f"{statement.module}.{alias.name}"
            ):
                local = alias.asname or alias.name
                dropped.setdefault(id(statement), set()).add(local)
                removed = removed_api.DICTS_REMOVED
                message = f"{segment}: `{local}` dropped: {removed}, and no use is left"
                position = statement.lineno, text.column(statement)
                diagnostics.append(Diagnostic(*position, Code.FIXED, message))
    return dropped, diagnostics


def _holding(body: list[ast.stmt], call: ast.Call) -> ast.stmt:
    """The innermost statement of `body` (a module's, a block's) that holds the call."""
    position, end = (call.lineno, call.col_offset), (call.end_lineno, call.end_col_offset)
    found = None
    while True:
        for statement in body:
            if (start_line(statement), statement.col_offset) <= position and end <= (
                statement.end_lineno,
                statement.end_col_offset,
            ):
                found, body = statement, [s for block in blocks(statement) for s in block]
                break
        else:
            if found is None:
                raise _FullPath
            return found


class _ParsedCall:
    """A call's own source, parsed by LibCST. The full path prints a call's line breaks relative
    to its statement's indentation; for a call over several lines in an indented block, so does
    this, by parsing it in a block of that indentation."""

    def __init__(self, segment: str, indentation: str) -> None:
        import libcst as cst

        self.module: cst.Module | None = None
        try:
            if not indentation or "\n" not in segment:
                self.call = cst.parse_expression(segment)
            else:
                self.prefix = f"if 1:\n{indentation}_ = "
                self.module = cst.parse_module(f"{self.prefix}{segment}\n")
                block = self.module.body[0].body  # type: ignore[attr-defined]
                self.call = block.body[0].body[0].value
        except cst.ParserSyntaxError as error:
            raise _FullPath from error
        if not isinstance(self.call, cst.Call):
            raise _FullPath

    def in_place(self, migrated: Any, printed: str) -> str:
        """The migrated call where the call stands (`printed`: as the full path prints it)."""
        if self.module is None:
            return printed
        return self.module.deep_replace(self.call, migrated).code[len(self.prefix) : -1]  # type: ignore[union-attr]


def _on_text(
    call: ast.Call,
    segment: str,
    position: tuple[int, int],
    callee: str,
    inner_callee: str | None,
    text: _Source,
    tree: ast.Module,
    references: Any,
    names: _Names,
) -> Any:
    """What a call (a builder's, or one through a partial or torch.hub.load) comes to, planned
    on its text by the rules (codemod/migrate_weights/syntax/text.py): settled, or None where LibCST plans it
    (text that is not ASCII or is beyond call_text's reading, a callee that is no plain dotted
    name)."""
    from migrate_weights.syntax.text import TEXT, read_arguments, reference
    from migrate_weights.rules.hub_load import plan_hub_call
    from migrate_weights.rules.builder_call import plan_named_call
    from migrate_weights.rules.partial import keep_positionals
    from migrate_weights.full_path.targets import Settled, settle_text

    if not segment.isascii():
        return None
    indentation = ""
    if "\n" in segment:
        if '"""' in segment or "'''" in segment:
            return None  # a string over lines: its lines keep their indentation
        indentation = text.indentation(_holding(tree.body, call))
    start = text.span(call)[0]
    arguments = read_arguments(
        call, segment, lambda node: tuple(offset - start for offset in text.span(node))
    )
    func = segment[: text.span(call.func)[1] - start]
    if arguments is None or not _PATH.fullmatch(func):
        return None
    label, planned, builder_call = folded(func), arguments, None
    references.begin_edit()
    if callee == HUB_LOAD:
        loaded = plan_hub_call(arguments, TEXT)
        if loaded is None:
            return Settled([])
        label = f"{label}(..., {loaded.model})"
        builder_call = (loaded.entry_point, arguments, [arguments[i] for i in loaded.indices])
        plan, builder = loaded.plan, loaded.builder
        return settle_text(label, plan, builder, segment, position, indentation, builder_call)
    if callee == PARTIAL:
        first, *planned = arguments
        func, callee = first.value.text, inner_callee  # type: ignore[assignment]
        if not _PATH.fullmatch(func):
            return None
        label = f"{label}({func}, ...)"
        builder_call = (func, arguments, planned)
    spell = references.text_maker(func, callee, names.visible)
    found = plan_named_call({callee}, planned, lambda _: reference(spell), TEXT)
    if found is None:
        return Settled([])
    plan, builder = found
    if builder_call:
        plan = keep_positionals(planned, plan)
    return settle_text(label, plan, builder, segment, position, indentation, builder_call)


def _rewrite(
    source: bytes, tree: ast.Module, nodes: Nodes, style: str
) -> tuple[bytes, list[Diagnostic], list[CallRewrite], list[Replacement]]:
    names = _Names(tree, nodes)
    survey = _survey(source, names, nodes)
    sites = survey.sites()
    if not (sites or survey.utils_imports or survey.dict_imports):
        return source, [], [], []

    from migrate_weights.rules.builder_call import plan_named_call
    from migrate_weights.rules.references import EnumReferences
    from migrate_weights.full_path.targets import find_target, settle

    text = _Source(source)
    bound_anywhere = {name for name, found in names.bindings.items() if found}
    references = EnumReferences(style, bound_anywhere)
    edits, diagnostics, rewrites = [], [], []
    lookups = {id(node): (qualified, defined) for node, qualified, defined in survey.lookups}
    calls = {id(node): (callee, inner) for node, callee, inner in survey.calls}
    for node in sites:  # in source order, as the enum imports are decided
        if id(node) in lookups:
            edit, diagnostic = _lookup_edit(node, *lookups[id(node)], text, references, names)  # type: ignore[arg-type]
            edits.append(edit)
            diagnostics.append(diagnostic)
            continue
        if id(node) not in calls:
            edit, diagnostic = _utils_edit(node, text)
            edits.append(edit)
            diagnostics.append(diagnostic)
            continue
        callee, inner_callee = calls[id(node)]
        segment = text.text(node)
        position = node.lineno, text.column(node)
        settled = _on_text(
            node, segment, position, callee, inner_callee, text, tree, references, names
        )
        if settled is not None:
            diagnostics += settled.diagnostics
            if settled.printed:
                references.keep_edit()
                rewrites += [settled.rewrite] if settled.rewrite else []
                edits.append(_Edit(*text.span(node), settled.printed))
            continue
        from migrate_weights.syntax.cst_nodes import CST

        parsed = _ParsedCall(segment, text.indentation(_holding(tree.body, node)))
        call = parsed.call

        def plan_call(builder_call: Any, func: Any) -> Any:
            qualified = callee if func is call.func else inner_callee  # noqa: B023
            if qualified is None:
                return None
            return plan_named_call(
                {qualified},
                builder_call.args,
                lambda name: references.maker(func, name, names.visible),
                CST,
            )

        references.begin_edit()
        target = find_target(call, call, {callee}, plan_call)
        if target is None:
            continue
        printed = segment if parsed.module is None else None  # as LibCST prints the call
        settled = settle(target, call, *position, printed)
        diagnostics += settled.diagnostics
        if settled.migrated is None:
            continue
        references.keep_edit()
        if settled.rewrite:
            rewrites.append(settled.rewrite)
        edits.append(_Edit(*text.span(node), parsed.in_place(settled.migrated, settled.printed)))
    removed = set()  # statements that go with their lines
    for statement in survey.utils_imports:
        if isinstance(statement, ast.Import) and not statement.names[0].asname:
            edit, diagnostic = _plain_utils_import(statement, tree, text, names, nodes, survey)
            if edit is None:
                removed.add(id(statement))
        else:
            edit, diagnostic = _utils_edit(statement, text)
        edits += [edit] if edit else []
        diagnostics.append(diagnostic)
    dropped, drop_findings = _dropped_dicts(survey, text)
    diagnostics += drop_findings
    modules = _modules_to_import(tree, text, survey)
    edits += _import_edits(tree, text, references.imported, dropped, modules, removed)
    edits.sort(key=lambda edit: (edit.start, edit.end))
    replacements, pieces, position = [], [], 0
    for edit in edits:
        if edit.start < position:
            raise _FullPath  # two edits of one statement: an import the rules rewrite twice
        replacements.append((edit.start, edit.end, edit.text.encode("utf-8")))
        pieces += [source[position : edit.start], replacements[-1][2]]
        position = edit.end
    pieces.append(source[position:])
    diagnostics.sort(key=lambda d: (d.line, d.column))
    return b"".join(pieces), diagnostics, rewrites, replacements


def _modules_to_import(tree: ast.Module, text: _Source, survey: _Survey) -> list[str]:
    """`torch.hub` for a path rewritten to it, unless an `import torch.hub` among the imports
    that open the module binds it (AddImportsVisitor looks no further)."""
    if not survey.utils_paths:
        return []
    first, end = _opening_imports(tree.body, _is_module_heading(tree, text))
    opening = {id(statement) for statement in tree.body[first:end]}
    top_level = {id(statement) for statement in tree.body}
    for statement in _module_level_imports(tree.body):
        if isinstance(statement, ast.Import):
            if any(a.name == "torch.hub" and a.asname is None for a in statement.names):
                if id(statement) not in top_level:
                    raise _FullPath  # whether AddImportsVisitor counts it is its own affair
                if id(statement) in opening:
                    return []
    return ["torch.hub"]


def rewrite(
    source: bytes, tree: ast.Module, nodes: Nodes, style: str
) -> tuple[bytes, list[Diagnostic], list[CallRewrite], list[Replacement]] | None:
    """(new source, findings, rewrites, the replacements of the source's bytes that make the new
    one) for a module (its syntax tree and the tree's nodes by type), or None when it needs the full
    path."""
    if b"\r" in source or b"\f" in source:
        return None
    try:
        if tokenize.detect_encoding(io.BytesIO(source).readline)[0] != "utf-8":
            return None  # a BOM ("utf-8-sig") or another encoding
        return _rewrite(source, tree, nodes, style)
    except (_FullPath, UnicodeDecodeError, SyntaxError):
        return None
