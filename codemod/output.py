"""Findings in the formats a person, a program or a CI service reads: text, json, github."""

from __future__ import annotations

import json
from collections.abc import Iterable

from codemod.diagnostics import Code, Diagnostic

FORMATS = ("text", "json", "github")


def text_line(path: str, diagnostic: Diagnostic) -> str:
    return diagnostic.render(path)


def json_document(findings: Iterable[tuple[str, Diagnostic]]) -> str:
    """One JSON array, one object per finding."""
    objects = [
        {
            "path": path,
            "line": d.line,
            "column": d.column,
            "code": d.code.code,
            "message": d.message,
            "fix": {"old": d.fix[0], "new": d.fix[1]} if d.fix else None,
        }
        for path, d in findings
    ]
    return json.dumps(objects, indent=2)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(path: str, diagnostic: Diagnostic) -> str:
    """A GitHub Actions workflow command: `::warning file=...,line=...,col=...,title=...::msg`."""
    level = "error" if diagnostic.code is Code.UNREADABLE else "warning"
    properties = ",".join(
        f"{key}={_escape_property(str(value))}"
        for key, value in (
            ("file", path),
            ("line", diagnostic.line),
            ("col", diagnostic.column),
            ("title", f"{diagnostic.code.code} {diagnostic.code.summary}"),
        )
    )
    return f"::{level} {properties}::{_escape_data(diagnostic.message)}"
