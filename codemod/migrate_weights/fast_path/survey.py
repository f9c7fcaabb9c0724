"""What the rules may act on in a module, found by Python's parser: builder calls (direct, through
torch.hub.load or a partial), model_urls lookups, torchvision.models.utils paths and imports."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from migrate_weights.fast_path.names import Names, imported_names
from migrate_weights.fast_path.source import FullPath
from migrate_weights.pipeline.parse import Nodes
from migrate_weights.pipeline.screen import might_be_a_flag
from migrate_weights.pipeline.values import builders_used_as_values
from migrate_weights.rules import legacy_api, model_urls, models_utils, removed_api
from migrate_weights.rules.names import Ambiguous, Resolved
from migrate_weights.tables.table import LegacyTable


def _may_need_a_plan(call: ast.Call, own_positionals: int, table: LegacyTable) -> bool:
    """Whether the rules could change or report on a builder call (`own_positionals`: leading
    positional arguments that are not the builder's, as get_model's name): not when it passes
    only keywords that are no legacy name and hold no legacy flag, as code written for
    torchvision 0.13 and later does."""
    if len(call.args) > own_positionals or any(k.arg is None for k in call.keywords):
        return True
    legacy, new = table.parameter_names
    for keyword in call.keywords:
        if keyword.arg in legacy:
            return True
        if keyword.arg in new and might_be_a_flag(keyword.value):
            return True
    return False


def is_model_urls_dict(qualified_name: str | None) -> bool:
    return qualified_name is not None and model_urls.dict_at(qualified_name) is not None


@dataclass
class Survey:
    """What the rules may act on, found by Python's parser."""

    # (call, what its callee resolves to, for a partial what its first argument does, and the
    # resolution of the builder's name, where it is named)
    calls: list[tuple[ast.Call, str, str | None, Resolved[ast.stmt] | None]] = field(
        default_factory=list
    )
    # `model_urls[key]`: (the lookup, the dict's name where it is used, the dict it is)
    lookups: list[tuple[ast.Subscript, str, str]] = field(default_factory=list)
    utils_paths: list[ast.Attribute] = field(default_factory=list)  # torchvision.models.utils.f
    utils_imports: list[ast.Import | ast.ImportFrom] = field(default_factory=list)
    dict_imports: list[ast.ImportFrom] = field(default_factory=list)  # of a model_urls dict

    def sites(self) -> list[ast.Call | ast.Subscript | ast.Attribute]:
        """The expressions that may be edited, in source order; the full path if one holds
        another (the outer one's text would change with the inner one's)."""
        found: list[ast.Call | ast.Subscript | ast.Attribute] = [call for call, *_ in self.calls]
        found += [lookup for lookup, *_ in self.lookups]
        found += self.utils_paths
        found.sort(key=lambda node: (node.lineno, node.col_offset))
        for outer, inner in zip(found, found[1:]):
            if (inner.lineno, inner.col_offset) < (outer.end_lineno, outer.end_col_offset):
                raise FullPath
        return found


def survey_module(source: bytes, names: Names, nodes: Nodes, table: LegacyTable) -> Survey:
    """The full path for a file with a shape only the full path handles."""
    dicts = b"model_urls" in source  # the model_urls rule's dicts may be named
    survey = Survey()
    calls = nodes.of(ast.Call)
    for call in calls:
        if any(k.arg is None and isinstance(k.value, ast.Dict) for k in call.keywords):
            raise FullPath  # its entries are planned as keywords (full_path/command.py)
        func = call.func
        if isinstance(func, ast.Attribute) and not _may_be_a_callee(func.attr, table):
            continue  # `torch.nn.Linear(...)`: no callee of the rules, whatever `torch` is
        found = names.resolution(call.func)
        if found is None:
            if isinstance(call.func, ast.Name) and call.func.id == "getattr" and call.args:
                lookup = names.resolution(call.args[0])
                if lookup and any(_in_models(c) for c in _candidates(*lookup)):
                    raise FullPath
            continue
        resolution, after_name = found
        if isinstance(resolution, Ambiguous):
            if any(_is_a_callee(c, table) for c in _candidates(resolution, after_name)):
                raise FullPath  # a name that may stand for different objects: the full path reports
            continue
        callee = resolution.qualified + after_name
        if callee == legacy_api.PARTIAL:
            inner = names.resolved(call.args[0]) if call.args else None
            if inner and (table.builder_name_at(inner[1]) or table.is_get_model(inner[1])):
                survey.calls.append((call, callee, inner[1], inner[0]))
        elif callee == legacy_api.HUB_LOAD:
            survey.calls.append((call, callee, None, None))
        elif table.builder_name_at(callee) and _may_need_a_plan(call, 0, table):
            survey.calls.append((call, callee, None, resolution))
        elif table.is_get_model(callee) and _may_need_a_plan(call, 1, table):
            survey.calls.append((call, callee, None, resolution))
    if builders_used_as_values(nodes, names.scopes, table):
        raise FullPath  # followed to their calls, or reported there, by the full path
    taken: set[int] = set()  # expressions inside a lookup or a path the survey took
    subscripts = nodes.of(ast.Subscript) if dicts else []
    for subscript in subscripts:
        value = subscript.value
        if isinstance(value, (ast.Name, ast.Attribute)):
            qualified = names.qualified(value)
            defined = model_urls.dict_at(qualified) if qualified else None
            if qualified and defined:
                survey.lookups.append((subscript, qualified, defined))
                taken.add(id(value))
    attributes = nodes.of(ast.Attribute)
    removed = removed_api.generated()
    for attribute in attributes:  # breadth-first: a path before the paths inside it
        if id(attribute) in taken:
            continue
        if attribute.attr in removed.attribute_names:
            read = names.resolution(attribute)
            if read and any(removed.read_removed(*c.rsplit(".", 1)) for c in _candidates(*read)):
                raise FullPath  # a name a module no longer has: the removed-API rule's
        if attribute.attr == legacy_api.UTILS_FUNCTION:
            path = attribute.value
            if isinstance(path, ast.Attribute) and path.attr == "utils":
                if names.qualified(attribute) == models_utils.REMOVED_PATH:
                    survey.utils_paths.append(attribute)
                    taken.add(id(path))
        elif attribute.attr in ("__dict__", "utils"):
            if (names.qualified(attribute.value) or "").startswith("torchvision"):
                raise FullPath
        elif dicts and is_model_urls_dict(names.qualified(attribute)):
            raise FullPath  # a dict used other than by a lookup
    for name in nodes.of(ast.Name) if dicts else []:
        if id(name) not in taken and is_model_urls_dict(names.qualified(name)):
            raise FullPath
    imports = nodes.of(ast.Import)
    for statement in imports:
        if any(alias.name in removed.modules for alias in statement.names):
            raise FullPath  # the removed-API rule is the full path's
        if any(alias.name.startswith(legacy_api.UTILS_MODULE) for alias in statement.names):
            survey.utils_imports.append(statement)
    imports_from = nodes.of(ast.ImportFrom)
    for statement_from in imports_from:
        module = statement_from.module or ""
        if statement_from.level == 0 and any(
            removed.removed(module, alias.name) for alias in statement_from.names
        ):
            raise FullPath
        imported = [qualified for _, qualified in imported_names(statement_from)]
        if any(qualified.startswith(legacy_api.UTILS_MODULE) for qualified in imported):
            survey.utils_imports.append(statement_from)
        elif dicts and any(is_model_urls_dict(qualified) for qualified in imported):
            survey.dict_imports.append(statement_from)
    if any(id(s) not in names.module_level for s in [*survey.utils_imports, *survey.dict_imports]):
        raise FullPath  # an import of removed API in a function or a class
    return survey


_LAST_NAMES = {legacy_api.PARTIAL.rpartition(".")[2], legacy_api.HUB_LOAD.rpartition(".")[2]}


def _may_be_a_callee(last_name: str, table: LegacyTable) -> bool:
    """Whether a dotted name that ends so may be a callee of the rules (`_is_a_callee`)."""
    return last_name in table.callable_names or last_name in _LAST_NAMES


def _candidates(resolution: Resolved[ast.stmt] | Ambiguous, attributes: str) -> list[str]:
    """What a dotted name may stand for: each object of ours its first name may be bound to."""
    if isinstance(resolution, Ambiguous):
        return [candidate + attributes for candidate in resolution.candidates]
    return [resolution.qualified + attributes]


def _is_a_callee(qualified_name: str, table: LegacyTable) -> bool:
    """Whether a call of this is one the rules act on."""
    if qualified_name in (legacy_api.PARTIAL, legacy_api.HUB_LOAD):
        return True
    return bool(table.builder_name_at(qualified_name) or table.is_get_model(qualified_name))


def _in_models(qualified_name: str) -> bool:
    """Whether a lookup in this may find a builder: `torchvision.models` or a module in it."""
    return qualified_name == "torchvision.models" or qualified_name.startswith(
        "torchvision.models."
    )
