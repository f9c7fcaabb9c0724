"""How a weights member is written at a call: through the module the call already spells out
(`tvm.resnet50` -> `tvm.ResNet50_Weights.IMAGENET1K_V1`), by its class name (imported when the
file lacks it), or, when that name means something else in the file, as the member's name in a
string, which builders accept too."""

from __future__ import annotations

from collections.abc import Callable, Set

import libcst as cst

from codemod import table
from codemod.legacy_call import Reference


class EnumReferences:
    def __init__(self, style: str, names_bound_anywhere: Set[str]) -> None:
        self.style = style
        self.names_bound_anywhere = names_bound_anywhere
        self.imported: dict[str, str] = {}  # enum class -> module: imports the file needs
        self.pending: dict[str, str] = {}  # the same, for the edit being planned

    def begin_edit(self) -> None:
        self.pending = {}

    def keep_edit(self) -> None:
        """The planned edit is made: its imports are needed."""
        self.imported.update(self.pending)

    def maker(
        self,
        func: cst.BaseExpression,
        qualified_name: str,
        visible: Callable[[str], set[str]],
        style: str | None = None,
    ) -> Reference:
        """Members as expressions, for a call of `func` (which resolves to `qualified_name`);
        `visible(name)` is what `name` resolves to where the call is."""

        def reference(member: str) -> cst.BaseExpression:
            enum_class, member_name = member.split(".")
            if (style or self.style) == "string":
                return cst.SimpleString(f'"{member_name}"')
            modules = table.exporting_modules(enum_class)
            # Reuse a module the call already spells out: `tvm.resnet50` -> `tvm.ResNet50_Weights`.
            node, module = func, qualified_name
            while isinstance(node, cst.Attribute):
                node, module = node.value, module.rpartition(".")[0]
                if module in modules:
                    return cst.Attribute(
                        cst.Attribute(node.deep_clone(), cst.Name(enum_class)),
                        cst.Name(member_name),
                    )
            bare = cst.Attribute(cst.Name(enum_class), cst.Name(member_name))
            seen = visible(enum_class)
            if seen and seen <= {f"{m}.{enum_class}" for m in modules}:
                return bare
            if enum_class in self.imported or enum_class in self.pending:
                return bare
            if not seen and enum_class not in self.names_bound_anywhere:
                builder_module = qualified_name.rpartition(".")[0]
                module = builder_module if builder_module in modules else modules[0]
                self.pending[enum_class] = module
                return bare
            return cst.SimpleString(f'"{member_name}"')

        return reference
