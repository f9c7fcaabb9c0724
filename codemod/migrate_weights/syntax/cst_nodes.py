"""Reading and editing a call's arguments as LibCST nodes, independent of any torchvision rule:
the syntax the full path plans in (the fast path's is syntax/text.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

import libcst as cst

from migrate_weights.rules.names import Resolved
from migrate_weights.rules.references import STRING, EnumReferences, Visible
from migrate_weights.rules.syntax import Reference
from migrate_weights.syntax.arguments import NOT_LITERAL, evaluated, folded

_EMPTY_MODULE = cst.Module(body=[])


def source(node: cst.CSTNode) -> str:
    return _dotted_name(node) or _EMPTY_MODULE.code_for_node(node)


def _no_space(whitespace: cst.BaseParenthesizableWhitespace) -> bool:
    return type(whitespace) is cst.SimpleWhitespace and not whitespace.value


def _dotted_name(node: cst.CSTNode) -> str | None:
    """`a.b.c` written plainly (no parentheses, no space around a dot), the commonest thing
    printed, without LibCST's code generator, which is costly; else None."""
    parts = []
    while type(node) is cst.Attribute and not node.lpar:
        dot = node.dot
        if not _no_space(dot.whitespace_before) or not _no_space(dot.whitespace_after):
            return None
        parts.append(node.attr.value)
        node = node.value
    if type(node) is not cst.Name or node.lpar:
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def dotted(path: str) -> cst.Attribute | cst.Name:
    """`a.b.c` as a node: the module of an import statement, or a path in an expression."""
    first, *rest = path.split(".")
    node: cst.Attribute | cst.Name = cst.Name(first)
    for name in rest:
        node = cst.Attribute(node, cst.Name(name))
    return node


def call_source(call: cst.Call) -> str:
    """A call's source from where its position is reported: without parentheses around it."""
    return source(call.with_changes(lpar=[], rpar=[]))


def one_line(node: cst.CSTNode) -> str:
    """Source for a message: white space (and so line breaks) folded."""
    return folded(source(node))


# Nodes `ast.literal_eval` may turn into a constant the rules read; anything else is not one.
_MAYBE_LITERAL = (
    cst.Name,
    cst.Integer,
    cst.Float,
    cst.SimpleString,
    cst.ConcatenatedString,
    cst.UnaryOperation,
    cst.BinaryOperation,
)


def literal_value(node: cst.BaseExpression) -> Any:
    """The value of a constant (`True`, `0`, `"legacy"`, `None`), or NOT_LITERAL. Nothing else is
    ever evaluated."""
    if not isinstance(node, _MAYBE_LITERAL):
        return NOT_LITERAL
    if isinstance(node, cst.Name) and node.value not in ("True", "False", "None"):
        return NOT_LITERAL
    return evaluated(source(node))


def is_plain_reference(node: cst.BaseExpression) -> bool:
    """`flag`, `args.quantize`: safe to evaluate a second time (no call, no side effect)."""
    while isinstance(node, cst.Attribute):
        node = node.value
    return isinstance(node, cst.Name)


def as_keyword(arg: cst.Arg, name: str, value: cst.BaseExpression) -> cst.Arg:
    """A positional argument turned into `name=value`, keeping its comma and comments."""
    no_space = cst.SimpleWhitespace("")
    return arg.with_changes(
        keyword=cst.Name(name),
        equal=cst.AssignEqual(whitespace_before=no_space, whitespace_after=no_space),
        value=value,
    )


def _needs_parentheses_in_conditional(node: cst.BaseExpression) -> bool:
    if node.lpar:
        return False
    return isinstance(node, (cst.IfExp, cst.Lambda, cst.NamedExpr, cst.Yield))


def parenthesized(node: cst.BaseExpression) -> cst.BaseExpression:
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def conditional(
    test: cst.BaseExpression, body: cst.BaseExpression, orelse: cst.BaseExpression
) -> cst.IfExp:
    """`body if test else orelse`, parenthesising the parts that would otherwise bind wrongly."""
    if _needs_parentheses_in_conditional(test):
        test = parenthesized(test)
    if _needs_parentheses_in_conditional(body):
        body = parenthesized(body)
    return cst.IfExp(test=test, body=body, orelse=orelse)


def equals(left: cst.BaseExpression, text: str) -> cst.Comparison:
    if _needs_parentheses_in_conditional(left):
        left = parenthesized(left)
    return cst.Comparison(
        left=left,
        comparisons=[cst.ComparisonTarget(cst.Equal(), cst.SimpleString(f'"{text}"'))],
    )


def _spreadable(arg: cst.Arg, given: set[str]) -> list[tuple[cst.DictElement, str]] | None:
    """The entries of `**{"key": value, ...}` and their keys, where every key is a plain string
    naming a keyword the call does not give otherwise, once."""
    if arg.star != "**" or not isinstance(arg.value, cst.Dict) or not arg.value.elements:
        return None
    entries = []
    for element in arg.value.elements:
        if not isinstance(element, cst.DictElement) or not isinstance(
            element.key, cst.SimpleString
        ):
            return None
        key = element.key.evaluated_value
        if not isinstance(key, str) or not key.isidentifier() or key in given:
            return None
        given.add(key)
        entries.append((element, key))
    return entries


Spread = tuple[list[cst.Arg], Callable[[Sequence[cst.Arg]], tuple[cst.Arg, ...]]]


def spread_dicts(args: Sequence[cst.Arg]) -> Spread | None:
    """`**{"pretrained": True}` read as `pretrained=True`: the arguments with each `**` of a dict
    literal spread into keyword arguments, and the way back, which packs arguments planned on
    those into the dicts again (a key renamed where its keyword was, a value replaced). None
    where no argument is such a dict."""
    given = {arg.keyword.value for arg in args if arg.keyword}
    spread: list[cst.Arg] = []
    dicts: list[tuple[cst.Arg, list[tuple[cst.DictElement, str]]] | None] = []
    for arg in args:
        entries = _spreadable(arg, given)
        dicts.append((arg, entries) if entries else None)
        if entries:
            spread += [cst.Arg(element.value, keyword=cst.Name(key)) for element, key in entries]
        else:
            spread.append(arg)
    if not any(dicts):
        return None

    def packed(planned: Sequence[cst.Arg]) -> tuple[cst.Arg, ...]:
        left, args = list(planned), []
        for found in dicts:
            if found is None:
                args.append(left.pop(0))
                continue
            arg, entries = found
            elements = []
            for element, key in entries:
                entry = left.pop(0)
                name = entry.keyword.value if entry.keyword else key
                quote = cast(cst.SimpleString, element.key).quote
                renamed = element.key if name == key else cst.SimpleString(f"{quote}{name}{quote}")
                elements.append(element.with_changes(key=renamed, value=entry.value))
            args.append(
                arg.with_changes(value=cast(cst.Dict, arg.value).with_changes(elements=elements))
            )
        return tuple(args)

    return spread, packed


class CstSyntax:
    """What the rules read and write in a call's arguments, as LibCST nodes. The fast path plans
    plain calls on their text instead (syntax/text.py: the same methods)."""

    def keyword(self, arg: cst.Arg) -> str | None:
        return arg.keyword.value if arg.keyword else None

    def star(self, arg: cst.Arg) -> str:
        return str(arg.star)

    def value(self, arg: cst.Arg) -> cst.BaseExpression:
        return arg.value

    literal = staticmethod(literal_value)
    is_plain_reference = staticmethod(is_plain_reference)
    one_line = staticmethod(one_line)
    conditional = staticmethod(conditional)
    equals = staticmethod(equals)
    as_keyword = staticmethod(as_keyword)

    def none(self) -> cst.BaseExpression:
        return cst.Name("None")

    def string(self, text: str) -> cst.BaseExpression:
        return cst.SimpleString(f'"{text}"')

    def string_token(self, value: cst.BaseExpression) -> str | None:
        """The source of a string literal that is one token (no f-string, no concatenation)."""
        return value.value if isinstance(value, cst.SimpleString) else None

    def keep_parentheses(
        self, replacement: cst.BaseExpression, of: cst.BaseExpression
    ) -> cst.BaseExpression:
        """`replacement` in the parentheses (and the comments in them) around `of`."""
        return replacement.with_changes(lpar=of.lpar, rpar=of.rpar)

    def clone(self, value: cst.BaseExpression) -> cst.BaseExpression:
        return value.deep_clone()

    def renamed(self, arg: cst.Arg, keyword: str, value: cst.BaseExpression) -> cst.Arg:
        return arg.with_changes(keyword=cst.Name(keyword), value=value)

    def with_value(self, arg: cst.Arg, value: cst.BaseExpression) -> cst.Arg:
        return arg.with_changes(value=value)


CST = CstSyntax()


def member_reference(
    references: EnumReferences,
    func: cst.BaseExpression,
    qualified_name: str,
    visible: Visible,
    style: str | None = None,
    resolved: Resolved[object] | None = None,
) -> Reference[cst.BaseExpression]:
    """Members as expressions, for a call of `func` (which resolves to `qualified_name`), written
    as `references` decides."""
    depth, node = 0, func
    while isinstance(node, cst.Attribute):
        depth, node = depth + 1, node.value

    def reference(member: str) -> cst.BaseExpression:
        enum_class, member_name = member.split(".")
        way = references.way(enum_class, depth, qualified_name, visible, style, resolved)
        if isinstance(way, int):
            module = func
            for _ in range(way):
                assert isinstance(module, cst.Attribute)
                module = module.value
            return cst.Attribute(
                cst.Attribute(module.deep_clone(), cst.Name(enum_class)), cst.Name(member_name)
            )
        if way == STRING:
            return cst.SimpleString(f'"{member_name}"')
        return cst.Attribute(cst.Name(enum_class), cst.Name(member_name))

    return reference
