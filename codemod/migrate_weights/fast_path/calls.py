"""Builder calls on the fast path (direct, through torch.hub.load or a partial): planned by the
rules on their own text (syntax/text.py), or, where the text holds what that does not read, on
the call alone parsed by LibCST (imported only then)."""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from migrate_weights.diagnostics import CallRewrite
from migrate_weights.fast_path.names import Names
from migrate_weights.fast_path.source import FullPath, Source
from migrate_weights.full_path.targets import Settled, find_target, settle
from migrate_weights.pipeline.parse import blocks, start_line
from migrate_weights.rules import legacy_api
from migrate_weights.rules.builder_call import CallPlan, plan_named_call
from migrate_weights.rules.hub_load import plan_hub_call
from migrate_weights.rules.names import Resolved
from migrate_weights.rules.partial import keep_positionals
from migrate_weights.rules.references import EnumReferences, PlannedEdit, Visible
from migrate_weights.syntax.arguments import folded
from migrate_weights.syntax.text import (
    TextArg,
    TextSyntax,
    member_reference,
    read_arguments,
    reference,
)
from migrate_weights.tables.table import LegacyTable

if TYPE_CHECKING:
    import libcst as cst

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
        self.prefix = f"if 1:\n{indentation}_ = "
        try:
            if not indentation or "\n" not in segment:
                call = cst.parse_expression(segment)
            else:
                self.module = cst.parse_module(f"{self.prefix}{segment}\n")
                call = cst.ensure_type(
                    cst.ensure_type(
                        cst.ensure_type(self.module.body[0], cst.If).body.body[0],
                        cst.SimpleStatementLine,
                    ).body[0],
                    cst.Assign,
                ).value
        except cst.ParserSyntaxError as error:
            raise FullPath from error
        if not isinstance(call, cst.Call):
            raise FullPath
        self.call = call

    def in_place(self, migrated: cst.Call, printed: str) -> str:
        """The migrated call where the call stands (`printed`: as the full path prints it)."""
        if self.module is None:
            return printed
        import libcst as cst

        module = cst.ensure_type(self.module.deep_replace(self.call, migrated), cst.Module)
        return module.code[len(self.prefix) : -1]


@dataclass(frozen=True)
class Named:
    """What a call's names stand for."""

    callee: str
    inner_callee: str | None  # for a partial, what its first argument stands for
    visible: Visible  # what a name stands for at the call
    resolved: Resolved[ast.stmt] | None  # the builder's name, where it is named


@dataclass
class CallPlanner:
    """Builder calls of one module, planned on the fast path."""

    text: Source
    tree: ast.Module
    names: Names
    references: EnumReferences
    table: LegacyTable
    syntax: TextSyntax

    def settle(
        self,
        call: ast.Call,
        callee: str,
        inner_callee: str | None,
        resolved: Resolved[ast.stmt] | None,
    ) -> tuple[Settled, str]:
        """What a call (a builder's, or one through a partial or torch.hub.load) comes to: its
        findings, and its new text where it stands ("" when it is left as it is). `callee`: what
        its callee resolves to; `inner_callee`: for a partial, what its first argument does;
        `resolved`: what the builder's name stands for, where it is named."""
        segment = self.text.text(call)
        position = call.lineno, self.text.column(call)
        named = Named(callee, inner_callee, self.names.visible_at(call.func), resolved)
        with self.references.edit() as planned:
            settled = self._on_text(call, segment, position, named)
            if settled is not None:
                if settled.printed:
                    planned.made()
                return settled, settled.printed
            return self._on_nodes(call, segment, position, named, planned)

    def _on_text(
        self,
        call: ast.Call,
        segment: str,
        position: tuple[int, int],
        named: Named,
    ) -> Settled | None:
        """Planned on the call's text by the rules (syntax/text.py), or None where LibCST plans
        it (text that is not ASCII or is beyond the text syntax's reading, a callee that is no
        plain dotted name)."""
        if not segment.isascii():
            return None
        indentation = ""
        if "\n" in segment:
            if '"""' in segment or "'''" in segment:
                return None  # a string over lines: its lines keep their indentation
            indentation = self.text.indentation(holding(self.tree.body, call))
        start = self.text.span(call)[0]

        def span(node: ast.expr | ast.keyword) -> tuple[int, int]:
            node_start, node_end = self.text.span(node)
            return node_start - start, node_end - start

        arguments = read_arguments(call, segment, span)
        func = segment[: span(call.func)[1]]
        if arguments is None or not DOTTED_NAME.fullmatch(func):
            return None
        label, planned, builder_call = folded(func), arguments, None
        callee = named.callee
        if callee == legacy_api.HUB_LOAD:
            loaded = plan_hub_call(arguments, self.syntax, self.table)
            if loaded is None:
                return Settled([])
            label = f"{label}(..., {loaded.model})"
            builder_call = (loaded.entry_point, arguments, [arguments[i] for i in loaded.indices])
            return self._settle_text(
                label, loaded.plan, loaded.builder, segment, position, indentation, builder_call
            )
        if callee == legacy_api.PARTIAL:
            if named.inner_callee is None:
                return Settled([])
            first, *planned = arguments
            func, callee = first.value.text, named.inner_callee
            if not DOTTED_NAME.fullmatch(func):
                return None
            label = f"{label}({func}, ...)"
            builder_call = (func, arguments, planned)
        spell = member_reference(
            self.references, func, callee, named.visible, resolved=named.resolved
        )
        found = plan_named_call(
            {callee}, planned, lambda _: reference(spell), self.syntax, self.table
        )
        if found is None:
            return Settled([])
        plan, builder = found
        if builder_call:
            plan = keep_positionals(planned, plan, self.syntax)
        return self._settle_text(label, plan, builder, segment, position, indentation, builder_call)

    def _settle_text(
        self,
        label: str,
        plan: CallPlan[TextArg],
        builder: str | None,
        text: str,
        position: tuple[int, int],
        indentation: str,
        builder_call: tuple[str, Sequence[TextArg], Sequence[TextArg]] | None,
    ) -> Settled:
        """`settle` (full_path/targets.py) for a call planned on its text `text`, in a block of
        `indentation`. For a call that makes a builder call by another road (a partial,
        torch.hub.load), `builder_call` is the builder as written, the call's arguments, and the
        builder's arguments among them, which the plan replaces."""
        syntax = self.syntax
        settled = Settled(plan.problem_diagnostics(label, *position))
        if not plan.args:
            return settled
        settled.printed = syntax.spliced(text, plan.args)
        fix = (
            syntax.unindented(text, indentation),
            syntax.unindented(settled.printed, indentation),
        )
        settled.diagnostics.append(plan.fixed_diagnostic(label, *position, fix))
        if builder:
            rewrite = fix
            if builder_call:
                func, arguments, builder_args = builder_call
                before = syntax.call_of(func, text, arguments, builder_args)
                after = syntax.call_of(func, text, arguments, plan.args)
                rewrite = (
                    syntax.unindented(before, indentation),
                    syntax.unindented(after, indentation),
                )
            settled.rewrite = CallRewrite(*position, builder, *rewrite)
        return settled

    def _on_nodes(
        self,
        node: ast.Call,
        segment: str,
        position: tuple[int, int],
        named: Named,
        planned: PlannedEdit,
    ) -> tuple[Settled, str]:
        """Planned on the call alone, parsed by LibCST, as the full path plans it."""
        from migrate_weights.syntax.cst_nodes import CST
        from migrate_weights.syntax.cst_nodes import member_reference as cst_member_reference

        parsed = ParsedCall(segment, self.text.indentation(holding(self.tree.body, node)))
        call = parsed.call

        def plan_call(
            builder_call: cst.Call, func: cst.BaseExpression
        ) -> tuple[CallPlan[cst.Arg], str | None] | None:
            qualified = named.callee if func is call.func else named.inner_callee
            if qualified is None:
                return None
            return plan_named_call(
                {qualified},
                builder_call.args,
                lambda name: cst_member_reference(
                    self.references, func, name, named.visible, resolved=named.resolved
                ),
                CST,
                self.table,
            )

        target = find_target(call, call, {named.callee}, plan_call, self.table)
        if target is None:
            return Settled([]), ""
        printed = segment if parsed.module is None else None  # as LibCST prints the call
        settled = settle(target, call, *position, printed)
        if settled.migrated is None:
            return settled, ""
        planned.made()
        return settled, parsed.in_place(settled.migrated, settled.printed)
