"""What a call's arguments hold, whatever the syntax they are read in: their layout, and the
value of a constant. Shared by the LibCST syntax (syntax/cst_nodes.py) and the text syntax
(syntax/text.py); imports nothing heavy."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

NOT_LITERAL = object()
_LITERAL_TYPES = (bool, int, float, str, type(None))
# The nodes, in Python's tree, of the constants the rules evaluate (LibCST's Name True/False/None,
# Integer, Float, strings, unary and binary operations: cst_nodes.literal_value).
LITERAL_NODES = (ast.Constant, ast.UnaryOp, ast.BinOp)


def folded(text: str) -> str:
    return " ".join(text.split())


def evaluated(text: str) -> Any:
    """The value of a constant's source, or NOT_LITERAL."""
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return NOT_LITERAL
    return value if isinstance(value, _LITERAL_TYPES) else NOT_LITERAL


@dataclass
class ArgumentLayout:
    """Where things are in an argument list."""

    positional_count: int = 0  # plain positional arguments before any keyword or star
    keywords: dict[str, int] = field(default_factory=dict)  # keyword -> index in the list
    star_args: bool = False
    star_kwargs: bool = False


def layout_of(args: Sequence[Any], syntax: Any) -> ArgumentLayout:
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
