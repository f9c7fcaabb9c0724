"""The names of the legacy API that the rules act on, in one place, and what torchvision's shim
reads as a legacy flag. This module imports nothing: the screen reads these names for every file
it looks at, before any rule is needed."""

from __future__ import annotations

HUB_LOAD = "torch.hub.load"
HUB_REPOSITORY = "pytorch/vision"  # torch.hub.load's first argument for torchvision's builders
PARTIAL = "functools.partial"
MODEL_URLS_DICTS = frozenset({"model_urls", "quant_model_urls"})  # removed in torchvision 0.15
UTILS_MODULE = "torchvision.models.utils"  # removed in torchvision 0.11
UTILS_FUNCTION = "load_state_dict_from_url"  # its one name, which lives on in torch.hub
UTILS_NEW_MODULE = "torch.hub"
LEGACY_STRING = "legacy"  # `pretrained="legacy"`: the old weights where a builder has them
# What the tool's own imports may import from: the safety check lets a fix add or edit these.
IMPORT_ROOTS = ("torchvision", "torch")


def is_legacy_flag(value: object) -> bool:
    """Whether a constant passed as `weights=` is a legacy flag, as torchvision's shim reads one:
    anything but `None` or a string other than LEGACY_STRING (a member's name)."""
    if isinstance(value, str):
        return value == LEGACY_STRING
    return isinstance(value, (bool, int, float))
