"""Gather files, run the rewrite on each, and produce diffs or write results back."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from migrate_weights.diagnostics import CallRewrite, Code, Diagnostic, NotebookError, UnsafeRewrite
from migrate_weights.pipeline.screen import (
    mentions_torchvision,
    might_need_migration,
    might_use_torchvision,
    parsed,
    syntax_might_need_migration,
)

if TYPE_CHECKING:
    from migrate_weights.pipeline.notebooks import CellChange
    from migrate_weights.pipeline.safety import Replacement

# Modules needed only once a file changes (safety, difflib, tempfile) or is a notebook are
# imported where they are used: a run that changes nothing starts sooner without them.

SUFFIXES = (".py", ".ipynb")
SKIPPED_DIRECTORIES = {
    ".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", ".eggs", "__pycache__",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", "build", "dist", "node_modules",
    "site-packages",
}  # fmt: skip


@dataclass
class FileResult:
    path: str
    original: bytes = b""
    migrated: bytes | None = None  # None when the file could not be read or parsed
    encoding: str = "utf-8"
    diagnostics: list[Diagnostic] = field(default_factory=list)
    rewrites: list[CallRewrite] = field(default_factory=list)
    cells: list[CellChange] = field(default_factory=list)  # notebooks: the changed cells

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

    def add(self, result: FileResult) -> None:
        self.files += 1
        self.changed += result.changed
        self.failed += result.failed
        self.rewritten += sum(d.code is Code.FIXED for d in result.diagnostics)
        self.for_a_person += sum(d.code.needs_a_person for d in result.diagnostics)


def _skipped(folder: os.DirEntry[str]) -> bool:
    return (
        folder.name in SKIPPED_DIRECTORIES
        or folder.name.endswith(".egg-info")
        or os.path.exists(os.path.join(folder.path, "pyvenv.cfg"))
    )


def python_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named on the command line as they are; directories walked for `*.py`, in a stable
    order, skipping version control, virtual environments, build output and symbolic links."""
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        unreadable: list[str] = []
        yield from _walk(str(path), unreadable)
        # A folder that vanished or cannot be listed: reading it reports why.
        yield from map(Path, unreadable)


def _walk(directory: str, unreadable: list[str]) -> Iterator[Path]:
    """A folder's files, then its folders' (`os.walk`'s order, sorted by name), without a system
    call per file: the listing tells what is a link."""
    try:
        with os.scandir(directory) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError:
        unreadable.append(directory)
        return
    folders = []
    for entry in entries:
        if entry.is_symlink():
            continue
        if entry.is_dir():
            folders.append(entry)
        elif entry.name.endswith(SUFFIXES):
            yield Path(entry.path)
    for folder in folders:
        if not _skipped(folder):
            yield from _walk(folder.path, unreadable)


class Unparsable(SyntaxError):
    """Source LibCST cannot parse, with where it stopped."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.line, self.column = line, column


def migrate_source(source: bytes, path: str = "<string>", style: str = "enum") -> FileResult:
    """Rewrite one module's source, on the fast path where it applies. Raises Unparsable for
    code it cannot parse."""
    if not might_need_migration(source):
        return FileResult(path, source, source)
    return _migrate_screened(source, path, style)


def _migrate_screened(source: bytes, path: str, style: str) -> FileResult:
    """`migrate_source` once the pre-filter has let the source through."""
    from migrate_weights import fast_path  # the table: only once a file needs a closer look

    module = parsed(source)
    quick = None if module is None else fast_path.rewrite(source, module.tree, module.nodes, style)
    if quick is None:
        return migrate_with_libcst(source, path, style)
    migrated, diagnostics, rewrites, replacements = quick
    _check_safety(source, migrated, diagnostics, replacements)
    return FileResult(path, source, migrated, "utf-8", diagnostics, rewrites)


def migrate_with_libcst(source: bytes, path: str = "<string>", style: str = "enum") -> FileResult:
    """The full path: LibCST's parse of the whole module, with scope analysis."""
    import libcst as cst
    from libcst.codemod import CodemodContext

    from migrate_weights.full_path.command import MigrateWeights

    try:
        tree = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        raise Unparsable(error.message, error.raw_line, error.raw_column + 1) from error
    command = MigrateWeights(CodemodContext(filename=path), style=style)
    migrated = command.transform_module(tree).bytes
    diagnostics = sorted(command.diagnostics, key=lambda d: (d.line, d.column))
    _check_safety(source, migrated, diagnostics)
    return FileResult(path, source, migrated, tree.encoding, diagnostics, list(command.rewrites))


def _check_safety(
    source: bytes,
    migrated: bytes,
    diagnostics: list[Diagnostic],
    replacements: list[Replacement] | None = None,
) -> None:
    if migrated != source:
        from migrate_weights.pipeline import safety

        edited = {(d.line, d.column) for d in diagnostics if d.code is Code.FIXED}
        module = parsed(source)  # cached: the pre-filter parsed it
        tree = None if module is None else module.tree
        safety.check(source, migrated, edited, tree, replacements)


def screen_file(path: Path) -> FileResult | bytes:
    """The file's bytes, or its result when they tell all: unreadable, nothing a rule could act
    on (no bytes kept: nothing will be written), or binary."""
    name = str(path)
    try:
        source = path.read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        return FileResult(name, diagnostics=[Diagnostic(1, 1, Code.UNREADABLE, reason)])
    textual_check = mentions_torchvision if path.suffix == ".ipynb" else might_use_torchvision
    if not textual_check(source):
        return FileResult(name, migrated=b"")
    if b"\0" in source:
        return FileResult(name, source, diagnostics=[Diagnostic(1, 1, Code.UNREADABLE, "binary")])
    return source


def migrate_file(path: Path, style: str = "enum") -> FileResult:
    source = screen_file(path)
    if isinstance(source, FileResult):
        return source
    name = str(path)
    try:
        if path.suffix == ".ipynb":
            return _migrate_notebook(source, name, style)
        if not syntax_might_need_migration(source):  # screen_file did the textual check
            return FileResult(name, source, source)
        return _migrate_screened(source, name, style)
    except UnsafeRewrite as error:
        diagnostic = Diagnostic(1, 1, Code.NOT_WRITTEN, f"{error}; the file is left as it was")
    except NotebookError as error:
        diagnostic = Diagnostic(1, 1, Code.UNREADABLE, f"cannot migrate notebook: {error}")
    except Unparsable as error:
        diagnostic = Diagnostic(error.line, error.column, Code.UNREADABLE, f"cannot parse: {error}")
    except (UnicodeDecodeError, LookupError, SyntaxError) as error:
        diagnostic = Diagnostic(1, 1, Code.UNREADABLE, f"cannot decode: {error}")
    return FileResult(name, original=source, diagnostics=[diagnostic])


def without_codes(result: FileResult, codes: frozenset[str]) -> FileResult:
    """The result with the findings of disabled codes dropped; with MW001 (the fixes) disabled,
    nothing is changed."""
    if not codes:
        return result
    kept = [d for d in result.diagnostics if d.code.code not in codes]
    if Code.FIXED.code in codes and not result.failed:
        return replace(result, migrated=result.original, diagnostics=kept, rewrites=[], cells=[])
    return replace(result, diagnostics=kept)


def _migrate_notebook(source: bytes, path: str, style: str) -> FileResult:
    from migrate_weights.pipeline.notebooks import migrate_notebook

    def migrate_module(module: bytes) -> FileResult:
        return migrate_source(module, path, style)

    migrated, diagnostics, rewrites, cells = migrate_notebook(source, path, migrate_module)
    return FileResult(path, source, migrated, "utf-8", diagnostics, rewrites, cells)


def _text_diff(before: str, after: str, name: str) -> str:
    import difflib

    lines = []
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    for line in difflib.unified_diff(old, new, name, name):
        lines.append(line)
        if not line.endswith(("\n", "\r")):
            lines.append("\n\\ No newline at end of file\n")
    return "".join(lines)


def unified_diff(result: FileResult) -> str:
    """The change as a unified diff; for a notebook, of each changed cell's source."""
    assert result.migrated is not None
    if result.cells:
        return "".join(
            _text_diff(cell.before, cell.after, f"{result.path}:cell {cell.number}")
            for cell in result.cells
        )
    before = result.original.decode(result.encoding)
    return _text_diff(before, result.migrated.decode(result.encoding), result.path)


class NotWritten(Exception):
    pass


def write_atomically(path: Path, data: bytes, original: bytes, roots: Iterable[Path]) -> None:
    """Replace the file's content in one step (a temporary file in the same folder, then a
    rename), keeping its permission bits. Nothing is written when the file changed since it was
    read, or when it is a symbolic link to a place outside the paths the run was given."""
    target = Path(os.path.realpath(path))
    if path.is_symlink():
        # A folder given counts with what it holds; a file given is the link, not its target.
        inside = [Path(os.path.realpath(r) if r.is_dir() else os.path.abspath(r)) for r in roots]
        if not any(target == root or root in target.parents for root in inside):
            raise NotWritten(f"a symbolic link to {target}, outside the paths given")
    if target.read_bytes() != original:
        raise NotWritten("it changed on disk since it was read")
    mode = target.stat().st_mode
    import tempfile

    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, mode & 0o7777)
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise


def write_result(result: FileResult, roots: Iterable[Path]) -> FileResult:
    """Write a changed file; on refusal or failure, the result says why and counts as failed."""
    assert result.migrated is not None
    try:
        write_atomically(Path(result.path), result.migrated, result.original, roots)
    except (NotWritten, OSError) as error:
        reason = f"not written: {error.strerror if isinstance(error, OSError) else error}"
        diagnostic = Diagnostic(1, 1, Code.NOT_WRITTEN, reason)
        return replace(result, migrated=None, diagnostics=[*result.diagnostics, diagnostic])
    return result
