"""Typed access to the generated legacy weights table (`legacy_table.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from migrate_weights.tables import legacy_table


@dataclass(frozen=True)
class LegacyParam:
    """One `(legacy name, legacy default)` pair of torchvision's shim: pretrained -> weights."""

    legacy: str
    new: str
    pretrained: str | None  # member a truthy value means, e.g. "ResNet50_Weights.IMAGENET1K_V1"
    switch: tuple[str, str] | None  # (keyword, member when that keyword is truthy)
    strings: dict[str, str]  # special string values, e.g. {"legacy": "..._Weights.COCO_LEGACY"}


@dataclass(frozen=True)
class Builder:
    name: str
    positional_order: tuple[str, ...]
    legacy: tuple[LegacyParam, ...]


@cache
def builder_named(name: str) -> Builder | None:
    """The builder registered under `name` (what `torchvision.models.get_model` takes)."""
    entry = legacy_table.BUILDERS.get(name)
    if entry is None:
        return None
    return Builder(
        name=name,
        positional_order=entry["parameters"],
        legacy=tuple(LegacyParam(**param) for param in entry["legacy"]),
    )


def builder_name_at(qualified_name: str) -> str | None:
    """The registered name of the builder reachable at an import path such as
    `torchvision.models.quantization.resnet.resnet50` (-> "quantized_resnet50")."""
    return legacy_table.PATHS.get(qualified_name)


def shortest_path(name: str) -> str:
    """The shortest public import path of the builder registered as `name`, e.g.
    "torchvision.models.quantization.resnet50" for quantized_resnet50."""
    paths = [path for path, builder in legacy_table.PATHS.items() if builder == name]
    return min(paths, key=lambda path: (path.count("."), path))


def exporting_modules(enum_class: str) -> tuple[str, ...]:
    """Public modules that export a weights enum class, shortest (the natural import) first."""
    return legacy_table.ENUM_MODULES[enum_class]


@cache
def renames_shared_by_all_builders() -> dict[str, str]:
    """Legacy -> new parameter names that mean the same for every builder that has them, so that
    `pretrained=False` -> `weights=None` is right even when the builder is chosen at run time."""
    renames: dict[str, set[str]] = {}
    for entry in legacy_table.BUILDERS.values():
        for param in entry["legacy"]:
            renames.setdefault(param["legacy"], set()).add(param["new"])
    return {legacy: news.pop() for legacy, news in renames.items() if len(news) == 1}


@cache
def parameter_names() -> tuple[frozenset[str], frozenset[str]]:
    """Every legacy parameter name (`pretrained`...) and every name that replaces one."""
    params = [param for entry in legacy_table.BUILDERS.values() for param in entry["legacy"]]
    return frozenset(p["legacy"] for p in params), frozenset(p["new"] for p in params)


def is_get_model(qualified_name: str) -> bool:
    return qualified_name in legacy_table.GET_MODEL_PATHS


def is_model_module(qualified_name: str) -> bool:
    return qualified_name in legacy_table.MODEL_MODULES


def is_function_name(name: str) -> bool:
    """Whether the builder registered as `name` is a function of that name, as torch.hub entry
    points are (not so the quantized builders, registered as `quantized_<function name>`)."""
    return any(
        path.rpartition(".")[2] == name and registered == name
        for path, registered in legacy_table.PATHS.items()
    )


def model_urls_dict(qualified_name: str) -> str | None:
    """The `model_urls` dict of torchvision 0.12 that a name such as
    `torchvision.models.resnet.model_urls` (or an import of it) refers to, if any."""
    from migrate_weights.tables import legacy_model_urls

    if qualified_name in legacy_model_urls.MODEL_URLS:
        return qualified_name
    return legacy_model_urls.IMPORTED.get(qualified_name)
