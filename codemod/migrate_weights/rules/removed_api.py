"""Modules and names torchvision removed from `torchvision.models` and `torchvision.transforms`
after 0.12 (tables/legacy_removed_api.py, generated from the 0.12.0 wheel):
`transforms.functional_tensor`, `transforms.functional_pil`, `models.segmentation.segmentation`,
and names such as `load_state_dict_from_url` that model modules no longer import. An import of
them fails on current torchvision.

`from <removed> import a, b` is pointed at the module where each name is public now, when that is
one module and each name keeps its name (`from torchvision.transforms.functional import
rgb_to_grayscale`); otherwise, and for `import <removed module>`, it is reported with where each
name went. The findings are written here; full_path/removed_api.py makes the edits (the fast path
leaves these files to it). `model_urls` has a rule of its own, and `torchvision.models.utils`
(gone before 0.12) too."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import cast

from migrate_weights.diagnostics import Code, Finding
from migrate_weights.rules.legacy_api import IMPORT_ROOTS

Successor = tuple[str, str]  # (module, name) where the same thing is public now


@dataclass(frozen=True)
class RemovedApi:
    modules: frozenset[str]
    names: dict[str, dict[str, Successor | None]]

    def removed(self, module: str, name: str) -> bool:
        """Whether `from module import name` names something gone (a submodule too)."""
        return (
            module in self.modules
            or f"{module}.{name}" in self.modules
            or name in self.names.get(module, {})
        )

    def successors(self, module: str) -> dict[str, Successor | None]:
        return self.names.get(module, {})

    @cached_property
    def attribute_names(self) -> frozenset[str]:
        """Every name some module no longer has."""
        return frozenset(name for names in self.names.values() for name in names)

    def read_removed(self, module: str, name: str) -> bool:
        """Whether `module.name`, read as an attribute, is a name the module no longer has."""
        return name in self.names.get(module, {})


@cache
def generated() -> RemovedApi:
    from migrate_weights.tables import legacy_removed_api as removed_api

    names = cast("dict[str, dict[str, Successor | None]]", removed_api.REMOVED_NAMES)
    return RemovedApi(frozenset(removed_api.REMOVED_MODULES), names)


def _went(name: str, successor: Successor | None) -> str:
    if successor is None:
        return f"`{name}` (nothing public does the same)"
    module, new_name = successor
    return f"`{name}` (now `{module}.{new_name}`)"


def plan_import_from(
    module: str, names: Sequence[str], statement: str, removed: RemovedApi
) -> tuple[str | None, Finding] | None:
    """For `from module import names` (`statement`, for the message; `*` for a star import):
    None where it imports nothing removed; else the module to import from instead, or None
    where it must be left to a person, and the finding."""
    if not any(removed.removed(module, name) for name in names):
        return None
    submodules = [f"{module}.{name}" for name in names if f"{module}.{name}" in removed.modules]
    if module in removed.modules or submodules:
        what = "torchvision removed " + ", ".join(f"`{gone}`" for gone in submodules or [module])
    else:
        gone = [name for name in names if removed.removed(module, name)]
        what = f"torchvision removed {', '.join(f'`{name}`' for name in gone)} from `{module}`"
    successors = removed.successors(module)
    if "*" in names or submodules:
        return None, (Code.NOT_FIXABLE, f"{statement}: {what}")
    moved = {name: successors.get(name) for name in names if removed.removed(module, name)}
    same_names = all(s is not None and s[1] == name for name, s in moved.items())
    new_modules = {s[0] for s in moved.values() if s}
    ours = all(module.split(".")[0] in IMPORT_ROOTS for module in new_modules)
    if len(moved) == len(names) and same_names and len(new_modules) == 1 and ours:
        new_module = new_modules.pop()
        return new_module, (Code.FIXED, f"{statement} -> from {new_module}: {what}")
    went = ", ".join(_went(name, successor) for name, successor in moved.items())
    return None, (Code.NOT_FIXABLE, f"{statement}: {what}: {went}")


def plan_attribute(qualified_name: str, removed: RemovedApi) -> Finding | None:
    """An attribute read of a name a module no longer has (`torchvision.models.resnet.
    load_state_dict_from_url`): reported, with where it went."""
    module, _, name = qualified_name.rpartition(".")
    if not removed.read_removed(module, name):
        return None
    return (
        Code.NOT_FIXABLE,
        f"`{module}` no longer has {_went(name, removed.successors(module)[name])}",
    )


def plan_import(module: str, statement: str, removed: RemovedApi) -> Finding | None:
    """`import module` (as anything) of a removed module: reported, with where its names went."""
    if module not in removed.modules:
        return None
    successors = removed.successors(module).values()
    homes = sorted({s[0] for s in successors if s and s[0].startswith("torchvision")})
    where = f"; what it had is in {', '.join(f'`{home}`' for home in homes)}" if homes else ""
    return Code.NOT_FIXABLE, f"{statement}: torchvision removed `{module}`{where}"
