"""The value of a constant, as both syntaxes (syntax/cst_nodes.py, syntax/text.py) read it;
imports nothing heavy."""

from __future__ import annotations

import ast
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
