"""Adding names to an existing `from module import ...`, in the statement's own layout, taking
names out of one as the full path's RemoveImportsVisitor does, and removing import statements
without losing the blank lines around them.

AddImportsVisitor re-flows a parenthesised multi-line import onto one line; here a name is
appended as the statement is written: on a line of its own in a multi-line import, after `, ` in
a one-line import.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Union

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
        opening = node.lpar.whitespace_after
        assert isinstance(opening, cst.ParenthesizedWhitespace)  # as _is_multiline found
        indent = opening.last_line
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


def _merge_whitespace_after(
    left: cst.BaseParenthesizableWhitespace, right: cst.BaseParenthesizableWhitespace
) -> cst.BaseParenthesizableWhitespace:
    if not isinstance(right, cst.ParenthesizedWhitespace):
        return left
    if not isinstance(left, cst.ParenthesizedWhitespace):
        return right
    return left.with_changes(empty_lines=tuple(e for e in right.empty_lines if e.comment))


def remove_names(node: cst.ImportFrom, names: set[str]) -> cst.ImportFrom:
    """The import without the aliases that bind `names`, as LibCST's RemoveImportsVisitor
    leaves it (the fast path must print what the full path prints): comments after a removed
    alias go to the alias before it, or to the opening parenthesis, and when the last alias
    goes, the new last one loses its comma. Some alias must stay."""
    assert not isinstance(node.names, cst.ImportStar)
    kept: list[cst.ImportAlias] = []
    lpar = node.lpar
    for alias in node.names:
        if (alias.evaluated_alias or alias.evaluated_name) not in names:
            kept.append(alias)
            continue
        comma = alias.comma
        if not isinstance(comma, cst.Comma):
            continue
        if kept:
            previous = kept[-1]
            if isinstance(previous.comma, cst.Comma):
                whitespace = _merge_whitespace_after(
                    previous.comma.whitespace_after, comma.whitespace_after
                )
                kept[-1] = previous.with_deep_changes(previous.comma, whitespace_after=whitespace)
            else:
                kept[-1] = previous.with_changes(comma=comma)
        elif isinstance(lpar, cst.LeftParen):
            whitespace = _merge_whitespace_after(lpar.whitespace_after, comma.whitespace_after)
            lpar = lpar.with_changes(whitespace_after=whitespace)
    assert kept
    if kept[-1] is not node.names[-1]:
        kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return node.with_changes(names=kept, lpar=lpar)


Statement = Union[cst.SimpleStatementLine, cst.BaseCompoundStatement]


def remove_statements(
    body: Sequence[Statement], going: Callable[[Statement], bool]
) -> list[Statement]:
    """The module body without the statements `going` picks. Comments above a removed statement
    go with it, but its blank lines stay, on the next statement that has none (RemoveImportsVisitor
    drops them too, which glues the following statement to a docstring)."""
    kept: list[Statement] = []
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
