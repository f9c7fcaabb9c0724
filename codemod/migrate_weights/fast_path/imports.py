"""Imports on the fast path, as the full path adds and removes them (AddImportsVisitor,
RemoveImportsVisitor, full_path/imports.py): names appended to the first `from module import`
of their module or taken out of one (on its text, by the text syntax, or by LibCST for the
layouts that does not read), new statements placed after the imports that open the module, and
statements removed with the blank lines around them kept."""

from __future__ import annotations

import ast

from migrate_weights.fast_path.source import Edit, FullPath, Source
from migrate_weights.pipeline.parse import blocks, end_of, start_line
from migrate_weights.syntax.text import TextSyntax, from_import, is_one_string


def removal_edits(tree: ast.Module, text: Source, removed: set[int]) -> dict[int, Edit]:
    """Top-level statements gone with their lines, as imports.remove_statements removes them:
    the comments above a statement go with it, its blank lines move to the next statement that
    has none. Only after a simple statement: where the lines after a block belong is LibCST's
    affair."""
    indices = sorted(index for index, s in enumerate(tree.body) if id(s) in removed)
    edits, blank = {}, b""
    for index in indices:
        statement = tree.body[index]
        if not index or index + 1 == len(tree.body) or not alone_on_its_lines(tree.body, index):
            raise FullPath
        previous = tree.body[index - 1]
        if blocks(previous):
            raise FullPath
        start = text.line_starts[end_of(previous)[0]]
        end = text.line_starts[end_of(statement)[0]]
        leading = text.source[start : text.line_starts[statement.lineno - 1]]
        blank = blank or b"".join(line for line in leading.splitlines(True) if not line.strip())
        if index + 1 in indices:
            edits[id(statement)] = Edit(start, end, "")  # its blank lines go further
            continue
        following_has_leading_lines = text.line_starts[start_line(tree.body[index + 1]) - 1] > end
        edits[id(statement)] = Edit(
            start, end, "" if following_has_leading_lines else blank.decode()
        )
        blank = b""
    return edits


def starts_its_line(body: list[ast.stmt], index: int) -> bool:
    return index == 0 or body[index].lineno > (body[index - 1].end_lineno or 0)


def alone_on_its_lines(body: list[ast.stmt], index: int) -> bool:
    return starts_its_line(body, index) and (
        index + 1 == len(body) or starts_its_line(body, index + 1)
    )


def is_module_heading(tree: ast.Module, text: Source) -> bool:
    """A docstring or `__strict__ = ...` first, on its own line: new imports go after it."""
    first = tree.body[0]
    if not alone_on_its_lines(tree.body, 0):
        return False
    if isinstance(first, ast.Expr):
        return is_one_string(text.text(first.value))
    if isinstance(first, ast.Assign) and len(first.targets) == 1:
        target = first.targets[0]
        return isinstance(target, ast.Name) and target.id == "__strict__"
    return False


def opening_imports(body: list[ast.stmt], heading: bool) -> tuple[int, int]:
    """Where the imports that open the module are in `body` (after its heading, when it has
    one): one a line, as AddImportsVisitor counts them."""
    first = end = 1 if body and heading else 0
    while end < len(body) and isinstance(body[end], (ast.Import, ast.ImportFrom)):
        if not alone_on_its_lines(body, end):
            break
        end += 1
    return first, end


def new_imports(
    tree: ast.Module,
    text: Source,
    wanted: dict[str, str],
    modules: list[str],
    removals: dict[int, Edit],
) -> Edit:
    """`import module` and then `from module import A, B` statements after the imports that open
    the module (once the statements of `removals` are gone), placed and spaced as
    AddImportsVisitor does on the full path."""
    body = [statement for statement in tree.body if id(statement) not in removals]
    first, end = opening_imports(body, is_module_heading(tree, text))
    if end == first or body[end - 1].end_lineno == len(text.line_starts) - 1:
        raise FullPath  # no opening imports, or they end the file
    position = text.line_starts[end_of(body[end - 1])[0]]
    from_modules: dict[str, list[str]] = {}
    for name, module in wanted.items():
        from_modules.setdefault(module, []).append(name)
    statements = "".join(f"import {module}\n" for module in sorted(modules)) + "".join(
        from_import(module, sorted(from_modules[module])) + "\n" for module in sorted(from_modules)
    )
    if end < len(body):
        previous = tree.body[tree.body.index(body[end]) - 1]  # perhaps a removed statement
        start = text.line_starts[end_of(previous)[0]]
        leading = text.source[start : text.line_starts[start_line(body[end]) - 1]]
        if not leading and id(previous) in removals:  # the blank lines it leaves behind
            leading = removals[id(previous)].text.encode("utf-8")
        if not leading or leading.lstrip(b" \t").startswith(b"#"):
            statements += "\n"
    return Edit(position, position, statements)


def edited_import(
    statement: ast.ImportFrom,
    text: Source,
    dropped: set[str],
    added: list[str],
    syntax: TextSyntax,
) -> Edit | None:
    """A top-level `from module import ...` with the names bound to `dropped` taken out and
    `added` appended, as the full path leaves it; None when no name is left: it goes."""
    if all((alias.asname or alias.name) in dropped for alias in statement.names) and not added:
        return None
    written = text.text(statement)
    new = syntax.import_edited(statement, written, dropped, added)
    if new is None:  # a layout only LibCST edits as the full path does
        import libcst as cst

        from migrate_weights.full_path.imports import append_names, remove_names
        from migrate_weights.syntax.cst_nodes import source

        line = cst.ensure_type(cst.parse_statement(written + "\n"), cst.SimpleStatementLine)
        node = cst.ensure_type(line.body[0], cst.ImportFrom)
        if added:
            node = append_names(node, added)
        if dropped:
            node = remove_names(node, dropped)
        new = source(node)
    return Edit(*text.span(statement), new)


def in_block_edit(
    statement: ast.Import | ast.ImportFrom,
    imported: dict[str, list[str]],
    text: Source,
    syntax: TextSyntax,
) -> Edit:
    """An import in a block with the enum classes `imported` (module -> names) added, as the
    full path adds them: appended to it where it imports from that module, the rest imported by
    statements after it on lines of their own (the full path's layout otherwise)."""
    own = statement.module if isinstance(statement, ast.ImportFrom) else None
    start, end = text.span(statement)
    new = text.text(statement)
    if own in imported:
        assert isinstance(statement, ast.ImportFrom)
        appended = edited_import(statement, text, set(), imported[own], syntax)
        new = appended.text if appended else new
    after = [from_import(module, names) for module, names in imported.items() if module != own]
    if after:
        line_start = text.line_starts[statement.lineno - 1]
        indentation = text.source[line_start:start]
        if indentation.strip(b" \t") or text.source[end : end + 1] != b"\n":
            raise FullPath  # the statement shares its lines
        new += "".join(f"\n{indentation.decode('utf-8')}{line}" for line in after)
    return Edit(start, end, new)


def import_edits(
    tree: ast.Module,
    text: Source,
    wanted: dict[str, str],
    dropped: dict[int, set[str]],
    modules: list[str],
    removed: set[int],
    syntax: TextSyntax,
) -> list[Edit]:
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
        if starts_its_line(tree.body, index) and statement.names[0].name != "*":
            names = [name for name, module in wanted.items() if module == statement.module]
        for name in names:
            del wanted[name]
        gone = dropped.pop(id(statement), set())
        if gone or names:
            edit = edited_import(statement, text, gone, names, syntax)
            if edit is None:
                removed = removed | {id(statement)}
            else:
                edits.append(edit)
    if dropped:
        raise FullPath  # an import of a dict that is not a statement of the module's own
    removals = removal_edits(tree, text, removed)
    if wanted or modules:
        edits.append(new_imports(tree, text, wanted, modules, removals))
    return edits + list(removals.values())
