"""Typed access to the generated legacy weights table (`legacy_table.py`).

The table travels as a value: the pipeline takes `generated()` unless it is given another, which
is how a test injects a fault (a wrong member, a wrong positional order) into both paths and the
verifier."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import TypedDict, cast


class ParamEntry(TypedDict):
    legacy: str
    new: str
    pretrained: str | None
    switch: tuple[str, str] | None
    strings: dict[str, str]
    chosen_by: tuple[str, dict[str, str]] | None


class BuilderEntry(TypedDict):
    parameters: tuple[str, ...]
    legacy: tuple[ParamEntry, ...]


class SharedMember(TypedDict):
    """What a truthy legacy flag means for every builder of one module, by member name."""

    member: str  # "IMAGENET1K_V1": each builder's weights accept it as a string
    strings: tuple[str, ...]  # special string values that select another member for some


@dataclass(frozen=True)
class LegacyParam:
    """One `(legacy name, legacy default)` pair of torchvision's shim: pretrained -> weights."""

    legacy: str
    new: str
    pretrained: str | None  # member a truthy value means, e.g. "ResNet50_Weights.IMAGENET1K_V1"
    switch: tuple[str, str] | None  # (keyword, member when that keyword is truthy)
    strings: dict[str, str]  # special string values, e.g. {"legacy": "..._Weights.COCO_LEGACY"}
    # (keyword, member for each builder it may name): `backbone_name` of resnet_fpn_backbone
    chosen_by: tuple[str, dict[str, str]] | None = None


@dataclass(frozen=True)
class Builder:
    name: str
    positional_order: tuple[str, ...]
    legacy: tuple[LegacyParam, ...]
    # Every parameter keyword-only (as the generator checks for builders and helpers): a
    # positional argument is deprecated, and bound by kwonly_to_pos_or_kw in `positional_order`.
    keyword_only: bool = True


@dataclass(frozen=True)
class LegacyTable:
    builders: Mapping[str, BuilderEntry]  # registered name -> what the shim does with it
    paths: Mapping[str, str]  # public import path -> registered name (or helper name)
    enum_modules: Mapping[str, tuple[str, ...]]  # weights enum -> modules exporting it
    get_model_paths: frozenset[str]
    model_modules: frozenset[str]  # torchvision.models and its public submodules
    # module -> what `from module import *` binds that the rules act on: name -> qualified name
    star_exports: Mapping[str, Mapping[str, str]]
    # module -> legacy parameter -> what a truthy value means for each builder the module holds
    namespace_members: Mapping[str, Mapping[str, SharedMember]]
    # other callables the shim wraps, by function name (`resnet_fpn_backbone`), in `paths` too
    helpers: Mapping[str, BuilderEntry] = field(default_factory=dict)
    # where a builder was in 0.12 and is no more (`segmentation.segmentation.fcn_resnet50`):
    # the same builder, so that its call is planned on the run that rewrites its import
    removed_paths: Mapping[str, str] = field(default_factory=dict)
    _built: dict[str, Builder | None] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def builder_named(self, name: str) -> Builder | None:
        """The builder registered under `name` (what `torchvision.models.get_model` takes), or
        the helper of that name."""
        if name not in self._built:
            entry = self.builders.get(name) or self.helpers.get(name)
            self._built[name] = None
            if entry is not None:
                self._built[name] = Builder(
                    name=name,
                    positional_order=entry["parameters"],
                    legacy=tuple(LegacyParam(**param) for param in entry["legacy"]),
                )
        return self._built[name]

    def builder_name_at(self, qualified_name: str) -> str | None:
        """The registered name of the builder reachable at an import path such as
        `torchvision.models.quantization.resnet.resnet50` (-> "quantized_resnet50")."""
        return self.paths.get(qualified_name) or self.removed_paths.get(qualified_name)

    def shortest_path(self, name: str) -> str:
        """The shortest public import path of the builder registered as `name`, e.g.
        "torchvision.models.quantization.resnet50" for quantized_resnet50."""
        paths = [path for path, builder in self.paths.items() if builder == name]
        return min(paths, key=lambda path: (path.count("."), path))

    def identity(self, qualified_name: str) -> str:
        """What a qualified name stands for, the same under each of its import paths: a builder
        by its registered name, a weights enum by its class name, anything else by itself."""
        builder = self.builder_name_at(qualified_name)
        if builder is not None:
            return f"builder {builder}"
        module, _, name = qualified_name.rpartition(".")
        if module in self.enum_modules.get(name, ()):
            return f"enum {name}"
        return qualified_name

    def exporting_modules(self, enum_class: str) -> tuple[str, ...]:
        """Public modules that export a weights enum class, shortest (the natural import)
        first."""
        return self.enum_modules[enum_class]

    @cached_property
    def renames_shared_by_all_builders(self) -> dict[str, str]:
        """Legacy -> new parameter names that mean the same for every builder that has them, so
        that `pretrained=False` -> `weights=None` is right even when the builder is chosen at run
        time."""
        return self.renames_shared_by(self.builders)

    def renames_shared_by(self, names: Iterable[str]) -> dict[str, str]:
        """Legacy -> new parameter names that mean the same for each of the builders registered
        as `names` that has them."""
        renames: dict[str, set[str]] = {}
        for name in names:
            for param in self.builders[name]["legacy"]:
                renames.setdefault(param["legacy"], set()).add(param["new"])
        return {legacy: news.pop() for legacy, news in renames.items() if len(news) == 1}

    def builders_in(self, module: str) -> set[str]:
        """The builders a model module holds: what a lookup in it (`getattr(module, name)`) may
        find."""
        return {
            registered
            for path, registered in self.paths.items()
            if path.rpartition(".")[0] == module and registered in self.builders
        }

    @cached_property
    def parameters_shared_by_all_builders(self) -> tuple[str, ...]:
        """The parameters every builder takes first, in the same order (`weights`, `progress`):
        what positional arguments bind on a builder chosen at run time."""
        return self.parameters_shared_by(self.builders)

    def shared_members(self, names: Iterable[str]) -> dict[str, SharedMember]:
        """Legacy parameter -> the member name a truthy value means for each of the builders
        registered as `names`, where every one of them takes it and means the member of one
        name by it, which each accepts as a string (no switch such as `quantize`)."""
        shared: dict[str, SharedMember] = {}
        entries = [self.builders[name] for name in names]
        for legacy in {param["legacy"] for entry in entries for param in entry["legacy"]}:
            params = [p for entry in entries for p in entry["legacy"] if p["legacy"] == legacy]
            members = {(p["pretrained"] or "").rpartition(".")[2] for p in params}
            if len(params) == len(entries) and len(members) == 1 and "" not in members:
                if not any(p["switch"] for p in params):
                    strings = tuple(sorted({text for p in params for text in p["strings"]}))
                    shared[legacy] = {"member": members.pop(), "strings": strings}
        return shared

    def parameters_shared_by(self, names: Iterable[str]) -> tuple[str, ...]:
        """The parameters the builders registered as `names` all take first, in one order."""
        orders = [self.builders[name]["parameters"] for name in names]
        shared = 0
        while all(len(o) > shared and o[shared] == orders[0][shared] for o in orders):
            shared += 1
        return orders[0][:shared]

    @cached_property
    def parameter_names(self) -> tuple[frozenset[str], frozenset[str]]:
        """Every legacy parameter name (`pretrained`...) and every name that replaces one."""
        params = [param for entry in self.builders.values() for param in entry["legacy"]]
        return frozenset(p["legacy"] for p in params), frozenset(p["new"] for p in params)

    @cached_property
    def function_names(self) -> frozenset[str]:
        """The builders' function names, under any import path."""
        return frozenset(path.rpartition(".")[2] for path in self.paths)

    @cached_property
    def callable_names(self) -> frozenset[str]:
        """The last name of every path a builder or `get_model` is called at, the paths
        torchvision removed among them: `x.y.name(...)` calls neither for any other name."""
        paths = [*self.paths, *self.removed_paths, *self.get_model_paths]
        return frozenset(path.rpartition(".")[2] for path in paths)

    def is_get_model(self, qualified_name: str) -> bool:
        return qualified_name in self.get_model_paths

    def is_model_module(self, qualified_name: str) -> bool:
        return qualified_name in self.model_modules

    def is_function_name(self, name: str) -> bool:
        """Whether the builder registered as `name` is a function of that name, as torch.hub
        entry points are (not so the quantized builders, registered as `quantized_<function
        name>`)."""
        return name in self.builders and any(
            path.rpartition(".")[2] == name and registered == name
            for path, registered in self.paths.items()
        )


@cache
def generated() -> LegacyTable:
    """The table generated from torchvision, imported on first use: a run whose files the screen
    turns away never needs it."""
    from migrate_weights.tables import legacy_removed_api, legacy_table

    paths = {**legacy_table.PATHS, **legacy_table.HELPER_PATHS}
    removed_paths = {
        f"{module}.{name}": paths[".".join(successor)]
        for module, names in legacy_removed_api.REMOVED_NAMES.items()
        for name, successor in names.items()
        if isinstance(successor, tuple) and ".".join(successor) in paths
    }
    return LegacyTable(
        builders=cast("dict[str, BuilderEntry]", legacy_table.BUILDERS),
        paths=paths,
        removed_paths=removed_paths,
        enum_modules=legacy_table.ENUM_MODULES,
        get_model_paths=frozenset(legacy_table.GET_MODEL_PATHS),
        model_modules=frozenset(legacy_table.MODEL_MODULES),
        star_exports=legacy_table.STAR_EXPORTS,
        namespace_members=cast(
            "dict[str, dict[str, SharedMember]]", legacy_table.NAMESPACE_MEMBERS
        ),
        helpers=cast("dict[str, BuilderEntry]", legacy_table.HELPERS),
    )
