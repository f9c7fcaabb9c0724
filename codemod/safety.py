"""The last check before a file is written: the new source parses, and its syntax tree differs
from the old one only in the expressions a fix was reported at (same line and column), and in
imports from torchvision or torch (which fixes add and remove)."""

from __future__ import annotations

import ast
import io
import tokenize
from typing import Any

Position = tuple[int, int]  # line, 1-based column in characters, as findings report them


class UnsafeRewrite(Exception):
    pass


def _is_managed_import(node: ast.stmt) -> bool:
    if isinstance(node, ast.ImportFrom):
        names = [node.module or ""]
    elif isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        return False
    return all(name.split(".")[0] in ("torchvision", "torch") for name in names)


class _Comparison:
    def __init__(self, old_lines: list[str], edited: set[Position]) -> None:
        self.old_lines = old_lines
        self.edited = edited

    def is_edited(self, node: ast.expr) -> bool:
        line = self.old_lines[node.lineno - 1].encode("utf-8")
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
        if all(self.same(getattr(old, f), getattr(new, f)) for f in old._fields):
            return True
        return isinstance(old, ast.expr) and self.is_edited(old)


def _lines(source: bytes) -> list[str]:
    encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    return source.decode(encoding).splitlines()


def check(old_source: bytes, new_source: bytes, edited: set[Position]) -> None:
    try:
        new = ast.parse(new_source)
    except SyntaxError as error:
        raise UnsafeRewrite(f"the rewritten source does not parse: {error}") from error
    old = ast.parse(old_source)
    if not _Comparison(_lines(old_source), edited).same(old, new):
        raise UnsafeRewrite("the rewrite changed code outside the calls it meant to edit")
