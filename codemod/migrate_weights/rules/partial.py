"""`functools.partial(models.resnet50, pretrained=True)`: a builder's arguments, bound early.

The partial's arguments after the first are the start of a builder call, and are planned as one
(builder, `get_model` or a builder chosen at run time, as for a call). One thing differs: a call
of the partial may append positional arguments, so a positional legacy flag cannot be moved to a
keyword; that is reported instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from migrate_weights.diagnostics import Code
from migrate_weights.rules.builder_call import Arg, CallPlan

if TYPE_CHECKING:
    import libcst as cst

FUNCTION = "functools.partial"


def builder_call(call: cst.Call) -> cst.Call | None:
    """The call the partial stands for: its first argument called with the others."""
    import libcst as cst  # the full path's: the fast path reads a partial's text

    if not call.args or call.args[0].keyword or call.args[0].star:
        return None
    return cst.Call(func=call.args[0].value, args=call.args[1:])


def keep_positionals(args: Sequence[Arg], plan: CallPlan) -> CallPlan:
    """The plan, unless it turns a positional argument into a keyword."""
    if plan.args is None:
        return plan
    moved = [
        old for old, new in zip(args, plan.args) if not old.keyword and not old.star and new.keyword
    ]
    if not moved:
        return plan
    message = (
        "a positional legacy flag in a partial cannot become a keyword: positional arguments "
        "given when the partial is called would take its place"
    )
    return CallPlan(problems=[(Code.NOT_FIXABLE, message), *plan.problems])
