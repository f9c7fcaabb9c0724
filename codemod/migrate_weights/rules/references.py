"""How a weights member is written at a call: through the module the call already spells out
(`tvm.resnet50` -> `tvm.ResNet50_Weights.IMAGENET1K_V1`), by its class name (imported when the
file lacks it), or, when that name means something else in the file, as the member's name in a
string, which builders accept too. The syntaxes write what is decided here: member_reference in
syntax/cst_nodes.py and syntax/text.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Set
from contextlib import contextmanager
from typing import Literal, Union

from migrate_weights.rules.names import Resolved
from migrate_weights.tables.table import LegacyTable

# As a string, bare, or through the callee's module, reached by dropping that many attributes.
Way = Union[Literal["string", "bare"], int]
STRING: Literal["string"] = "string"
BARE: Literal["bare"] = "bare"
Visible = Callable[[str], set[str]]  # what a name resolves to where the call is


class PlannedEdit:
    is_made = False

    def made(self) -> None:
        self.is_made = True


class EnumReferences:
    def __init__(self, style: str, names_bound_anywhere: Set[str], table: LegacyTable) -> None:
        self.style = style
        self.table = table
        self.names_bound_anywhere = names_bound_anywhere
        self.imported: dict[str, str] = {}  # enum class -> module: imports the file needs
        # An import statement in a block -> module -> the enum classes imported from it there:
        # appended to the statement when it imports from that module, else imported after it.
        self.in_blocks: dict[object, dict[str, list[str]]] = {}
        self.pending: dict[str, str] = {}  # the same two, for the edit being planned
        self.pending_in_blocks: dict[object, dict[str, list[str]]] = {}

    @contextmanager
    def edit(self) -> Iterator[PlannedEdit]:
        """Planning one edit: the imports its members need are kept if it is `made()`."""
        self.pending, self.pending_in_blocks = {}, {}
        planned = PlannedEdit()
        try:
            yield planned
        finally:
            if planned.is_made:
                self.imported.update(self.pending)
                for statement, imported in self.pending_in_blocks.items():
                    for module, enum_classes in imported.items():
                        kept = self.in_blocks.setdefault(statement, {}).setdefault(module, [])
                        kept += enum_classes
            self.pending, self.pending_in_blocks = {}, {}

    def way(
        self,
        enum_class: str,
        depth: int,
        qualified_name: str,
        visible: Visible,
        style: str | None = None,
        resolved: Resolved[object] | None = None,
    ) -> Way:
        """How to write a member of `enum_class` at a callee `depth` attributes deep: as a
        string, bare (`ResNet50_Weights.IMAGENET1K_V1`, imported when the file lacks it), or
        through the callee's module reached by dropping that many attributes. `resolved`: what
        the callee's name stands for, and the imports that bind it; the enum is imported beside
        them, in the same scope and block (a lazy import stays lazy, a guarded one guarded)."""
        if (style or self.style) == "string":
            return STRING
        modules = self.table.exporting_modules(enum_class)
        # Reuse a module the call already spells out: `tvm.resnet50` -> `tvm.ResNet50_Weights`.
        module = qualified_name
        for dropped in range(1, depth + 1):
            module = module.rpartition(".")[0]
            if module in modules:
                return dropped
        seen = visible(enum_class)
        if seen and seen <= {f"{m}.{enum_class}" for m in modules}:
            return BARE
        if seen or enum_class in self.names_bound_anywhere:
            return STRING
        builder_module = qualified_name.rpartition(".")[0]
        home = builder_module if builder_module in modules else modules[0]
        if resolved and not resolved.has_a_place():
            return STRING
        place = resolved.import_place() if resolved else None
        if place is not None:  # in the block of the builder's import, with it or after it
            if not resolved or resolved.qualified.split(".")[0] != "torchvision":
                return STRING  # a partial's or torch.hub's import: torchvision stays unimported
            planned = [self.in_blocks.get(place, {}), self.pending_in_blocks.get(place, {})]
            if not any(enum_class in imported.get(home, []) for imported in planned):
                pending = self.pending_in_blocks.setdefault(place, {})
                pending.setdefault(home, []).append(enum_class)
            return BARE
        if enum_class not in self.imported and enum_class not in self.pending:
            self.pending[enum_class] = home
        return BARE
