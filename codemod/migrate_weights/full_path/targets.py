"""The builder call a call makes: itself, or one made by another road (torch.hub.load, a
partial), with the plan for its arguments, on LibCST's nodes. The fast path settles calls planned
on their text in fast_path/calls.py, and uses these for calls it hands to LibCST."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from migrate_weights.diagnostics import CallRewrite, Diagnostic
from migrate_weights.rules import hub_load as hub
from migrate_weights.rules import legacy_api, partial
from migrate_weights.rules.builder_call import CallPlan
from migrate_weights.tables.table import LegacyTable

if TYPE_CHECKING:
    import libcst as cst

    # (the builder call, its callee as written in the source) -> the plan and the builder's
    # registered name, or None when the callee is no builder
    PlanCall = Callable[[cst.Call, cst.BaseExpression], tuple[CallPlan[cst.Arg], str | None] | None]


@dataclass
class Target:
    label: str  # the callee, for messages
    call: cst.Call  # the builder call, as the verifier reads it
    indices: Sequence[int]  # where the builder call's arguments are in the call
    plan: CallPlan[cst.Arg]
    builder: str | None  # registered name of the builder, when known


def find_target(
    original: cst.Call,
    updated: cst.Call,
    callee: set[str],
    plan_call: PlanCall,
    table: LegacyTable,
) -> Target | None:
    """`callee`: what the original call's callee resolves to; `updated` is the call with any
    calls inside it already rewritten."""
    import libcst as cst

    from migrate_weights.syntax.cst_nodes import CST, one_line

    if legacy_api.HUB_LOAD in callee:
        found = hub.plan_hub_call(updated.args, CST, table)
        if found is None:
            return None
        label = f"{one_line(original.func)}(..., {found.model})"
        entry_args = [updated.args[index] for index in found.indices]
        call = cst.Call(cst.Name(found.entry_point), args=entry_args)
        return Target(label, call, found.indices, found.plan, found.builder)
    if legacy_api.PARTIAL in callee:
        inner_original, inner = _partial_builder_call(original), _partial_builder_call(updated)
        if inner_original is None or inner is None:
            return None
        planned = plan_call(inner, inner_original.func)
        if planned is None:
            return None
        label = f"{one_line(original.func)}({one_line(inner.func)}, ...)"
        plan = partial.keep_positionals(inner.args, planned[0], CST)
        return Target(label, inner, range(1, len(updated.args)), plan, planned[1])
    planned = plan_call(updated, original.func)
    if planned is None:
        return None
    return Target(one_line(original.func), updated, range(len(updated.args)), *planned)


def _partial_builder_call(call: cst.Call) -> cst.Call | None:
    """The call a partial stands for: its first argument called with the others."""
    import libcst as cst

    if not call.args or call.args[0].keyword or call.args[0].star:
        return None
    return cst.Call(func=call.args[0].value, args=call.args[1:])


@dataclass
class Settled:
    """What a target comes to at its call."""

    diagnostics: list[Diagnostic]
    migrated: cst.Call | None = None  # None: the call is left as it is
    printed: str = ""  # the migrated call's source
    rewrite: CallRewrite | None = None  # the builder call before and after, for the verifier


def settle(
    target: Target, call: cst.Call, line: int, column: int, call_text: str | None = None
) -> Settled:
    """The findings at (line, column) and, when the plan changes arguments, `call` (with any
    calls inside it already rewritten) with the plan's arguments in place. `call_text`: the
    call's source (as `call_source` prints it), when it is at hand."""
    from migrate_weights.syntax.cst_nodes import call_source

    plan = target.plan
    settled = Settled(plan.problem_diagnostics(target.label, line, column))
    if not plan.args:
        return settled
    args = list(call.args)
    for index, arg in zip(target.indices, plan.args):
        args[index] = arg
    settled.migrated = call.with_changes(args=args)
    settled.printed = call_source(settled.migrated)
    fix = (call_text or call_source(call), settled.printed)
    settled.diagnostics.append(plan.fixed_diagnostic(target.label, line, column, fix))
    if target.builder:
        if target.call is call and len(plan.args) == len(call.args):  # printing is costly
            before, after = fix
        else:
            before = call_source(target.call)
            after = call_source(target.call.with_changes(args=plan.args))
        settled.rewrite = CallRewrite(line, column, target.builder, before, after)
    return settled
