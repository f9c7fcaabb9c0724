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


# A comment, in a pattern that finds space and comments: it runs to its line's end. Were a
# pattern free to stop inside one, a search that fails would try every way of splitting a run of
# `#` into comments (`# ######...`), for ever.
COMMENT = r"#[^\n]*(?![^\n])"


def folded(text: str) -> str:
    return " ".join(text.split())


def evaluated(constant: str | ast.expr) -> Any:
    """The value of a constant, from its source or its node in Python's tree (which spares
    parsing the source again), or NOT_LITERAL."""
    if isinstance(constant, ast.Constant):  # as literal_eval reads it, without its set-up
        value = constant.value
    else:
        try:
            value = ast.literal_eval(constant.strip() if isinstance(constant, str) else constant)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return NOT_LITERAL
    return value if isinstance(value, _LITERAL_TYPES) else NOT_LITERAL
