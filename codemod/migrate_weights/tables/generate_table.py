"""Generate `tables/legacy_table.py` from the installed torchvision.

Run `python -m migrate_weights.tables.generate_table` (needs the `verify` extra). Everything in
the table is read from torchvision's own legacy shim,
`torchvision.models._utils.handle_legacy_interface`: the `(legacy name, legacy default)` pairs it
decorates each builder with, and the builder signature that its positional-argument mapping
uses.
"""

from __future__ import annotations

import ast
import enum
import importlib
import inspect
import pkgutil
import pprint
import sys
from pathlib import Path
from typing import Any, Callable

from migrate_weights.rules import legacy_api

TABLE_PATH = Path(__file__).with_name("legacy_table.py")

# The shim treats this one string value of a weights argument as a legacy flag (see `weights_arg
# != "legacy"` in handle_legacy_interface); a callable default may give it its own member.
TRUTHY = (True, 1, "yes")
FALSY = (False, 0, "", None)


class _RecordingKwargs(dict[str, Any]):
    """The kwargs dict handed to a callable legacy default, recording which keys it reads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.read.add(str(key))
        return super().__contains__(key)


def _member(weights: Any) -> str | None:
    if weights is None:
        return None
    return f"{type(weights).__name__}.{weights.name}"


def _shim_code() -> Any:
    """The code object of the shim's inner wrapper, to find it in a builder's wrapper chain."""
    from torchvision.models import _utils

    probe = _utils.handle_legacy_interface(weights=("pretrained", None))(lambda *, weights=None: 0)
    return probe.__wrapped__.__code__


def _legacy_pairs(builder: Callable[..., Any], shim_code: Any) -> dict[str, tuple[str, Any]]:
    fn: Any = builder
    while fn is not None:
        if getattr(fn, "__code__", None) is shim_code:
            pairs: dict[str, tuple[str, Any]] = inspect.getclosurevars(fn).nonlocals["weights"]
            return pairs
        fn = getattr(fn, "__wrapped__", None)
    return {}


def _describe_default(
    builder_name: str, legacy_name: str, default: Any, names: list[str]
) -> dict[str, Any]:
    """What `legacy_name=<value>` means, as data: the member for a truthy value, the member a
    truthy keyword argument switches to (`quantize=True`), members for special strings, and,
    where another argument names a builder (`backbone_name`), the member for each name it
    takes (`names`: every registered builder's)."""
    if not callable(default):
        return {"pretrained": _member(default), "switch": None, "strings": {}, "chosen_by": None}

    kwargs = _RecordingKwargs({legacy_name: True})
    try:
        when_true = default(kwargs)
    except KeyError:  # it reads an argument the call must give
        return _chosen_by(builder_name, legacy_name, default, kwargs.read - {legacy_name}, names)
    others = kwargs.read - {legacy_name}
    if len(others) > 1:
        raise SystemExit(f"{builder_name}: legacy default reads {sorted(others)}; extend the table")
    switch = None
    if others:
        (key,) = others
        switched = default({legacy_name: True, key: True})
        for value in TRUTHY:
            if default({legacy_name: True, key: value}) is not switched:
                raise SystemExit(f"{builder_name}: {key}={value!r} is not read as truthy")
        for false_value in FALSY:
            if default({legacy_name: True, key: false_value}) is not when_true:
                raise SystemExit(f"{builder_name}: {key}={false_value!r} is not read as falsy")
        switch = (key, _member(switched))
    strings = {}
    special = default({legacy_name: legacy_api.LEGACY_STRING})
    if special is not when_true:
        strings[legacy_api.LEGACY_STRING] = _member(special)
    return {
        "pretrained": _member(when_true),
        "switch": switch,
        "strings": strings,
        "chosen_by": None,
    }


def _chosen_by(
    builder_name: str, legacy_name: str, default: Any, read: set[str], names: list[str]
) -> dict[str, Any]:
    if len(read) != 1:
        raise SystemExit(f"{builder_name}: legacy default reads {sorted(read)}; extend the table")
    (key,) = read
    members = {}
    for name in names:
        try:
            members[name] = _member(default({legacy_name: True, key: name}))
        except (KeyError, AttributeError):
            continue  # not a name it takes
    if not members:
        raise SystemExit(f"{builder_name}: no value of {key} gives legacy weights")
    return {"pretrained": None, "switch": None, "strings": {}, "chosen_by": (key, members)}


def _members(builders: dict[str, Any]) -> set[str]:
    return {
        member
        for builder in builders.values()
        for entry in builder["legacy"]
        for member in [
            entry["pretrained"],
            *(entry["switch"] or ())[1:],
            *entry["strings"].values(),
            *(entry["chosen_by"] or ((), {}))[1].values(),
        ]
        if member
    }


def _positional_order(builder: Callable[..., Any]) -> tuple[str, ...]:
    """kwonly_to_pos_or_kw maps positional arguments onto the builder's keyword-only parameters
    in order, with a deprecation warning: the rules make each of them a keyword, which holds
    where every parameter is keyword-only."""
    kinds = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    params = [p for p in inspect.signature(builder).parameters.values() if p.kind not in kinds]
    if any(p.kind is not inspect.Parameter.KEYWORD_ONLY for p in params):
        raise SystemExit(f"{builder.__name__}: a parameter is not keyword-only; extend the table")
    return tuple(p.name for p in params)


def _public_names(module: Any) -> set[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    return set(names)


def _submodules_imported(module: Any) -> set[str]:
    """The submodules a package's `__init__` imports by name (`from . import detection`), which
    importing it always binds; other submodules are attributes only once something imports
    them, so what a star import binds of them depends on the program."""
    if not (module.__file__ or "").endswith("__init__.py"):
        return set()
    tree = ast.parse(inspect.getsource(module))
    return {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module is None
        for alias in node.names
    }


def _namespace_members(
    builders: dict[str, Any], paths: dict[str, str], modules: list[Any]
) -> dict[str, dict[str, dict[str, Any]]]:
    """Module -> legacy parameter -> the member name (`IMAGENET1K_V1`) that a truthy value means
    for every builder the module holds, and the special strings that mean another member for
    some of them. Recorded only where it holds for each builder of the module: no switch, one
    member name, and a builder without legacy weights has no member of that name either (both
    forms raise)."""
    from torchvision import models

    shared: dict[str, dict[str, dict[str, Any]]] = {}
    for module in modules:
        names = {
            registered
            for path, registered in paths.items()
            if path.rpartition(".")[0] == module.__name__
        }
        params: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for name in sorted(names):
            for param in builders[name]["legacy"]:
                params.setdefault(param["legacy"], []).append((name, param))
        for legacy_name, taking in sorted(params.items()):
            if any(param["switch"] for _, param in taking):
                continue
            members = {
                param["pretrained"].split(".")[1] for _, param in taking if param["pretrained"]
            }
            if len(members) != 1:
                continue
            (member,) = members
            without = [name for name, param in taking if not param["pretrained"]]
            if legacy_name != "pretrained" and without:
                continue  # whether a backbone's enum has the member is not read here
            if any(member in models.get_model_weights(name).__members__ for name in without):
                continue
            strings = sorted({text for _, param in taking for text in param["strings"]})
            shared.setdefault(module.__name__, {})[legacy_name] = {
                "member": member,
                "strings": tuple(strings),
            }
    return shared


def collect() -> dict[str, Any]:
    import torchvision
    from torchvision import models
    from torchvision.models._api import WeightsEnum

    modules = [models] + [
        importlib.import_module(info.name)
        for info in pkgutil.walk_packages(models.__path__, "torchvision.models.")
        if not any(part.startswith("_") for part in info.name.split("."))
    ]
    shim_code = _shim_code()
    names = sorted(models.list_models())

    def entry(name: str, builder: Callable[..., Any]) -> dict[str, Any]:
        legacy = [
            {"legacy": legacy_name, "new": new_name}
            | _describe_default(name, legacy_name, default, names)
            for new_name, (legacy_name, default) in _legacy_pairs(builder, shim_code).items()
        ]
        return {"parameters": _positional_order(builder), "legacy": tuple(legacy)}

    builders: dict[str, Any] = {}
    ids = {}
    for name in names:
        builder = models.get_model_builder(name)
        ids[id(builder)] = name
        builders[name] = entry(name, builder)

    paths: dict[str, str] = {}
    get_model_paths = []
    enum_modules: dict[str, list[str]] = {}
    for module in modules:
        public = _public_names(module)
        for attr, value in sorted(vars(module).items()):
            if attr.startswith("_"):
                continue
            if id(value) in ids and callable(value):
                paths[f"{module.__name__}.{attr}"] = ids[id(value)]
            if value is models.get_model:
                get_model_paths.append(f"{module.__name__}.{attr}")
            is_enum = isinstance(value, type) and issubclass(value, enum.Enum)
            if is_enum and issubclass(value, WeightsEnum) and value is not WeightsEnum:
                if attr in public and attr == value.__name__:
                    enum_modules.setdefault(attr, []).append(module.__name__)
    helpers: dict[str, Any] = {}  # other callables the shim wraps (`resnet_fpn_backbone`)
    helper_paths: dict[str, str] = {}
    helper_ids = set()
    for module in modules:
        for attr, value in sorted(vars(module).items()):
            if callable(value) and id(value) not in ids and _legacy_pairs(value, shim_code):
                helpers[attr] = entry(attr, value)
                helper_paths[f"{module.__name__}.{attr}"] = attr
                helper_ids.add(id(value))
    if set(helpers) & set(builders):
        raise SystemExit(f"helpers named as builders: {sorted(set(helpers) & set(builders))}")
    used = {member.split(".")[0] for member in _members({**builders, **helpers})}
    star_exports = {}
    for module in modules:  # what `from module import *` binds, of the names the rules act on
        exported = {}
        for attr in sorted(_public_names(module)):
            value = getattr(module, attr, None)
            if (id(value) in ids or id(value) in helper_ids) and callable(value):
                exported[attr] = f"{module.__name__}.{attr}"
            elif attr in used and module.__name__ in enum_modules.get(attr, []):
                exported[attr] = f"{module.__name__}.{attr}"
            elif attr in _submodules_imported(module) and value in modules:
                exported[attr] = f"{module.__name__}.{attr}"
        star_exports[module.__name__] = exported
    missing = used - set(enum_modules)
    if missing:
        raise SystemExit(f"weights enums exported by no public module: {sorted(missing)}")
    return {
        "version": torchvision.__version__.split("+")[0],
        "builders": builders,
        "helpers": helpers,
        "paths": dict(sorted(paths.items())),
        "helper_paths": helper_paths,
        "get_model_paths": tuple(sorted(get_model_paths)),
        "model_modules": tuple(sorted(module.__name__ for module in modules)),
        "enum_modules": {
            cls: tuple(sorted(mods, key=lambda m: (m.count("."), m)))
            for cls, mods in sorted(enum_modules.items())
            if cls in used
        },
        "star_exports": star_exports,
        "namespace_members": _namespace_members(builders, paths, modules),
    }


def block(name: str, comment: str, value: Any, annotation: str = "") -> str:
    """One generated assignment, with its comment: how every generated table is written."""
    text = pprint.pformat(value, width=100, sort_dicts=False)
    return f"# {comment}\n{name}{annotation} = {text}\n"


def render(data: dict[str, Any]) -> str:
    return "\n".join(
        [
            '"""Legacy weights table generated by '
            "`python -m migrate_weights.tables.generate_table`\n"
            f'from torchvision {data["version"]}.\n\nDo not edit: regenerate."""\n',
            f'TORCHVISION_VERSION = "{data["version"]}"\n',
            block(
                "BUILDERS",
                "Registered builder name -> its parameters in positional order, and per legacy "
                "parameter the member a truthy value means, the keyword argument that switches it "
                "(and to what), and members for special string values.",
                data["builders"],
            ),
            block("PATHS", "Every importable path of a builder -> registered name.", data["paths"]),
            block(
                "HELPERS",
                "Other callables torchvision's shim wraps, by function name, as BUILDERS: a "
                "truthy legacy value means the member `chosen_by` gives for the builder another "
                "argument names.",
                data["helpers"],
                ": dict[str, dict[str, object]]",  # what mypy cannot infer from empty dicts
            ),
            block(
                "HELPER_PATHS",
                "Every importable path of a helper -> its name.",
                data["helper_paths"],
            ),
            block(
                "GET_MODEL_PATHS",
                "Paths of `get_model(name, **config)`, which calls the builder registered as name.",
                data["get_model_paths"],
            ),
            block(
                "MODEL_MODULES",
                "Modules whose attributes a builder chosen at run time may come from.",
                data["model_modules"],
            ),
            block(
                "ENUM_MODULES",
                "Weights enum class -> the public modules exporting it, shortest first.",
                data["enum_modules"],
            ),
            block(
                "STAR_EXPORTS",
                "Module -> the builders, weights enums and model modules `from module import *` "
                "binds, by name -> what each is.",
                data["star_exports"],
            ),
            block(
                "NAMESPACE_MEMBERS",
                "Module -> legacy parameter -> the member name a truthy value means for every "
                "builder the module holds (what a builder looked up in it at run time takes), and "
                "the special strings that select another member for some of them.",
                data["namespace_members"],
            ),
        ]
    )


def main() -> int:
    TABLE_PATH.write_text(render(collect()), encoding="utf-8")
    print(f"wrote {TABLE_PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
