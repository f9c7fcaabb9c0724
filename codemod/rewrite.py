"""The LibCST command: find legacy builder calls by resolved name and rewrite their arguments."""

from __future__ import annotations

import dataclasses

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.codemod.visitors import AddImportsVisitor
from libcst.helpers import get_full_name_for_node
from libcst.metadata import CodePosition, PositionProvider, QualifiedNameProvider, ScopeProvider

from codemod import table
from codemod.arguments import literal_value, one_line, source
from codemod.diagnostics import CallRewrite, Code, Diagnostic
from codemod.imports import append_names
from codemod.legacy_call import CallPlan, plan_builder_call, plan_dynamic_call

STYLES = ("enum", "string")


class MigrateWeights(VisitorBasedCodemodCommand):
    DESCRIPTION = "Rewrite torchvision's legacy pretrained= arguments to weights= enums."
    METADATA_DEPENDENCIES = (QualifiedNameProvider, PositionProvider, ScopeProvider)

    def __init__(self, context: CodemodContext, style: str = "enum") -> None:
        super().__init__(context)
        self.style = style
        self.diagnostics: list[Diagnostic] = []
        self.rewrites: list[CallRewrite] = []
        self._names_bound_anywhere: set[str] = set()
        self._imported: dict[str, str] = {}  # enum class -> module, imports this run needs
        self._pending_imports: dict[str, str] = {}  # enum class -> module, for the current call
        self._builder_name: str | None = None  # registered name of the current call's builder

    def visit_Module(self, node: cst.Module) -> None:
        for scope in set(self.metadata[ScopeProvider].values()):
            if scope is not None:
                self._names_bound_anywhere.update(a.name for a in scope.assignments)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        self._pending_imports = {}
        self._builder_name = None
        plan = self._plan(original_node, updated_node)
        if plan is None:
            return updated_node
        position = self.get_metadata(PositionProvider, original_node).start
        callee = one_line(original_node.func)
        for code, message in plan.problems:
            self._report(position, code, f"{callee}: {message}")
        if not plan.args:
            return updated_node
        self._imported.update(self._pending_imports)
        migrated = updated_node.with_changes(args=plan.args)
        fix = (source(updated_node), source(migrated))
        self._report(position, Code.FIXED, f"{callee}: " + "; ".join(plan.changes), fix)
        if self._builder_name:
            self.rewrites.append(
                CallRewrite(
                    position.line,
                    position.column + 1,
                    self._builder_name,
                    source(updated_node),
                    source(migrated),
                )
            )
        return migrated

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        """Add needed names to a top-level `from module import ...` where there is one; otherwise
        let AddImportsVisitor add the statement."""
        wanted = dict(self._imported)
        body = list(updated_node.body)
        for index, statement in enumerate(body):
            node = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) else None
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
        return updated_node.with_changes(body=body)

    def _report(
        self,
        position: CodePosition,
        code: Code,
        message: str,
        fix: tuple[str, str] | None = None,
    ) -> None:
        column = position.column + 1
        self.diagnostics.append(Diagnostic(position.line, column, code, message, fix))

    def _qualified_names(self, node: cst.CSTNode) -> set[str]:
        return {q.name for q in self.get_metadata(QualifiedNameProvider, node, set())}

    def _plan(self, original: cst.Call, updated: cst.Call) -> CallPlan | None:
        names = self._qualified_names(original.func)
        builder_names = {table.builder_name_at(name) for name in names}
        if len(builder_names) == 1 and None not in builder_names:
            builder = table.builder_named(builder_names.pop())
            assert builder is not None
            self._builder_name = builder.name
            reference = self._reference_maker(original, min(names))
            return plan_builder_call(builder, updated.args, reference)
        if names and all(table.is_get_model(name) for name in names):
            return self._plan_get_model(original, updated, min(names))
        if self._is_runtime_lookup(original.func):
            return plan_dynamic_call(updated.args, table.renames_shared_by_all_builders())
        return None

    def _plan_get_model(
        self, original: cst.Call, updated: cst.Call, qualified_name: str
    ) -> CallPlan | None:
        if not updated.args or updated.args[0].keyword or updated.args[0].star:
            return None
        name = literal_value(updated.args[0].value)
        builder = table.builder_named(name) if isinstance(name, str) else None
        if builder is None:
            return plan_dynamic_call(updated.args, table.renames_shared_by_all_builders())
        self._builder_name = builder.name
        # get_model(name, **config): the name is the only positional argument.
        builder = dataclasses.replace(builder, positional_order=("name",))
        return plan_builder_call(
            builder, updated.args, self._reference_maker(original, qualified_name)
        )

    def _is_runtime_lookup(self, func: cst.BaseExpression) -> bool:
        """A builder looked up in a torchvision module at run time: `models.__dict__[name]`,
        `getattr(models, name)`."""
        if isinstance(func, cst.Subscript) and isinstance(func.value, cst.Attribute):
            if func.value.attr.value == "__dict__":
                return self._is_model_module(func.value.value)
        if isinstance(func, cst.Call) and func.args and not func.args[0].keyword:
            if self._qualified_names(func.func) == {"builtins.getattr"}:
                return self._is_model_module(func.args[0].value)
        return False

    def _is_model_module(self, node: cst.BaseExpression) -> bool:
        names = self._qualified_names(node)
        return len(names) == 1 and table.is_model_module(next(iter(names)))

    def _reference_maker(self, call: cst.Call, qualified_name: str):  # type: ignore[no-untyped-def]
        scope = self.get_metadata(ScopeProvider, call)

        def reference(member: str) -> cst.BaseExpression:
            enum_class, member_name = member.split(".")
            if self.style == "string":
                return cst.SimpleString(f'"{member_name}"')
            modules = table.exporting_modules(enum_class)
            # Reuse a module the call already spells out: `tvm.resnet50` -> `tvm.ResNet50_Weights`.
            node, module = call.func, qualified_name
            while isinstance(node, cst.Attribute):
                node, module = node.value, module.rpartition(".")[0]
                if module in modules:
                    return cst.Attribute(
                        cst.Attribute(node.deep_clone(), cst.Name(enum_class)),
                        cst.Name(member_name),
                    )
            bare = cst.Attribute(cst.Name(enum_class), cst.Name(member_name))
            visible = {q.name for q in scope.get_qualified_names_for(enum_class)}
            if visible and visible <= {f"{m}.{enum_class}" for m in modules}:
                return bare
            if enum_class in self._imported or enum_class in self._pending_imports:
                return bare
            if not visible and enum_class not in self._names_bound_anywhere:
                builder_module = qualified_name.rpartition(".")[0]
                module = builder_module if builder_module in modules else modules[0]
                self._pending_imports[enum_class] = module
                return bare
            # The name is taken by something else: the member's name, which builders accept too.
            return cst.SimpleString(f'"{member_name}"')

        return reference
