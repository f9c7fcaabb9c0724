"""`torchvision.models.utils`, removed in torchvision 0.11: its one name lives on in torch.hub.

Up to 0.10, `torchvision/models/utils.py` only re-exported `torch.hub.load_state_dict_from_url`,
so each way of reaching it is pointed at `torch.hub`: the module of an import (`from torch.hub
import ...`, `import torch.hub as alias`, `from torch import hub as utils`) and a path spelled out
in an expression (`torch.hub.load_state_dict_from_url`, with `import torch.hub` added). A plain
`import torchvision.models.utils` binds `torchvision`: it becomes `import torchvision.models`,
dropped when no use of it is left. The findings are written here; full_path/models_utils.py and
the fast path make the edits.
"""

from __future__ import annotations

from migrate_weights.diagnostics import Code, Finding
from migrate_weights.rules.legacy_api import UTILS_FUNCTION, UTILS_MODULE, UTILS_NEW_MODULE

REMOVED_PATH = f"{UTILS_MODULE}.{UTILS_FUNCTION}"
NEW_PATH = f"{UTILS_NEW_MODULE}.{UTILS_FUNCTION}"
PLAIN_IMPORT_REPLACEMENT = "torchvision.models"  # keeps the name `import {UTILS_MODULE}` binds
REMOVED = f"torchvision 0.11 removed `{UTILS_MODULE}`"


def rewritten(old: str, new: str) -> Finding:
    return Code.FIXED, f"{old} -> {new}: {REMOVED}"


def import_dropped(statement: str) -> Finding:
    return Code.FIXED, f"{statement}: dropped, as nothing needs it: {REMOVED}"


def other_names(statement: str) -> Finding:
    return Code.NOT_FIXABLE, f"{statement}: {REMOVED}, which had no name but `{UTILS_FUNCTION}`"
