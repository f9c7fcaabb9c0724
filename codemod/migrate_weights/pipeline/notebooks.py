"""Jupyter notebooks: the code cells are migrated together, as one module (an import in one cell
serves a call in another), and the notebook is written back changing only the edited lines.

IPython syntax (`%magic`, `!shell`, `x = !cmd`, `obj?`) is masked as `pass` for the rewrite and
restored after it; a cell that starts with a `%%` cell magic is not Python and is left alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from migrate_weights.diagnostics import CallRewrite, Diagnostic, NotebookError

IPYTHON_LINE = re.compile(r"^\s*(?:[%!?]|[\w.]+\s*=\s*[%!])|\?\s*$")
# At the top level a comment (so that imports added after the cell's imports land there); in a
# block a statement, which the block needs.
MASK_TOP = "# migrate-weights: ipython line {}"
MASK_BLOCK = "pass  # migrate-weights: ipython line {}"
MASKED = re.compile(r"^\s*(?:pass  )?# migrate-weights: ipython line (\d+)$")
CELL_MARK = "# migrate-weights: cell {}"
CELL_MARKED = re.compile(r"^# migrate-weights: cell (\d+)$")


@dataclass
class CellChange:
    number: int  # 1-based, counting every cell as Jupyter shows them
    before: str
    after: str


Cell = dict[str, Any]  # as json.loads reads it


def _source_text(cell: Cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _with_source(cell: Cell, text: str) -> None:
    cell["source"] = text.splitlines(keepends=True) if isinstance(cell["source"], list) else text


def _serializer(text: str, notebook: object) -> Callable[[object], str] | None:
    """The json.dumps settings that reproduce the file byte for byte, so that a changed notebook
    differs from the original only where its content does."""
    for indent in (1, 2, 4, None):
        for ensure_ascii in (False, True):
            body = json.dumps(notebook, indent=indent, ensure_ascii=ensure_ascii)
            for end in ("\n", ""):
                if body + end == text:
                    return lambda nb: json.dumps(nb, indent=indent, ensure_ascii=ensure_ascii) + end
    return None


def _mask(text: str, masked: list[str]) -> str:
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if IPYTHON_LINE.search(line.rstrip("\r\n")):
            indent = line[: len(line) - len(line.lstrip())]
            ending = line[len(line.rstrip("\r\n")) :]
            mask = MASK_BLOCK if indent else MASK_TOP
            lines[index] = indent + mask.format(len(masked)) + ending
            masked.append(line)
    return "".join(lines)


def _unmask(text: str, masked: list[str]) -> str:
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        found = MASKED.match(line.rstrip("\r\n"))
        if found:
            lines[index] = masked[int(found.group(1))]
    return "".join(lines)


class ModuleResult(Protocol):
    """What a notebook needs of the rewrite of its cells as one module (a FileResult)."""

    @property
    def migrated(self) -> bytes | None: ...

    @property
    def diagnostics(self) -> list[Diagnostic]: ...

    @property
    def rewrites(self) -> list[CallRewrite]: ...


def migrate_notebook(
    raw: bytes, migrate_module: Callable[[bytes], ModuleResult]
) -> tuple[bytes, list[Diagnostic], list[CallRewrite], list[CellChange]]:
    """(new bytes, diagnostics, rewritten call sites, cell changes). `migrate_module(source
    bytes)` is the rewrite of one module; its parse errors propagate."""
    try:
        text = raw.decode("utf-8")
        notebook = json.loads(text)
        cells = notebook["cells"]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
        raise NotebookError(f"not a notebook: {error}") from error

    masked: list[str] = []
    parts, owners = [], []  # module lines, and the cell each line of the module came from
    for number, cell in enumerate(cells, start=1):
        source = _source_text(cell)
        if cell.get("cell_type") != "code" or source.lstrip().startswith("%%"):
            continue
        body = _mask(source, masked)
        part = CELL_MARK.format(number) + "\n" + body + ("" if body.endswith("\n") else "\n")
        parts.append(part)
        owners += [(number, line) for line in range(0, part.count("\n"))]
    if not parts:
        return raw, [], [], []
    module = "".join(parts)
    result = migrate_module(module.encode("utf-8"))
    assert result.migrated is not None  # parse errors raise

    diagnostics, rewrites = [], []
    for diagnostic in result.diagnostics:
        number, line = owners[diagnostic.line - 1]
        diagnostics.append(replace(diagnostic, line=line, cell=number))
    for rewrite in result.rewrites:
        number, line = owners[rewrite.line - 1]
        rewrites.append(replace(rewrite, line=line, cell=number))

    migrated_cells: dict[int, list[str]] = {}
    current = None
    for text_line in result.migrated.decode("utf-8").splitlines(keepends=True):
        marked = CELL_MARKED.match(text_line.rstrip("\n"))
        if marked:
            current = int(marked.group(1))
            migrated_cells[current] = []
        elif current is not None:
            migrated_cells[current].append(text_line)
        else:  # an import added above the first cell's mark
            migrated_cells.setdefault(-1, []).append(text_line)
    first = min(number for number in migrated_cells if number > 0)
    migrated_cells[first] = migrated_cells.pop(-1, []) + migrated_cells[first]

    changes = []
    for number, lines in migrated_cells.items():
        cell = cells[number - 1]
        before = _source_text(cell)
        after = _unmask("".join(lines), masked)
        # The cell keeps its own ending (the module needed a newline between cells).
        after = after.rstrip("\n") + before[len(before.rstrip("\n")) :]
        if after != before:
            changes.append(CellChange(number, before, after))
            _with_source(cell, after)
    if not changes:
        return raw, diagnostics, rewrites, []
    serialize = _serializer(text, json.loads(text))
    if serialize is None:
        raise NotebookError("its JSON layout is not one that can be written back unchanged")
    return serialize(notebook).encode("utf-8"), diagnostics, rewrites, changes
