"""Jupyter notebooks: the code cells are migrated together, as one module (an import in one cell
serves a call in another), and the notebook is written back changing only the edited lines.

Each cell is read as IPython reads it: a cell whose first line is indented loses that indentation
on every line that has it (IPython's leading-indent cleanup), and lines of IPython syntax
(`%magic`, `!shell`, `x = !cmd`, `obj?`: logical lines, not lines inside brackets, strings or
comments; none in a cell that parses as Python) are masked for the rewrite and restored after
it. A cell that starts with a `%%` cell magic is not Python and is left alone; a cell that still
does not parse is left as it is and reported with its cell number, and the other cells are
migrated.
"""

from __future__ import annotations

import ast
import bisect
import io
import json
import re
import tokenize
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from migrate_weights.diagnostics import CallRewrite, Code, Diagnostic, NotebookError

# What starts a logical line of IPython syntax; `obj?` is told by its last character of code.
IPYTHON_START = re.compile(r"\s*(?:[%!?]|[\w.]+\s*=\s*[%!])")
_QUOTES = ('"""', "'''", '"', "'")
# At the top level a comment (so that imports added after the cell's imports land there); in a
# block a statement, which the block needs.
MASK_TOP = "# migrate-weights: ipython line {}"
MASK_BLOCK = "pass  # migrate-weights: ipython line {}"
MASKED = re.compile(r"^\s*(?:pass  )?# migrate-weights: ipython line (\d+)$")
CELL_MARK = "# migrate-weights: cell {}"
CELL_MARKED = re.compile(r"^# migrate-weights: cell (\d+)$")
SOURCE_MARK = "migrate-weights source {} {}"  # a cell's number and a source element's index
SOURCE_MARKED = re.compile(r'"migrate-weights source (\d+) (\d+)"')


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
    """The cell's source set to `text` in its stored shape: one string, a list of one string,
    or a list of lines."""
    source = cell["source"]
    if isinstance(source, list):
        cell["source"] = [text] if len(source) == 1 else text.splitlines(keepends=True)
    else:
        cell["source"] = text


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


def _indentation(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


@dataclass
class _CellCode:
    """A code cell as Python reads it: without IPython's leading indentation, masked."""

    number: int
    source: str
    indent: str = ""  # removed from every line, as IPython's leading-indent cleanup does
    body: str = ""  # the cell's code as Python reads it

    @classmethod
    def of(cls, number: int, source: str, masked: list[str]) -> _CellCode:
        lines = source.splitlines(keepends=True)
        indent = _indentation(lines[0]) if lines and lines[0].strip() else ""
        if indent and all(line.startswith(indent) for line in lines if line.strip()):
            lines = [line[len(indent) :] if line.strip() else line for line in lines]
        else:
            indent = ""
        code = cls(number, source, indent)
        code.body = _mask(lines, masked)
        return code

    def restored(self, text: str, masked: list[str]) -> str:
        lines = _unmask(text, masked).splitlines(keepends=True)
        return "".join(self.indent + line if line.strip() else line for line in lines)


@dataclass
class _Reading:
    """Where Python's tokenizer is after some lines: open brackets, an open string's quote, a
    line continued by a backslash."""

    depth: int = 0
    quote: str = ""
    continued: bool = False

    @property
    def at_a_new_line(self) -> bool:
        """Whether the next line starts a logical line, as IPython's syntax must."""
        return not (self.depth or self.quote or self.continued)

    def read(self, line: str) -> str:
        """Read a line (without its line break); its last character of code, outside strings
        and comments ("" for none)."""
        last, index, string_goes_on = "", 0, False
        while index < len(line):
            if self.quote:
                if line[index] == "\\":
                    string_goes_on = index + 1 == len(line)  # a backslash before the line break
                    index += 2
                elif line.startswith(self.quote, index):
                    index, self.quote, last = index + len(self.quote), "", self.quote[0]
                else:
                    index += 1
                continue
            character = line[index]
            if character == "#":
                break
            self.quote = next((q for q in _QUOTES if line.startswith(q, index)), "")
            if self.quote:
                index, last = index + len(self.quote), self.quote[0]
                continue
            self.depth = max(self.depth + (character in "([{") - (character in ")]}"), 0)
            last = character if not character.isspace() else last
            index += 1
        self.continued = last == "\\" and not self.quote
        if len(self.quote) == 1 and not string_goes_on:
            self.quote = ""  # an unclosed string ends with its line (a syntax error)
        return last


def _is_ipython(line: str, reading: _Reading) -> bool:
    """Whether a line is IPython syntax: a logical line that starts with a magic, a shell escape
    or help (`x = !cmd` too), or ends with help (`obj?`), outside strings and comments."""
    if not reading.at_a_new_line:
        return False
    if IPYTHON_START.match(line):
        return True
    alone = _Reading()
    return alone.read(line) == "?" and alone.at_a_new_line


def _mask(lines: list[str], masked: list[str]) -> str:
    """IPython lines as a comment, or as `pass` where one is indented under a line of code. A
    cell that Python parses as it is holds none."""
    try:
        ast.parse("".join(lines))
    except (SyntaxError, ValueError):
        lines = list(lines)
    else:
        return "".join(lines)
    shallowest: int | None = None  # the least indentation of a line of code so far
    reading = _Reading()
    for index, line in enumerate(lines):
        content = line.rstrip("\r\n")
        indent = _indentation(content)
        if _is_ipython(content, reading):
            in_block = shallowest is not None and len(indent) > shallowest
            mask = MASK_BLOCK if in_block else MASK_TOP
            lines[index] = indent + mask.format(len(masked)) + line[len(content) :]
            masked.append(line)
            continue
        starts_a_line = reading.at_a_new_line
        reading.read(content)
        if starts_a_line and content.strip() and not content.lstrip().startswith("#"):
            shallowest = len(indent) if shallowest is None else min(shallowest, len(indent))
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
    codes: dict[int, _CellCode] = {}
    diagnostics: list[Diagnostic] = []
    for number, cell in enumerate(cells, start=1):
        source = _source_text(cell)
        if cell.get("cell_type") != "code" or source.lstrip().startswith("%%"):
            continue
        code = _CellCode.of(number, source, masked)
        problem = _parse_problem(code)
        if problem is None:
            codes[number] = code
        else:
            diagnostics.append(problem)
    rewrites: list[CallRewrite] = []
    changes: list[CellChange] = []
    if codes:
        found, rewrites, migrated = _migrated_cells(codes, masked, migrate_module)
        diagnostics += found
        for number, after in migrated.items():
            before = _source_text(cells[number - 1])
            if after != before:
                changes.append(CellChange(number, before, after))
                _with_source(cells[number - 1], after)
    diagnostics.sort(key=lambda d: (d.cell or 0, d.line, d.column))
    if not (changes or diagnostics):
        return raw, [], rewrites, []
    serialize = _serializer(text, json.loads(text))
    if serialize is not None:
        diagnostics = _placed_in_file(diagnostics, text, serialize)
    if not changes:
        return raw, diagnostics, rewrites, []
    if serialize is None:
        raise NotebookError("its JSON layout is not one that can be written back unchanged")
    return serialize(notebook).encode("utf-8"), diagnostics, rewrites, changes


def _parse_problem(code: _CellCode) -> Diagnostic | None:
    """MW004 for a cell that does not parse, even as IPython reads it, or where a line taken for
    IPython syntax is inside brackets as Python reads the cell (so that a line of code there is
    never hidden from the rules)."""
    try:
        ast.parse(code.body)
    except (SyntaxError, ValueError) as error:
        line = getattr(error, "lineno", None) or 1
        column = (getattr(error, "offset", None) or 1) + len(code.indent)
        return _unparsable(code, line, column, getattr(error, "msg", None) or str(error))
    line = _masked_in_brackets(code.body)
    if line is not None:
        return _unparsable(code, line, 1 + len(code.indent), "IPython syntax inside brackets")
    return None


def _unparsable(code: _CellCode, line: int, column: int, why: str) -> Diagnostic:
    message = f"cannot parse this cell: {why}; it is left as it was"
    return Diagnostic(line, column, Code.UNREADABLE, message, cell=code.number)


def _masked_in_brackets(body: str) -> int | None:
    """The line of the first masked line that Python's tokenizer reads inside brackets, if any."""
    depth = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(body).readline):
            if token.type == tokenize.OP and token.string in ("(", "[", "{", ")", "]", "}"):
                depth += 1 if token.string in ("(", "[", "{") else -1
            elif token.type == tokenize.COMMENT and depth > 0 and MASKED.match(token.string):
                return token.start[0]
    except (tokenize.TokenError, SyntaxError):
        return None  # the parse above tells
    return None


def _migrated_cells(
    codes: dict[int, _CellCode], masked: list[str], migrate_module: Callable[[bytes], ModuleResult]
) -> tuple[list[Diagnostic], list[CallRewrite], dict[int, str]]:
    """The cells' code migrated as one module: its findings and rewrites placed in the cells,
    and each cell's new source."""
    parts, owners = [], []  # module lines, and the cell line each line of the module came from
    for number, code in codes.items():
        body = code.body
        part = CELL_MARK.format(number) + "\n" + body + ("" if body.endswith("\n") else "\n")
        parts.append(part)
        owners += [(number, line) for line in range(0, part.count("\n"))]
    result = migrate_module("".join(parts).encode("utf-8"))
    assert result.migrated is not None  # parse errors raise

    def placed(line: int, column: int) -> tuple[int, int, int]:
        """(cell line, column, cell) of a module line and column."""
        number, cell_line = owners[line - 1]
        return cell_line, column + len(codes[number].indent), number

    diagnostics, rewrites = [], []
    for d in result.diagnostics:
        line, column, number = placed(d.line, d.column)
        diagnostics.append(replace(d, line=line, column=column, cell=number))
    for r in result.rewrites:
        line, column, number = placed(r.line, r.column)
        rewrites.append(replace(r, line=line, column=column, cell=number))

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

    sources = {}
    for number, lines in migrated_cells.items():
        before = codes[number].source
        after = codes[number].restored("".join(lines), masked)
        # The cell keeps its own ending (the module needed a newline between cells).
        sources[number] = after.rstrip("\n") + before[len(before.rstrip("\n")) :]
    return diagnostics, rewrites, sources


def _placed_in_file(
    diagnostics: list[Diagnostic], text: str, serialize: Callable[[object], str]
) -> list[Diagnostic]:
    """The findings with the line of the notebook's file that holds each one's source line: the
    notebook serialised again, with each source element of their cells replaced by a mark."""
    notebook = json.loads(text)
    first_lines: dict[int, list[int]] = {}  # a cell -> the cell line each source element starts
    for number in {d.cell for d in diagnostics if d.cell is not None}:
        cell = notebook["cells"][number - 1]
        source = cell.get("source", "")
        pieces = source if isinstance(source, list) else [source]
        starts, line = [], 1
        for piece in pieces:
            starts.append(line)
            line += piece.count("\n")
        first_lines[number] = starts
        marks = [SOURCE_MARK.format(number, index) for index in range(len(pieces))]
        cell["source"] = marks if isinstance(source, list) else marks[0]
    file_lines = {}
    for file_line, line_text in enumerate(serialize(notebook).splitlines(), start=1):
        for found in SOURCE_MARKED.finditer(line_text):
            file_lines[int(found.group(1)), int(found.group(2))] = file_line
    placed = []
    for d in diagnostics:
        if d.cell is not None:
            element = bisect.bisect_right(first_lines[d.cell], d.line) - 1
            d = replace(d, file_line=file_lines.get((d.cell, max(element, 0))))
        placed.append(d)
    return placed
