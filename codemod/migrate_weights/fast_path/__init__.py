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
name that may stand for different objects (which the full path reports), sites nested in one
another, a model_urls dict used other than by a lookup with a known literal
key, a torchvision.models.utils import of another form, an import statement removed where
LibCST would move the lines around it, builders looked up at run time, encodings other than
plain UTF-8, line endings other than LF. A test runs every fixture and generated modules
through both paths and requires the same result."""

from __future__ import annotations

import ast
import io
import tokenize

from migrate_weights.diagnostics import CallRewrite, Diagnostic
from migrate_weights.fast_path.calls import CallPlanner
from migrate_weights.fast_path.imports import import_edits, in_block_edit
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
from migrate_weights.pipeline.parse import Parsed
from migrate_weights.pipeline.safety import Replacement
from migrate_weights.rules.references import EnumReferences
from migrate_weights.syntax.text import TEXT, TextSyntax
from migrate_weights.tables.table import LegacyTable

Rewritten = tuple[bytes, list[Diagnostic], list[CallRewrite], list[Replacement]]


def rewrite(
    source: bytes,
    module: Parsed,
    style: str,
    table: LegacyTable,
    syntax: TextSyntax = TEXT,
    fixes_kept: frozenset[int] = frozenset(),
) -> Rewritten | None:
    """(new source, findings, rewrites, the replacements of the source's bytes that make the new
    one) for a module and Python's parse of it, or None when it needs the full path. `syntax`:
    how calls are read and edited as text; `fixes_kept`: lines where fixes are not made (the
    full path's to honour)."""
    if b"\r" in source or b"\f" in source:
        return None
    try:
        if tokenize.detect_encoding(io.BytesIO(source).readline)[0] != "utf-8":
            return None  # a BOM ("utf-8-sig") or another encoding
        return _rewrite(source, module, style, table, syntax, fixes_kept)
    except (FullPath, UnicodeDecodeError, SyntaxError):
        return None


def _rewrite(
    source: bytes,
    module: Parsed,
    style: str,
    table: LegacyTable,
    syntax: TextSyntax,
    fixes_kept: frozenset[int],
) -> Rewritten:
    tree, nodes = module.tree, module.nodes
    names = Names(module, table)
    survey = survey_module(source, names, nodes, table)
    sites = survey.sites()
    if not (sites or survey.utils_imports or survey.dict_imports):
        return source, [], [], []
    every = [*sites, *survey.utils_imports, *survey.dict_imports]
    if fixes_kept and any(site.lineno in fixes_kept for site in every):
        raise FullPath

    text = Source(source)
    references = EnumReferences(style, names.scopes.bound, table)
    planner = CallPlanner(text, tree, names, references, table, syntax)
    edits: list[Edit] = []
    diagnostics: list[Diagnostic] = []
    rewrites: list[CallRewrite] = []
    lookups = {id(node): (qualified, defined) for node, qualified, defined in survey.lookups}
    calls = {id(node): (callee, inner, resolved) for node, callee, inner, resolved in survey.calls}
    for node in sites:  # in source order, as the enum imports are decided
        if isinstance(node, ast.Subscript):
            edit, diagnostic = lookup_edit(node, *lookups[id(node)], text, references, names)
        elif isinstance(node, ast.Attribute):
            edit, diagnostic = utils_edit(node, text)
        else:
            settled, printed = planner.settle(node, *calls[id(node)])
            diagnostics += settled.diagnostics
            if printed:
                rewrites += [settled.rewrite] if settled.rewrite else []
                edits.append(Edit(*text.span(node), printed))
            continue
        edits.append(edit)
        diagnostics.append(diagnostic)
    removed = set()  # statements that go with their lines
    for statement in survey.utils_imports:
        if isinstance(statement, ast.Import) and not statement.names[0].asname:
            plain, diagnostic = plain_utils_import(statement, tree, text, names, nodes, survey)
            if plain is None:
                removed.add(id(statement))
            edits += [plain] if plain else []
        else:
            edit, diagnostic = utils_edit(statement, text)
            edits.append(edit)
        diagnostics.append(diagnostic)
    dropped, drop_findings = dropped_dicts(survey, text)
    diagnostics += drop_findings
    modules = modules_to_import(tree, text, survey)
    edits += import_edits(tree, text, references.imported, dropped, modules, removed, syntax)
    for block_import, imported in references.in_blocks.items():
        assert isinstance(block_import, (ast.Import, ast.ImportFrom))  # as the rules require
        edits.append(in_block_edit(block_import, imported, text, syntax))
    diagnostics.sort(key=lambda d: (d.line, d.column))
    migrated, replacements = _applied(source, edits)
    return migrated, diagnostics, rewrites, replacements


def _applied(source: bytes, edits: list[Edit]) -> tuple[bytes, list[Replacement]]:
    """The source with the edits made, and the replacements of its bytes they are."""
    replacements: list[Replacement] = []
    pieces: list[bytes] = []
    position = 0
    for edit in sorted(edits, key=lambda edit: (edit.start, edit.end)):
        if edit.start < position:
            raise FullPath  # two edits of one statement: an import the rules rewrite twice
        replacement = (edit.start, edit.end, edit.text.encode("utf-8"))
        replacements.append(replacement)
        pieces += [source[position : edit.start], replacement[2]]
        position = edit.end
    pieces.append(source[position:])
    return b"".join(pieces), replacements
