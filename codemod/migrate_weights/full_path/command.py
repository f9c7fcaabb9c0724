"""The full path: a LibCST command that finds legacy builder calls by resolved name (scope
analysis) and rewrites their arguments as the rules decide (rules/), on LibCST's nodes.

Other legacy forms are fed from here to their adapters: targets.py (a builder call made through
torch.hub.load or a partial), model_urls.py, models_utils.py and removed_api.py (the removed
API)."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Sequence
from typing import Optional

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.codemod.visitors import AddImportsVisitor
from libcst.helpers import get_full_name_for_node
from libcst.metadata import (
    ExpressionContext,
    ExpressionContextProvider,
    PositionProvider,
    QualifiedNameProvider,
    Scope,
    ScopeProvider,
)

from migrate_weights.diagnostics import CallRewrite, Code, Diagnostic, Finding
from migrate_weights.full_path.imports import append_names, remove_statements
from migrate_weights.full_path.model_urls import ModelUrls
from migrate_weights.full_path.models_utils import ModelsUtils
from migrate_weights.full_path.removed_api import RemovedApi
from migrate_weights.full_path.targets import find_target, settle
from migrate_weights.pipeline.parse import Parsed, end_of
from migrate_weights.pipeline.scopes import Scopes
from migrate_weights.pipeline.values import (
    HeldValues,
    bound_by_the_module,
    builders_used_as_values,
)
from migrate_weights.rules.builder_call import (
    CallPlan,
    plan_builder_call,
    plan_dynamic_call,
    plan_named_call,
    plan_unfollowed_call,
)
from migrate_weights.rules.names import Ambiguous, Resolution, Resolved, resolve
from migrate_weights.rules.references import EnumReferences, PlannedEdit
from migrate_weights.rules.syntax import Reference
from migrate_weights.syntax.cst_nodes import CST, member_reference, one_line, spread_dicts
from migrate_weights.syntax.text import from_import
from migrate_weights.tables.table import LegacyTable

# A call's plan and the registered name of its builder, when known; None for a call of neither.
Planned = Optional[tuple[CallPlan[cst.Arg], Optional[str]]]


def _reported(plan: CallPlan[cst.Arg] | None) -> Planned:
    return (plan, None) if plan is not None else None


class MigrateWeights(VisitorBasedCodemodCommand):
    DESCRIPTION = "Rewrite torchvision's legacy pretrained= arguments to weights= enums."
    # ExpressionContextProvider is resolved for ScopeProvider anyway: no extra pass.
    METADATA_DEPENDENCIES = (
        QualifiedNameProvider,
        PositionProvider,
        ScopeProvider,
        ExpressionContextProvider,
    )

    def __init__(
        self,
        context: CodemodContext,
        style: str,
        table: LegacyTable,
        text: str,
        module: Parsed,
        fixes_kept: frozenset[int] = frozenset(),
    ) -> None:
        """`text`: the module's source; `module`: Python's parse of it, where names resolve;
        `fixes_kept`: lines where fixes are reported but not made (`# noqa`)."""
        super().__init__(context)
        self.fixes_kept = fixes_kept
        self.table = table
        self.diagnostics: list[Diagnostic] = []
        self.rewrites: list[CallRewrite] = []
        self.scopes = Scopes(module, table.star_exports)
        # Names read, by where they start (line, UTF-8 column): LibCST's nodes map onto them.
        self._reads = {
            (name.lineno, name.col_offset): name
            for name in module.nodes.of(ast.Name)
            if isinstance(name.ctx, ast.Load)
        }
        self._lines = _LINE_END.split(text)
        self._values = builders_used_as_values(module.nodes, self.scopes, table)
        self._held = HeldValues(module.nodes, self.scopes, table)
        # Callees by where they start and end: LibCST's callees map onto them.
        self._callees = {
            (call.func.lineno, call.func.col_offset, *end_of(call.func)): call.func
            for call in module.nodes.of(ast.Call)
        }
        self.references = EnumReferences(style, self.scopes.bound, table)
        self._model_urls = ModelUrls(self)
        self._models_utils = ModelsUtils(self)
        self._removed_api = RemovedApi(self)
        # Import statements as left, by where they were
        self._imports: dict[tuple[int, int], cst.Import | cst.ImportFrom] = {}

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        with self.references.edit() as edit:
            return self._migrated_call(original_node, updated_node, edit)

    def _migrated_call(
        self, original_node: cst.Call, updated_node: cst.Call, edit: PlannedEdit
    ) -> cst.Call:
        callee = self.callee_names(original_node.func)
        target = find_target(original_node, updated_node, callee, self._plan, self.table)
        if target is None:
            return updated_node
        position = self.get_metadata(PositionProvider, original_node).start
        settled = settle(target, updated_node, position.line, position.column + 1)
        self.diagnostics += settled.diagnostics
        if settled.migrated is None or self.skipped(original_node):
            return updated_node
        edit.made()
        if settled.rewrite:
            self.rewrites.append(settled.rewrite)
        return settled.migrated

    def visit_Subscript(self, node: cst.Subscript) -> None:
        self._model_urls.visit_subscript(node)

    def leave_Subscript(
        self, original_node: cst.Subscript, updated_node: cst.Subscript
    ) -> cst.BaseExpression:
        with self.references.edit() as edit:
            migrated = self._model_urls.leave_subscript(original_node, updated_node)
            if migrated is not updated_node:
                edit.made()
        return migrated

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        self._model_urls.leave_attribute(original_node)
        self._removed_api.leave_attribute(original_node)
        return self._models_utils.leave_attribute(original_node, updated_node)

    def leave_ImportFrom(
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> cst.ImportFrom:
        self._model_urls.leave_import_from(original_node)
        left = self._models_utils.leave_import_from(original_node, updated_node)
        left = self._removed_api.leave_import_from(original_node, left)
        self._imports[self._read_at(original_node)] = left
        return left

    def leave_Import(self, original_node: cst.Import, updated_node: cst.Import) -> cst.Import:
        left = self._models_utils.leave_import(original_node, updated_node)
        self._removed_api.leave_import(original_node)
        self._imports[self._read_at(original_node)] = left
        return left

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        """Add needed names to a top-level `from module import ...` where there is one; otherwise
        let AddImportsVisitor add the statement."""
        self._model_urls.leave_module()
        wanted = dict(self.references.imported)
        body = list(updated_node.body)
        for index, statement in enumerate(body):
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            node = statement.body[0]
            if not isinstance(node, cst.ImportFrom) or node.relative or node.module is None:
                continue
            if isinstance(node.names, cst.ImportStar):
                continue
            module = get_full_name_for_node(node.module)
            names = [name for name, home in wanted.items() if home == module]
            if names:
                body[index] = statement.with_changes(
                    body=[append_names(node, names), *statement.body[1:]]
                )
                for name in names:
                    del wanted[name]
        for enum_class, module in wanted.items():
            AddImportsVisitor.add_needed_import(self.context, module, enum_class)
        going = (self._model_urls.going, self._models_utils.going)
        body = remove_statements(body, lambda statement: any(g(statement) for g in going))
        self._models_utils.leave_module()
        migrated = updated_node.with_changes(body=body)
        if self.references.in_blocks:
            migrated = cst.ensure_type(migrated.visit(self._in_blocks()), cst.Module)
        return migrated

    def _in_blocks(self) -> _InBlocks:
        """The enums imported with the imports in blocks that brought in their builders."""
        in_blocks = _InBlocks()
        for block_import, imported in self.references.in_blocks.items():
            assert isinstance(block_import, (ast.Import, ast.ImportFrom))  # as the rules require
            node = self._imports[block_import.lineno, block_import.col_offset]
            own = block_import.module if isinstance(block_import, ast.ImportFrom) else None
            if own in imported:
                assert isinstance(node, cst.ImportFrom)
                in_blocks.replaced[id(node)] = append_names(node, imported[own])
            statements = [
                cst.parse_statement(from_import(module, names) + "\n")
                for module, names in imported.items()
                if module != own
            ]
            in_blocks.after[id(node)] = [
                cst.ensure_type(statement, cst.SimpleStatementLine).body[0]
                for statement in statements
            ]
        return in_blocks

    def report(
        self, node: cst.CSTNode, finding: Finding, fix: tuple[str, str] | None = None
    ) -> None:
        """A finding at an original node, for the rule modules."""
        position = self.get_metadata(PositionProvider, node).start
        self.diagnostics.append(Diagnostic(position.line, position.column + 1, *finding, fix))

    def skipped(self, node: cst.CSTNode) -> bool:
        return self.get_metadata(PositionProvider, node).start.line in self.fixes_kept

    def qualified_names(self, node: cst.CSTNode) -> set[str]:
        return {q.name for q in self.get_metadata(QualifiedNameProvider, node, set())}

    def _read_at(self, node: cst.CSTNode) -> tuple[int, int]:
        """Where a node of the original tree starts, as Python's parser counts: its line, and
        the UTF-8 bytes before it on that line."""
        start = self.get_metadata(PositionProvider, node).start
        return start.line, len(self._lines[start.line - 1][: start.column].encode("utf-8"))

    def resolution(self, func: cst.BaseExpression) -> tuple[Resolution[ast.stmt], str] | None:
        """What `a.b.c` (`func`, in the original tree) stands for, by Python's scoping, and
        its attributes after `a` (".b.c"); None for an expression of another form."""
        node, attributes = func, ""
        while isinstance(node, cst.Attribute):
            attributes = f".{node.attr.value}{attributes}"
            node = node.value
        if not isinstance(node, cst.Name):
            return None
        read = self._reads.get(self._read_at(node))
        if read is None or read.id != node.value:
            return None
        return resolve(read.id, self.scopes.bindings(read), self.table.identity), attributes

    def callee_names(self, func: cst.BaseExpression) -> set[str]:
        """What a callee (in the original tree) may stand for: one name, or none where it may
        stand for different objects (the builder-call rule reports those)."""
        found = self.resolution(func)
        if found is None:
            return self.qualified_names(func)
        resolution, attributes = found
        if resolution is None or isinstance(resolution, Ambiguous):
            return set()
        return {resolution.qualified + attributes}

    def _plan(self, call: cst.Call, callee: cst.BaseExpression) -> Planned:
        """`callee`: the call's callee in the original tree, where names resolve. Entries of a
        dict literal given with `**` are planned as the keyword arguments they are."""
        spread = spread_dicts(call.args)
        if spread is None:
            return self._plan_spread(call, callee)
        args, packed = spread
        planned = self._plan_spread(call.with_changes(args=args), callee)
        if planned is not None and planned[0].args is not None:
            planned[0].args = packed(planned[0].args)
        return planned

    def _plan_spread(self, call: cst.Call, callee: cst.BaseExpression) -> Planned:

        def named(names: set[str], style: str | None) -> Planned:
            def reference(name: str) -> Reference[cst.BaseExpression]:
                return self.member_reference(callee, name, style)

            return plan_named_call(names, call.args, reference, CST, self.table)

        def looked_up(names: set[str], style: str | None) -> Planned:
            """A builder looked up at run time in the module `names` stands for."""
            if len(names) != 1 or not self.table.is_model_module(min(names)):
                return None
            renames = self.table.renames_shared_by(self.table.builders_in(min(names)))
            order = self.table.parameters_shared_by_all_builders
            shared = self.table.namespace_members.get(min(names))
            return plan_dynamic_call(call.args, renames, CST, order, shared), None

        found = self._plan_resolving(callee, named)
        if found is not None:
            return found
        looked_up_in = self._looked_up_in(callee)
        if looked_up_in is not None:
            imported = self._held.imports.get(self._read_at(looked_up_in))
            if imported:
                return looked_up({imported}, None)
            if imported == "":
                why = f"it is looked up in a module named at run time (`{one_line(looked_up_in)}`)"
                return _reported(plan_unfollowed_call(call.args, CST, self.table, why, False))
            planned = self._plan_resolving(looked_up_in, looked_up)
            if planned:
                return planned
        return self._plan_held(call, callee) or self._plan_unfollowed(call, callee)

    def _plan_unfollowed(self, call: cst.Call, callee: cst.BaseExpression) -> Planned:
        """A call of a value the module holds, where it uses builders as values in ways not
        followed to their calls."""
        if not self._values:
            return None
        node, indexed = self._looked_up_in(callee) or callee, False
        while isinstance(node, (cst.Attribute, cst.Subscript, cst.Call)):
            indexed = indexed or isinstance(node, cst.Subscript)
            node = node.func if isinstance(node, cst.Call) else node.value
        read = self._reads.get(self._read_at(node)) if isinstance(node, cst.Name) else None
        if read is None or not bound_by_the_module(read, self.scopes, indexed):
            return None
        first = self._values[0]
        why = f"the module uses builders as values (`{ast.unparse(first)}` on line "
        why += f"{first.lineno} first), which are not followed to here"
        held_as_is = isinstance(callee, (cst.Name, cst.Subscript)) or (
            isinstance(callee, cst.Attribute) and self._held.assigns_a_builder(callee.attr.value)
        )
        return _reported(plan_unfollowed_call(call.args, CST, self.table, why, held_as_is))

    def _plan_held(self, call: cst.Call, callee: cst.BaseExpression) -> Planned:
        """A call of what the module shows a name, container or attribute to hold (HeldValues):
        a builder, one looked up in a module, or one of several."""
        node = self._callees.get(self._span(callee))
        held = self._held.held(node) if node is not None else None
        if held is None:
            return None
        builders: set[str] = set()
        namespaces: set[str] = set()
        for kind, name in filter(None, held):
            (namespaces if kind == "namespace" else builders).add(name)
        renames = self.table.renames_shared_by_all_builders
        if not builders and not namespaces:
            return None
        if len(builders) == 1 and not namespaces and None not in held:
            (name,) = builders  # one builder or helper: planned as a call of it
            builder = self.table.builder_named(name)
            assert builder is not None
            reference = self.member_reference(callee, self.table.shortest_path(name), "string")
            registered = name if name in self.table.builders else None
            return plan_builder_call(builder, call.args, reference, CST), registered
        helpers = builders - set(self.table.builders)
        if helpers:
            builders -= helpers
            held.append(None)  # a helper among others: what its call means varies
        if None in held:  # a builder, or something else
            order = self.table.parameters_shared_by_all_builders
            probe = plan_dynamic_call(call.args, renames, CST, order)
            if probe.args is None and not probe.problems:
                return None
            name = one_line(callee.value if isinstance(callee, cst.Subscript) else callee)
            return (
                CallPlan(problems=[(Code.NOT_FIXABLE, f"`{name}` may hold a builder or not")]),
                None,
            )
        if namespaces:
            order = self.table.parameters_shared_by_all_builders
            shared = [self.table.namespace_members.get(name, {}) for name in sorted(namespaces)]
            if builders:
                shared.append(self.table.shared_members(builders))
            common = {
                legacy: member
                for legacy, member in shared[0].items()
                if all(other.get(legacy) == member for other in shared[1:])
            }
        else:
            order = self.table.parameters_shared_by(builders)
            common = self.table.shared_members(builders)
        # The legacy names of the builders it may hold: `pretrained_backbone` is no legacy
        # argument of a classification builder, which raises for it, shim or not.
        renames = self.table.renames_shared_by(
            builders.union(*map(self.table.builders_in, namespaces))
        )
        return plan_dynamic_call(call.args, renames, CST, order, common), None

    def _span(self, node: cst.CSTNode) -> tuple[int, int, int, int]:
        """Where a node of the original tree starts and ends, as Python's parser counts."""
        end = self.get_metadata(PositionProvider, node).end
        return (
            *self._read_at(node),
            end.line,
            len(self._lines[end.line - 1][: end.column].encode()),
        )

    def _plan_resolving(
        self, node: cst.BaseExpression, plan: Callable[[set[str], str | None], Planned]
    ) -> Planned:
        """`plan(names, style)` for what `node` stands for. Where it may stand for different
        objects, a finding if the plan for any of them would change or report anything."""
        found = self.resolution(node)
        if found and isinstance(found[0], Ambiguous):
            ambiguous, attributes = found[0], found[1]
            for candidate in ambiguous.candidates:
                planned = plan({candidate + attributes}, "string")
                if planned and (planned[0].args is not None or planned[0].problems):
                    return CallPlan(problems=[ambiguous.finding()]), None
            return None
        return plan(self.callee_names(node), None)

    def _looked_up_in(self, func: cst.BaseExpression) -> cst.BaseExpression | None:
        """What a builder may be looked up in at run time: `models` in `models.__dict__[name]`
        or `getattr(models, name)`."""
        if isinstance(func, cst.Subscript) and isinstance(func.value, cst.Attribute):
            if func.value.attr.value == "__dict__":
                return func.value.value
        if isinstance(func, cst.Call) and func.args and not func.args[0].keyword:
            if self.qualified_names(func.func) == {"builtins.getattr"}:
                return func.args[0].value
        return None

    def member_reference(
        self, func: cst.BaseExpression, qualified_name: str, style: str | None = None
    ) -> Reference[cst.BaseExpression]:
        """Members as expressions, for a call of `func` (which resolves to `qualified_name`)."""
        base = func
        while isinstance(base, cst.Attribute):
            base = base.value
        read = self._reads.get(self._read_at(base))
        found = self.resolution(func)
        resolved = found[0] if found and isinstance(found[0], Resolved) else None

        def visible(name: str) -> set[str]:
            return set() if read is None else self.scopes.visible(name, read)

        return member_reference(self.references, func, qualified_name, visible, style, resolved)

    def scope(self, node: cst.CSTNode) -> Scope:
        scope = self.get_metadata(ScopeProvider, node)
        assert scope is not None  # every node of a module has one
        return scope

    def expression_context(self, node: cst.CSTNode) -> ExpressionContext | None:
        return self.get_metadata(ExpressionContextProvider, node, None)


_LINE_END = re.compile(r"\r\n?|\n")  # where Python's lines end (not str.splitlines' form feed)


class _InBlocks(cst.CSTTransformer):
    """Import statements in blocks replaced, and others placed after them, found by the identity
    of the nodes: after an import that ends its line, on lines of their own; otherwise right
    after it on its line (before what follows it there, which may use the enum)."""

    def __init__(self) -> None:
        self.replaced: dict[int, cst.ImportFrom] = {}
        self.after: dict[int, list[cst.BaseSmallStatement]] = {}

    def leave_ImportFrom(
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> cst.ImportFrom:
        return self.replaced.get(id(original_node), updated_node)

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.FlattenSentinel[cst.BaseStatement]:
        *rest, last = original_node.body
        if not self.after.get(id(last)):
            return updated_node.with_changes(body=self._body(original_node.body, updated_node.body))
        body = [*self._body(rest, updated_node.body[:-1]), updated_node.body[-1]]
        lines = [cst.SimpleStatementLine(body=[statement]) for statement in self.after[id(last)]]
        return cst.FlattenSentinel([updated_node.with_changes(body=body), *lines])

    def leave_SimpleStatementSuite(
        self, original_node: cst.SimpleStatementSuite, updated_node: cst.SimpleStatementSuite
    ) -> cst.SimpleStatementSuite:
        return updated_node.with_changes(body=self._body(original_node.body, updated_node.body))

    def _body(
        self, original: Sequence[cst.BaseSmallStatement], updated: Sequence[cst.BaseSmallStatement]
    ) -> list[cst.BaseSmallStatement]:
        body: list[cst.BaseSmallStatement] = []
        for before, after in zip(original, updated):
            body += [after, *self.after.get(id(before), [])]
        return body
