"""The other callables torchvision's shim wraps (`resnet_fpn_backbone`, `mobilenet_backbone`),
where the legacy member depends on the builder `backbone_name` names: for every registered
builder name, in each legacy form, the rewritten call requests the same weights and builds the
same model as the legacy one, with no deprecation warning left; where the tool reports the call
instead (a name the helper has no legacy weights for), the legacy call raises."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

torch = pytest.importorskip("torch")
models = pytest.importorskip("torchvision.models")

from test_runtime_equivalence import run  # noqa: E402

from migrate_weights.diagnostics import Code  # noqa: E402
from migrate_weights.pipeline.migrate import migrate_source  # noqa: E402
from migrate_weights.tables.table import LegacyTable, generated  # noqa: E402

pytestmark = pytest.mark.slow  # builds backbones of every size, on the meta device

MODULE = "torchvision.models.detection.backbone_utils"
HELPERS = {"resnet_fpn_backbone": "", "mobilenet_backbone": ", fpn=True"}  # required arguments


def variants(helper: str, backbone: str) -> list[tuple[str, Any]]:
    """Legacy argument lists, with the value of `flag` (`name` holds the backbone's name)."""
    required = HELPERS[helper]
    positional = f'"{backbone}", True' + (", True" if required else "")
    return [
        (positional, None),
        (f'backbone_name="{backbone}", pretrained=flag{required}', True),
        (f'backbone_name="{backbone}", pretrained=flag{required}', False),
        (f"backbone_name=name, pretrained=True{required}", None),
        (f'"{backbone}", weights=None{required}', None),
    ]


def outcome(source: str, values: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    """What running the call does: the weights it requests, the model it builds and the shim's
    warnings; or the exception it raises, for a name the helper does not take."""
    try:
        return run(source, values, monkeypatch)
    except (KeyError, ValueError, AttributeError) as error:
        return type(error)


def check(helper: str, backbone: str, monkeypatch: pytest.MonkeyPatch, table: LegacyTable) -> None:
    for arguments, flag in variants(helper, backbone):
        legacy = f"from {MODULE} import {helper}\n\nmodel = {helper}({arguments})\n"
        result = migrate_source(legacy.encode(), table=table)
        codes = {d.code for d in result.diagnostics}
        values = {"flag": flag, "name": backbone}
        before = outcome(legacy, values, monkeypatch)
        if Code.NOT_FIXABLE in codes:
            assert isinstance(before, type), f"reported, but the legacy call works: {legacy!r}"
            continue
        assert codes == {Code.FIXED}, legacy
        migrated = result.migrated.decode()
        after = outcome(migrated, values, monkeypatch)
        context = f"{legacy!r} -> {migrated!r}"
        if isinstance(before, type):
            assert after == before, context
            continue
        assert after.requested == before.requested, context
        assert after.architecture == before.architecture, context
        assert before.legacy_warnings and after.legacy_warnings == [], context


@pytest.mark.parametrize("helper", sorted(HELPERS))
@pytest.mark.parametrize("backbone", sorted(models.list_models(models)))
def test_every_backbone_name_in_every_form(
    helper: str, backbone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    check(helper, backbone, monkeypatch, generated())


def test_a_wrong_member_for_a_backbone_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    table = generated()
    entry = dict(table.helpers["resnet_fpn_backbone"])
    (param,) = entry["legacy"]
    key, members = param["chosen_by"] or ("", {})
    wrong = {**members, "resnet50": "ResNet50_Weights.IMAGENET1K_V2"}
    entry["legacy"] = ({**param, "chosen_by": (key, wrong)},)
    tampered = dataclasses.replace(
        table, helpers={**table.helpers, "resnet_fpn_backbone": entry}  # type: ignore[dict-item]
    )
    with pytest.raises(AssertionError):
        check("resnet_fpn_backbone", "resnet50", monkeypatch, tampered)
