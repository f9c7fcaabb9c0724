"""The removed-API rule (rules/removed_api.py) on LibCST's nodes: an import statement's module
replaced, or the statement reported."""

from __future__ import annotations

import libcst as cst
from libcst.helpers import get_full_name_for_node

from migrate_weights.full_path.rule_context import RuleContext
from migrate_weights.rules.removed_api import (
    generated,
    plan_attribute,
    plan_import,
    plan_import_from,
)
from migrate_weights.syntax.cst_nodes import dotted, one_line, source


class RemovedApi:
    """The rule's adapter, fed by MigrateWeights' leave methods."""

    def __init__(self, command: RuleContext) -> None:
        self.command = command

    def leave_import_from(
        self, original: cst.ImportFrom, updated: cst.ImportFrom
    ) -> cst.ImportFrom:
        if original.relative or original.module is None:
            return updated
        module = get_full_name_for_node(original.module) or ""
        if isinstance(original.names, cst.ImportStar):
            names = ["*"]
        else:
            names = [get_full_name_for_node(alias.name) or "" for alias in original.names]
        planned = plan_import_from(module, names, one_line(original), generated())
        if planned is None:
            return updated
        new_module, finding = planned
        if new_module is None:
            self.command.report(original, finding)
            return updated
        migrated = updated.with_changes(module=dotted(new_module))
        self.command.report(original, finding, (source(updated), source(migrated)))
        return updated if self.command.skipped(original) else migrated

    def leave_import(self, original: cst.Import) -> None:
        for alias in original.names:
            module = get_full_name_for_node(alias.name) or ""
            finding = plan_import(module, one_line(original), generated())
            if finding is not None:
                self.command.report(original, finding)

    def leave_attribute(self, original: cst.Attribute) -> None:
        for qualified_name in sorted(self.command.qualified_names(original)):
            finding = plan_attribute(qualified_name, generated())
            if finding is not None:
                self.command.report(original, finding)
                return
