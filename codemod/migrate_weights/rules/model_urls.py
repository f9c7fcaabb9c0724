"""What torchvision removed of the old weights API, and what serves instead: facts shared by the
full path's rules (codemod/migrate_weights/full_path/model_urls.py, codemod/migrate_weights/full_path/models_utils.py) and the fast path."""

from __future__ import annotations

from migrate_weights.tables import legacy_model_urls
from migrate_weights.syntax.arguments import NOT_LITERAL

DICTS_REMOVED = "torchvision 0.15 removed it"  # the model_urls / quant_model_urls dicts
OLD = f"torchvision {legacy_model_urls.OLD_VERSION}"
MODULE = "torchvision.models.utils"
FUNCTION = "load_state_dict_from_url"
MODULE_REMOVED = f"torchvision 0.11 removed `{MODULE}`"


def member_for_key(defined: str, key: object) -> tuple[str | None, str]:
    """For a lookup of `key` (NOT_LITERAL, or its value) in the dict `defined`: (the member
    serving it, and a note for the finding) or (None, why it is not rewritten)."""
    if key is NOT_LITERAL:
        return None, f"a key known only at run time, and {DICTS_REMOVED}: use `<Enum>.<MEMBER>.url`"
    entry = legacy_model_urls.MODEL_URLS[defined].get(key) if isinstance(key, str) else None
    if entry is None:
        return None, f"{key!r} is no key of `{defined.rpartition('.')[2]}` in {OLD}"
    url, member, difference = entry
    if member is None:
        return None, f"{difference}, and {DICTS_REMOVED}"
    return member, f" ({OLD} had {url.rpartition('/')[2]}: {difference})" if difference else ""
