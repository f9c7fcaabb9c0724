"""Findings in the formats a person, a program or a CI service reads: text, json, github."""

from __future__ import annotations

from collections.abc import Callable

from migrate_weights.diagnostics import Code, Diagnostic

FORMATS = ("text", "json", "github")


class JsonFindings:
    """One JSON array, one object per finding, written as the findings come (the text of
    `json.dumps(findings, indent=2)`, without holding them all)."""

    def __init__(self, write: Callable[[str], object]) -> None:
        self.write = write
        self.count = 0

    def add(self, path: str, d: Diagnostic) -> None:
        import json  # here: a run in another format starts sooner without it
        import textwrap

        finding = {
            "path": path,
            "cell": d.cell,
            "line": d.line,
            "column": d.column,
            "code": d.code.code,
            "message": d.message,
            "fix": {"old": d.fix[0], "new": d.fix[1]} if d.fix else None,
        }
        self.write(
            ("," if self.count else "[")
            + "\n"
            + textwrap.indent(json.dumps(finding, indent=2), "  ")
        )
        self.count += 1

    def close(self) -> None:
        self.write("\n]\n" if self.count else "[]\n")


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(path: str, diagnostic: Diagnostic) -> str:
    """A GitHub Actions workflow command: `::warning file=...,line=...,col=...,title=...::msg`.
    In a notebook, the line is the file's line that holds the cell's source line (left out
    where it is not known), and the message starts with the cell's position."""
    level = "error" if diagnostic.code in (Code.UNREADABLE, Code.INTERNAL) else "warning"
    where: list[tuple[str, object]] = [("line", diagnostic.line), ("col", diagnostic.column)]
    message = diagnostic.message
    if diagnostic.cell is not None:
        where = [("line", diagnostic.file_line)] if diagnostic.file_line else []
        message = f"{diagnostic.location('')[1:]}: {message}"
    properties = ",".join(
        f"{key}={_escape_property(str(value))}"
        for key, value in (
            ("file", path),
            *where,
            ("title", f"{diagnostic.code.code} {diagnostic.code.summary}"),
        )
    )
    return f"::{level} {properties}::{_escape_data(message)}"
