"""`torch.hub.load("pytorch/vision", "resnet50", pretrained=True)`: a builder call by another road.

`torch.hub.load(repo_or_dir, model, *args, source=..., **kwargs)` calls the entry point `model` of
the repository's `hubconf.py` with the remaining arguments, and torchvision's entry points are its
builders under their own function names. So the entry point's arguments are planned exactly like
a builder call's, with weights written as member names (`weights="IMAGENET1K_V1"`): the script
may not import torchvision at all, and entry points take member names as the builders do.

The repository's code runs, not the installed torchvision's: a tag before v0.13.0 has no
`weights`, and a ref that is not a release tag or `main` cannot be told apart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic

from migrate_weights.diagnostics import Code
from migrate_weights.rules.builder_call import CallPlan, plan_builder_call, plan_dynamic_call
from migrate_weights.rules.legacy_api import HUB_REPOSITORY
from migrate_weights.rules.syntax import Arg, CallSyntax, Expr
from migrate_weights.tables.table import LegacyTable

FIRST_WEIGHTS_RELEASE = (0, 13)
_CURRENT_REFS = ("", "main")
_OWN_PARAMETERS = ("repo_or_dir", "model")
_HUB_KEYWORDS = frozenset({"source", "trust_repo", "force_reload", "verbose", "skip_validation"})


@dataclass
class HubPlan(Generic[Arg]):
    plan: CallPlan[Arg]
    model: str  # the model argument's source, for messages
    indices: tuple[int, ...] = ()  # where the entry point's arguments are in the hub call
    entry_point: str = "entry_point"  # the builder's name when the model names one, for its call
    builder: str | None = None  # registered name, when the model is a literal builder name


def _release(ref: str) -> tuple[int, int] | None:
    match = re.fullmatch(r"(?:v|release/)(\d+)\.(\d+)(?:[.\-+].*)?", ref)
    return (int(match[1]), int(match[2])) if match else None


def _ref_problem(ref: str) -> str | None:
    if ref in _CURRENT_REFS:
        return None
    release = _release(ref)
    if release is None:
        return (
            f'cannot tell which torchvision "{HUB_REPOSITORY}:{ref}" is: pin a release tag '
            "(v0.13.0 or later) or main to migrate"
        )
    if release < FIRST_WEIGHTS_RELEASE:
        return (
            f'"{HUB_REPOSITORY}:{ref}" is torchvision {release[0]}.{release[1]}, whose entry '
            "points have no `weights` argument: unpin it (or pin v0.13.0 or later) to migrate"
        )
    return None


def _bind(
    args: Sequence[Arg], syntax: CallSyntax[Arg, Expr]
) -> tuple[dict[str, Arg], list[int]] | None:
    """torch.hub.load's own arguments by name, and the indices of the entry point's; None when a
    * or ** argument may hold the repository or the model."""
    own: dict[str, Arg] = {}
    entry: list[int] = []
    positional = iter(_OWN_PARAMETERS)
    for index, arg in enumerate(args):
        star, keyword = syntax.star(arg), syntax.keyword(arg)
        if star and len(own) < len(_OWN_PARAMETERS):
            return None
        if star or keyword not in (None, *_OWN_PARAMETERS, *_HUB_KEYWORDS):
            entry.append(index)
        elif keyword is None:
            name = next(positional, None)
            if name is None:
                entry.append(index)
            else:
                own[name] = arg
        else:
            own[keyword] = arg
    return own, entry


def plan_hub_call(
    args: Sequence[Arg], syntax: CallSyntax[Arg, Expr], table: LegacyTable
) -> HubPlan[Arg] | None:
    """The plan for the entry point's arguments, or None when the call does not load from
    torchvision's GitHub repository (as far as the source shows)."""
    bound = _bind(args, syntax)
    if bound is None:
        return None
    own, indices = bound
    repo, model, source = (own.get(n) for n in ("repo_or_dir", "model", "source"))
    if repo is None or model is None:
        return None
    written = syntax.string_token(syntax.value(repo))
    location = syntax.literal(syntax.value(repo))
    if written is None or HUB_REPOSITORY not in written or not isinstance(location, str):
        return None
    name, _, ref = location.partition(":")
    if name != HUB_REPOSITORY:
        return None
    if source is not None and syntax.literal(syntax.value(source)) != "github":
        return None
    entry_args = tuple(args[i] for i in indices)
    label = syntax.one_line(syntax.value(model))
    model_name = syntax.literal(syntax.value(model))
    builder = None
    entry_point = ""
    if not isinstance(model_name, str):
        plan = plan_dynamic_call(entry_args, table.renames_shared_by_all_builders, syntax)
        for arg in entry_args:
            value = syntax.literal(syntax.value(arg))
            if syntax.keyword(arg) or syntax.star(arg) or isinstance(value, (str, type(None))):
                continue
            message = (
                f"positional `{syntax.one_line(syntax.value(arg))}` for an entry point chosen "
                "at run time"
            )
            reason = "as a legacy flag, the weights depend on which builder it is"
            plan.problems.append((Code.NOT_FIXABLE, f"{message}: {reason}"))
            break
    else:
        entry_point, builder = model_name, table.builder_named(model_name)
        if builder is None or not table.is_function_name(model_name):
            return None  # no builder entry point: nothing this tool knows of

        def member_name(member: str) -> Expr:
            return syntax.string(member.split(".")[1])

        plan = plan_builder_call(builder, entry_args, member_name, syntax)
    problem = _ref_problem(ref)
    if problem is not None and (plan.changes or plan.problems):
        return HubPlan(CallPlan(problems=[(Code.NOT_FIXABLE, problem)]), label)
    if builder is None:
        return HubPlan(plan, label, tuple(indices))
    return HubPlan(plan, label, tuple(indices), entry_point, builder.name)
