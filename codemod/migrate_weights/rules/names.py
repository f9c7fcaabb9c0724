"""What a name used at a call stands for, given the bindings that may reach it (found by
pipeline/scopes.py): one torchvision, torch or functools object, imported once or more; or, where
it may be bound to different ones, or to one of them and something unknown, nothing a rule may
rewrite. `None` in any branch, and a fallback bound where `ImportError` is caught, leave the
import the name it resolves to: the call fails there either way."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar, Union

from migrate_weights.diagnostics import Code, Finding

Statement = TypeVar("Statement", covariant=True)

# Roots of the names the rules act on.
RULE_ROOTS = ("torchvision", "torch", "functools", "importlib")


def is_ours(qualified_name: str) -> bool:
    return qualified_name.split(".")[0] in RULE_ROOTS


class Kind(enum.Enum):
    IMPORT = "import"
    NONE = "None"  # `name = None`
    FALLBACK = "fallback"  # any binding in an `except ImportError` handler
    OTHER = "other"


@dataclass(frozen=True)
class Binding(Generic[Statement]):
    kind: Kind
    qualified: str | None  # what an import binds
    statement: Statement  # the statement that binds the name
    from_module: str | None  # the module of a `from module import name` (absolute, no star)
    top_level: bool  # the statement is one of the module's own, in no block
    declared: bool  # bound in another scope than the statement's, by `global` or `nonlocal`
    in_class_body: bool  # the statement is in a class body, where what it binds is an attribute
    star: bool = False  # bound by `from module import *`: any other binding in the scope wins


@dataclass(frozen=True)
class Resolved(Generic[Statement]):
    qualified: str
    imports: tuple[Binding[Statement], ...]  # the imports that bind the name to it (fallbacks too)

    def import_place(self) -> Statement | None:
        """The one statement that imports the name where it is not one of the module's own
        statements (in a function, a class, a guard): the enums it needs are imported there.
        None where the module's own imports bring it in."""
        nested = [binding for binding in self.imports if not binding.top_level]
        return nested[0].statement if len(self.imports) == 1 and nested else None

    def has_a_place(self) -> bool:
        """Whether the enums a call through this name needs may be imported: not where the name
        is imported in more than one statement, one of them in a block, through `global`, or in
        a class body (the class would gain an attribute)."""
        if any(binding.declared or binding.in_class_body for binding in self.imports):
            return False
        return len(self.imports) == 1 or all(binding.top_level for binding in self.imports)


@dataclass(frozen=True)
class Ambiguous:
    name: str
    candidates: tuple[str, ...]  # the torchvision, torch or functools objects among its bindings
    unknown: bool  # bound to something else too

    def finding(self) -> Finding:
        bound = " or ".join(self.candidates) + (" or something else" if self.unknown else "")
        return Code.NOT_FIXABLE, f"`{self.name}` may be bound to {bound} here"


Resolution = Union[Resolved[Statement], Ambiguous, None]


def resolve(
    name: str, bindings: Sequence[Binding[Statement]], same: Callable[[str], str] = str
) -> Resolution[Statement]:
    """What `name` stands for where the `bindings` reach it; None when it is none of ours.
    `same`: what a qualified name is, so that two paths of one object are one (the table's
    `LegacyTable.identity`); the shortest path stands for it."""
    of_ours = [b.qualified is not None and is_ours(b.qualified) for b in bindings]
    ours = [b for b, is_of_ours in zip(bindings, of_ours) if is_of_ours]
    if not ours:
        return None
    candidates = tuple(sorted({b.qualified for b in ours if b.qualified is not None}))
    unknown = any(
        b.kind is Kind.OTHER or (b.kind is Kind.IMPORT and not is_of_ours)
        for b, is_of_ours in zip(bindings, of_ours)
    )
    if len({same(candidate) for candidate in candidates}) > 1 or unknown:
        return Ambiguous(name, candidates, unknown)
    return Resolved(min(candidates, key=lambda c: (c.count("."), c)), tuple(ours))
