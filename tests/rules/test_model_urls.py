"""The `model_urls` rule: lookups in the dicts of checkpoint URLs that torchvision 0.15 removed,
reached every way, rewritten to the weights member's `.url`, and imports of the dicts dropped. Its
fixtures, byte for byte, from fixtures/model_urls/ (see tests/cases.py), and each rewritten
lookup, run under the installed torchvision, gives the old URL. The mapping itself:
tests/tables/test_legacy_model_urls.py."""

from __future__ import annotations

import importlib
import inspect

import pytest

from cases import fixture_tests, noop_tests
from migrate_weights.diagnostics import Code
from migrate_weights.pipeline.migrate import migrate_source
from migrate_weights.tables import legacy_model_urls

test_fixes, test_second_run_changes_nothing = fixture_tests("model_urls")
test_noop = noop_tests("model_urls")

ALL_PATHS = sorted([*legacy_model_urls.MODEL_URLS, *legacy_model_urls.IMPORTED])


def entry_id(value: object) -> str:
    return str(value).replace("torchvision.models.", "") if isinstance(value, str) else ""


def lookups() -> list[tuple[str, str, str]]:
    """(`module.name` to import, key, expected URL) for every mapped key, by every import path."""
    result = []
    for path in ALL_PATHS:
        defined = legacy_model_urls.IMPORTED.get(path, path)
        for key, (url, member, difference) in legacy_model_urls.MODEL_URLS[defined].items():
            if member is not None:
                result.append((path, key, url if difference is None else member))
    return result


@pytest.mark.parametrize("path, key, expected", lookups(), ids=lambda v: entry_id(v)[:40])
def test_rewritten_lookup_gives_the_url(path: str, key: str, expected: str) -> None:
    models = pytest.importorskip("torchvision.models")
    module, name = path.rsplit(".", 1)
    legacy = f"from {module} import {name}\n\nurl = {name}[{key!r}]\n"
    spelled = f"import {module}\n\nurl = {path}[{key!r}]\n"
    # `torchvision.models.alexnet` is the function, which `from .alexnet import *` bound over the
    # module: that spelling never reached the dict, nor does it reach the enum.
    parent, _, last = module.rpartition(".")
    reachable = inspect.ismodule(getattr(importlib.import_module(parent), last))
    for source in (legacy, spelled) if reachable else (legacy,):
        result = migrate_source(source.encode())
        migrated = result.migrated.decode()
        assert "model_urls" not in migrated, migrated  # `from ... import` removed as unused
        assert {d.code for d in result.diagnostics} == {Code.FIXED}
        namespace: dict[str, object] = {}
        exec(compile(migrated, "<lookup>", "exec"), namespace)
        if expected.startswith("https://"):
            assert namespace["url"] == expected
        else:
            assert namespace["url"] == models.get_weight(expected).url
