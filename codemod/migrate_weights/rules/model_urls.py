"""`model_urls["resnet50"]` -> `ResNet50_Weights.IMAGENET1K_V1.url`.

torchvision 0.15 removed the `model_urls` / `quant_model_urls` dicts of its architecture modules;
importing one raises ImportError. A lookup with a literal key becomes the `.url` of the member
serving the same file, from `tables/legacy_model_urls.py`, generated from torchvision 0.12.0's
sources. The import goes once no use of it is left; any other use is reported. The decisions and
findings are here; full_path/model_urls.py and the fast path make the edits.
"""

from __future__ import annotations

from typing import cast

from migrate_weights.diagnostics import Code, Finding
from migrate_weights.syntax.arguments import NOT_LITERAL

REMOVED = "torchvision 0.15 removed it"


def member_for_key(defined: str, key: object) -> tuple[str | None, str]:
    """For a lookup of `key` (NOT_LITERAL, or its value) in the dict `defined`: (the member
    serving it, and a note for the finding) or (None, why it is not rewritten)."""
    # The generated data, imported where it is needed: a run may never need it.
    from migrate_weights.tables import legacy_model_urls

    old = f"torchvision {legacy_model_urls.OLD_VERSION}"
    if key is NOT_LITERAL:
        return None, f"a key known only at run time, and {REMOVED}: use `<Enum>.<MEMBER>.url`"
    # dict -> key -> (its URL in torchvision 0.12, the member serving it, how that differs)
    dicts = cast(
        "dict[str, dict[str, tuple[str, str | None, str | None]]]", legacy_model_urls.MODEL_URLS
    )
    urls = dicts[defined]
    entry = urls.get(key) if isinstance(key, str) else None
    if entry is None:
        return None, f"{key!r} is no key of `{defined.rpartition('.')[2]}` in {old}"
    url, member, difference = entry
    if member is None:
        return None, f"{difference}, and {REMOVED}"
    return member, f" ({old} had {url.rpartition('/')[2]}: {difference})" if difference else ""


def dict_at(qualified_name: str) -> str | None:
    """The dict of torchvision 0.12 that a name such as `torchvision.models.resnet.model_urls`
    (or an import of it) refers to, if any."""
    from migrate_weights.tables import legacy_model_urls

    if qualified_name in legacy_model_urls.MODEL_URLS:
        return qualified_name
    return legacy_model_urls.IMPORTED.get(qualified_name)


def rewritten(lookup: str, new: str, note: str) -> Finding:
    return Code.FIXED, f"{lookup} -> {new}{note}"


def name_taken(enum_class: str, home: str, member: str) -> str:
    """Why a lookup is not rewritten: the enum's name means something else in the module."""
    return f"`{enum_class}` names something else here; use `{home}.{member}.url`"


def modified(name: str) -> str:
    return f"`{name}` is modified here, and {REMOVED}"


def not_rewritten(lookup: str, why: str) -> Finding:
    return Code.NOT_FIXABLE, f"{lookup}: {why}"


def other_use(name: str) -> Finding:
    return Code.NOT_FIXABLE, f"{name}: {REMOVED}; only `{name}[<literal key>]` is rewritten"


def import_dropped(statement: str, local: str) -> Finding:
    return Code.FIXED, f"{statement}: `{local}` dropped: {REMOVED}, and no use is left"
