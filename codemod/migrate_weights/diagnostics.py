"""Finding codes, the diagnostics the rewrite and the pipeline report, and the errors that become
findings."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Code(enum.Enum):
    """One code per kind of finding; the single source for output and the README."""

    FIXED = ("MW001", "legacy weights argument rewritten")
    NOT_FIXABLE = ("MW002", "legacy weights argument that cannot be rewritten statically")
    NO_LEGACY_WEIGHTS = ("MW003", "pretrained=True on a builder that has no legacy weights")
    UNREADABLE = ("MW004", "file could not be read or parsed")
    NOT_WRITTEN = ("MW005", "file not written: unsafe result, changed on disk, or link outside")
    INTERNAL = ("MW006", "internal error while migrating the file; it is never written")

    def __init__(self, code: str, summary: str) -> None:
        self.code = code
        self.summary = summary

    @property
    def needs_a_person(self) -> bool:
        return self in (Code.NOT_FIXABLE, Code.NO_LEGACY_WEIGHTS)

    @property
    def is_about_a_site(self) -> bool:
        """A finding at one use of the legacy API, rather than about a whole file."""
        return self is Code.FIXED or self.needs_a_person


Finding = tuple[Code, str]  # what a rule reports, before it is placed at a line and column


@dataclass(frozen=True)
class Diagnostic:
    line: int
    column: int  # 1-based, as editors count
    code: Code
    message: str
    fix: tuple[str, str] | None = None  # the call's source before and after, for MW001
    cell: int | None = None  # in a notebook, the cell (1-based) that `line` counts in
    file_line: int | None = None  # in a notebook, the line of its file that holds `line`

    def location(self, path: str) -> str:
        cell = f":cell {self.cell}" if self.cell is not None else ""
        return f"{path}{cell}:{self.line}:{self.column}"

    def render(self, path: str) -> str:
        return f"{self.location(path)}: {self.code.code} {self.message}"


@dataclass(frozen=True)
class CallRewrite:
    """One rewritten call site, as source text, for the verifier."""

    line: int
    column: int
    builder: str  # registered name, e.g. "quantized_resnet50"
    before: str
    after: str
    cell: int | None = None  # in a notebook, the cell (1-based) that `line` counts in

    def location(self, path: str) -> str:
        cell = f":cell {self.cell}" if self.cell is not None else ""
        return f"{path}{cell}:{self.line}:{self.column}"


class UnsafeRewrite(Exception):
    """The safety check refused a rewritten source (MW005)."""


class NotebookError(Exception):
    """A notebook that cannot be read or written back unchanged (MW004)."""
