"""The model_urls rule (rules/model_urls.py) on LibCST's nodes: lookups rewritten, the import
removed by RemoveImportsVisitor once no use of it is left, any other use reported."""

from __future__ import annotations

import libcst as cst
from libcst.codemod.visitors import RemoveImportsVisitor
from libcst.helpers import get_full_name_for_node
from libcst.metadata import ExpressionContext

from migrate_weights.full_path.rule_context import RuleContext
from migrate_weights.rules import legacy_api, model_urls
from migrate_weights.syntax.arguments import NOT_LITERAL
from migrate_weights.syntax.cst_nodes import literal_value, one_line, source


class ModelUrls:
    """The rule's state for one module, fed by MigrateWeights' visit and leave methods."""

    def __init__(self, command: RuleContext) -> None:
        self.command = command
        self.local_names = set(
            legacy_api.MODEL_URLS_DICTS
        )  # names an import may have bound to a dict
        self.in_subscript: set[int] = set()  # dict references a subscript reports or rewrites
        self.rewritten: set[int] = set()
        self.imports: list[tuple[cst.ImportFrom, str]] = []
        self.unused: set[tuple[str, str, str | None]] = set()  # (module, name, as) with no use left

    def _dict_at(self, node: cst.BaseExpression) -> tuple[str, str] | None:
        """(qualified name, defining dict) of a reference to a dict."""
        if isinstance(node, cst.Attribute):
            if node.attr.value not in legacy_api.MODEL_URLS_DICTS:
                return None
        elif not isinstance(node, cst.Name) or node.value not in self.local_names:
            return None
        for name in sorted(self.command.qualified_names(node)):
            defined = model_urls.dict_at(name)
            if defined is not None:
                return name, defined
        return None

    def visit_subscript(self, node: cst.Subscript) -> None:
        if self._dict_at(node.value):
            self.in_subscript.add(id(node.value))

    def leave_subscript(
        self, original: cst.Subscript, updated: cst.Subscript
    ) -> cst.BaseExpression:
        found = self._dict_at(original.value)
        if found is None:
            return updated
        qualified, defined = found
        context = self.command.expression_context(original)
        member, problem = _lookup(original, defined, context)
        if member is not None:
            enum_class = member.split(".")[0]
            reference = self.command.member_reference(original.value, qualified, "enum")(member)
            if isinstance(reference, cst.SimpleString):  # the name is taken in this module
                home = self.command.table.exporting_modules(enum_class)[0]
                problem = model_urls.name_taken(enum_class, home, member)
            else:
                migrated = cst.Attribute(
                    reference, cst.Name("url"), lpar=updated.lpar, rpar=updated.rpar
                )
                finding = model_urls.rewritten(one_line(original), one_line(migrated), problem)
                self.command.report(original, finding, (source(updated), source(migrated)))
                if self.command.skipped(original):
                    return updated
                self.rewritten.add(id(original.value))
                return migrated
        self.command.report(original, model_urls.not_rewritten(one_line(original), problem))
        return updated

    def leave_attribute(self, original: cst.Attribute) -> None:
        if id(original) not in self.in_subscript and self._dict_at(original):
            self._report_use(original)

    def leave_import_from(self, original: cst.ImportFrom) -> None:
        if original.relative:
            return
        for module, name, asname in _aliases(original):
            if name in legacy_api.MODEL_URLS_DICTS and model_urls.dict_at(f"{module}.{name}"):
                self.local_names.add(asname or name)
                self.imports.append((original, asname or name))
                if not self.command.skipped(original):
                    RemoveImportsVisitor.remove_unused_import(
                        self.command.context, module, name, asname
                    )

    def leave_module(self) -> None:
        """Report what keeps each import, or that it goes."""
        for statement, local in self.imports:
            scope = self.command.scope(statement)
            uses = [
                access.node
                for assignment in scope.assignments[local]
                if getattr(assignment, "node", None) is statement
                for access in assignment.references
            ]
            left = [use for use in uses if id(use) not in self.rewritten]
            for use in left:
                if id(use) not in self.in_subscript:
                    self._report_use(use)
            if not left:
                self.command.report(
                    statement, model_urls.import_dropped(one_line(statement), local)
                )
                if not self.command.skipped(statement):
                    self.unused.update(_aliases(statement, local))

    def going(self, statement: cst.BaseStatement) -> bool:
        """Whether RemoveImportsVisitor will remove this whole (top-level) statement."""
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            return False
        node = statement.body[0]
        if not isinstance(node, cst.ImportFrom) or node.relative or node.module is None:
            return False
        return bool(self.unused) and set(_aliases(node)) <= self.unused

    def _report_use(self, node: cst.CSTNode) -> None:
        self.command.report(node, model_urls.other_use(one_line(node)))


def _aliases(node: cst.ImportFrom, local: str | None = None) -> list[tuple[str, str, str | None]]:
    """(module, name, as) of the names a `from` import binds (to `local`, if given), in order."""
    if isinstance(node.names, cst.ImportStar) or node.module is None:
        return [("", "*", None)]
    module = get_full_name_for_node(node.module) or ""
    return [
        (module, alias.evaluated_name, alias.evaluated_alias)
        for alias in node.names
        if local is None or (alias.evaluated_alias or alias.name.value) == local
    ]


def _lookup(
    subscript: cst.Subscript, defined: str, context: ExpressionContext | None
) -> tuple[str | None, str]:
    """(the member serving `dict[key]`, and a note) or (None, why it is not rewritten)."""
    key = NOT_LITERAL
    if len(subscript.slice) == 1 and isinstance(subscript.slice[0].slice, cst.Index):
        key = literal_value(subscript.slice[0].slice.value)
    if context in (ExpressionContext.STORE, ExpressionContext.DEL):
        return None, model_urls.modified(one_line(subscript.value))
    return model_urls.member_for_key(defined, key)
