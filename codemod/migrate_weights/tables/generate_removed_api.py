"""Generate `tables/legacy_removed_api.py`: what a module of `torchvision.models` or
`torchvision.transforms` in torchvision 0.12.0 bound at module level, by import or definition,
that the installed torchvision no longer has there (a module removed, or a name gone from one
that remains), with where the same thing is public now.

Run `python -m migrate_weights.tables.generate_removed_api [WHEEL]` (needs the `verify` extra).
Without WHEEL, pip downloads the 0.12.0 wheel into a temporary folder; its sources are read with
`ast` and never imported. A name's successor is found, never typed:
- a name the old module imported is the object its source module holds now, at the shortest
  public path that holds it (`load_state_dict_from_url` -> `torch.hub`);
- a function the old module defined is the public function of the same name in the same
  package whose parameters have the same names and defaults
  (`functional_tensor.rgb_to_grayscale` -> `torchvision.transforms.functional.rgb_to_grayscale`);
- anything else has none, and the rule reports it.
`model_urls` and `quant_model_urls` have their own rule and table."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from migrate_weights.rules import legacy_api
from migrate_weights.tables.generate_model_urls import (
    OLD_VERSION,
    _imported_from,
    _module_name,
    download_wheel,
)
from migrate_weights.tables.generate_table import block

DATA_PATH = Path(__file__).with_name("legacy_removed_api.py")
PACKAGES = ("torchvision/models/", "torchvision/transforms/")
NO_DEFAULT = "no default"


def _is_public(module: str) -> bool:
    return not any(part.startswith("_") for part in module.split("."))


class OldPackage:
    """The 0.12.0 sources of the packages, read from the wheel."""

    def __init__(self, wheel: Path) -> None:
        self.trees: dict[str, ast.Module] = {}
        self.packages: set[str] = set()
        with zipfile.ZipFile(wheel) as archive:
            for path in archive.namelist():
                if path.startswith(PACKAGES) and path.endswith(".py"):
                    self.trees[_module_name(path)] = ast.parse(archive.read(path))
                    if path.endswith("/__init__.py"):
                        self.packages.add(_module_name(path))

    def imported_from(self, module: str, node: ast.ImportFrom) -> str:
        """The absolute module of a `from ... import`: a package's own `__init__` counts its
        relative imports from itself."""
        if node.level and module in self.packages:
            return _imported_from(f"{module}.__init__", node)
        return _imported_from(module, node)

    def exported(self, module: str) -> list[str]:
        """What `from module import *` bound: its `__all__`, or its public names."""
        for node in self.trees[module].body:
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
            ):
                return self._listed(module, node.value)
        return [name for name in self.bindings(module) if not name.startswith("_")]

    def _listed(self, module: str, node: ast.expr) -> list[str]:
        """An `__all__` value: a list, or a sum of lists and of other modules' `__all__`
        imported under a name (`from .mobilenetv2 import __all__ as mv2_all`)."""
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self._listed(module, node.left) + self._listed(module, node.right)
        if isinstance(node, ast.Name):
            binding = self.bindings(module, star=False)[node.id]
            if isinstance(binding, tuple) and binding[2] == "__all__":
                return self.exported(binding[1])
        return list(ast.literal_eval(node))

    def bindings(self, module: str, star: bool = True) -> dict[str, Any]:
        """Name -> ("import", module, name) or the definition's node (`star`: with what star
        imports bind)."""
        found: dict[str, Any] = {}
        for node in self.trees[module].body:
            if isinstance(node, ast.ImportFrom):
                source = self.imported_from(module, node)
                for alias in node.names:
                    if alias.name == "*" and not star:
                        continue
                    if alias.name == "*":
                        for name in self.exported(source):
                            found[name] = ("import", source, name)
                    else:
                        found[alias.asname or alias.name] = ("import", source, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".")[0]
                    found[local] = ("import", alias.asname and alias.name or local, None)
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                found[node.name] = node
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        found[target.id] = node
        return found


def _current_modules() -> list[Any]:
    import torchvision.models
    import torchvision.transforms

    modules = []
    for package in (torchvision.models, torchvision.transforms):
        modules.append(package)
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if _is_public(info.name):
                modules.append(importlib.import_module(info.name))
    return modules


def _old_defaults(node: ast.FunctionDef) -> list[tuple[str, Any]]:
    positional = node.args.posonlyargs + node.args.args
    defaults = [NO_DEFAULT] * (len(positional) - len(node.args.defaults)) + list(node.args.defaults)
    pairs = list(zip(positional, defaults)) + list(zip(node.args.kwonlyargs, node.args.kw_defaults))
    result: list[tuple[str, Any]] = []
    for arg, default in pairs:
        if not isinstance(default, ast.expr):
            result.append((arg.arg, NO_DEFAULT))
            continue
        try:
            result.append((arg.arg, ast.literal_eval(default)))
        except ValueError:
            result.append((arg.arg, ("not a constant", ast.unparse(default))))
    return result


def _new_defaults(function: Any) -> list[tuple[str, Any]]:
    parameters = inspect.signature(function).parameters.values()
    return [(p.name, NO_DEFAULT if p.default is p.empty else p.default) for p in parameters]


def _same_object_path(value: Any, name: str, modules: list[Any]) -> tuple[str, str] | None:
    """The shortest public path that holds `value` now, as (module, name): a module from its
    package (`from torchvision.models import resnet`), none for a top-level one (`warnings`),
    which no `from` import names."""
    if inspect.ismodule(value):
        package, _, module = value.__name__.rpartition(".")
        return (package, module) if package else None
    paths = [
        (module.__name__, attr)
        for module in modules
        for attr, held in vars(module).items()
        if held is value and not attr.startswith("_")
    ]
    home = getattr(value, "__module__", None)
    if home and _is_public(home) and getattr(sys.modules.get(home), name, None) is value:
        paths.append((home, name))
    return min(paths, key=lambda p: (p[0].count("."), p), default=None)


def _successor(
    old: OldPackage, module: str, name: str, modules: list[Any]
) -> tuple[str, str] | None:
    binding = old.bindings(module)[name]
    if isinstance(binding, tuple):
        _, source, original = binding
        if source in old.trees and original in old.bindings(source):
            current = sys.modules.get(source) if source in sys.modules else None
            if current is None or not hasattr(current, original or ""):
                return _successor(old, source, original, modules)
        try:
            value = importlib.import_module(source)
            if original is not None:
                value = getattr(value, original)
        except (ImportError, AttributeError):
            return None
        return _same_object_path(value, original or source.rpartition(".")[2], modules)
    if isinstance(binding, ast.FunctionDef) and not name.startswith("_"):
        package = module.rpartition(".")[0]
        wanted = _old_defaults(binding)
        for candidate in sorted(modules, key=lambda m: (m.__name__.count("."), m.__name__)):
            function = getattr(candidate, name, None)
            if candidate.__name__.startswith(package) and inspect.isfunction(function):
                if _new_defaults(function) == wanted:
                    return candidate.__name__, name
    return None


def collect(wheel: Path) -> dict[str, Any]:
    import torchvision

    old = OldPackage(wheel)
    modules = _current_modules()
    current = {module.__name__: module for module in modules}
    removed_modules = []
    names: dict[str, dict[str, tuple[str, str] | None]] = {}
    for module in sorted(old.trees):
        if not _is_public(module):
            continue
        gone = module not in current
        if gone:
            removed_modules.append(module)
        for name in sorted(old.bindings(module)):
            if name in legacy_api.MODEL_URLS_DICTS or name.startswith("__"):
                continue
            if gone or not hasattr(current[module], name):
                names.setdefault(module, {})[name] = _successor(old, module, name, modules)
    return {
        "version": torchvision.__version__.split("+")[0],
        "removed_modules": tuple(removed_modules),
        "names": names,
    }


def render(data: dict[str, Any]) -> str:
    return "\n".join(
        [
            '"""What torchvision removed from its model and transform modules, generated by\n'
            "`python -m migrate_weights.tables.generate_removed_api` from torchvision "
            f'{OLD_VERSION}\nand torchvision {data["version"]}.\n\nDo not edit: regenerate."""\n',
            block(
                "REMOVED_MODULES",
                f"Public modules of torchvision {OLD_VERSION} that no longer exist.",
                data["removed_modules"],
            ),
            block(
                "REMOVED_NAMES",
                f"Module -> each name it bound in {OLD_VERSION} that it no longer has -> where "
                "the same thing is public now, as (module, name), or None.",
                data["names"],
                ": dict[str, dict[str, object]]",  # what mypy cannot infer from the Nones
            ),
        ]
    )


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        wheel = Path(sys.argv[1]) if len(sys.argv) > 1 else download_wheel(Path(folder))
        DATA_PATH.write_text(render(collect(wheel)), encoding="utf-8")
    print(f"wrote {DATA_PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
