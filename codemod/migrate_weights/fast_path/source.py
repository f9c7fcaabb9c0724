"""Where the fast path edits: byte offsets and character columns of a module's source, an edit of
its bytes, and the signal that a file needs the full path."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from migrate_weights.pipeline.parse import Located, end_of
from migrate_weights.pipeline.safety import line_starts


class FullPath(Exception):
    """The file needs the full path."""


@dataclass
class Edit:
    start: int  # byte offsets in the source
    end: int
    text: str


class Source:
    """Byte offsets and character columns of a module's source."""

    def __init__(self, source: bytes) -> None:
        self.source = source
        self.line_starts = line_starts(source)

    def offset(self, line: int, column: int) -> int:
        return self.line_starts[line - 1] + column

    def span(self, node: Located) -> tuple[int, int]:
        return self.offset(node.lineno, node.col_offset), self.offset(*end_of(node))

    def text(self, node: Located) -> str:
        start, end = self.span(node)
        return self.source[start:end].decode("utf-8")

    def indentation(self, node: ast.stmt) -> str:
        start = self.line_starts[node.lineno - 1]
        line = self.source[start : self.line_starts[node.lineno]]
        return line[: len(line) - len(line.lstrip(b" \t"))].decode("utf-8")

    def column(self, node: Located) -> int:
        """1-based, in characters, as LibCST reports positions."""
        start = self.line_starts[node.lineno - 1]
        prefix = self.source[start : start + node.col_offset]
        return len(prefix.decode("utf-8")) + 1
