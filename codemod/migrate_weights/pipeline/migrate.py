"""One file through the stages: screen, parse, the fast path or the full path, the safety check.
What comes out is a FileResult; writing it back is pipeline/write.py's."""

from __future__ import annotations

import ast
import os
import sys
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from migrate_weights.diagnostics import CallRewrite, Code, Diagnostic, NotebookError, UnsafeRewrite
from migrate_weights.pipeline.parse import Parsed, parse
from migrate_weights.pipeline.screen import (
    mentions_torchvision,
    might_use_torchvision,
    syntax_might_need_migration,
)

if TYPE_CHECKING:
    import libcst as cst

    from migrate_weights.pipeline.notebooks import CellChange
    from migrate_weights.pipeline.safety import Replacement
    from migrate_weights.syntax.text import TextSyntax
    from migrate_weights.tables.table import LegacyTable

# Modules needed only once a file changes (safety) or is a notebook are imported where they
# are used: a run that changes nothing starts sooner without them.


@dataclass
class FileResult:
    path: str
    original: bytes = b""
    migrated: bytes | None = None  # None when the file could not be read or parsed
    encoding: str = "utf-8"
    diagnostics: list[Diagnostic] = field(default_factory=list)
    rewrites: list[CallRewrite] = field(default_factory=list)
    cells: list[CellChange] = field(default_factory=list)  # notebooks: the changed cells
    suppressed: int = 0  # findings a noqa comment suppressed (fixes among them not made)

    @property
    def changed(self) -> bool:
        return self.migrated is not None and self.migrated != self.original

    @property
    def failed(self) -> bool:
        return self.migrated is None


@dataclass
class Tally:
    """What a run keeps of the files it reports: counts, not their results, so that memory does
    not grow with the size of the tree."""

    files: int = 0
    changed: int = 0
    failed: int = 0
    rewritten: int = 0  # call sites (MW001)
    for_a_person: int = 0  # findings a person must look at
    suppressed: int = 0

    def add(self, result: FileResult) -> None:
        self.files += 1
        self.changed += result.changed
        self.suppressed += result.suppressed
        # A notebook with a cell that does not parse is migrated but for that cell.
        self.failed += result.failed or any(d.code is Code.UNREADABLE for d in result.diagnostics)
        if result.diagnostics:  # most files have none
            self.rewritten += sum(d.code is Code.FIXED for d in result.diagnostics)
            self.for_a_person += sum(d.code.needs_a_person for d in result.diagnostics)


class Unparsable(SyntaxError):
    """Source LibCST cannot parse, with where it stopped."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.line, self.column = line, column


def migrate_source(
    source: bytes,
    path: str = "<string>",
    style: str = "enum",
    screen: bool = True,
    table: LegacyTable | None = None,
    syntax: TextSyntax | None = None,
    noqa: bool = True,
) -> FileResult:
    """Rewrite one module's source, on the fast path where it applies. Raises Unparsable for
    code it cannot parse. `screen=False` skips the screen (to show it skips nothing); `table`:
    the legacy table, when not the generated one; `syntax`: how the fast path reads and edits
    calls and imports as text, when not as TEXT does; `noqa=False`: `# noqa` comments
    suppress nothing."""
    if screen and not might_use_torchvision(source):
        return FileResult(path, source, source)
    return _migrate_text_checked(source, path, style, screen, table, syntax, noqa)


def _migrate_text_checked(
    source: bytes,
    path: str,
    style: str,
    screen: bool = True,
    table: LegacyTable | None = None,
    syntax: TextSyntax | None = None,
    noqa: bool = True,
) -> FileResult:
    """`migrate_source` once the textual check has let the source through."""
    module = parse(source)
    if screen and module is not None and not syntax_might_need_migration(source, module):
        return FileResult(path, source, source)
    from migrate_weights import fast_path  # only once a file needs a closer look
    from migrate_weights.pipeline.noqa import NONE as NO_SUPPRESSIONS
    from migrate_weights.pipeline.noqa import Suppressions
    from migrate_weights.syntax.text import TEXT
    from migrate_weights.tables.table import generated

    table = table or generated()
    suppressions = Suppressions.of(source) if noqa else NO_SUPPRESSIONS
    fixes_kept = suppressions.fixes_kept()
    quick = None
    if module is not None:
        quick = fast_path.rewrite(source, module, style, table, syntax or TEXT, fixes_kept)
    if quick is None:
        result = migrate_with_libcst(source, path, style, module, table, fixes_kept)
    else:
        assert module is not None
        migrated, diagnostics, rewrites, replacements = quick
        _check_safety(source, migrated, diagnostics, module, replacements)
        result = FileResult(path, source, migrated, "utf-8", diagnostics, rewrites)
    result.diagnostics, result.suppressed = suppressions.split(result.diagnostics)
    return result


def migrate_with_libcst(
    source: bytes,
    path: str = "<string>",
    style: str = "enum",
    module: Parsed | None = None,
    table: LegacyTable | None = None,
    fixes_kept: frozenset[int] = frozenset(),
) -> FileResult:
    """The full path: LibCST's parse of the whole module, with scope analysis. `module`:
    Python's parse of it, when there is one; `fixes_kept`: lines where fixes are reported but
    not made."""
    import libcst as cst
    from libcst.codemod import CodemodContext

    from migrate_weights.full_path.command import MigrateWeights
    from migrate_weights.tables.table import generated

    module = module or parse(source)
    try:
        tree = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        raise Unparsable(error.message, error.raw_line, error.raw_column + 1) from error
    if module is None:  # LibCST parses what this Python does not
        raise python_cannot_parse(source, _version_needed(tree))
    text = source.decode(tree.encoding)
    command = MigrateWeights(
        CodemodContext(filename=path), style, table or generated(), text, module, fixes_kept
    )
    migrated = command.transform_module(tree).bytes
    diagnostics = sorted(command.diagnostics, key=lambda d: (d.line, d.column))
    _check_safety(source, migrated, diagnostics, module)
    return FileResult(path, source, migrated, tree.encoding, diagnostics, list(command.rewrites))


def python_cannot_parse(source: bytes, needed: str | None) -> Unparsable:
    """Why this Python cannot parse a source that LibCST parses; `needed`: the Python version
    its syntax needs, where known."""
    version = ".".join(map(str, sys.version_info[:2]))
    try:
        ast.parse(source)
    except (SyntaxError, ValueError) as error:
        line, column = getattr(error, "lineno", None) or 1, getattr(error, "offset", None) or 1
        message = getattr(error, "msg", None) or str(error)
        if needed:
            why = f"needs Python {needed} or later to parse (this is Python {version}): {message}"
        else:
            why = f"Python {version} cannot parse it: {message}"
        return Unparsable(why, line, column)
    raise AssertionError("the source parses")


def _version_needed(tree: cst.Module) -> str | None:
    """The newest Python version whose syntax the module uses, of those LibCST tells apart."""
    import libcst as cst

    newer = {cst.Match: (3, 10), cst.TryStar: (3, 11)}
    newer |= {cst.TypeAlias: (3, 12), cst.TypeParameters: (3, 12)}
    found: list[tuple[int, int]] = []

    class Syntax(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            found.extend(version for kind, version in newer.items() if isinstance(node, kind))
            return True

    tree.visit(Syntax())
    return ".".join(map(str, max(found))) if found else None


def _check_safety(
    source: bytes,
    migrated: bytes,
    diagnostics: list[Diagnostic],
    module: Parsed | None,
    replacements: list[Replacement] | None = None,
) -> None:
    if migrated != source:
        from migrate_weights.pipeline import safety

        edited = {(d.line, d.column) for d in diagnostics if d.code is Code.FIXED}
        tree = None if module is None else module.tree
        safety.check(source, migrated, edited, tree, replacements)


def _is_notebook(path: str) -> bool:
    return path.endswith(".ipynb")  # as discovery takes it


def screen_file(path: str | os.PathLike[str]) -> FileResult | bytes:
    """The file's bytes, or its result when they tell all: unreadable, nothing a rule could act
    on (no bytes kept: nothing will be written), or binary."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as file:
            source = file.read()
    except OSError as error:
        reason = error.strerror or str(error)
        return FileResult(name, diagnostics=[Diagnostic(1, 1, Code.UNREADABLE, reason)])
    textual_check = mentions_torchvision if _is_notebook(name) else might_use_torchvision
    if not textual_check(source):
        return FileResult(name, migrated=b"")
    if b"\0" in source:
        return FileResult(name, source, diagnostics=[Diagnostic(1, 1, Code.UNREADABLE, "binary")])
    return source


def migrate_file(
    path: str | os.PathLike[str],
    style: str = "enum",
    table: LegacyTable | None = None,
    syntax: TextSyntax | None = None,
    noqa: bool = True,
) -> FileResult:
    source = screen_file(path)
    if isinstance(source, FileResult):
        return source
    name = os.fspath(path)
    try:
        if _is_notebook(name):
            return _migrate_notebook(source, name, style, table, noqa)
        # screen_file did the textual check
        return _migrate_text_checked(source, name, style, table=table, syntax=syntax, noqa=noqa)
    except Exception as error:  # one file's failure, whatever it is, is that file's finding
        return FileResult(name, original=source, diagnostics=[failure(error)])


def failure(error: Exception) -> Diagnostic:
    """The finding for a source that could not be migrated: why, or, for an error of the tool's
    own, what it was and where to report it."""
    if isinstance(error, UnsafeRewrite):
        return Diagnostic(1, 1, Code.NOT_WRITTEN, f"{error}; the file is left as it was")
    if isinstance(error, NotebookError):
        return Diagnostic(1, 1, Code.UNREADABLE, f"cannot migrate notebook: {error}")
    if isinstance(error, Unparsable):
        return Diagnostic(error.line, error.column, Code.UNREADABLE, f"cannot parse: {error}")
    if isinstance(error, (UnicodeDecodeError, LookupError, SyntaxError)):  # a coding cookie's
        return Diagnostic(1, 1, Code.UNREADABLE, f"cannot decode: {error}")
    if isinstance(error, RecursionError):
        why = f"it is nested too deeply for Python's parser ({error})"
        return Diagnostic(1, 1, Code.UNREADABLE, f"cannot parse: {why}")
    if isinstance(error, MemoryError):
        return Diagnostic(1, 1, Code.UNREADABLE, "cannot parse: it does not fit in memory")
    return internal_error(f"{type(error).__name__}: {error}")


def internal_error(what: str) -> Diagnostic:
    message = (
        f"internal error ({what}); the file is left as it was. Please report it to the "
        "migrate-weights issue tracker with this line, `migrate-weights --version` and, if you "
        "can, the file"
    )
    return Diagnostic(1, 1, Code.INTERNAL, message)


def without_codes(result: FileResult, codes: frozenset[str]) -> FileResult:
    """The result with the findings of disabled codes dropped; with MW001 (the fixes) disabled,
    nothing is changed."""
    if not codes:
        return result
    kept = [d for d in result.diagnostics if d.code.code not in codes]
    if Code.FIXED.code in codes and not result.failed:
        return replace(result, migrated=result.original, diagnostics=kept, rewrites=[], cells=[])
    return replace(result, diagnostics=kept)


def _migrate_notebook(
    source: bytes, path: str, style: str, table: LegacyTable | None, noqa: bool
) -> FileResult:
    from migrate_weights.pipeline.notebooks import migrate_notebook

    suppressed = 0

    def migrate_module(module: bytes) -> FileResult:
        nonlocal suppressed
        result = migrate_source(module, path, style, table=table, noqa=noqa)
        suppressed += result.suppressed
        return result

    migrated, diagnostics, rewrites, cells = migrate_notebook(source, migrate_module)
    return FileResult(path, source, migrated, "utf-8", diagnostics, rewrites, cells, suppressed)
