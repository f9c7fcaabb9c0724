"""The fast path: a file that uses the legacy API through names imported at module level
(builder calls, directly or through torch.hub.load or functools.partial; model_urls lookups;
torchvision.models.utils) is rewritten without LibCST's parse of the whole module and its scope
analysis, which cost about a hundred times more. Python's own parser finds the sites and
resolves their names; a builder call (directly, through torch.hub.load or a partial) is planned
by the same rules on its own text (syntax/text.py) and put back in place of the old text,
or, where its text holds what that does not read, parsed by LibCST and planned on the nodes (the
only use of LibCST here, imported then); lookups and imports of removed API are edited as text;
imports are added and removed as the full path adds and removes them.

Anything this module does not model exactly returns None, and the file takes the full path: a
name bound more than once, an import of torch or torchvision inside a function, a star import,
sites nested in one another, a model_urls dict used other than by a lookup with a known literal
key, a torchvision.models.utils import of another form, an import statement removed where
LibCST would move the lines around it, builders looked up at run time, encodings other than
plain UTF-8, line endings other than LF. A test runs every fixture and generated modules
through both paths and requires the same result."""

from __future__ import annotations

import ast
import io
import tokenize
from typing import Any

from migrate_weights.diagnostics import CallRewrite, Diagnostic
from migrate_weights.fast_path.calls import ParsedCall, holding, on_text
from migrate_weights.fast_path.imports import import_edits
from migrate_weights.fast_path.names import Names
from migrate_weights.fast_path.removed_api import (
    dropped_dicts,
    lookup_edit,
    modules_to_import,
    plain_utils_import,
    utils_edit,
)
from migrate_weights.fast_path.source import Edit, FullPath, Source
from migrate_weights.fast_path.survey import survey_module
from migrate_weights.full_path.targets import find_target, settle
from migrate_weights.pipeline.parse import Nodes, Parsed
from migrate_weights.pipeline.safety import Replacement
from migrate_weights.rules.builder_call import plan_named_call
from migrate_weights.rules.references import EnumReferences


def _rewrite(
    source: bytes, tree: ast.Module, nodes: Nodes, style: str
) -> tuple[bytes, list[Diagnostic], list[CallRewrite], list[Replacement]]:
    names = Names(tree, nodes)
    survey = survey_module(source, names, nodes)
    sites = survey.sites()
    if not (sites or survey.utils_imports or survey.dict_imports):
        return source, [], [], []

    text = Source(source)
    bound_anywhere = {name for name, found in names.bindings.items() if found}
    references = EnumReferences(style, bound_anywhere)
    edits, diagnostics, rewrites = [], [], []
    lookups = {id(node): (qualified, defined) for node, qualified, defined in survey.lookups}
    calls = {id(node): (callee, inner) for node, callee, inner in survey.calls}
    for node in sites:  # in source order, as the enum imports are decided
        if id(node) in lookups:
            edit, diagnostic = lookup_edit(node, *lookups[id(node)], text, references, names)  # type: ignore[arg-type]
            edits.append(edit)
            diagnostics.append(diagnostic)
            continue
        if id(node) not in calls:
            edit, diagnostic = utils_edit(node, text)
            edits.append(edit)
            diagnostics.append(diagnostic)
            continue
        callee, inner_callee = calls[id(node)]
        segment = text.text(node)
        position = node.lineno, text.column(node)
        with references.edit() as edit:
            settled = on_text(
                node, segment, position, callee, inner_callee, text, tree, references, names
            )
            if settled is not None and settled.printed:
                edit.made()
        if settled is not None:
            diagnostics += settled.diagnostics
            if settled.printed:
                rewrites += [settled.rewrite] if settled.rewrite else []
                edits.append(Edit(*text.span(node), settled.printed))
            continue
        from migrate_weights.syntax.cst_nodes import CST
        from migrate_weights.syntax.cst_nodes import member_reference as cst_member_reference

        parsed = ParsedCall(segment, text.indentation(holding(tree.body, node)))
        call = parsed.call

        def plan_call(builder_call: Any, func: Any) -> Any:
            qualified = callee if func is call.func else inner_callee  # noqa: B023
            if qualified is None:
                return None
            return plan_named_call(
                {qualified},
                builder_call.args,
                lambda name: cst_member_reference(references, func, name, names.visible),
                CST,
            )

        with references.edit() as edit:
            target = find_target(call, call, {callee}, plan_call)
            if target is None:
                continue
            printed = segment if parsed.module is None else None  # as LibCST prints the call
            settled = settle(target, call, *position, printed)
            diagnostics += settled.diagnostics
            if settled.migrated is None:
                continue
            edit.made()
        if settled.rewrite:
            rewrites.append(settled.rewrite)
        edits.append(Edit(*text.span(node), parsed.in_place(settled.migrated, settled.printed)))
    removed = set()  # statements that go with their lines
    for statement in survey.utils_imports:
        if isinstance(statement, ast.Import) and not statement.names[0].asname:
            edit, diagnostic = plain_utils_import(statement, tree, text, names, nodes, survey)
            if edit is None:
                removed.add(id(statement))
        else:
            edit, diagnostic = utils_edit(statement, text)
        edits += [edit] if edit else []
        diagnostics.append(diagnostic)
    dropped, drop_findings = dropped_dicts(survey, text)
    diagnostics += drop_findings
    modules = modules_to_import(tree, text, survey)
    edits += import_edits(tree, text, references.imported, dropped, modules, removed)
    edits.sort(key=lambda edit: (edit.start, edit.end))
    replacements, pieces, position = [], [], 0
    for edit in edits:
        if edit.start < position:
            raise FullPath  # two edits of one statement: an import the rules rewrite twice
        replacements.append((edit.start, edit.end, edit.text.encode("utf-8")))
        pieces += [source[position : edit.start], replacements[-1][2]]
        position = edit.end
    pieces.append(source[position:])
    diagnostics.sort(key=lambda d: (d.line, d.column))
    return b"".join(pieces), diagnostics, rewrites, replacements


def rewrite(
    source: bytes, module: Parsed, style: str
) -> tuple[bytes, list[Diagnostic], list[CallRewrite], list[Replacement]] | None:
    """(new source, findings, rewrites, the replacements of the source's bytes that make the new
    one) for a module and Python's parse of it, or None when it needs the full path."""
    if b"\r" in source or b"\f" in source:
        return None
    try:
        if tokenize.detect_encoding(io.BytesIO(source).readline)[0] != "utf-8":
            return None  # a BOM ("utf-8-sig") or another encoding
        return _rewrite(source, module.tree, module.nodes, style)
    except (FullPath, UnicodeDecodeError, SyntaxError):
        return None
