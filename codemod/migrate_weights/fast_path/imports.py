"""What `imports.append_names` and `imports.remove_names` make of a `from module import ...`,
written on its text, without LibCST, for the layouts black and isort write: every name on the
statement's one line, or one name a line in parentheses, each with its comma (names are also
appended to a one-line import in any spacing). Any other layout is left to LibCST (None)."""

from __future__ import annotations

import ast


def _written(alias: ast.alias) -> str:
    return f"{alias.name} as {alias.asname}" if alias.asname else alias.name


def edited(
    statement: ast.ImportFrom, written: str, dropped: set[str], added: list[str]
) -> str | None:
    """The statement (its source `written`) with `added` appended and the names bound to
    `dropped` taken out, as LibCST leaves it; some name must stay."""
    if not dropped and not any(mark in written for mark in "(#\\\n"):
        return written + "".join(f", {name}" for name in added)  # on one line, as written
    aliases = [_written(alias) for alias in statement.names]
    kept = [
        text
        for alias, text in zip(statement.names, aliases)
        if (alias.asname or alias.name) not in dropped
    ] + added
    head = f"from {'.' * statement.level}{statement.module or ''} import "
    if written == head + ", ".join(aliases):
        return head + ", ".join(kept)
    lines = written[len(head) + 2 : -1]
    indentation = lines[: len(lines) - len(lines.lstrip(" "))]
    if not indentation or written != f"{head}(\n{_one_a_line(aliases, indentation)})":
        return None
    listed = _one_a_line(kept, indentation)
    last = statement.names[-1]
    if not added and (last.asname or last.name) in dropped:
        listed = listed[: -len(",\n")]  # the new last name loses its comma and line break
    return f"{head}(\n{listed})"


def _one_a_line(names: list[str], indentation: str) -> str:
    return "".join(f"{indentation}{name},\n" for name in names)
