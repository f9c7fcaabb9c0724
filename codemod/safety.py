"""The last check before a file is written: the new source parses, and its syntax tree differs
from the old one only in the expressions a fix was reported at (same line and column), and in
imports from torchvision or torch (which fixes add and remove)."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from typing import Any

from codemod.diagnostics import UnsafeRewrite

Position = tuple[int, int]  # line, 1-based column in characters, as findings report them
_LINE_END = re.compile(r"\r\n?|\n")  # Python's line ends: not str.splitlines' form feed & co.


def _is_managed_import(node: ast.stmt) -> bool:
    if isinstance(node, ast.ImportFrom):
        names = [node.module or ""]
    elif isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        return False
    return all(name.split(".")[0] in ("torchvision", "torch") for name in names)


class _Lines:
    """A module's lines as UTF-8, the encoding the syntax tree's columns count in."""

    def __init__(self, source: bytes) -> None:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
        text = source.decode(encoding)
        starts = [0, *(match.end() for match in _LINE_END.finditer(text))]
        self.lines = [text[a:b].encode("utf-8") for a, b in zip(starts, [*starts[1:], None])]

    def statement_text(self, node: ast.stmt) -> bytes:
        """From the start of the statement's first line (its decorators') to its end."""
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
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

    def is_edited(self, node: ast.expr) -> bool:
        line = self.old.lines[node.lineno - 1]
        column = len(line[: node.col_offset].decode("utf-8", errors="replace")) + 1
        return (node.lineno, column) in self.edited

    def same(self, old: Any, new: Any) -> bool:
        if type(old) is not type(new):
            return isinstance(old, ast.expr) and self.is_edited(old)
        if isinstance(old, list):
            return len(old) == len(new) and all(self.same(a, b) for a, b in zip(old, new))
        if not isinstance(old, ast.AST):
            return bool(old == new)
        if isinstance(old, ast.Module):
            old_body = [s for s in old.body if not _is_managed_import(s)]
            new_body = [s for s in new.body if not _is_managed_import(s)]
            return self.same(old_body, new_body)
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


def check(
    old_source: bytes, new_source: bytes, edited: set[Position], old: ast.Module | None = None
) -> None:
    """`old`: the old source's tree, when it is at hand."""
    try:
        new = ast.parse(new_source)
    except SyntaxError as error:
        raise UnsafeRewrite(f"the rewritten source does not parse: {error}") from error
    if old is None:
        old = ast.parse(old_source)
    comparison = _Comparison(_Lines(old_source), _Lines(new_source), edited)
    if not comparison.same(old, new):
        raise UnsafeRewrite("the rewrite changed code outside the calls it meant to edit")
