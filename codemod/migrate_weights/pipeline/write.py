"""A changed file written back in one step, or shown as a diff."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from migrate_weights.diagnostics import Code, Diagnostic
from migrate_weights.pipeline.migrate import FileResult


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


@contextlib.contextmanager
def _uninterrupted() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the write is done: their handler's exception, raised in
    the middle of it, could leave the temporary file behind. Python runs handlers in the main
    thread whichever thread the signal reached (a pool's manager thread, too), so the handlers
    themselves are swapped for one that takes note, and the first signal noted is handed to its
    own handler after the write."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers, and only its run is interrupted
        return
    noted: list[signal.Signals] = []
    previous = {
        signum: signal.signal(signum, lambda number, frame: noted.append(signal.Signals(number)))
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if noted:
            handler = previous[noted[0]]
            if callable(handler):
                handler(noted[0], None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(noted[0])


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
    with _uninterrupted():
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
        except OSError:
            with contextlib.suppress(FileNotFoundError):
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
