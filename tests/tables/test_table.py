"""The committed table is exactly what the installed torchvision produces, and reads its shim."""

from __future__ import annotations

import pytest

pytest.importorskip("torchvision")

from migrate_weights.tables import generate_table  # noqa: E402
from migrate_weights.tables.table import generated  # noqa: E402


def test_committed_table_matches_installed_torchvision() -> None:
    expected = generate_table.render(generate_table.collect())
    assert (
        generate_table.TABLE_PATH.read_text(encoding="utf-8") == expected
    ), "the legacy table is stale: run `python -m migrate_weights.tables.generate_table`"


def test_every_registered_builder_is_in_the_table() -> None:
    from torchvision import models

    assert sorted(generated().builders) == sorted(models.list_models())


@pytest.mark.slow  # builds the models, up to their weights
def test_legacy_members_come_from_the_shim() -> None:
    """Spot checks against torchvision's own legacy behaviour, not against typed-in values."""
    import warnings

    from torchvision import models
    from torchvision.models._api import WeightsEnum

    requested = []

    def record(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        requested.append(f"{type(self).__name__}.{self.name}")
        raise StopIteration  # stop before building anything further

    for name, kwargs in [
        ("resnet50", {"pretrained": True}),
        ("quantized_mobilenet_v3_large", {"pretrained": True, "quantize": True}),
        ("keypointrcnn_resnet50_fpn", {"pretrained": "legacy"}),
        ("raft_large", {"pretrained": True}),
    ]:
        requested.clear()
        original = WeightsEnum.get_state_dict
        WeightsEnum.get_state_dict = record  # type: ignore[method-assign]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with pytest.raises(StopIteration):
                    models.get_model_builder(name)(**kwargs)
        finally:
            WeightsEnum.get_state_dict = original  # type: ignore[method-assign]
        param = generated().builder_named(name).legacy[0]
        if "quantize" in kwargs:
            assert param.switch is not None and requested == [param.switch[1]]
        elif kwargs["pretrained"] == "legacy":
            assert requested == [param.strings["legacy"]]
        else:
            assert requested == [param.pretrained]


def test_paths_cover_every_way_a_builder_is_reached() -> None:
    assert generated().builder_name_at("torchvision.models.resnet50") == "resnet50"
    assert generated().builder_name_at("torchvision.models.resnet.resnet50") == "resnet50"
    assert (
        generated().builder_name_at("torchvision.models.quantization.resnet50")
        == "quantized_resnet50"
    )
    assert (
        generated().builder_name_at("torchvision.models.quantization.resnet.resnet50")
        == "quantized_resnet50"
    )
    detection = "torchvision.models.detection.faster_rcnn.fasterrcnn_resnet50_fpn"
    assert generated().builder_name_at(detection) == "fasterrcnn_resnet50_fpn"


def test_positional_order_is_the_builder_signature() -> None:
    builder = generated().builder_named("fasterrcnn_resnet50_fpn")
    assert builder is not None
    assert builder.positional_order[:4] == (
        "weights",
        "progress",
        "num_classes",
        "weights_backbone",
    )


@pytest.mark.parametrize("module", sorted(generated().star_exports))
def test_star_exports_are_what_a_star_import_binds(module: str) -> None:
    """Executed, `from <module> import *` binds each recorded name to the object recorded, and
    every builder and weights enum it binds is recorded (of the submodules it binds, those its
    package imports by name)."""
    import importlib
    import inspect

    from torchvision.models._api import WeightsEnum

    table = generated()
    bound: dict[str, object] = {}
    exec(f"from {module} import *", bound)
    bound.pop("__builtins__")

    def target(qualified: str) -> object:
        owner, _, name = qualified.rpartition(".")
        try:
            return getattr(importlib.import_module(owner), name)
        except ModuleNotFoundError:
            return importlib.import_module(qualified)

    recorded = table.star_exports[module]
    assert all(bound[name] is target(what) for name, what in recorded.items())
    builders = {id(target(path)) for path in table.paths}
    ours = {
        name
        for name, value in bound.items()
        if id(value) in builders
        or (
            inspect.isclass(value) and issubclass(value, WeightsEnum) and name in table.enum_modules
        )
    }
    modules = {name for name, what in recorded.items() if inspect.ismodule(target(what))}
    assert ours == set(recorded) - modules
    if module == "torchvision.models":
        assert {"detection", "quantization", "segmentation", "video"} <= modules
