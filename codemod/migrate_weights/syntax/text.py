"""A plain call's arguments, read from Python's syntax tree and the call's own text, and edited
as text. The fast path plans most builder calls on these (the rules of rules/builder_call.py,
through `TEXT`), so that neither LibCST's parser nor its printer runs for them; what this does not
read for sure (see `read_arguments`) is left to LibCST."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from migrate_weights.rules.names import Resolved
from migrate_weights.rules.references import STRING, EnumReferences, Visible
from migrate_weights.syntax.arguments import (
    COMMENT,
    LITERAL_NODES,
    NOT_LITERAL,
    evaluated,
    folded,
)

# Expressions that bind wrongly as a conditional's test or body unless in parentheses.
_BARE = (ast.IfExp, ast.Lambda, ast.NamedExpr, ast.Yield, ast.YieldFrom)
_GAP = r"(?:\s|" + COMMENT + r")*"  # space and comments
_OPENING = re.compile(_GAP + r"\(")
_CLOSING = re.compile(_GAP + r"\)")
_NEXT = re.compile(_GAP + r"[,)]")
_LEAD = re.compile(r"(?:[\s(]|" + COMMENT + r")*")  # before a value: space, comments, parentheses
_KEYWORD_LEAD = re.compile(_GAP + r"=" + _LEAD.pattern)
_PARENTHESIS = re.compile(r"#[^\n]*|\(")


@dataclass(frozen=True)
class Piece:
    """An expression's source. For an argument's value: its syntax tree, and where that is in
    the text (inside any parentheses around it)."""

    text: str
    node: ast.expr | None = None
    inner: tuple[int, int] = (0, 0)
    bare: bool = False  # one of _BARE, not in parentheses


@dataclass(frozen=True)
class TextArg:
    keyword: str | None
    star: str  # "", "*" or "**"
    value: Piece
    start: int  # in the call's text: the keyword, the star, or the value's first parenthesis
    end: int  # the value's end, parentheses included
    equal: str = ""  # a keyword's "=" with the space around it
    text: str | None = None  # once edited, the new source from `start` to `end`

    def edited(self, keyword: str | None, text: str) -> TextArg:
        """This argument, named `keyword`, with `text` its new source (`dataclasses.replace`
        costs several times more, for each argument the rules edit)."""
        return TextArg(
            keyword=keyword,
            star=self.star,
            value=self.value,
            start=self.start,
            end=self.end,
            equal=self.equal,
            text=text,
        )


def _enclosed(piece: Piece) -> str:
    return f"({piece.text})" if piece.bare else piece.text


class TextSyntax:
    """What the rules read and write in a call's arguments (as cst_nodes.CstSyntax does for
    LibCST nodes), as text: an edited argument is the same source with its keyword or value
    replaced, as LibCST prints the edited nodes."""

    def keyword(self, arg: TextArg) -> str | None:
        return arg.keyword

    def star(self, arg: TextArg) -> str:
        return arg.star

    def value(self, arg: TextArg) -> Piece:
        return arg.value

    def literal(self, value: Piece) -> Any:
        node = value.node
        if not isinstance(node, LITERAL_NODES):
            return NOT_LITERAL
        # On one line its text reads as its node does; over lines, without parentheses of its
        # own, the text alone is no expression, and LibCST's reading of it (the full path's) fails.
        return evaluated(node if node.lineno == node.end_lineno else value.text)

    def is_plain_reference(self, value: Piece) -> bool:
        node = value.node
        while isinstance(node, ast.Attribute):
            node = node.value
        return isinstance(node, ast.Name)

    def one_line(self, value: Piece) -> str:
        return folded(value.text)

    def none(self) -> Piece:
        return Piece("None")

    def string(self, text: str) -> Piece:
        return Piece(f'"{text}"')

    def string_token(self, value: Piece) -> str | None:
        start, end = value.inner
        written = value.text[start:end]
        return written if is_one_string(written) else None

    def keep_parentheses(self, replacement: Piece, of: Piece) -> Piece:
        start, end = of.inner
        enclosed = (start, end) != (0, len(of.text))
        return Piece(
            of.text[:start] + replacement.text + of.text[end:],
            bare=replacement.bare and not enclosed,
        )

    def conditional(self, test: Piece, body: Piece, orelse: Piece) -> Piece:
        return Piece(f"{_enclosed(body)} if {_enclosed(test)} else {orelse.text}", bare=True)

    def equals(self, left: Piece, text: str) -> Piece:
        return Piece(f'{_enclosed(left)} == "{text}"')

    def clone(self, value: Piece) -> Piece:
        return value

    def renamed(self, arg: TextArg, keyword: str, value: Piece) -> TextArg:
        return arg.edited(keyword, f"{keyword}{arg.equal}{value.text}")

    def as_keyword(self, arg: TextArg, keyword: str, value: Piece) -> TextArg:
        return arg.edited(keyword, f"{keyword}={value.text}")

    def with_value(self, arg: TextArg, value: Piece) -> TextArg:
        keyword = f"{arg.keyword}{arg.equal}" if arg.keyword else ""
        return arg.edited(arg.keyword, keyword + value.text)

    def call_of(
        self, func: str, text: str, arguments: Sequence[TextArg], chosen: Sequence[TextArg]
    ) -> str:
        """`func` called with `chosen` of the `arguments` of the call whose text is `text`
        (edited or not), each with the comma and space after it, as LibCST prints a call made of
        the call's argument nodes (the last argument's node holds the space before the call's
        `)`)."""
        ends = [argument.start for argument in arguments[1:]] + [len(text) - 1]
        owned_until = {argument.start: end for argument, end in zip(arguments, ends)}
        pieces = []
        for argument in chosen:
            written = (
                text[argument.start : argument.end] if argument.text is None else argument.text
            )
            pieces.append(written + text[argument.end : owned_until[argument.start]])
        return f"{func}({''.join(pieces)})"

    def spliced(self, text: str, arguments: Sequence[TextArg]) -> str:
        """The call's text with its edited arguments' new source."""
        pieces, position = [], 0
        for argument in arguments:
            if argument.text is not None:
                pieces += [text[position : argument.start], argument.text]
                position = argument.end
        return "".join([*pieces, text[position:]])

    def unindented(self, text: str, indentation: str) -> str:
        """A call's text as LibCST prints the call alone: the block's indentation left out where a
        line after the first starts with it (no string in the text spans lines)."""
        if "\n" not in text:
            return text
        first, *rest = text.split("\n")
        cut = len(indentation)
        return "\n".join(
            [first, *(line[cut:] if line.startswith(indentation) else line for line in rest)]
        )

    def import_edited(
        self, statement: ast.ImportFrom, written: str, dropped: set[str], added: list[str]
    ) -> str | None:
        """A `from module import ...` (its source `written`) with `added` appended and the names
        bound to `dropped` taken out, as full_path/imports.py leaves it (some name must stay), for
        the layouts black and isort write: every name on the statement's one line, or one name a
        line in parentheses, each with its comma (names are also appended to a one-line import in
        any spacing); None for any other layout."""
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


TEXT = TextSyntax()


def reference(spell: Callable[[str], str]) -> Callable[[str], Piece]:
    """Members as pieces, from a function that writes them (references.EnumReferences)."""
    return lambda member: Piece(spell(member))


def read_arguments(
    call: ast.Call, text: str, span: Callable[[ast.expr | ast.keyword], tuple[int, int]]
) -> list[TextArg] | None:
    """The arguments of `call`, whose source is `text` (`span(node)`: where a node is in it), or
    None where the text holds more than space, comments and parentheses between them and their
    commas, or a line continued by a backslash, or a generator is the argument."""
    if "\\" in text:
        return None
    opening = _OPENING.match(text, span(call.func)[1])
    if opening is None:
        return None
    position = opening.end()
    arguments = []
    items: list[ast.expr | ast.keyword] = [*call.args, *call.keywords]
    for item in sorted(items, key=lambda node: span(node)[0]):
        keyword, star = None, ""
        if isinstance(item, ast.keyword):
            value, start = item.value, span(item)[0]
            keyword, star = (item.arg, "") if item.arg else (None, "**")
            lead = _KEYWORD_LEAD if keyword else _LEAD
            after = start + (len(keyword) if keyword else 2)
        elif isinstance(item, ast.Starred):
            value, start, star, lead, after = (
                item.value,
                span(item)[0],
                "*",
                _LEAD,
                span(item)[0] + 1,
            )
        else:
            value, start, lead, after = item, -1, _LEAD, position
        if isinstance(value, ast.GeneratorExp):
            return None
        inner_start, inner_end = span(value)
        if lead.fullmatch(text, after, inner_start) is None:
            return None
        opened = [m.start() for m in _PARENTHESIS.finditer(text, after, inner_start) if m[0] == "("]
        value_start = opened[0] if opened else inner_start
        end = inner_end
        for _ in opened:
            closing = _CLOSING.match(text, end)
            if closing is None:
                return None
            end = closing.end()
        following = _NEXT.match(text, end)
        if following is None:
            return None
        position = following.end()
        start = value_start if start < 0 else start
        equal = text[start + len(keyword) : value_start] if keyword else ""
        inner = (inner_start - value_start, inner_end - value_start)
        bare = not opened and isinstance(value, _BARE)
        piece = Piece(text[value_start:end], value, inner, bare)
        arguments.append(TextArg(keyword, star, piece, start, end, equal))
    return arguments


def from_import(module: str, names: Sequence[str]) -> str:
    """`from module import a, b`, as both paths write an import they add."""
    return f"from {module} import {', '.join(names)}"


def is_one_string(expression: str) -> bool:
    """Whether an expression's source is one string literal, not an f-string (a LibCST
    SimpleString), maybe in parentheses."""
    tokens = tokenize.generate_tokens(io.StringIO(expression).readline)
    kinds = [(t.type, t.string) for t in tokens if t.string not in ("(", ")", "")]  # "": ends
    if len(kinds) != 1 or kinds[0][0] != tokenize.STRING:
        return False
    return "f" not in kinds[0][1].partition(kinds[0][1][-1])[0].lower()


def member_reference(
    references: EnumReferences,
    func: str,
    qualified_name: str,
    visible: Visible,
    style: str | None = None,
    resolved: Resolved[object] | None = None,
) -> Callable[[str], str]:
    """Members as source, for a call of `func`, a plain dotted name that resolves to
    `qualified_name`, written as `references` decides."""
    parts = func.split(".")

    def reference(member: str) -> str:
        enum_class, member_name = member.split(".")
        way = references.way(enum_class, len(parts) - 1, qualified_name, visible, style, resolved)
        if isinstance(way, int):
            return ".".join([*parts[: len(parts) - way], enum_class, member_name])
        return f'"{member_name}"' if way == STRING else member

    return reference


def _written(alias: ast.alias) -> str:
    return f"{alias.name} as {alias.asname}" if alias.asname else alias.name


def _one_a_line(names: list[str], indentation: str) -> str:
    return "".join(f"{indentation}{name},\n" for name in names)
