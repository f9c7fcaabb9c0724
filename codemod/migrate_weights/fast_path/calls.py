"""Builder calls on the fast path (direct, through torch.hub.load or a partial): planned by the
rules on their own text (syntax/text.py), or, where the text holds what that does not read, on
the call alone parsed by LibCST."""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from typing import Any

from migrate_weights.diagnostics import CallRewrite
from migrate_weights.fast_path.names import Names
from migrate_weights.fast_path.source import FullPath, Source
from migrate_weights.full_path.targets import Settled
from migrate_weights.pipeline.parse import blocks, start_line
from migrate_weights.rules import hub_load, partial
from migrate_weights.rules.builder_call import CallPlan, plan_named_call
from migrate_weights.rules.hub_load import plan_hub_call
from migrate_weights.rules.partial import keep_positionals
from migrate_weights.syntax.arguments import folded
from migrate_weights.syntax.text import (
    TEXT,
    TextArg,
    call_of,
    member_reference,
    read_arguments,
    reference,
    spliced,
    unindented,
)

DOTTED_NAME = re.compile(r"[\w.]+")  # a callee written plainly


def holding(body: list[ast.stmt], call: ast.Call) -> ast.stmt:
    """The innermost statement of `body` (a module's, a block's) that holds the call."""
    position, end = (call.lineno, call.col_offset), (call.end_lineno, call.end_col_offset)
    found = None
    while True:
        for statement in body:
            if (start_line(statement), statement.col_offset) <= position and end <= (
                statement.end_lineno,
                statement.end_col_offset,
            ):
                found, body = statement, [s for block in blocks(statement) for s in block]
                break
        else:
            if found is None:
                raise FullPath
            return found


class ParsedCall:
    """A call's own source, parsed by LibCST. The full path prints a call's line breaks relative
    to its statement's indentation; for a call over several lines in an indented block, so does
    this, by parsing it in a block of that indentation."""

    def __init__(self, segment: str, indentation: str) -> None:
        import libcst as cst

        self.module: cst.Module | None = None
        try:
            if not indentation or "\n" not in segment:
                self.call = cst.parse_expression(segment)
            else:
                self.prefix = f"if 1:\n{indentation}_ = "
                self.module = cst.parse_module(f"{self.prefix}{segment}\n")
                block = self.module.body[0].body  # type: ignore[attr-defined]
                self.call = block.body[0].body[0].value
        except cst.ParserSyntaxError as error:
            raise FullPath from error
        if not isinstance(self.call, cst.Call):
            raise FullPath

    def in_place(self, migrated: Any, printed: str) -> str:
        """The migrated call where the call stands (`printed`: as the full path prints it)."""
        if self.module is None:
            return printed
        return self.module.deep_replace(self.call, migrated).code[len(self.prefix) : -1]  # type: ignore[union-attr]


def on_text(
    call: ast.Call,
    segment: str,
    position: tuple[int, int],
    callee: str,
    inner_callee: str | None,
    text: Source,
    tree: ast.Module,
    references: Any,
    names: Names,
) -> Any:
    """What a call (a builder's, or one through a partial or torch.hub.load) comes to, planned
    on its text by the rules (syntax/text.py): settled, or None where LibCST plans it
    (text that is not ASCII or is beyond call_text's reading, a callee that is no plain dotted
    name)."""

    if not segment.isascii():
        return None
    indentation = ""
    if "\n" in segment:
        if '"""' in segment or "'''" in segment:
            return None  # a string over lines: its lines keep their indentation
        indentation = text.indentation(holding(tree.body, call))
    start = text.span(call)[0]
    arguments = read_arguments(
        call, segment, lambda node: tuple(offset - start for offset in text.span(node))
    )
    func = segment[: text.span(call.func)[1] - start]
    if arguments is None or not DOTTED_NAME.fullmatch(func):
        return None
    label, planned, builder_call = folded(func), arguments, None
    if callee == hub_load.LOAD:
        loaded = plan_hub_call(arguments, TEXT)
        if loaded is None:
            return Settled([])
        label = f"{label}(..., {loaded.model})"
        builder_call = (loaded.entry_point, arguments, [arguments[i] for i in loaded.indices])
        plan, builder = loaded.plan, loaded.builder
        return settle_text(label, plan, builder, segment, position, indentation, builder_call)
    if callee == partial.FUNCTION:
        first, *planned = arguments
        func, callee = first.value.text, inner_callee  # type: ignore[assignment]
        if not DOTTED_NAME.fullmatch(func):
            return None
        label = f"{label}({func}, ...)"
        builder_call = (func, arguments, planned)
    spell = member_reference(references, func, callee, names.visible)
    found = plan_named_call({callee}, planned, lambda _: reference(spell), TEXT)
    if found is None:
        return Settled([])
    plan, builder = found
    if builder_call:
        plan = keep_positionals(planned, plan, TEXT)
    return settle_text(label, plan, builder, segment, position, indentation, builder_call)


def settle_text(
    label: str,
    plan: CallPlan[TextArg],
    builder: str | None,
    text: str,
    position: tuple[int, int],
    indentation: str = "",
    builder_call: tuple[str, Sequence[TextArg], Sequence[TextArg]] | None = None,
) -> Settled:
    """`settle` for a call planned on its text `text` (syntax/text.py), in a block of
    `indentation`; what it comes to in place is `printed`. For a call that makes a builder call
    by another road (a partial, torch.hub.load), `builder_call` is the builder as written, the
    call's arguments, and the builder's arguments among them, which the plan replaces."""
    settled = Settled(plan.problem_diagnostics(label, *position))
    if not plan.args:
        return settled
    settled.printed = spliced(text, plan.args)
    fix = (unindented(text, indentation), unindented(settled.printed, indentation))
    settled.diagnostics.append(plan.fixed_diagnostic(label, *position, fix))
    if builder:
        rewrite = fix
        if builder_call:
            func, arguments, builder_args = builder_call
            before = call_of(func, text, arguments, builder_args)
            after = call_of(func, text, arguments, plan.args)
            rewrite = (unindented(before, indentation), unindented(after, indentation))
        settled.rewrite = CallRewrite(*position, builder, *rewrite)
    return settled
