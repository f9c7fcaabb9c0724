"""What the full path's rule adapters (model_urls.py, models_utils.py) use of the LibCST command
that feeds them, as a Protocol: they never import the command back."""

from __future__ import annotations

from typing import Protocol

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.metadata import ExpressionContext, Scope

from migrate_weights.diagnostics import Finding
from migrate_weights.rules.syntax import Reference
from migrate_weights.tables.table import LegacyTable


class RuleContext(Protocol):
    @property
    def context(self) -> CodemodContext: ...

    @property
    def table(self) -> LegacyTable: ...

    def report(
        self, node: cst.CSTNode, finding: Finding, fix: tuple[str, str] | None = None
    ) -> None: ...

    def qualified_names(self, node: cst.CSTNode) -> set[str]: ...

    def skipped(self, node: cst.CSTNode) -> bool:
        """Whether a fix at this node is suppressed (`# noqa`): reported, not made."""
        ...

    def scope(self, node: cst.CSTNode) -> Scope: ...

    def expression_context(self, node: cst.CSTNode) -> ExpressionContext | None: ...

    def member_reference(
        self, func: cst.BaseExpression, qualified_name: str, style: str | None = None
    ) -> Reference[cst.BaseExpression]: ...
