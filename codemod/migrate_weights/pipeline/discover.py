"""The files a run looks at: those named, and the Python files and notebooks under the folders
named."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

SUFFIXES = (".py", ".ipynb")
SKIPPED_DIRECTORIES = {
    ".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", ".eggs", "__pycache__",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", "build", "dist", "node_modules",
    "site-packages",
}  # fmt: skip


def _skipped(folder: os.DirEntry[str]) -> bool:
    return (
        folder.name in SKIPPED_DIRECTORIES
        or folder.name.endswith(".egg-info")
        or os.path.exists(os.path.join(folder.path, "pyvenv.cfg"))
    )


def python_files(paths: Iterable[Path]) -> Iterator[str]:
    """Files named on the command line as they are; directories walked for `*.py`, in a stable
    order, skipping version control, virtual environments, build output and symbolic links.
    Paths are strings, joined as `Path` joins them (`a.py`, not `./a.py`): a `Path` for each of
    thousands of files costs more than reading most of them, where it is made and again where a
    worker process receives it."""
    for path in paths:
        if not path.is_dir():
            yield str(path)
            continue
        folder = str(path)
        unreadable: list[str] = []
        yield from _walk(
            folder, "" if folder == os.curdir else os.path.join(folder, ""), unreadable
        )
        # A folder that vanished or cannot be listed: reading it reports why.
        yield from unreadable


def _walk(directory: str, prefix: str, unreadable: list[str]) -> Iterator[str]:
    """A folder's files, then its folders' (`os.walk`'s order, sorted by name), without a system
    call per file: the listing tells what is a link. `prefix`: what the paths in it start with."""
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
            yield prefix + entry.name
    for folder in folders:
        if not _skipped(folder):
            path = prefix + folder.name
            yield from _walk(path, path + os.sep, unreadable)
