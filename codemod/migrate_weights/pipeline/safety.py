"""The last check before a file is written: the new source parses, and its syntax tree differs
from the old one only in the expressions a fix was reported at (same line and column), in
top-level imports from torchvision or torch (which fixes add and remove), in names appended to
such an import in a block, or such imports added to a block (a lazy or guarded import that an
enum joins, or follows), and in such imports a fix was reported at, wherever they sit (the
`try` of an import with a fallback), or in the modules of torch or torchvision such an import
names beside others (`import os, torchvision.models.utils as hub`).

Given the byte ranges a rewrite replaced (the fast path's), it parses again only the statements
those touch: runs of top-level statements or, inside a statement with blocks, runs of a block's
statements that start their own lines (parsed at their indentation, inside `if 1:`). It checks
that the replacements make the new source, and that each run still starts and ends at a line
break and, in a block, keeps its indentation, so that the text between the runs is the old text
between the same statement boundaries, which parses as before. Otherwise the whole module is
parsed again."""

from __future__ import annotations

import ast
import bisect
import io
import itertools
import re
import tokenize
from collections.abc import Callable
from typing import Any

from migrate_weights.diagnostics import UnsafeRewrite
from migrate_weights.pipeline.parse import blocks, start_line
from migrate_weights.rules.legacy_api import IMPORT_ROOTS

Position = tuple[int, int]  # line, 1-based column in characters, as findings report them
Replacement = tuple[int, int, bytes]  # bytes [start, end) of the old source, and their new text
_LINE_END = re.compile(r"\r\n?|\n")  # Python's line ends: not str.splitlines' form feed & co.
_ELIF = re.compile(rb"elif\b")


def _is_managed_import(node: ast.stmt) -> bool:
    if isinstance(node, ast.ImportFrom):
        names = [node.module or ""]
    elif isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        return False
    return all(map(_is_managed, names))


def _is_managed(module: str) -> bool:
    return module.split(".")[0] in IMPORT_ROOTS


def _managed_modules_replaced(old: ast.Import, new: ast.stmt) -> bool:
    """Whether `new` imports what `old` does, module by module, but for modules of torch or
    torchvision replaced by others that bind the same name (`import os, torchvision.models.utils
    as hub`: `import os, torch.hub as hub`)."""
    if not isinstance(new, ast.Import) or len(new.names) != len(old.names):
        return False
    return all(
        (a.name, a.asname) == (b.name, b.asname)
        or (_is_managed(a.name) and _is_managed(b.name) and _bound(old, a) == _bound(new, b))
        for a, b in zip(old.names, new.names)
    )


def _only_appended(old: ast.ImportFrom, new: ast.ImportFrom) -> bool:
    """Whether `new` imports what `old` does, in the same order, and more names after them."""
    kept = [(alias.name, alias.asname) for alias in new.names[: len(old.names)]]
    return (old.module, old.level) == (new.module, new.level) and kept == [
        (alias.name, alias.asname) for alias in old.names
    ]


def _binds_the_same(old: ast.Import | ast.ImportFrom, new: ast.stmt) -> bool:
    """Whether `new` is an import that binds the same names as `old`, in the same order."""
    if not isinstance(new, (ast.Import, ast.ImportFrom)):
        return False
    return [_bound(old, a) for a in old.names] == [_bound(new, a) for a in new.names]


def _bound(statement: ast.Import | ast.ImportFrom, alias: ast.alias) -> str:
    if isinstance(statement, ast.Import):
        return alias.asname or alias.name.split(".")[0]
    return alias.asname or alias.name


class _Lines:
    """A module's lines as UTF-8, the encoding the syntax tree's columns count in."""

    def __init__(self, source: bytes) -> None:
        self.source = source
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
        self.source_lines = encoding == "utf-8"  # whether `lines` are the source's own
        if self.source_lines:  # bytes split only where Python's lines end
            self.lines = source.splitlines(keepends=True)
            return
        text = source.decode(encoding)
        starts = [0, *(match.end() for match in _LINE_END.finditer(text))]
        self.lines = [text[a:b].encode("utf-8") for a, b in zip(starts, [*starts[1:], None])]

    def starts(self) -> list[int]:
        """Where each line starts in the source's bytes, and where it ends."""
        return _starts(self.lines) if self.source_lines else line_starts(self.source)

    def statement_text(self, node: ast.stmt) -> bytes:
        """From the start of the statement's first line (its decorators') to its end."""
        first = start_line(node)
        return self._text(first, 0, node.end_lineno or first, node.end_col_offset)

    def expression_text(self, node: ast.expr) -> bytes:
        return self._text(node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)

    def _text(self, line: int, column: int, end_line: int | None, end_column: int | None) -> bytes:
        if line == end_line:
            return self.lines[line - 1][column:end_column]
        lines = self.lines[line - 1 : end_line]
        return lines[0][column:] + b"".join(lines[1:-1]) + lines[-1][:end_column]


class _Comparison:
    def __init__(self, old: _Lines, new: _Lines, edited: set[Position]) -> None:
        self.old, self.new = old, new
        self.edited = edited

    def is_edited(self, node: ast.expr | ast.stmt) -> bool:
        line = self.old.lines[node.lineno - 1]
        column = len(line[: node.col_offset].decode("utf-8", errors="replace")) + 1
        return (node.lineno, column) in self.edited

    def same_statements(self, old: list[ast.stmt], new: list[ast.stmt]) -> bool:
        """Top-level statements: the same but for imports from torchvision or torch."""
        old = [s for s in old if not _is_managed_import(s)]
        return self.same(old, [s for s in new if not _is_managed_import(s)])

    def same_block(self, old: list[ast.stmt], new: list[ast.stmt]) -> bool:
        """A block's statements: the same, but for imports from torchvision or torch the new
        one gains (the enums imported beside a lazy or guarded builder's import)."""
        matched = 0
        for statement in new:
            if matched < len(old) and self.same(old[matched], statement):
                matched += 1
            elif not _is_managed_import(statement):
                return False
        return matched == len(old)

    def same(self, old: Any, new: Any) -> bool:
        if type(old) is not type(new):
            return isinstance(old, ast.expr) and self.is_edited(old)
        if isinstance(old, list) and new and isinstance(new[0], ast.stmt):
            return self.same_block(old, new)
        if isinstance(old, list):
            return len(old) == len(new) and all(self.same(a, b) for a, b in zip(old, new))
        if not isinstance(old, ast.AST):
            return bool(old == new)
        if isinstance(old, ast.Module):
            return self.same_statements(old.body, new.body)
        if isinstance(old, (ast.Import, ast.ImportFrom)) and _is_managed_import(old):
            if isinstance(old, ast.ImportFrom) and _only_appended(old, new):
                return True
            # An import a fix was reported at, wherever it sits (in a `try` with a fallback):
            # the same names bound, from another module of torch or torchvision.
            if self.is_edited(old) and _is_managed_import(new) and _binds_the_same(old, new):
                return True
        if isinstance(old, ast.Import) and self.is_edited(old):
            if _managed_modules_replaced(old, new):
                return True
        # The same text parses to the same tree, and is cheaper to compare.
        if isinstance(old, ast.stmt) and old.col_offset == new.col_offset:
            if self.old.statement_text(old) == self.new.statement_text(new):
                return True
        elif isinstance(old, ast.expr):
            if self.old.expression_text(old) == self.new.expression_text(new):
                return True
            if self.is_edited(old):
                return True  # whatever it holds may change
        return all(self.same(getattr(old, f), getattr(new, f)) for f in old._fields)


def parse_again(source: bytes) -> ast.Module:
    """A rewritten source's (or a part's) syntax tree; UnsafeRewrite if it does not parse."""
    try:
        return ast.parse(source)
    except SyntaxError as error:
        raise UnsafeRewrite(f"the rewritten source does not parse: {error}") from error


def line_starts(source: bytes) -> list[int]:
    return _starts(source.splitlines(keepends=True))


def _starts(lines: list[bytes]) -> list[int]:
    return list(itertools.accumulate(map(len, lines), initial=0))


Run = tuple[int, int, list[ast.stmt]]  # first and last line, and the statements on them


def _runs(body: list[ast.stmt], ranges: list[tuple[int, int]]) -> list[Run]:
    """The runs of lines the line ranges touch, widened to the statements of `body` on them,
    in order, merged."""
    # The statements of a body follow one another: their first and last lines both ascend.
    starts = [start_line(s) for s in body]
    ends = [s.end_lineno or s.lineno for s in body]
    widened_ranges = []
    for first, last in ranges:
        while True:  # statements that share a line (`a; b`) widen each other
            low, high = bisect.bisect_left(ends, first), bisect.bisect_right(starts, last)
            if low >= high:  # on no statement's lines
                break
            widened = min(first, starts[low]), max(last, ends[high - 1])
            if widened == (first, last):
                break
            first, last = widened
        widened_ranges.append([first, last])
    widened_ranges.sort()
    merged: list[list[int]] = []
    for run in widened_ranges:
        if merged and run[0] <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], run[1])
        else:
            merged.append(run)
    return [
        (first, last, body[bisect.bisect_left(starts, first) : bisect.bisect_right(starts, last)])
        for first, last in merged
    ]


Region = tuple[list[ast.stmt], int, int, bool]  # statements, first and last line, in a block?


def _regions(
    body: list[ast.stmt], ranges: list[tuple[int, int]], lines: list[bytes]
) -> list[Region]:
    """The runs of top-level statements the line ranges touch; where a run is one statement
    with blocks, the runs of statements inside them that the ranges touch instead, as deep as
    each starts its own lines."""
    regions = []
    for first, last, run in _runs(body, ranges):
        inside = _in_blocks(run, [r for r in ranges if first <= r[0] <= last], lines)
        regions += inside or [(run, first, last, False)]
    return regions


def _in_blocks(
    run: list[ast.stmt], ranges: list[tuple[int, int]], lines: list[bytes]
) -> list[Region] | None:
    """The regions in the blocks of a run's one statement; None unless every range lies inside
    a block, in runs of statements that start their lines (not after a colon, not `elif`)."""
    if len(run) != 1:
        return None
    found, placed = [], 0
    for block in blocks(run[0]):
        block_first, block_last = start_line(block[0]), block[-1].end_lineno or block[-1].lineno
        inside = [r for r in ranges if block_first <= r[0] and r[1] <= block_last]
        placed += len(inside)
        for first, last, statements in _runs(block, inside) if inside else []:
            line = lines[first - 1]
            indentation = len(line) - len(line.lstrip(b" \t"))
            if not statements or indentation != statements[0].col_offset:
                return None
            if _ELIF.match(line, indentation):
                return None
            deeper = _in_blocks(statements, [r for r in inside if first <= r[0] <= last], lines)
            found += deeper or [(statements, first, last, True)]
    return found if placed == len(ranges) else None


def _reparsed(
    text: bytes, first: int, in_block: bool, parse: Callable[[bytes], ast.Module]
) -> list[ast.stmt] | None:
    """The statements of a region's new text (`first`: its first line in the new source),
    parsed at their lines; in a block, inside `if 1:` (None where the text is no run of
    statements of one block)."""
    if not in_block:
        return parse(b"\n" * (first - 1) + text).body
    try:
        module = parse(b"\n" * (first - 2) + b"if 1:\n" + text)
    except UnsafeRewrite:
        return None  # the whole module's parse tells
    block = module.body[0] if len(module.body) == 1 else None
    if not isinstance(block, ast.If) or block.orelse:
        return None
    return block.body


def _touched_pairs(
    old_source: bytes,
    new_source: bytes,
    old: ast.Module,
    old_lines: _Lines,
    new_lines: _Lines,
    replacements: list[Replacement],
    parse: Callable[[bytes], ast.Module],
) -> list[tuple[list[ast.stmt], list[ast.stmt], bool]] | None:
    """For each region the replacements touch: the old statements, those its new text parses
    to, placed at their lines in the new source, and whether it is in a block. None where a
    region's new text does not start and end at line breaks, or is not a run of statements at
    the old ones' indentation: the whole module is then compared. Otherwise the text between
    the regions is the old text, between the same statement boundaries."""
    pieces, position = [], 0
    for start, end, text in replacements:
        pieces += [old_source[position:start], text]
        position = end
    if b"".join([*pieces, old_source[position:]]) != new_source:
        raise UnsafeRewrite("the rewritten source is not what its edits make")
    old_starts, new_starts = old_lines.starts(), new_lines.starts()
    old_starts.append(len(old_source) + 1)  # past the end: a line after the last
    ranges = []
    for start, end, _ in replacements:
        first = bisect.bisect_right(old_starts, start)
        ranges.append((first, max(first, bisect.bisect_right(old_starts, end - 1))))
    pairs = []
    for statements, first, last, in_block in _regions(old.body, ranges, old_lines.lines):
        start, end = old_starts[first - 1], min(old_starts[last], len(old_source))
        new_start = start + sum(len(t) - (e - s) for s, e, t in replacements if s < start)
        new_end = end + sum(len(t) - (e - s) for s, e, t in replacements if s < end)
        if new_start not in new_starts or (
            new_end not in new_starts and new_end != len(new_source)
        ):
            return None
        new_first = bisect.bisect_right(new_starts, new_start)
        new = _reparsed(new_source[new_start:new_end], new_first, in_block, parse)
        if new is None or (in_block and new[0].col_offset != statements[0].col_offset):
            return None
        pairs.append((statements, new, in_block))
    return pairs


def check(
    old_source: bytes,
    new_source: bytes,
    edited: set[Position],
    old: ast.Module | None = None,
    replacements: list[Replacement] | None = None,
    parse: Callable[[bytes], ast.Module] = parse_again,
) -> None:
    """`old`: the old source's tree, when it is at hand. `replacements`: the old source's bytes
    [start, end) replaced, in order, that make the new source, when known (on the fast path):
    then only the statements they touch are parsed again and compared, the rest being the same
    text between the same statement boundaries. `parse`: how a new text is parsed again."""
    old_lines, new_lines, pairs = _Lines(old_source), _Lines(new_source), None
    if old is not None and replacements is not None:
        pairs = _touched_pairs(
            old_source, new_source, old, old_lines, new_lines, replacements, parse
        )
    if pairs is None:
        new = parse(new_source)
        pairs = [((old or ast.parse(old_source)).body, new.body, False)]
    comparison = _Comparison(old_lines, new_lines, edited)
    for old_statements, new_statements, in_block in pairs:
        compare = comparison.same if in_block else comparison.same_statements
        if not compare(old_statements, new_statements):
            raise UnsafeRewrite("the rewrite changed code outside the calls it meant to edit")
