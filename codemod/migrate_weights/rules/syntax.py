"""What the rules read and write in a call's arguments, whatever syntax holds them: LibCST's
nodes (syntax/cst_nodes.py) or the call's own text (syntax/text.py). The rules are written
against this Protocol and never see either."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

Arg = TypeVar("Arg")  # one argument of a call: a keyword, a star, and a value
Expr = TypeVar("Expr")  # an expression: an argument's value, or one the rules make

# Writes a member ("ResNet50_Weights.IMAGENET1K_V1") as an expression at the call.
Reference = Callable[[str], Expr]


class CallSyntax(Protocol[Arg, Expr]):
    def keyword(self, arg: Arg) -> str | None: ...

    def star(self, arg: Arg) -> str:
        """ "", "*" or "**"."""
        ...

    def value(self, arg: Arg) -> Expr: ...

    def literal(self, value: Expr) -> object:
        """The value of a constant (`True`, `0`, `"legacy"`, `None`), or NOT_LITERAL."""
        ...

    def is_plain_reference(self, value: Expr) -> bool:
        """`flag`, `args.quantize`: safe to evaluate a second time."""
        ...

    def one_line(self, value: Expr) -> str:
        """Source for a message, white space folded."""
        ...

    def string_token(self, value: Expr) -> str | None:
        """The source of a string literal that is one token, else None."""
        ...

    def none(self) -> Expr: ...

    def string(self, text: str) -> Expr: ...

    def keep_parentheses(self, replacement: Expr, of: Expr) -> Expr:
        """`replacement` in the parentheses (and their comments) around `of`."""
        ...

    def conditional(self, test: Expr, body: Expr, orelse: Expr) -> Expr: ...

    def equals(self, left: Expr, text: str) -> Expr: ...

    def clone(self, value: Expr) -> Expr: ...

    def renamed(self, arg: Arg, keyword: str, value: Expr) -> Arg:
        """A keyword argument under a new keyword, with a new value."""
        ...

    def as_keyword(self, arg: Arg, keyword: str, value: Expr) -> Arg:
        """A positional argument made `keyword=value`."""
        ...

    def with_value(self, arg: Arg, value: Expr) -> Arg: ...


@dataclass
class ArgumentLayout:
    """Where things are in an argument list."""

    positional_count: int = 0  # plain positional arguments before any keyword or star
    keywords: dict[str, int] = field(default_factory=dict)  # keyword -> index in the list
    star_args: bool = False
    star_kwargs: bool = False


def layout_of(args: Sequence[Arg], syntax: CallSyntax[Arg, Expr]) -> ArgumentLayout:
    layout = ArgumentLayout()
    in_positional_prefix = True
    for index, arg in enumerate(args):
        star, keyword = syntax.star(arg), syntax.keyword(arg)
        if star == "*":
            layout.star_args = True
        elif star == "**":
            layout.star_kwargs = True
        elif keyword is not None:
            layout.keywords[keyword] = index
        elif in_positional_prefix:
            layout.positional_count += 1
            continue
        in_positional_prefix = False
    return layout
