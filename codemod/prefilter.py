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
# codemod/hub.py).
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


def might_be_a_flag(value: ast.expr) -> bool:
    """Whether a value passed as `weights=` may be a legacy flag the rules rewrite (a constant
    such as `True`, `1`, `-1`, `"legacy"`): not a name, attribute, call or subscript, `None` or a
    member's name."""
    if isinstance(value, ast.Constant):
        member_name = isinstance(value.value, str) and value.value != "legacy"
        return not (value.value is None or member_name)
    return not isinstance(value, (ast.Name, ast.Attribute, ast.Call, ast.Subscript))


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
    from codemod import table  # the generated table: only for a file that passed the text check

    legacy, new = table.parameter_names()
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
            if keyword.arg in legacy:
                return True
            if keyword.arg in new and might_be_a_flag(keyword.value):
                return True
        callee = _terminal_name(node.func)
        passes_on = node.args or any(keyword.arg is None for keyword in node.keywords)
        if passes_on and (callee in builders or (hub and callee == "load")):
            return True
        if callee == "partial" and node.args and _terminal_name(node.args[0]) in builders:
            return True
    return False


# What the walk of the syntax tree below looks for leaves text behind; a module with none of it
# is not parsed. Each pattern is tried only where a plain substring search finds its word. A
# comment may stand where white space may.
_GAP = rb"(?:[\s\\]|#[^\n]*)*"
_HUB_STRING = re.compile(rb"['\"]pytorch/vision")  # the repository, not a link to it
# A pattern that starts with its word is searched for far faster than one that starts with
# `\b`: the word's start is checked by a look-behind after it.
_LEGACY_KEYWORD = re.compile(rb"pretrained(?<!\wpretrained)(?:_backbone)?" + _GAP + rb"=(?!=)")
_FLAG_AS_WEIGHTS = re.compile(
    rb"weights(?<!\wweights)(?:_backbone)?" + _GAP + rb"=(?!=)(?:[\s\\(+-]|#[^\n]*)*"  # (, signs
    + rb"(?:True|False|\.\.\.|\.?[0-9]|[rRbBuUfF]{0,2}['\"])"
)  # fmt: skip
_FROM_MODELS = re.compile(rb"\bfrom[\s\\]+torchvision\.models\b")
_REMOVED_MODULE_PATH = re.compile(rb"models[\s\\]*\.[\s\\]*utils")
_IDENTIFIER = re.compile(rb"[A-Za-z_]\w*")


@lru_cache(maxsize=64)
def _use_of(names: tuple[bytes, ...]) -> re.Pattern[bytes]:
    """A call of one of `names` (group `called`; not its definition: torchvision's own sources
    define them all), or one of them given first to a partial."""
    name = rb"(?:" + b"|".join(map(re.escape, names)) + rb")"
    called = rb"(?P<called>(?<!def )\b" + name + _GAP + rb"\()"
    partial = rb"\bpartial" + _GAP + rb"\(" + _GAP + rb"(?:\w+" + _GAP + rb"\." + _GAP + rb")*"
    return re.compile(called + rb"|" + partial + name + rb"\b")


_OPENING, _CLOSING, _UNSURE = frozenset(b"([{"), frozenset(b")]}"), frozenset(b"'\"#")
_KEYWORD = re.compile(rb"\s*[A-Za-z_]\w*\s*=(?!=)")


def _passes_on(source: bytes, start: int) -> bool:
    """Whether the call whose arguments start at `start` passes a positional or starred one
    (keywords are found by the patterns above). Where a string or a comment makes the text
    unsure, it does."""
    depth = 1
    for end in range(start, len(source)):
        character = source[end]
        if character in _UNSURE:
            return True
        if character in _OPENING:
            depth += 1
        elif character in _CLOSING:
            depth -= 1
            if depth == 0:
                arguments = source[start:end]
                return b"*" in arguments or (
                    arguments.strip() != b"" and not _KEYWORD.match(arguments)
                )
    return True


@lru_cache(maxsize=1)
def _builder_names() -> frozenset[bytes]:
    return frozenset(name.encode() for name in _builder_functions())


def _uses_a_builder(source: bytes) -> bool:
    present = _builder_names().intersection(_IDENTIFIER.findall(source))
    if not present:
        return False
    for found in _use_of(tuple(sorted(present))).finditer(source):
        if not found.group("called") or _passes_on(source, found.end()):
            return True
    return False


def _has_traces(source: bytes) -> bool:
    if b"model_urls" in source or b"get_model" in source:
        return True
    if b"pretrained" in source and _LEGACY_KEYWORD.search(source):
        return True
    if b"weights" in source and _FLAG_AS_WEIGHTS.search(source):
        return True
    if b"torchvision.models" in source and _FROM_MODELS.search(source):
        return True  # names imported from there count as builders, `utils` among them
    if b"utils" in source and _REMOVED_MODULE_PATH.search(source):
        return True
    return _uses_a_builder(source)


def _imports_torchvision(source: bytes) -> bool:
    """Whether `torchvision` follows `import` or `from` on its line, or ends a continued line:
    an import statement names it so (a comment or string that does too lets the file through,
    which is harmless)."""
    found = source.find(b"torchvision")
    while found >= 0:
        line_start = source.rfind(b"\n", 0, found) + 1
        before = source[line_start:found]
        if b"import" in before or b"from" in before:
            return True
        if source[max(line_start - 3, 0) : line_start].rstrip(b"\r\n").endswith(b"\\"):
            return True
        found = source.find(b"torchvision", found + 1)
    return False


def mentions_torchvision(source: bytes) -> bool:
    """The textual check for notebooks, whose JSON escapes line breaks: the name alone."""
    return b"torchvision" in source or HUB_REPOSITORY in source


def might_use_torchvision(source: bytes) -> bool:
    """The textual check alone: an import of torchvision (or the hub repository) and a trace of
    something a rule acts on."""
    if HUB_REPOSITORY in source and _HUB_STRING.search(source):
        return True
    return _imports_torchvision(source) and _has_traces(source)


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
    return Parsed(tree, _every_node(tree))


def _every_node(tree: ast.AST) -> list[ast.AST]:
    """`list(ast.walk(tree))`, in the same breadth-first order, at about half its cost."""
    nodes = [tree]
    append, node_type = nodes.append, ast.AST
    for node in nodes:  # grows as it goes
        for field in node._fields:
            value = getattr(node, field)
            if type(value) is list:
                for item in value:
                    if isinstance(item, node_type):
                        append(item)
            elif isinstance(value, node_type):
                append(value)
    return nodes


def syntax_might_need_migration(source: bytes) -> bool:
    """The walk of the syntax tree, for a module that passed the textual check."""
    module = parsed(source)
    if module is None:
        return True  # the real parser reports what is wrong
    return _needs_rewrite(module.nodes, hub=HUB_REPOSITORY in source)


def might_need_migration(source: bytes) -> bool:
    return might_use_torchvision(source) and syntax_might_need_migration(source)
