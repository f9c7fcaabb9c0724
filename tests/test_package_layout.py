"""The package's layout keeps its promises: no import cycle between its modules (counting imports
inside functions and for type checking too), and the rules import neither LibCST nor the syntaxes
that read and write text."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "codemod" / "migrate_weights"


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, root: Path, modules: set[str]) -> set[str]:
    """The package's own modules (`modules`) a module imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_bytes())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module in modules:
            # `from package.stage import module` imports the module, else names of the module
            named = {f"{node.module}.{alias.name}" for alias in node.names}
            found.update((named & modules) or {node.module})
    found.discard(module_name(path, root))
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    paths = sorted(root.rglob("*.py"))
    modules = {module_name(path, root) for path in paths}
    return {module_name(path, root): imports_of(path, root, modules) for path in paths}


def cycle_in(graph: dict[str, set[str]]) -> list[str] | None:
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as error:
        return list(error.args[1])
    return None


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(PACKAGE)


def test_no_import_cycle(graph: dict[str, set[str]]) -> None:
    assert len(graph) > 40
    assert cycle_in(graph) is None


def test_a_cycle_is_found(tmp_path: Path) -> None:
    """The check above can fail: a command and a rule that import each other back."""
    root = tmp_path / "migrate_weights"
    (root / "full_path").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "full_path" / "__init__.py").write_text("")
    (root / "full_path" / "command.py").write_text(
        "from migrate_weights.full_path.model_urls import ModelUrls\n"
    )
    (root / "full_path" / "model_urls.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from migrate_weights.full_path.command import MigrateWeights\n"
    )
    cycle = cycle_in(import_graph(root))
    assert cycle is not None
    assert set(cycle) == {
        "migrate_weights.full_path.command",
        "migrate_weights.full_path.model_urls",
    }


@pytest.mark.parametrize(
    "path", sorted((PACKAGE / "rules").glob("*.py")), ids=lambda path: path.name
)
def test_rules_know_no_syntax(path: Path, graph: dict[str, set[str]]) -> None:
    """A rule decides; LibCST's nodes and the call's text are the syntaxes' affair."""
    tree = ast.parse(path.read_bytes())
    third_party = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert "libcst" not in third_party
    own = graph[module_name(path, PACKAGE)]
    assert not {name for name in own if name.startswith("migrate_weights.syntax.")} - {
        "migrate_weights.syntax.arguments"
    }
