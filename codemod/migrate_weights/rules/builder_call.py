"""The rules: what a builder call's legacy arguments mean, and the arguments that replace them.

This follows torchvision's shim (`handle_legacy_interface` and `kwonly_to_pos_or_kw`):
- positional arguments are bound to the builder's current parameters in order, so a flag in the
  position of `weights` / `weights_backbone` is the legacy `pretrained` / `pretrained_backbone`;
- a legacy value is anything but `None`, a weights enum or a string other than "legacy";
- a truthy value means the legacy member from the table (switched by e.g. `quantize=True`, or by
  the string "legacy"), a falsy one means `None`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic

from migrate_weights.diagnostics import Code, Diagnostic, Finding
from migrate_weights.rules.legacy_api import is_legacy_flag
from migrate_weights.rules.syntax import (
    Arg,
    ArgumentLayout,
    CallSyntax,
    Expr,
    Reference,
    layout_of,
)
from migrate_weights.syntax.arguments import NOT_LITERAL
from migrate_weights.tables.table import Builder, LegacyParam, LegacyTable, SharedMember

BEFORE_STAR_ARGS = "positional legacy argument before *args cannot be moved"
KEYWORDED = "positional arguments made keywords"  # the change when only that is made


@dataclass
class CallPlan(Generic[Arg]):
    """The outcome for one call: new arguments (None: leave it), what changed, what a person must
    look at."""

    args: tuple[Arg, ...] | None = None
    changes: list[str] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)
    keyworded: frozenset[int] = frozenset()  # positional arguments made keywords, values kept

    def problem_diagnostics(self, label: str, line: int, column: int) -> list[Diagnostic]:
        """The problems as findings at the call (`label`: its callee)."""
        return [Diagnostic(line, column, code, f"{label}: {text}") for code, text in self.problems]

    def fixed_diagnostic(
        self, label: str, line: int, column: int, fix: tuple[str, str]
    ) -> Diagnostic:
        return Diagnostic(line, column, Code.FIXED, f"{label}: " + "; ".join(self.changes), fix)


def _may_carry(names: Sequence[str]) -> Finding:
    return Code.NOT_FIXABLE, "**-arguments may carry " + " or ".join(f"`{n}`" for n in names)


def _flag_or_weights(written: str, new: str, legacy: str) -> Finding:
    problem = f"positional `{written}` is bound to `{new}`: a legacy `{legacy}` flag or weights"
    return Code.NOT_FIXABLE, problem + ", unknown until run time"


class _Problem(Exception):
    def __init__(self, code: Code, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _CallRewriter(Generic[Arg, Expr]):
    def __init__(
        self,
        builder: Builder,
        args: Sequence[Arg],
        reference: Reference[Expr],
        syntax: CallSyntax[Arg, Expr],
    ) -> None:
        self.builder = builder
        self.args = args
        self.reference = reference
        self.syntax = syntax
        self.layout: ArgumentLayout = layout_of(args, syntax)
        order = builder.positional_order[: self.layout.positional_count]
        self.slots = {name: index for index, name in enumerate(order)}

    def argument(self, name: str) -> int | None:
        """Index of the argument bound to parameter `name`, by keyword or by position."""
        return self.layout.keywords.get(name, self.slots.get(name))

    def check_not_starred(self, key: str) -> None:
        """The argument `key`, which decides the weights, is not given by name: it must not be
        in */** arguments either."""
        if self.layout.star_kwargs or self.layout.star_args:
            raise _Problem(
                Code.NOT_FIXABLE,
                f"`{key}` may be passed through */** arguments; it decides the weights",
            )

    def truthy_member(self, param: LegacyParam) -> Expr:
        if param.chosen_by is not None:
            return self.chosen_member(param, *param.chosen_by)
        if param.pretrained is None:
            raise _Problem(
                Code.NO_LEGACY_WEIGHTS,
                f"{self.builder.name} has no legacy weights: `{param.legacy}=True` raises "
                f"ValueError; choose a `{param.new}` member",
            )
        if param.switch is None:
            return self.reference(param.pretrained)
        key, switched_member = param.switch
        index = self.argument(key)
        if index is None:
            self.check_not_starred(key)
            return self.reference(param.pretrained)
        syntax = self.syntax
        switch_value = syntax.value(self.args[index])
        literal = syntax.literal(switch_value)
        if literal is not NOT_LITERAL:
            return self.reference(switched_member if literal else param.pretrained)
        if not syntax.is_plain_reference(switch_value):
            raise _Problem(
                Code.NOT_FIXABLE,
                f"`{key}={syntax.one_line(switch_value)}` decides the weights and is not a "
                "plain name",
            )
        return syntax.conditional(
            syntax.clone(switch_value),
            self.reference(switched_member),
            self.reference(param.pretrained),
        )

    def chosen_member(self, param: LegacyParam, key: str, members: dict[str, str]) -> Expr:
        """The member for the builder that argument `key` names (`backbone_name="resnet50"`);
        where that is not a constant, the member's name, where every builder's is the same."""
        index = self.argument(key)
        if index is None:
            self.check_not_starred(key)
            raise _Problem(Code.NOT_FIXABLE, f"`{key}` is not given; it decides the weights")
        value = self.syntax.value(self.args[index])
        literal = self.syntax.literal(value)
        if isinstance(literal, str) and literal in members:
            return self.reference(members[literal])
        if literal is not NOT_LITERAL:
            raise _Problem(
                Code.NOT_FIXABLE,
                f"`{key}={self.syntax.one_line(value)}` names no builder with legacy weights: "
                f"`{param.legacy}=True` raises",
            )
        names = {member.rpartition(".")[2] for member in members.values()}
        if len(names) != 1:
            raise _Problem(
                Code.NOT_FIXABLE,
                f"`{key}={self.syntax.one_line(value)}` decides the weights and is not a constant",
            )
        return self.syntax.string(names.pop())

    def new_value(self, param: LegacyParam, value: Expr) -> Expr:
        syntax = self.syntax
        literal = syntax.literal(value)
        if literal is not NOT_LITERAL:
            if isinstance(literal, str) and literal in param.strings:
                replacement = self.reference(param.strings[literal])
            elif literal:
                replacement = self.truthy_member(param)
            else:
                replacement = syntax.none()
            # Parentheses around the old value may hold comments: keep them.
            return syntax.keep_parentheses(replacement, value)
        if param.pretrained is None and param.chosen_by is None:
            raise _Problem(
                Code.NO_LEGACY_WEIGHTS,
                f"{self.builder.name} has no legacy weights: "
                f"`{param.legacy}={syntax.one_line(value)}` raises when true; choose a member",
            )
        expression = syntax.conditional(value, self.truthy_member(param), syntax.none())
        if param.strings and not syntax.is_plain_reference(value):
            raise _Problem(
                Code.NOT_FIXABLE,
                f"`{param.legacy}={syntax.one_line(value)}` may be "
                + " or ".join(f'"{text}"' for text in param.strings)
                + ", which selects other weights, and is not a plain name",
            )
        for text, member in param.strings.items():
            expression = syntax.conditional(
                syntax.equals(syntax.clone(value), text), self.reference(member), expression
            )
        return expression

    def plan(self) -> CallPlan[Arg]:
        plan: CallPlan[Arg] = CallPlan()
        if self.layout.positional_count > len(self.builder.positional_order):
            return plan  # not a valid call of this builder: nothing we can map
        if set(self.slots) & set(self.layout.keywords):
            return plan
        syntax = self.syntax
        new_values: dict[int, Expr] = {}
        renamed: dict[int, str] = {}
        implicit: list[str] = []
        unmoved = self.layout.positional_count  # a positional argument that must stay one
        for param in self.builder.legacy:
            legacy_index = self.layout.keywords.get(param.legacy)
            given = [i for i in (legacy_index, self.argument(param.new)) if i is not None]
            if not given:
                implicit.append(param.legacy)
                continue
            if len(given) == 2:
                plan.problems.append(
                    (Code.NOT_FIXABLE, f"both `{param.legacy}` and `{param.new}` are given")
                )
                continue
            index = given[0]
            value = syntax.value(self.args[index])
            positional = index < self.layout.positional_count
            if legacy_index is None:
                literal = syntax.literal(value)
                if literal is NOT_LITERAL:
                    if positional:
                        written = syntax.one_line(value)
                        plan.problems.append(_flag_or_weights(written, param.new, param.legacy))
                        unmoved = min(unmoved, index)
                    continue
                if not is_legacy_flag(literal):
                    continue
            try:
                new_values[index] = self.new_value(param, value)
            except _Problem as problem:
                plan.problems.append((problem.code, problem.message))
                if positional:
                    unmoved = min(unmoved, index)
                continue
            if legacy_index is not None:
                renamed[index] = param.new
            written_as = param.legacy if legacy_index is not None or positional else param.new
            plan.changes.append(
                f"{written_as}={syntax.one_line(value)} -> "
                f"{param.new}={syntax.one_line(new_values[index])}"
            )

        converted = [i for i in new_values if i < self.layout.positional_count]
        if converted and self.layout.star_args:
            plan.problems.append((Code.NOT_FIXABLE, BEFORE_STAR_ARGS))
            plan.changes.clear()
            return plan
        if implicit and self.layout.star_kwargs and not plan.problems:
            plan.problems.append(_may_carry(implicit))
        order = self.builder.positional_order
        # Each positional argument is deprecated on a keyword-only builder: all become keywords
        # (but those before one that must stay), or, elsewhere, those from the first converted.
        moved = self.builder.keyword_only and unmoved == self.layout.positional_count
        if moved and self.layout.positional_count and not self.layout.star_args:
            first_converted = 0
            if not plan.changes:
                names = ", ".join(order[: self.layout.positional_count])
                plan.changes.append(f"{KEYWORDED}: {names}")
        else:
            first_converted = min(converted, default=self.layout.positional_count)
        if not plan.changes:
            return plan
        new_args = []
        for index, arg in enumerate(self.args):
            value = new_values.get(index, syntax.value(arg))
            if index in renamed:
                arg = syntax.renamed(arg, renamed[index], value)
            elif first_converted <= index < self.layout.positional_count:
                arg = syntax.as_keyword(arg, order[index], value)
            elif index in new_values:
                arg = syntax.with_value(arg, value)
            new_args.append(arg)
        plan.args = tuple(new_args)
        keyworded = range(first_converted, self.layout.positional_count)
        plan.keyworded = frozenset(index for index in keyworded if index not in new_values)
        return plan


def plan_builder_call(
    builder: Builder,
    args: Sequence[Arg],
    reference: Reference[Expr],
    syntax: CallSyntax[Arg, Expr],
) -> CallPlan[Arg]:
    return _CallRewriter(builder, args, reference, syntax).plan()


def plan_dynamic_call(
    args: Sequence[Arg],
    renames: dict[str, str],
    syntax: CallSyntax[Arg, Expr],
    order: tuple[str, ...] = (),
    shared: Mapping[str, SharedMember] | None = None,
) -> CallPlan[Arg]:
    """A builder chosen at run time (`getattr(models, name)(...)`). A false flag has one meaning
    for every builder (`pretrained=False` -> `weights=None`); a true one has where every builder
    it may be means the member of one name by it (`shared`: legacy parameter -> that member, for
    the module the builder is looked up in), which each of them accepts as a string. `order`: the
    parameters every builder it may be takes first, which its positional arguments bind (a
    positional `False` in the place of `weights` is `weights=None` too); without it, positional
    arguments are not the builder's to read."""
    plan: CallPlan[Arg] = CallPlan()
    legacy_of = {new: legacy for legacy, new in renames.items()}
    layout = layout_of(args, syntax)
    positional = layout.positional_count if order else 0
    if positional > len(order):
        problem = "positional arguments on a builder chosen at run time: what they bind varies"
        plan.problems.append((Code.NOT_FIXABLE, problem))
        return plan
    new_args: list[Arg] = []
    keyworded = False  # a positional argument made a keyword: those after it must be too
    for index, arg in enumerate(args):
        name = syntax.keyword(arg)
        bound = order[index] if index < positional else None
        value = syntax.value(arg)
        literal = syntax.literal(value)
        # A positional None or member name is weights of the current API.
        current = bound is not None and literal is not NOT_LITERAL and not is_legacy_flag(literal)
        # `weights=True`: a legacy flag under the new name, which the shim reads as one
        flag_as_new = name in legacy_of and literal is not NOT_LITERAL and is_legacy_flag(literal)
        if (name in renames or bound in legacy_of or flag_as_new) and not current:
            legacy = legacy_of[str(name)] if flag_as_new else name or legacy_of[str(bound)]
            new = renames[legacy]
            written = f"{name}={syntax.one_line(value)}" if name else syntax.one_line(value)
            member = (shared or {}).get(legacy)
            replacement = None
            if literal is not NOT_LITERAL and not literal:
                replacement = syntax.none()
            elif member and literal is not NOT_LITERAL and literal not in member["strings"]:
                replacement = syntax.string(member["member"])
            elif member and literal is NOT_LITERAL and name and not member["strings"]:
                replacement = syntax.conditional(
                    value, syntax.string(member["member"]), syntax.none()
                )
            if replacement is not None and bound and layout.star_args:
                plan.problems.append((Code.NOT_FIXABLE, BEFORE_STAR_ARGS))
            elif replacement is not None:
                plan.changes.append(f"{written} -> {new}={syntax.one_line(replacement)}")
                if bound:
                    arg, keyworded = syntax.as_keyword(arg, new, replacement), True
                else:
                    arg = syntax.renamed(arg, new, replacement)
            elif member and literal is NOT_LITERAL and bound:
                plan.problems.append(_flag_or_weights(written, new, legacy))
            else:
                where = "" if name else f" (the builder's `{bound}`)"
                message = f"`{written}`{where} on a builder chosen at run time: the weights "
                plan.problems.append((Code.NOT_FIXABLE, message + "depend on which builder it is"))
        elif bound is not None and keyworded:
            arg = syntax.as_keyword(arg, bound, value)
        new_args.append(arg)
    given = {syntax.keyword(arg) for arg in args} | set(order[:positional])
    implicit = [legacy for legacy, new in renames.items() if not {legacy, new} & given]
    if layout.star_kwargs and implicit and not plan.problems:
        plan.problems.append(_may_carry(implicit))
    if plan.changes:
        plan.args = tuple(new_args)
    return plan


def plan_unfollowed_call(
    args: Sequence[Arg],
    syntax: CallSyntax[Arg, Expr],
    table: LegacyTable,
    why: str,
    held_as_is: bool,
) -> CallPlan[Arg] | None:
    """A call that may be of a builder the rules cannot name (`why`: how it may be one): a
    finding where it passes a legacy keyword or a flag as `weights=`, and, where the callee may
    hold the builder as it is (`held_as_is`: a name, an element of a container, an attribute of
    a name the module gives a builder), also `**`-arguments or any argument by position, which
    every builder's shim warns of. Another method (`self.layer(x)`, `name.split(".")`) is
    reported for the keywords only. None where it passes none of these."""
    legacy, new = table.parameter_names
    for arg in args:
        name, literal = syntax.keyword(arg), syntax.literal(syntax.value(arg))
        flag_as_new = name in new and literal is not NOT_LITERAL and is_legacy_flag(literal)
        passed_on = syntax.star(arg) == "**" or (name is None and not syntax.star(arg))
        if name in legacy or flag_as_new or (held_as_is and passed_on):
            return CallPlan(problems=[(Code.NOT_FIXABLE, f"may be a builder: {why}")])
    return None


def plan_named_call(
    names: set[str],
    args: Sequence[Arg],
    reference_for: Callable[[str], Reference[Expr]],
    syntax: CallSyntax[Arg, Expr],
    table: LegacyTable,
) -> tuple[CallPlan[Arg], str | None] | None:
    """A call of what resolves to `names`: a builder, or `get_model` (its first argument names
    the builder). The plan and the registered name of the builder, when known; None for any
    other call. `reference_for(qualified name)` writes members for the call."""
    builder_names = {table.builder_name_at(name) for name in names}
    builder_name = builder_names.pop() if len(builder_names) == 1 else None
    builder = table.builder_named(builder_name) if builder_name else None
    if builder is not None:
        reference = reference_for(min(names))
        registered = builder.name if builder.name in table.builders else None  # not a helper
        return plan_builder_call(builder, args, reference, syntax), registered
    if not names or not all(table.is_get_model(name) for name in names):
        return None
    if not args or syntax.keyword(args[0]) or syntax.star(args[0]):
        return CallPlan(), None
    name = syntax.literal(syntax.value(args[0]))
    builder = (
        table.builder_named(name) if isinstance(name, str) and name in table.builders else None
    )
    if builder is None:
        return plan_dynamic_call(args, table.renames_shared_by_all_builders, syntax), None
    # get_model(name, **config): the name is the only positional argument.
    builder = dataclasses.replace(builder, positional_order=("name",), keyword_only=False)
    return plan_builder_call(builder, args, reference_for(min(names)), syntax), builder.name
