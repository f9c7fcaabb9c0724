"""Which files are worth a closer look: a textual check, then a walk of Python's own syntax tree
(built in C, far cheaper than LibCST's) for anything a rule could act on. Both are conservative:
they let through more than the rules change, never less (a test runs every fixture with and
without them)."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache

# Every rule resolves names through an import of torchvision in the same module, except
# torch.hub.load, which needs the repository spelled "pytorch/vision" in one string literal (see
# codemod/hub.py). An import statement names torchvision after `import` or `from` and nothing but
# names, dots, commas and white space (line continuations too); comments and strings that merely
# mention it let a file through, which is harmless.
_IMPORT_OF_TORCHVISION = re.compile(rb"\b(?:import|from)\b[\s\\.,\w]*?\btorchvision\b")
LEGACY_KEYWORDS = frozenset({"pretrained", "pretrained_backbone"})
NEW_KEYWORDS = frozenset({"weights", "weights_backbone"})
REMOVED_NAMES = frozenset({"model_urls", "quant_model_urls"})
REMOVED_MODULE = "models.utils"  # torchvision.models.utils
HUB_REPOSITORY = b"pytorch/vision"


@lru_cache(maxsize=1)
def _builder_functions() -> frozenset[str]:
    from codemod import legacy_table

    return frozenset(path.rpartition(".")[2] for path in legacy_table.PATHS)


def _terminal_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _is_legacy_constant(node: ast.expr) -> bool:
    if not isinstance(node, ast.Constant) or node.value is None:
        return False
    return not isinstance(node.value, str) or node.value == "legacy"


def _is_removed_module(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr == "utils" and _terminal_name(node.value) == "models"
    if isinstance(node, ast.Import):
        return any(REMOVED_MODULE in alias.name for alias in node.names)
    if isinstance(node, ast.ImportFrom):
        module = node.module or ""
        if any(alias.name in REMOVED_NAMES for alias in node.names):
            return True
        named = [f"{module}.{alias.name}" for alias in node.names]
        return any(REMOVED_MODULE in name for name in [module, *named])
    return False


def _needs_rewrite(nodes: list[ast.AST], hub: bool) -> bool:
    builders = set(_builder_functions()) | {"get_model"}
    for node in nodes:  # names bound by imports from torchvision may be builders under aliases
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "torchvision.models"
        ):
            builders.update(alias.asname or alias.name for alias in node.names)
    for node in nodes:
        if _is_removed_module(node) or _terminal_name(node) in REMOVED_NAMES:
            return True
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            if keyword.arg in LEGACY_KEYWORDS:
                return True
            if keyword.arg in NEW_KEYWORDS and _is_legacy_constant(keyword.value):
                return True
        callee = _terminal_name(node.func)
        passes_on = node.args or any(keyword.arg is None for keyword in node.keywords)
        if passes_on and (callee in builders or (hub and callee == "load")):
            return True
        if callee == "partial" and node.args and _terminal_name(node.args[0]) in builders:
            return True
    return False


def might_use_torchvision(source: bytes) -> bool:
    """The textual check alone, also for notebooks (their JSON keeps each line's text)."""
    if HUB_REPOSITORY in source:
        return True
    return b"torchvision" in source and _IMPORT_OF_TORCHVISION.search(source) is not None


@dataclass(frozen=True)
class Parsed:
    tree: ast.Module
    nodes: list[ast.AST]  # every node of the tree, walked once


@lru_cache(maxsize=1)
def parsed(source: bytes) -> Parsed | None:
    """Python's syntax tree of a module (None if it does not parse), kept for the fast path."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    return Parsed(tree, list(ast.walk(tree)))


def might_need_migration(source: bytes) -> bool:
    if not might_use_torchvision(source):
        return False
    module = parsed(source)
    if module is None:
        return True  # the real parser reports what is wrong
    return _needs_rewrite(module.nodes, hub=HUB_REPOSITORY in source)
