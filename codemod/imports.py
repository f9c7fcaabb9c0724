"""Adding names to an existing `from module import ...`, in the statement's own layout, and
removing import statements without losing the blank lines around them.

AddImportsVisitor re-flows a parenthesised multi-line import onto one line; here a name is
appended as the statement is written: on a line of its own in a multi-line import, after `, ` in
a one-line import.
"""

from __future__ import annotations

from typing import Callable

import libcst as cst


def _is_multiline(node: cst.ImportFrom) -> bool:
    return isinstance(node.lpar, cst.LeftParen) and isinstance(
        node.lpar.whitespace_after, cst.ParenthesizedWhitespace
    )


def append_names(node: cst.ImportFrom, names: list[str]) -> cst.ImportFrom:
    assert not isinstance(node.names, cst.ImportStar)
    aliases = list(node.names)
    last = aliases[-1]
    if _is_multiline(node):
        assert isinstance(node.lpar, cst.LeftParen)
        indent = node.lpar.whitespace_after.last_line  # type: ignore[union-attr]
        line_break = cst.ParenthesizedWhitespace(indent=True, last_line=indent)
        closing = last.comma.whitespace_after if isinstance(last.comma, cst.Comma) else None
        if isinstance(closing, cst.ParenthesizedWhitespace):
            # A trailing comma: the last name keeps its comment, the new last name its comma.
            aliases[-1] = last.with_changes(
                comma=cst.Comma(whitespace_after=closing.with_changes(last_line=indent))
            )
            end: cst.Comma | cst.MaybeSentinel = cst.Comma(
                whitespace_after=closing.with_changes(
                    first_line=cst.TrailingWhitespace(), empty_lines=[]
                )
            )
        else:
            aliases[-1] = last.with_changes(comma=cst.Comma(whitespace_after=line_break))
            end = last.comma
        new = [
            cst.ImportAlias(cst.Name(n), comma=cst.Comma(whitespace_after=line_break))
            for n in names
        ]
        new[-1] = new[-1].with_changes(comma=end)
    else:
        aliases[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        new = [
            cst.ImportAlias(
                cst.Name(n), comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            )
            for n in names
        ]
        new[-1] = new[-1].with_changes(comma=last.comma)
    return node.with_changes(names=aliases + new)


def remove_statements(
    body: list[cst.BaseStatement], going: Callable[[cst.BaseStatement], bool]
) -> list[cst.BaseStatement]:
    """The module body without the statements `going` picks. Comments above a removed statement
    go with it, but its blank lines stay, on the next statement that has none (RemoveImportsVisitor
    drops them too, which glues the following statement to a docstring)."""
    kept: list[cst.BaseStatement] = []
    blank: list[cst.EmptyLine] = []
    for statement in body:
        if going(statement):
            blank = blank or [line for line in statement.leading_lines if line.comment is None]
            continue
        if blank and not statement.leading_lines:
            statement = statement.with_changes(leading_lines=blank)
        blank = []
        kept.append(statement)
    return kept
