"""Builders chosen at run time from a torchvision module: where the table says a true legacy flag
means the member of one name for every builder the module holds, the rewritten call
(`getattr(zoo, name)(weights="IMAGENET1K_V1")`) is run for every such builder, found in
torchvision itself, and requests the same weights as the legacy call, or raises as it does."""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any

import pytest

torch = pytest.importorskip("torch")
models = pytest.importorskip("torchvision.models")

from test_runtime_equivalence import run  # noqa: E402

from migrate_weights.diagnostics import Code  # noqa: E402
from migrate_weights.pipeline.migrate import migrate_source  # noqa: E402
from migrate_weights.tables.table import LegacyTable, SharedMember, generated  # noqa: E402

pytestmark = pytest.mark.slow  # builds every builder of each module, on the meta device


def builders_held_by(module_name: str) -> dict[str, str]:
    """Attribute -> registered name of each builder a module holds, read from torchvision."""
    registered = {id(models.get_model_builder(name)): name for name in models.list_models()}
    module = importlib.import_module(module_name)
    return {
        attribute: registered[id(value)]
        for attribute, value in vars(module).items()
        if id(value) in registered and callable(value)
    }


def cases() -> list[tuple[str, str, str]]:
    """(module, legacy parameter, attribute) for each builder the table makes a claim for, once
    per builder and parameter (a builder held by several modules is the same builder)."""
    found: dict[tuple[str, str], tuple[str, str, str]] = {}
    for module, params in sorted(generated().namespace_members.items()):
        for legacy in params:
            for attribute, name in sorted(builders_held_by(module).items()):
                found.setdefault((name, legacy), (module, legacy, attribute))
    return sorted(found.values())


def variants(legacy: str) -> list[tuple[str, Any]]:
    """Legacy arguments with the value of `flag`; a positional flag binds `weights`."""
    forms = [(f"{legacy}=True", None), (f"{legacy}=flag", True), (f"{legacy}=flag", False)]
    return forms + [("True", None)] if legacy == "pretrained" else forms


def outcome(source: str, values: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The weights requested, or what was raised: by a builder that does not take the legacy
    parameter (TypeError, both forms), or that has no legacy weights (ValueError for the legacy
    flag; for the member name its enum lacks, ValueError or KeyError)."""
    try:
        return run(source, values, monkeypatch).requested
    except TypeError:
        return "raised TypeError"
    except (ValueError, KeyError):
        return "raised ValueError or KeyError"


def check(module: str, legacy: str, attribute: str, monkeypatch: pytest.MonkeyPatch,
          table: LegacyTable | None = None) -> None:  # fmt: skip
    strings = (table or generated()).namespace_members[module][legacy]["strings"]
    for arguments, flag in variants(legacy):
        legacy_call = f"import {module} as zoo\n\nmodel = getattr(zoo, name)({arguments})\n"
        result = migrate_source(legacy_call.encode(), table=table)
        codes = {d.code for d in result.diagnostics}
        if strings and "flag" in arguments:  # a flag may be one of them: reported
            assert codes == {Code.NOT_FIXABLE}, legacy_call
            continue
        assert codes == {Code.FIXED}, legacy_call
        rewritten = result.migrated.decode()
        values = {"name": attribute, "flag": flag}
        before = outcome(legacy_call, values, monkeypatch)
        after = outcome(rewritten, values, monkeypatch)
        assert after == before, f"{attribute}: {legacy_call!r} -> {rewritten!r}"


@pytest.mark.parametrize("module, legacy, attribute", cases())
def test_every_builder_of_the_module_takes_the_rewrite(
    module: str, legacy: str, attribute: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    check(module, legacy, attribute, monkeypatch)


def test_a_wrong_shared_member_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    table = generated()
    wrong: SharedMember = {"member": "IMAGENET1K_V2", "strings": ()}
    namespaces = {**table.namespace_members, "torchvision.models": {"pretrained": wrong}}
    tampered = dataclasses.replace(table, namespace_members=namespaces)
    with pytest.raises(AssertionError):
        check("torchvision.models", "pretrained", "resnet50", monkeypatch, tampered)
