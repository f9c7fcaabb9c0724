"""The torchvision.models.utils rule (rules/models_utils.py) on LibCST's nodes."""

from __future__ import annotations

import libcst as cst
from libcst.codemod.visitors import AddImportsVisitor
from libcst.helpers import get_full_name_for_node
from libcst.metadata import ImportAssignment

from migrate_weights.full_path.rule_context import RuleContext
from migrate_weights.rules import models_utils
from migrate_weights.rules.legacy_api import UTILS_FUNCTION, UTILS_MODULE, UTILS_NEW_MODULE
from migrate_weights.rules.models_utils import NEW_PATH, PLAIN_IMPORT_REPLACEMENT, REMOVED_PATH
from migrate_weights.syntax.cst_nodes import dotted, one_line, source


def _import_alias(alias: cst.ImportAlias) -> cst.ImportAlias:
    """`torchvision.models.utils as u` -> `torch.hub as u`; without `as`, the statement binds
    `torchvision`, which `import torchvision.models` keeps bound."""
    if get_full_name_for_node(alias.name) != UTILS_MODULE:
        return alias
    module = UTILS_NEW_MODULE if alias.asname else PLAIN_IMPORT_REPLACEMENT
    return alias.with_changes(name=dotted(module))


class ModelsUtils:
    """The rule's state for one module, fed by MigrateWeights' leave methods."""

    def __init__(self, command: RuleContext) -> None:
        self.command = command
        # `import torchvision.models.utils` alone in its statement, and what replaced it
        self.plain_imports: list[tuple[cst.Import, cst.Import]] = []
        self.dropped: set[int] = set()  # the plain imports `going` removed
        # `torchvision`, `torchvision.models`, ... of each path rewritten to torch.hub
        self.rewritten_prefixes: set[int] = set()

    def _fixed(self, original: cst.CSTNode, updated: cst.CSTNode, migrated: cst.CSTNode) -> None:
        finding = models_utils.rewritten(one_line(original), one_line(migrated))
        self.command.report(original, finding, (source(updated), source(migrated)))

    def leave_import_from(
        self, original: cst.ImportFrom, updated: cst.ImportFrom
    ) -> cst.ImportFrom:
        if original.relative or original.module is None:
            return updated
        module = get_full_name_for_node(original.module)
        if module == UTILS_MODULE:
            names = updated.names
            if isinstance(names, cst.ImportStar):  # the one public name it had
                names = [cst.ImportAlias(cst.Name(UTILS_FUNCTION))]
            if any(alias.name.value != UTILS_FUNCTION for alias in names):
                self.command.report(original, models_utils.other_names(one_line(original)))
                return updated
            migrated = updated.with_changes(module=dotted(UTILS_NEW_MODULE), names=names)
            needed: list[str] = []
        elif module == "torchvision.models" and not isinstance(updated.names, cst.ImportStar):
            migrated, needed = self._utils_from_models(updated)
        else:
            return updated
        if migrated is updated:
            return updated
        self._fixed(original, updated, migrated)
        if self.command.skipped(original):
            return updated
        package, _, hub = UTILS_NEW_MODULE.rpartition(".")
        for local in needed:
            AddImportsVisitor.add_needed_import(self.command.context, package, hub, local)
        return migrated

    def _utils_from_models(self, updated: cst.ImportFrom) -> tuple[cst.ImportFrom, list[str]]:
        """`from torchvision.models import utils as u` -> `from torch import hub as u`; or, where
        the statement imports other names too, it without `utils`, and the names to bind to
        torch.hub in a statement of their own."""
        assert not isinstance(updated.names, cst.ImportStar)
        moved = [alias for alias in updated.names if alias.name.value == "utils"]
        kept = [alias for alias in updated.names if alias.name.value != "utils"]
        if not moved:
            return updated, []
        package, _, hub = UTILS_NEW_MODULE.rpartition(".")
        if not kept:
            names = [
                alias.with_changes(
                    name=cst.Name(hub), asname=alias.asname or cst.AsName(cst.Name("utils"))
                )
                for alias in moved
            ]
            return updated.with_changes(module=cst.Name(package), names=names), []
        kept[-1] = kept[-1].with_changes(comma=updated.names[-1].comma)
        return updated.with_changes(names=kept), [a.evaluated_alias or "utils" for a in moved]

    def leave_import(self, original: cst.Import, updated: cst.Import) -> cst.Import:
        names = [_import_alias(alias) for alias in updated.names]
        if all(new is old for new, old in zip(names, updated.names)):
            return updated
        migrated = updated.with_changes(names=names)
        if self.command.skipped(original):
            self._fixed(original, updated, migrated)
            return updated
        if len(names) == 1 and not names[0].asname:
            self.plain_imports.append((original, migrated))  # reported once `going` decided
        else:
            self._fixed(original, updated, migrated)
        return migrated

    def leave_attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.Attribute:
        """`torchvision.models.utils.load_state_dict_from_url` -> `torch.hub.<the same>`; a bare
        `utils.<function>` needs nothing, as its import is rewritten."""
        module = original.value
        if original.attr.value != UTILS_FUNCTION or not isinstance(module, cst.Attribute):
            return updated
        if module.attr.value != "utils":
            return updated
        if REMOVED_PATH not in self.command.qualified_names(original):
            return updated
        migrated = dotted(NEW_PATH)
        assert isinstance(migrated, cst.Attribute)
        migrated = migrated.with_changes(lpar=updated.lpar, rpar=updated.rpar)
        self._fixed(original, updated, migrated)
        if self.command.skipped(original):
            return updated
        prefix: cst.BaseExpression = original.value
        while True:  # scope analysis ties the import to the longest prefix it binds
            self.rewritten_prefixes.add(id(prefix))
            if not isinstance(prefix, cst.Attribute):
                break
            prefix = prefix.value
        AddImportsVisitor.add_needed_import(self.command.context, UTILS_NEW_MODULE)
        return migrated

    def going(self, statement: cst.BaseStatement) -> bool:
        """Whether this is a top-level `import torchvision.models` that replaced `import
        torchvision.models.utils` and is not needed: another import binds `torchvision` (and so
        loads torchvision.models), or every use scope analysis ties to it was rewritten."""
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            return False
        for original, migrated in self.plain_imports:
            if statement.body[0] is migrated:
                scope = self.command.scope(original)
                imports = [a for a in scope.assignments if isinstance(a, ImportAssignment)]
                ours = [a for a in imports if a.node is original]
                uses = [access.node for assignment in ours for access in assignment.references]
                elsewhere = any(
                    a.node is not original and a.name.split(".")[0] == "torchvision"
                    for a in imports
                )
                if elsewhere or all(id(use) in self.rewritten_prefixes for use in uses):
                    self.dropped.add(id(original))
                    return True
        return False

    def leave_module(self) -> None:
        """Report each replaced `import torchvision.models.utils`, once `going` has decided."""
        for original, migrated in self.plain_imports:
            if id(original) in self.dropped:
                self.command.report(original, models_utils.import_dropped(one_line(original)))
            else:
                self._fixed(original, original, migrated)
