"""The removed API on text: model_urls lookups and torchvision.models.utils paths and imports
edited as the full path edits them (rules/model_urls.py, rules/models_utils.py decide)."""

from __future__ import annotations

import ast
import re
from typing import Any

from migrate_weights.diagnostics import Diagnostic
from migrate_weights.fast_path.calls import DOTTED_NAME
from migrate_weights.fast_path.imports import is_module_heading, opening_imports
from migrate_weights.fast_path.names import Names, module_level_imports
from migrate_weights.fast_path.source import Edit, FullPath, Source
from migrate_weights.fast_path.survey import Survey, is_model_urls_dict
from migrate_weights.pipeline.parse import Nodes
from migrate_weights.rules import legacy_api, model_urls, models_utils
from migrate_weights.syntax.arguments import folded
from migrate_weights.syntax.text import member_reference

# The shapes of lookups and imports edited here as text; others (a key with spaces, an import
# over several lines or with a comment) take the full path.
_LOOKUP = re.compile(r"[\w.]+\[(\"[^\"\\\n]*\"|'[^'\\\n]*')\]")


_UTILS_FROM = re.compile(
    r"(from[ \t]+)" + re.escape(legacy_api.UTILS_MODULE) + r"([ \t]+import[ \t][\w \t,]*)"
)
_UTILS_AS = re.compile(
    r"(import[ \t]+)" + re.escape(legacy_api.UTILS_MODULE) + r"([ \t]+as[ \t]+\w+)"
)


def lookup_edit(
    lookup: ast.Subscript,
    qualified: str,
    defined: str,
    text: Source,
    references: Any,
    names: Names,
) -> tuple[Edit, Diagnostic]:
    """`model_urls["resnet50"]` -> `ResNet50_Weights.IMAGENET1K_V1.url`, as the full path
    writes it: only a literal key the old dict had, read."""
    segment = text.text(lookup)
    key = lookup.slice
    if not isinstance(lookup.ctx, ast.Load) or not _LOOKUP.fullmatch(segment):
        raise FullPath
    if not isinstance(key, ast.Constant) or not isinstance(key.value, str):
        raise FullPath
    member, note = model_urls.member_for_key(defined, key.value)
    if member is None:
        raise FullPath
    value = segment[: segment.index("[")]
    with references.edit() as edit:
        visible = names.visible_at(lookup.value)
        reference = member_reference(references, value, qualified, visible, "enum")(member)
        if reference.startswith('"'):
            raise FullPath  # the enum's name means something else here: reported
        edit.made()
    printed = f"{reference}.url"
    finding = model_urls.rewritten(segment, printed, note)
    position = lookup.lineno, text.column(lookup)
    return Edit(*text.span(lookup), printed), Diagnostic(*position, *finding, (segment, printed))


def utils_edit(
    node: ast.Attribute | ast.Import | ast.ImportFrom, text: Source
) -> tuple[Edit, Diagnostic]:
    """`torchvision.models.utils` -> `torch.hub` in a spelled-out path, `from ... import f [as
    g]` and `import ... as name`; the full path for other imports of it."""
    segment = text.text(node)
    if isinstance(node, ast.Attribute):
        if not DOTTED_NAME.fullmatch(segment):
            raise FullPath
        new = models_utils.NEW_PATH
    else:
        match = None
        if isinstance(node, ast.ImportFrom) and node.module == legacy_api.UTILS_MODULE:
            function = legacy_api.UTILS_FUNCTION
            if all(alias.name == function for alias in node.names):
                match = _UTILS_FROM.fullmatch(segment)
        elif isinstance(node, ast.Import) and len(node.names) == 1 and node.names[0].asname:
            match = _UTILS_AS.fullmatch(segment)
        if match is None:
            raise FullPath
        new = f"{match[1]}{legacy_api.UTILS_NEW_MODULE}{match[2]}"
    finding = models_utils.rewritten(folded(segment), folded(new))
    position = node.lineno, text.column(node)
    return Edit(*text.span(node), new), Diagnostic(*position, *finding, (segment, new))


def plain_utils_import(
    statement: ast.Import,
    tree: ast.Module,
    text: Source,
    names: Names,
    nodes: Nodes,
    survey: Survey,
) -> tuple[Edit | None, Diagnostic]:
    """`import torchvision.models.utils`, which binds `torchvision`: `import torchvision.models`,
    or (None) no statement where another import binds `torchvision` or every use of the name was a
    path rewritten to torch.hub (as the full path's ModelsUtils.going decides with scopes)."""
    if statement not in tree.body or text.text(statement) != f"import {legacy_api.UTILS_MODULE}":
        raise FullPath
    bindings = names.scopes.everywhere.get("torchvision", [])
    if any(binding.qualified != "torchvision" for binding in bindings):
        raise FullPath  # bound by something else too: whose uses are whose needs scopes
    bound_elsewhere = any(
        bound_root(other, alias) == "torchvision"
        for other in module_level_imports(tree.body)
        if other is not statement
        for alias in other.names
    )
    rewritten = set()
    for path in survey.utils_paths:
        root = path.value
        while isinstance(root, ast.Attribute):
            root = root.value
        rewritten.add(id(root))
    uses = [node for node in nodes.of(ast.Name) if node.id == "torchvision"]
    segment = text.text(statement)
    position = statement.lineno, text.column(statement)
    if bound_elsewhere or all(id(use) in rewritten for use in uses):
        return None, Diagnostic(*position, *models_utils.import_dropped(segment))
    new = "import torchvision.models"
    fix = (segment, new)
    finding = models_utils.rewritten(segment, new)
    return Edit(*text.span(statement), new), Diagnostic(*position, *finding, fix)


def bound_root(statement: ast.Import | ast.ImportFrom, alias: ast.alias) -> str:
    """The first part of the name an import binds, as LibCST's scope analysis records it."""
    if isinstance(statement, ast.Import) and not alias.asname:
        return alias.name.split(".")[0]
    return alias.asname or alias.name


def dropped_dicts(survey: Survey, text: Source) -> tuple[dict[int, set[str]], list[Diagnostic]]:
    """The names imports bind to a model_urls dict, per statement, and a finding for each: every
    use of them was a lookup the survey took, rewritten."""
    dropped: dict[int, set[str]] = {}
    diagnostics = []
    for statement in survey.dict_imports:
        if statement.level or statement.module is None:
            raise FullPath
        segment = folded(text.text(statement))
        for alias in statement.names:
            if alias.name in legacy_api.MODEL_URLS_DICTS and is_model_urls_dict(
                f"{statement.module}.{alias.name}"
            ):
                local = alias.asname or alias.name
                dropped.setdefault(id(statement), set()).add(local)
                finding = model_urls.import_dropped(segment, local)
                diagnostics.append(Diagnostic(statement.lineno, text.column(statement), *finding))
    return dropped, diagnostics


def modules_to_import(tree: ast.Module, text: Source, survey: Survey) -> list[str]:
    """`torch.hub` for a path rewritten to it, unless an `import torch.hub` among the imports
    that open the module binds it (AddImportsVisitor looks no further)."""
    if not survey.utils_paths:
        return []
    first, end = opening_imports(tree.body, is_module_heading(tree, text))
    opening = {id(statement) for statement in tree.body[first:end]}
    top_level = {id(statement) for statement in tree.body}
    for statement in module_level_imports(tree.body):
        if isinstance(statement, ast.Import):
            if any(
                a.name == legacy_api.UTILS_NEW_MODULE and a.asname is None for a in statement.names
            ):
                if id(statement) not in top_level:
                    raise FullPath  # whether AddImportsVisitor counts it is its own affair
                if id(statement) in opening:
                    return []
    return [legacy_api.UTILS_NEW_MODULE]
