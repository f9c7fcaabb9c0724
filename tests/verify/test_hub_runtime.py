"""torch.hub.load and functools.partial, run: for every builder that is a hub entry point, the
rewritten hub call, run under torchvision with `torch.hub.load` intercepted (it calls the builder
of that name, as the repository's hubconf.py does, and nothing is downloaded) and weight loading
recorded, requests the same weights and builds the same architecture as the legacy call, with no
deprecation warning. Models are built on the meta device."""

from __future__ import annotations

import functools
import inspect
import warnings
from dataclasses import dataclass
from typing import Any

import pytest

torch = pytest.importorskip("torch")
models = pytest.importorskip("torchvision.models")

from torchvision.models._api import WeightsEnum  # noqa: E402

from migrate_weights.diagnostics import Code  # noqa: E402
from migrate_weights.pipeline.migrate import migrate_source  # noqa: E402
from migrate_weights.tables.table import generated  # noqa: E402

pytestmark = pytest.mark.slow  # builds every hub entry point's model

LEGACY_WARNING = "deprecated since 0.13"
ENTRY_POINTS = sorted(name for name in generated().builders if generated().is_function_name(name))
REPOSITORIES = ('"pytorch/vision"', '"pytorch/vision:main"', 'repo_or_dir="pytorch/vision"')


@dataclass
class Outcome:
    requested: list[str]
    architecture: str
    legacy_warnings: list[str]
    loaded: list[tuple[str, str]]  # (repository, entry point) of each hub call


class _Loaded:
    missing_keys: list[str] = []
    unexpected_keys: list[str] = []


def hub_load(loaded: list, repo_or_dir: str, model: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[type-arg]
    """torch.hub.load for pytorch/vision, offline: its entry points are torchvision's builders."""
    for own in ("source", "trust_repo", "force_reload", "verbose", "skip_validation"):
        kwargs.pop(own, None)
    loaded.append((repo_or_dir, model))
    return models.get_model_builder(model)(*args, **kwargs)


def run(source: str, flag: Any, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    requested: list[str] = []
    loaded: list[tuple[str, str]] = []

    def record(self: WeightsEnum, *args: Any, **kwargs: Any) -> dict[str, Any]:
        requested.append(f"{type(self).__name__}.{self.name}")
        return {}

    with monkeypatch.context() as patch:
        patch.setattr(torch.hub, "load", functools.partial(hub_load, loaded))
        patch.setattr(WeightsEnum, "get_state_dict", record)
        patch.setattr(torch.nn.Module, "load_state_dict", lambda self, *a, **k: _Loaded())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            namespace: dict[str, Any] = {"flag": flag}
            code = compile(source, "<hub>", "exec")
            try:
                with torch.device("meta"):
                    exec(code, namespace)
            except (RuntimeError, NotImplementedError):  # RegNet reads a value while building
                requested.clear()
                loaded.clear()
                exec(code, namespace)
    model = namespace["model"]
    shapes = [(key, tuple(value.shape)) for key, value in model.state_dict().items()]
    messages = [str(w.message) for w in caught if LEGACY_WARNING in str(w.message)]
    return Outcome(requested, repr(model) + repr(shapes), messages, loaded)


def assert_equivalent(legacy: str, flag: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    result = migrate_source(legacy.encode())
    migrated = result.migrated.decode()
    context = f"{legacy!r} -> {migrated!r}"
    assert {d.code for d in result.diagnostics} == {Code.FIXED}, context
    assert "pretrained" not in migrated, context
    before, after = run(legacy, flag, monkeypatch), run(migrated, flag, monkeypatch)
    assert after.requested == before.requested, context
    assert after.architecture == before.architecture, context
    assert after.loaded == before.loaded, context
    assert before.legacy_warnings and not after.legacy_warnings, context


def variants(name: str) -> list[tuple[str, Any]]:
    """Legacy entry-point arguments, from the builder's signature, and the value of `flag`."""
    result: list[tuple[str, Any]] = [("pretrained=True", None)]
    if name == ENTRY_POINTS[0] or name.startswith("resnet"):  # the other forms, on a few
        result += [("True", None), ("pretrained=flag", True), ("pretrained=flag", False)]
    if "weights_backbone" in inspect.signature(models.get_model_builder(name)).parameters:
        result.append(("pretrained=False, pretrained_backbone=True", None))
    return result


@pytest.mark.parametrize("name", ENTRY_POINTS)
def test_hub_call_requests_the_same_weights(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if not generated().builder_named(name).legacy[0].pretrained:
        source = f'import torch\n\nmodel = torch.hub.load("pytorch/vision", "{name}", True)\n'
        result = migrate_source(source.encode())
        assert [d.code for d in result.diagnostics] == [Code.NO_LEGACY_WEIGHTS]
        assert result.migrated == source.encode()
        return
    for index, (arguments, flag) in enumerate(variants(name)):
        repository = REPOSITORIES[(ENTRY_POINTS.index(name) + index) % len(REPOSITORIES)]
        model = f'model="{name}"' if repository.startswith("repo_or_dir") else f'"{name}"'
        if arguments == "True" and repository.startswith("repo_or_dir"):
            repository, model = REPOSITORIES[0], f'"{name}"'  # positionals need positionals
        call = f"torch.hub.load({repository}, {model}, {arguments})"
        assert_equivalent(f"import torch\n\nmodel = {call}\n", flag, monkeypatch)


@pytest.mark.parametrize(
    "call",
    [
        "functools.partial(models.resnet18, pretrained=True)",
        "functools.partial(models.get_model, 'densenet121', pretrained=True)",
        "functools.partial(models.detection.ssd300_vgg16, pretrained_backbone=True)",
        "functools.partial(models.segmentation.fcn_resnet50, pretrained=flag)",
    ],
)
def test_partial_requests_the_same_weights(call: str, monkeypatch: pytest.MonkeyPatch) -> None:
    legacy = f"import functools\n\nfrom torchvision import models\n\nmodel = {call}()\n"
    assert_equivalent(legacy, True, monkeypatch)


def test_the_check_catches_a_wrong_member(monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison is not vacuous: a hub call asking for other weights is caught."""
    legacy = 'import torch\n\nmodel = torch.hub.load("pytorch/vision", "resnet50", True)\n'
    wrong = (
        'import torch\n\nmodel = torch.hub.load("pytorch/vision", "resnet50", weights="DEFAULT")\n'
    )
    assert run(legacy, None, monkeypatch).requested != run(wrong, None, monkeypatch).requested
