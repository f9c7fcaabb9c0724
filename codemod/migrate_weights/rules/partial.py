"""`functools.partial(models.resnet50, pretrained=True)`: a builder's arguments, bound early.

The partial's arguments after the first are the start of a builder call, and are planned as one
(builder, `get_model` or a builder chosen at run time, as for a call). One thing differs: a call
of the partial may append positional arguments, so a positional legacy flag cannot be moved to a
keyword; that is reported instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from migrate_weights.diagnostics import Code
from migrate_weights.rules.builder_call import KEYWORDED, CallPlan
from migrate_weights.rules.syntax import Arg, CallSyntax, Expr


def keep_positionals(
    args: Sequence[Arg], plan: CallPlan[Arg], syntax: CallSyntax[Arg, Expr]
) -> CallPlan[Arg]:
    """The plan, unless it turns a positional legacy flag into a keyword; positional arguments
    it only made keywords (as a call of a keyword-only builder gets) stay positional."""
    if plan.args is None:
        return plan
    moved = [
        index
        for index, (old, new) in enumerate(zip(args, plan.args))
        if not syntax.keyword(old) and not syntax.star(old) and syntax.keyword(new)
    ]
    if not moved:
        return plan
    if set(moved) <= plan.keyworded:
        kept = [args[i] if i in moved else arg for i, arg in enumerate(plan.args)]
        changes = [change for change in plan.changes if not change.startswith(KEYWORDED)]
        return CallPlan(tuple(kept) if changes else None, changes, plan.problems)
    message = (
        "a positional legacy flag in a partial cannot become a keyword: positional arguments "
        "given when the partial is called would take its place"
    )
    return CallPlan(problems=[(Code.NOT_FIXABLE, message), *plan.problems])
