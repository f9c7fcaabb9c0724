"""Which files are worth a closer look: a textual check, then a walk of Python's own syntax tree
(built in C, far cheaper than LibCST's) for anything a rule could act on. Both are conservative:
they let through more than the rules change, never less (a test runs every fixture with and
without them)."""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from functools import lru_cache

from migrate_weights.pipeline.parse import Nodes, Parsed, held_values, parse
from migrate_weights.rules import legacy_api
from migrate_weights.syntax.arguments import COMMENT, LITERAL_NODES

# Every rule resolves names through an import of torchvision in the same module, except
# torch.hub.load, which needs the repository spelled "pytorch/vision" in one string literal (see
# rules/hub_load.py).
REMOVED_MODULE = legacy_api.UTILS_MODULE.partition(".")[2]  # models.utils
HUB_REPOSITORY = legacy_api.HUB_REPOSITORY.encode()


def _module_of(qualified_name: str) -> str:
    return qualified_name.rpartition(".")[0]


def _function_of(qualified_name: str) -> str:
    return qualified_name.rpartition(".")[2]


def _terminal_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def might_be_a_flag(value: ast.expr) -> bool:
    """Whether a value passed as `weights=` is a legacy flag the rules rewrite: a constant
    (`True`, `1`, `-1`, `"legacy"`) that is one. The rules evaluate nothing else (names, calls,
    tuples, f-strings)."""
    if not isinstance(value, LITERAL_NODES):
        return False
    try:
        return legacy_api.is_legacy_flag(ast.literal_eval(value))
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False


def _is_removed_module(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr == "utils" and _terminal_name(node.value) == "models"
    if isinstance(node, ast.Import):
        return any(REMOVED_MODULE in alias.name for alias in node.names)
    if isinstance(node, ast.ImportFrom):
        module = node.module or ""
        if any(alias.name in legacy_api.MODEL_URLS_DICTS for alias in node.names):
            return True
        named = [f"{module}.{alias.name}" for alias in node.names]
        return any(REMOVED_MODULE in name for name in [module, *named])
    return False


def _is_runtime_lookup(func: ast.expr) -> bool:
    """`<namespace>.__dict__[name]` or `getattr(<namespace>, name)`: a builder, perhaps."""
    if isinstance(func, ast.Subscript):
        return isinstance(func.value, ast.Attribute) and func.value.attr == "__dict__"
    return isinstance(func, ast.Call) and _terminal_name(func.func) == "getattr"


def _bound_by_torchvision_imports(nodes: Nodes) -> dict[str, str] | None:
    """The names the module's imports of torchvision bind, and what each is bound to
    ("torchvision" for the package itself); None where a star import of it may bind any."""
    bound = {}
    for plain in nodes.of(ast.Import):
        for alias in plain.names:
            if alias.name.split(".")[0] == "torchvision":
                bound[alias.asname or "torchvision"] = alias.name if alias.asname else "torchvision"
    for statement in nodes.of(ast.ImportFrom):
        if (statement.module or "").split(".")[0] == "torchvision" and not statement.level:
            for alias in statement.names:
                if alias.name == "*":
                    return None
                bound[alias.asname or alias.name] = f"{statement.module}.{alias.name}"
    return bound


def _may_hold_builders(namespace: list[str], bound: Mapping[str, str]) -> bool:
    """Whether a dotted namespace (`models`, `torchvision.models.detection`) is in what an
    import of torchvision binds, and the package itself only through its `models`."""
    root = namespace[0] if namespace else ""
    if root not in bound:
        return False
    return bound[root] != "torchvision" or namespace[1:2] == ["models"]


def _may_be_torchvisions(attribute: ast.Attribute, bound: Mapping[str, str] | None) -> bool:
    """Whether the dotted name an attribute is read from (`transform` in `transform.Tensor`)
    starts with a name an import of torchvision binds (`bound`; None: any name): the rules
    resolve names through imports only, and `torch.Tensor` is no name torchvision removed."""
    root = attribute.value
    while isinstance(root, ast.Attribute):
        root = root.value
    return isinstance(root, ast.Name) and (bound is None or root.id in bound)


def _namespace(value: ast.expr) -> list[str] | None:
    """The dotted name a value is reached from: `models.resnet50` in itself, `models` in
    `getattr(models, name)` and `models.__dict__[name]`; None for any other expression (a call:
    `import_module(...)`)."""
    if isinstance(value, ast.Call) and value.args:
        value = value.args[0]
    elif isinstance(value, ast.Subscript) and isinstance(value.value, ast.Attribute):
        value = value.value.value
    parts: list[str] = []
    while isinstance(value, ast.Attribute):
        parts.insert(0, value.attr)
        value = value.value
    return [value.id, *parts] if isinstance(value, ast.Name) else None


def _values(call: ast.Call) -> list[ast.expr]:
    return [*call.args, *(keyword.value for keyword in call.keywords)]


def _names_the_repository(value: ast.expr) -> bool:
    return isinstance(value, ast.Constant) and HUB_REPOSITORY.decode() in str(value.value)


def _passes_arguments(call: ast.Call) -> bool:
    """By position, or in `**` (rules/builder_call.py `plan_unfollowed_call`)."""
    return bool(call.args) or any(keyword.arg is None for keyword in call.keywords)


def _uses_builders_as_values(
    nodes: Nodes, builders: set[str], bound: Mapping[str, str] | None
) -> bool:
    """Whether a builder's name, or a lookup that may be one (in what `bound`, the names that
    imports of torchvision bind, holds; None: in anything), stands where it is not called."""
    callees = {id(call.func) for call in nodes.of(ast.Call)}
    named = [*nodes.of(ast.Name), *nodes.of(ast.Attribute)]
    if any(_terminal_name(node) in builders and id(node) not in callees for node in named):
        return True
    lookups = [*nodes.of(ast.Call), *nodes.of(ast.Subscript)]
    return any(
        _is_runtime_lookup(node)
        and id(node) not in callees
        and (bound is None or _held_in(node, bound) or _in_a_run_time_import(node, nodes))
        for node in lookups
    )


def _held_in(lookup: ast.expr, bound: Mapping[str, str]) -> bool:
    namespace = _namespace(lookup)
    return namespace is not None and _may_hold_builders(namespace, bound)


def _in_a_run_time_import(lookup: ast.expr, nodes: Nodes) -> bool:
    """Whether a lookup is in what `import_module(...)` returns, under any name."""
    if not isinstance(lookup, ast.Call) or not isinstance(lookup.args[0], ast.Call):
        return False
    names = {"import_module"} | {
        alias.asname or alias.name
        for statement in nodes.of(ast.ImportFrom)
        if statement.module == "importlib"
        for alias in statement.names
    }
    return _terminal_name(lookup.args[0].func) in names


def _needs_rewrite(nodes: Nodes, hub: bool, urls_or_utils: bool) -> bool:
    """`hub`: the source spells the hub repository; `urls_or_utils`: it names `model_urls` or
    `utils`, without which no name or import of those rules is worth a look."""
    from migrate_weights.rules import removed_api  # for a file that passed the text check
    from migrate_weights.tables.table import generated

    table = generated()
    legacy, new = table.parameter_names
    builders = set(table.function_names) | {_function_of(path) for path in table.get_model_paths}
    partials, loads = {_function_of(legacy_api.PARTIAL)}, {_function_of(legacy_api.HUB_LOAD)}
    imports_from = nodes.of(ast.ImportFrom)
    removed = removed_api.generated()
    for statement in imports_from:  # what imports bind under other names
        if statement.module and any(
            removed.removed(statement.module, alias.name) for alias in statement.names
        ):
            return True
        if statement.module:
            if statement.module.startswith("torchvision.models"):
                known = builders
            else:
                modules = {
                    _module_of(legacy_api.PARTIAL): partials,
                    _module_of(legacy_api.HUB_LOAD): loads,
                }
                known = modules.get(statement.module, set())
            known.update(a.asname for a in statement.names if a.asname and a.name in known)
    calls = nodes.of(ast.Call)
    for call in calls:  # first: what most files that pass are let through by
        for keyword in call.keywords:
            if keyword.arg in legacy:
                return True
            if keyword.arg in new and might_be_a_flag(keyword.value):
                return True
        callee = _terminal_name(call.func)
        passes_on = call.args or any(keyword.arg is None for keyword in call.keywords)
        if passes_on and callee in builders:
            return True
        if passes_on and _is_runtime_lookup(call.func):
            return True
        if hub and callee in loads and any(map(_names_the_repository, _values(call))):
            return True
        if callee in partials and call.args and _terminal_name(call.args[0]) in builders:
            return True
    for plain in nodes.of(ast.Import):
        if any(alias.name in removed.modules for alias in plain.names):
            return True
    bound = _bound_by_torchvision_imports(nodes)
    for attribute in nodes.of(ast.Attribute):  # perhaps a name a module no longer has, read
        if attribute.attr in removed.attribute_names and _may_be_torchvisions(attribute, bound):
            return True
    for assignment in nodes.of(ast.Assign):  # a builder held by a name, called later
        for value in held_values(assignment.value):
            held = _terminal_name(value) in builders or _is_runtime_lookup(value)
            namespace = _namespace(value)  # None for a lookup in `import_module(...)`
            if held and (
                bound is None or namespace is None or _may_hold_builders(namespace, bound)
            ):
                return True
    if any(map(_passes_arguments, calls)) and _uses_builders_as_values(nodes, builders, bound):
        return True  # `builder(True)`, where `builder` may hold one (pipeline/values.py)
    for kind in (ast.Import, ast.ImportFrom, ast.Attribute, ast.Name) if urls_or_utils else ():
        for node in nodes.of(kind):
            if _is_removed_module(node) or _terminal_name(node) in legacy_api.MODEL_URLS_DICTS:
                return True
    return False


# `torchvision` and the hub repository both say it. Searched for as a pattern: `re` finds it in
# Python code about half again as fast as `in` (which compares more of the common letters).
_VISION = re.compile(b"vision")
# What the walk of the syntax tree below looks for leaves text behind; a module with none of it
# is not parsed. Each pattern is tried only where a plain substring search finds its word. A
# comment may stand where white space may.
_COMMENT = COMMENT.encode()
_GAP = rb"(?:[\s\\]|" + _COMMENT + rb")*"
_HUB_STRING = re.compile(  # the repository, not a link
    re.escape(HUB_REPOSITORY) + rb"(?<=['\"]" + re.escape(HUB_REPOSITORY) + rb")"
)
_LOAD = re.compile(rb"load(?<!\wload)(?!\w)")  # at the call, or where an import renames it
# A pattern that starts with its word is searched for far faster than one that starts with
# `\b`: the word's start is checked by a look-behind after it.
_LEGACY_KEYWORD = re.compile(rb"pretrained(?<!\wpretrained)(?:_backbone)?" + _GAP + rb"=(?!=)")
_FLAG_AS_WEIGHTS = re.compile(  # the keyword, then what a constant may start with
    rb"weights(?<!\wweights)(?:_backbone)?" + _GAP + rb"(?P<equals>=)(?!=)"
    + rb"(?:[\s\\(+-]|" + _COMMENT + rb")*"
    + rb"(?:True|False|\.\.\.|\.?[0-9]|[rRbBuUfF]{0,2}['\"])"
)  # fmt: skip
_FROM_MODELS = re.compile(rb"from(?<!\wfrom)[\s\\]+torchvision[\s\\]*\.[\s\\]*models\b")
_CALLED = re.compile(_GAP + rb"\(")
_GIVEN = re.compile(_GAP + rb"[,)]")  # what follows a value given to a call
_HELD = re.compile(rb"[ \t]*(?:[,)\]}#]|\r?\n|$)")  # what may follow a value
_IMPORTED = re.compile(  # what follows `from torchvision.models[...]`: the names it imports
    rb"(?P<path>(?:[\s\\]*\.[\s\\]*\w+)*)[\s\\]+import"
    rb"(?:[ \t]*\((?P<enclosed>[^)#]*)\)|(?P<listed>(?:[^\n#\\]|\\\r?\n)*))"
)
_FROM_TORCHVISION = re.compile(rb"from(?<!\wfrom)[\s\\]+(torchvision)\b")
_IMPORTED_NAME = re.compile(rb"(\w+)(?:\s+as\s+(\w+))?")
_TORCHVISION_PATH = re.compile(  # a path into torchvision's model or transform modules
    rb"torchvision(?<!\wtorchvision)[\s\\]*\.[\s\\]*(?:models|transforms)(?:[\s\\]*\.[\s\\]*\w+)+"
)
_DOT = re.compile(r"[\s\\]*\.[\s\\]*")
_SPACE = re.compile(rb"[\s\\]")
_REMOVED_MODULE_PATH = re.compile(rb"models[\s\\]*\.[\s\\]*utils")
# `<namespace>.__dict__[name](...)`, `getattr(<namespace>, name)(...)`: the lookup called, with
# arguments
_LOOKUPS_CALLED = {
    word: re.compile(word + lookup + _GAP + rb"\((?![\s\\]*\))")
    for word, lookup in (
        (b"__dict__", rb"[\s\\]*\[[^\]\n]*\]"),
        (b"getattr", rb"[\s\\]*\([^()\n]*\)"),
    )
}
# ... or standing as a value, which a loop or a container may hold (each pattern starts with its
# word, and the name before `.__dict__` is read back from where it matched)
_AS_VALUE = rb"[ \t]*(?:[,)\]}#]|\r?\n|$)"
_GETATTR_AS_VALUE = re.compile(
    rb"getattr(?<!\wgetattr)[\s\\]*\([ \t]*(?![ \t])(?P<first>[\w.]*)(?![\w.])[^()\n]*\)"
    + _AS_VALUE
)
_DICT_AS_VALUE = re.compile(rb"__dict__[\s\\]*\[[^\]\n]*\]" + _AS_VALUE)
_BASE_BEFORE = re.compile(rb"([\w.]*\w)[\s\\]*\.[\s\\]*\Z")
# ... or held by a name, to be called later: an assignment's value that starts with a lookup
# (the `=` and the name before `.__dict__` are read back from where the word matched)
_LOOKUPS = {
    b"__dict__": re.compile(rb"__dict__[\s\\]*\["),
    b"getattr": re.compile(rb"getattr[\s\\]*\([ \t]*(?P<first>[\w.]*)"),
}
_ASSIGNED_BEFORE = re.compile(rb"=[ \t]*(?:\([ \t]*)?(?:(?P<base>[\w.]+)\.)?\Z")
# `import_module(...)` in `getattr(...)` or assigned; and a call given "torchvision..." first
_RUN_TIME_IMPORT_USED = re.compile(
    rb"(?:getattr[\s\\]*\([\s\\]*|=[ \t]*)(?:\w+[\s\\]*\.[\s\\]*)*import_module[\s\\]*\("
)
_NAMES_TORCHVISION_FIRST = re.compile(rb"\([\s\\]*[rRuU]?['\"]torchvision\b")
_TORCHVISION_WORD = re.compile(rb"torchvision(?<!\wtorchvision)(?!\w)")
# A line that is an import statement, or ends with one (after `:` or `;`)
_IMPORT_LINE = re.compile(rb"(?:[^\n#]*[:;])?[ \t]*(import|from)\b")
# What an import of torchvision binds, in its plain one-line forms (tried at the start of each
# line that says `torchvision`)
_TORCHVISION_IMPORT = re.compile(
    rb"^[ \t]*(?:import[ \t]+(?P<module>torchvision(?:\.\w+)*)(?:[ \t]+as[ \t]+(?P<alias>\w+))?"
    rb"[ \t]*(?:#|$)"
    rb"|from[ \t]+torchvision(?:\.\w+)*[ \t]+import[ \t]+(?P<names>[\w \t,*]+)(?:#|$))",
    re.MULTILINE,
)


def _alternatives(words: list[bytes]) -> bytes:
    """A pattern for any of `words` (sorted), with shared prefixes factored out: Python's `re`
    tries a group's alternatives one by one, and a flat group of every builder's name takes
    several times longer to search for."""
    groups: dict[bytes, list[bytes]] = {}
    for word in words:
        if word:
            groups.setdefault(word[:1], []).append(word[1:])
    branches = [re.escape(first) + _alternatives(rest) for first, rest in groups.items()]
    if not branches:
        return b""
    if b"" in words:
        return rb"(?:" + b"|".join(branches) + rb")?"
    return branches[0] if len(branches) == 1 else rb"(?:" + b"|".join(branches) + rb")"


@lru_cache(maxsize=64)
def _use_of(names: frozenset[bytes], dotted: bool) -> re.Pattern[bytes]:
    """Any of `names` (`dotted`: read from a module, `.resnet50`)."""
    return re.compile((rb"\.[\s\\]*" if dotted else rb"\b") + _alternatives(sorted(names)) + rb"\b")


@lru_cache(maxsize=64)
def _given_first(names: frozenset[bytes]) -> re.Pattern[bytes]:
    """One of `names` given first to a call, not called (to a partial, under any name)."""
    name = _alternatives(sorted(names))
    return re.compile(
        rb"\(" + _GAP + rb"(?:\w+" + _GAP + rb"\." + _GAP + rb")*" + name + _GIVEN.pattern
    )


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


_VALUE_ENDS = frozenset(b",)]}")
_VALUE_ENDED = re.compile(rb"\s*[,)\]}]")
_QUOTES = frozenset(b"'\"")


def _holds_a_flag(source: bytes, start: int) -> bool:
    """Whether the keyword value that starts at `start` (after `=`) is a legacy flag: its text
    evaluated as the rules evaluate it, by `ast.literal_eval`. Where a comment, a continued line,
    a string that is not on one line or a line break that does not end the value makes the text
    unsure, it may be."""
    depth, end = 0, start
    while end < len(source):
        character = source[end]
        if character == 10 and depth == 0:  # a line break: the value ends only if it did
            if not _VALUE_ENDED.match(source, end):
                return True
        if character in _QUOTES:
            quote = source[end : end + 1]
            close = source.find(quote, end + 1)
            text = source[end + 1 : close]
            if close < 0 or quote * 3 == source[end : end + 3] or b"\n" in text or b"\\" in text:
                return True
            end = close + 1
            continue
        if character in b"#\\":
            return True
        if character in _OPENING:
            depth += 1
        elif depth == 0 and character in _VALUE_ENDS:
            break
        elif character == 44:  # `,` within brackets: a tuple, a container or arguments
            return False  # never a flag (and not worth evaluating: torchvision has many)
        elif character in _CLOSING:
            depth -= 1
        end += 1
    try:
        return legacy_api.is_legacy_flag(
            ast.literal_eval(source[start:end].decode("utf-8").strip())
        )
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False  # not a constant: the rules leave it too


@lru_cache(maxsize=1)
def _builder_names() -> frozenset[bytes]:
    from migrate_weights.tables.table import generated

    return frozenset(name.encode() for name in generated().function_names)


def _imports_from_models(source: bytes) -> list[re.Match[bytes]]:
    """Where `from torchvision.models... import` statements start (not in a sentence)."""
    found = _FROM_MODELS.finditer(source)
    return [statement for statement in found if _starts_a_statement(source, statement)]


def _builders_imported_as(source: bytes, statements: list[re.Match[bytes]]) -> set[bytes] | None:
    """The other names under which the `from torchvision.models... import` `statements` bind
    builders, or None where one may import the removed `utils` or cannot be read for sure."""
    other_names: set[bytes] = set()
    for statement in statements:
        imported = _IMPORTED.match(source, statement.end())
        if imported is None:
            return None
        listed = imported.group("enclosed") or imported.group("listed")
        for part in listed.replace(b"\\", b" ").split(b","):
            name = _IMPORTED_NAME.fullmatch(part.strip())
            if name is None:
                if part.strip() in (b"", b"*"):
                    continue
                return None
            if name[1].startswith(b"utils"):
                return None
            if name[2] and name[1] in _builder_names():
                other_names.add(name[2])
    return other_names


@lru_cache(maxsize=1)
def _removed_module_paths() -> list[tuple[bytes, re.Pattern[bytes]]]:
    """For each removed module, the last word of its path, and a pattern for the path's last two
    words in any statement or expression (`transforms.functional_tensor`), to search for where
    the word is found (each pattern starts with its first word)."""
    from migrate_weights.rules.removed_api import generated

    found = []
    for module in sorted(generated().modules):
        first, last = module.encode().split(b".")[-2:]
        path = re.escape(first) + rb"(?<!\w" + re.escape(first) + rb")[\s\\]*\.[\s\\]*" + last
        found.append((last, re.compile(path + rb"\b")))
    return found


def _names_a_removed_module(source: bytes) -> bool:
    return any(word in source and path.search(source) for word, path in _removed_module_paths())


def _uses_removed_api(source: bytes) -> bool:
    """Whether a statement names a module torchvision removed, a `from torchvision...` import
    a name it removed, or a dotted name reads one (`torchvision.models.resnet.
    load_state_dict_from_url`, or the same through a name a module is imported as:
    `m.utils.load_state_dict_from_url` where `from torchvision import models as m`)
    (rules/removed_api.py, rules/models_utils.py); where an import cannot be read for sure, it
    may."""
    from migrate_weights.rules.removed_api import generated

    if _names_a_removed_module(source):
        return True
    removed = generated()
    for path in _TORCHVISION_PATH.finditer(source):
        if _reads_removed(_DOT.split(path[0].decode())):
            return True
    imports = _torchvision_imports(source, (b"import",)) if b" as " in source else []
    if imports is None:
        return True  # `from` imports are read below
    modules_as = {  # names bound to a module through which something removed may be read
        statement["alias"]: statement["module"].decode()
        for statement in imports
        if statement["alias"] and statement["module"].decode() in _removed_paths()
    }
    for statement in _FROM_TORCHVISION.finditer(source):
        if not _starts_a_statement(source, statement):
            continue
        imported = _IMPORTED.match(source, statement.end())
        if imported is None:
            return True
        module = _SPACE.sub(b"", statement[1] + imported["path"]).decode()
        listed = imported.group("enclosed") or imported.group("listed")
        for part in listed.replace(b"\\", b" ").split(b","):
            name = _IMPORTED_NAME.fullmatch(part.strip())
            if name is None and part.strip() not in (b"", b"*"):
                return True
            imported_name = name[1].decode() if name else "*"
            if removed.removed(module, imported_name):
                return True
            if name and f"{module}.{imported_name}" in _removed_paths():
                modules_as[name[2] or name[1]] = f"{module}.{imported_name}"
    for alias, module in modules_as.items():
        word = re.escape(alias)
        read = re.compile(word + rb"(?<!\w" + word + rb")((?:[\s\\]*\.[\s\\]*\w+)+)")
        for path in read.finditer(source):
            if _reads_removed([*module.split("."), *_DOT.split(path[1].decode())[1:]]):
                return True
    return False


@lru_cache(maxsize=1)
def _removed_paths() -> frozenset[str]:
    """The modules through which something removed is read: those removed, those that lost
    names, `torchvision.models.utils`, and every package above them."""
    from migrate_weights.rules.removed_api import generated

    removed = generated()
    paths = [*removed.modules, *removed.names, legacy_api.UTILS_MODULE]
    return frozenset(".".join(p.split(".")[:i]) for p in paths for i in range(1, p.count(".") + 2))


def _reads_removed(parts: list[str]) -> bool:
    """Whether a dotted path (`torchvision`, `models`, `utils`, ...) reads a module torchvision
    removed, or a name one of its modules no longer has."""
    from migrate_weights.rules.removed_api import generated

    removed = generated()
    gone = {*removed.modules, legacy_api.UTILS_MODULE}
    for end in range(1, len(parts) + 1):
        module = ".".join(parts[:end])
        if module in gone or (end < len(parts) and removed.read_removed(module, parts[end])):
            return True
    return False


def _uses_a_builder(source: bytes, other_names: set[bytes], bare: bool) -> bool:
    """Whether a builder is called with a positional or starred argument (not defined:
    torchvision's own sources define them all) or given first to a call (a partial). Only a
    `from torchvision.models... import` binds a builder's name; without one (`bare`), only
    names read from a module (`models.resnet50`) are looked at, a search several times
    faster."""
    names = _builder_names() | other_names if other_names else _builder_names()
    given = False  # a name that may be given to a call: the costlier search below is worth it
    for found in _use_of(names, dotted=not bare).finditer(source):
        if _in_comment(source, found):
            continue
        called = _CALLED.match(source, found.end())
        defined = source[found.start() - 4 : found.start()] == b"def "
        if called and not defined and _passes_on(source, called.end()):
            return True
        if not called and _HELD.match(source, found.end()) and not _in_import(source, found):
            return True  # a value, which a name may hold and a call use
        given = given or (not called and _GIVEN.match(source, found.end()) is not None)
    return given and _given_first(names).search(source) is not None


def _before(source: bytes, found: re.Match[bytes]) -> bytes:
    """The text before a match on its line."""
    return source[source.rfind(b"\n", 0, found.start()) + 1 : found.start()]


def _in_comment(source: bytes, found: re.Match[bytes]) -> bool:
    """Whether a match is in a comment, or a string: a `#` before it on its line, with no quote
    before it there. Where the line starts as code, the `#` starts a comment; where in a string
    from an earlier line, only a quote could end that string."""
    line = _before(source, found)
    return b"#" in line and b"'" not in line and b'"' not in line


def _in_import(source: bytes, found: re.Match[bytes]) -> bool:
    line = _before(source, found).lstrip()
    return line.startswith((b"from", b"import")) or not line  # a name alone: a continued import


def _imports_at_run_time(source: bytes) -> bool:
    """Whether `import_module` is used where a builder may be looked up in what it returns:
    inside `getattr(...)`, assigned, or under another name."""
    if b"import_module" not in source:
        return False
    return b"import_module as" in source or _RUN_TIME_IMPORT_USED.search(source) is not None


def _has_traces(source: bytes) -> bool:
    if b"model_urls" in source or b"get_model" in source or _imports_at_run_time(source):
        return True
    if b"pretrained" in source and _LEGACY_KEYWORD.search(source):
        return True
    if b"weights" in source:
        for keyword in _FLAG_AS_WEIGHTS.finditer(source):
            if _holds_a_flag(source, keyword.end("equals")):
                return True
    if b"utils" in source and _REMOVED_MODULE_PATH.search(source):
        return True
    if b"__dict__[" in source or b"getattr(" in source:  # a builder looked up at run time
        if any(
            word in source and called.search(source) for word, called in _LOOKUPS_CALLED.items()
        ):
            return True
        if _in_torchvision(source, [*_lookups_held(source), *_lookups_as_values(source)]):
            return True
    if b"transforms" in source or b"models" in source:  # `torchvision .models`, too
        if _uses_removed_api(source):
            return True
    if b"models" not in source:  # every builder is in torchvision.models: none is named without it
        return False
    statements = _imports_from_models(source)
    other_names = _builders_imported_as(source, statements)
    return other_names is None or _uses_a_builder(source, other_names, bool(statements))


def _lookups_held(source: bytes) -> list[bytes | None]:
    """The namespaces of the lookups assigned to a name: `models` in `f = getattr(models, n)`
    and in `f = models.__dict__[n]`."""
    found = []
    for word, pattern in _LOOKUPS.items():
        for lookup in pattern.finditer(source) if word in source else ():
            line = source.rfind(b"\n", 0, lookup.start()) + 1
            assigned = _ASSIGNED_BEFORE.search(source, line, lookup.start())
            if assigned:
                found.append(assigned["base"] or lookup.groupdict().get("first"))
    return found


def _lookups_as_values(source: bytes) -> list[bytes]:
    """The namespaces of the lookups that stand as values: `models` in `(getattr(models, n),)`."""
    found = [lookup["first"] for lookup in _GETATTR_AS_VALUE.finditer(source)]
    for lookup in _DICT_AS_VALUE.finditer(source):
        base = _BASE_BEFORE.search(source, max(0, lookup.start() - 200), lookup.start())
        found.append(base[1] if base else b"")
    return found


def _in_torchvision(source: bytes, namespaces: list[bytes | None]) -> bool:
    """Whether one of the `namespaces` that lookups are made in (`models` in
    `getattr(models, name)` and `models.__dict__[name]`) is in what an import of torchvision
    binds; where such imports cannot be read for sure, any."""
    if not namespaces:
        return False
    imports = _torchvision_imports(source)
    if imports is None:
        return True  # an import not read here
    bound: dict[str, str] = {}
    for statement in imports:
        if statement["names"] is None:
            alias, module = statement["alias"], statement["module"].decode()
            bound[alias.decode() if alias else "torchvision"] = module if alias else "torchvision"
            continue
        for part in statement["names"].split(b","):
            words = part.split()
            bound[words[-1].decode() if words else ""] = "torchvision.*"
    if "*" in bound:
        return True  # an import of everything
    return any(
        _may_hold_builders((namespace or b"").decode().split("."), bound)
        for namespace in namespaces
    )


def _torchvision_imports(
    source: bytes, keywords: tuple[bytes, ...] = (b"import", b"from")
) -> list[re.Match[bytes]] | None:
    """The imports of torchvision in their plain one-line forms; None where a line that says
    `torchvision` is a statement of one of the `keywords` in another form (over several lines,
    beside other modules, after a colon) or continues a line: not read here. Only lines that
    say `torchvision` are tried."""
    found, matches = _TORCHVISION_WORD.search(source), []
    while found:
        start, end = source.rfind(b"\n", 0, found.start()) + 1, source.find(b"\n", found.end())
        match = _TORCHVISION_IMPORT.match(source, start)
        if match:
            matches.append(match)
        elif _continues(source, start):
            return None
        elif (statement := _IMPORT_LINE.match(source, start)) and statement[1] in keywords:
            return None
        found = _TORCHVISION_WORD.search(source, end) if end >= 0 else None
    return matches


def _starts_a_statement(source: bytes, found: re.Match[bytes]) -> bool:
    """Whether a match starts where a statement may: first on its line, or after `:` or `;`
    (not in a sentence of a comment or a docstring: `weights from torchvision 0.13`)."""
    before = _before(source, found).rstrip(b" \t")
    return not before or before.endswith((b":", b";"))


def _continues(source: bytes, line_start: int) -> bool:
    """Whether the line that starts at `line_start` continues the one before (a backslash)."""
    return source[max(line_start - 3, 0) : line_start].rstrip(b"\r\n").endswith(b"\\")


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
        if _continues(source, line_start):
            return True
        found = source.find(b"torchvision", found + 1)
    return False


def mentions_torchvision(source: bytes) -> bool:
    """The textual check for notebooks, whose JSON escapes line breaks: the name alone."""
    return b"torchvision" in source or HUB_REPOSITORY in source


def might_use_torchvision(source: bytes) -> bool:
    """The textual check alone: an import of torchvision (or the hub repository) and a trace of
    something a rule acts on."""
    if _VISION.search(source) is None:  # one search of the bytes for most files, not two
        return False
    if HUB_REPOSITORY in source and _HUB_STRING.search(source) and _LOAD.search(source):
        return True
    imports = _imports_torchvision(source) or (
        b"import_module" in source and _NAMES_TORCHVISION_FIRST.search(source) is not None
    )
    return imports and _has_traces(source)


def syntax_might_need_migration(source: bytes, module: Parsed) -> bool:
    """The walk of the syntax tree, for a module that passed the textual check."""
    urls_or_utils = b"model_urls" in source or b"utils" in source
    return _needs_rewrite(module.nodes, HUB_REPOSITORY in source, urls_or_utils)


def might_need_migration(source: bytes) -> bool:
    """The whole screen, for a module's source (the pipeline runs its two checks apart, keeping
    the parse)."""
    if not might_use_torchvision(source):
        return False
    module = parse(source)
    return module is None or syntax_might_need_migration(source, module)
