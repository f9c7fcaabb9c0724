"""The removed-API rule: imports of what torchvision removed from its model and transform modules
after 0.12 (codemod/migrate_weights/tables/legacy_removed_api.py). Its fixtures, byte for byte,
from fixtures/removed_api/; the committed table against the installed torchvision; the
generator on a made-up wheel; generated modules of removed imports (hypothesis); and, with the
real 0.12.0 wheel, every function the table points at a public one, run both ways on tensors and
images."""

from __future__ import annotations

import importlib
import inspect
import types
import warnings
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cases import fixture_tests, left_for_a_person
from migrate_weights.diagnostics import Code
from migrate_weights.pipeline.migrate import migrate_source
from migrate_weights.rules.legacy_api import IMPORT_ROOTS
from migrate_weights.rules.removed_api import generated

test_fixes, test_second_run_changes_nothing = fixture_tests("removed_api")

TRANSFORMS = ("torchvision.transforms.functional_tensor", "torchvision.transforms.functional_pil")


def statements() -> list[str]:
    """An import of each removed module and of each removed name."""
    removed = generated()
    found = [f"import {module}\n" for module in sorted(removed.modules)]
    return found + [
        f"from {module} import {name}\n"
        for module, names in sorted(removed.names.items())
        for name in sorted(names)
    ]


def test_every_removed_import_is_fixed_or_reported_and_fixed_ones_import() -> None:
    """No silent miss: each import gets one finding. It is fixed exactly where the table has a
    successor of the same name in torch or torchvision, and the fixed import runs under current
    torchvision."""
    pytest.importorskip("torchvision")
    removed = generated()
    for statement in statements():
        result = migrate_source(statement.encode())
        (diagnostic,) = result.diagnostics
        words = statement.split()  # `import <module>`, or `from <module> import <name>`
        module, name = words[1], words[-1]
        successor = removed.successors(module).get(name) if words[0] == "from" else None
        movable = successor is not None and successor[1] == name
        movable = movable and successor[0].split(".")[0] in ("torch", "torchvision")
        assert (result.migrated != statement.encode()) == movable, statement
        if movable:
            exec(compile(result.migrated, "<migrated>", "exec"), {})


@pytest.mark.parametrize("spelling", ["path", "module alias", "from import"])
def test_every_removed_name_read_as_an_attribute_is_reported(spelling: str) -> None:
    """No silent miss: a read of each name a module no longer has, through the module's full
    path, a name it is imported as, and `from <package> import <module>`, gets one finding that
    names the module and the name; the module's names it still has get none."""
    removed = generated()
    for module, names in sorted(removed.names.items()):
        if module in removed.modules:
            continue  # the whole module went: its import is reported (above)
        package, _, last = module.rpartition(".")
        imports, reader = {
            "path": (f"import {module}\n", module),
            "module alias": (f"import {module} as read_from\n", "read_from"),
            "from import": (f"from {package} import {last}\n", last),
        }[spelling]
        for name in sorted(names):
            result = migrate_source(f"{imports}value = {reader}.{name}\n".encode())
            assert [(d.line, d.code) for d in result.diagnostics] == [(2, Code.NOT_FIXABLE)], name
            assert f"`{module}` no longer has `{name}`" in result.diagnostics[0].message
    still = migrate_source(b"import torchvision\nvalue = torchvision.models.resnet.resnet50\n")
    assert still.diagnostics == []


def test_the_committed_table_holds_for_the_installed_torchvision() -> None:
    """Every removed module is gone, every removed name is gone from its module, and every
    successor is there."""
    pytest.importorskip("torchvision")
    removed = generated()
    for module in removed.modules:
        with pytest.raises(ImportError):
            importlib.import_module(module)
    for module, names in removed.names.items():
        current = None if module in removed.modules else importlib.import_module(module)
        for name, successor in names.items():
            assert current is None or not hasattr(current, name), (module, name)
            if successor is not None:
                new_module, new_name = successor
                assert hasattr(importlib.import_module(new_module), new_name), successor


def test_the_generator_finds_successors_from_the_sources_alone(tmp_path: Path) -> None:
    """A made-up 0.12.0 wheel: an import torchvision no longer makes, a removed module whose
    functions live on in a public one (the same parameters and defaults) or not (other
    defaults), and code that would fail if the generator imported it."""
    pytest.importorskip("torchvision")
    from migrate_weights.tables import generate_removed_api

    wheel = tmp_path / "torchvision-0.12.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(
            "torchvision/models/resnet.py",
            "raise ImportError\nfrom torch.hub import load_state_dict_from_url\n",
        )
        archive.writestr(
            "torchvision/transforms/functional_tensor.py",
            "raise ImportError\n"
            "def rgb_to_grayscale(img, num_output_channels=1): ...\n"
            "def resize(img, size, interpolation='bilinear', max_size=None, antialias=None): ...\n"
            "def _blend(img1, img2, ratio): ...\n",
        )
    data = generate_removed_api.collect(wheel)
    assert data["removed_modules"] == ("torchvision.transforms.functional_tensor",)
    loader = "load_state_dict_from_url"
    assert data["names"] == {
        "torchvision.models.resnet": {loader: ("torch.hub", loader)},
        "torchvision.transforms.functional_tensor": {
            "_blend": None,
            "resize": None,
            "rgb_to_grayscale": ("torchvision.transforms.functional", "rgb_to_grayscale"),
        },
    }


@pytest.fixture(scope="module")
def old_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """torchvision 0.12.0's wheel, from the package index (its sources are executed, its
    binaries never loaded)."""
    pytest.importorskip("torchvision")
    from migrate_weights.tables.generate_model_urls import download_wheel

    try:
        return download_wheel(tmp_path_factory.mktemp("wheel"))
    except Exception as error:  # no package index here
        pytest.skip(f"the torchvision 0.12.0 wheel could not be downloaded: {error}")


def old_module(wheel: Path, module: str) -> types.ModuleType:
    """A 0.12.0 transforms module, executed from the wheel's source under current torch."""
    path = module.replace(".", "/") + ".py"
    with zipfile.ZipFile(wheel) as archive:
        code = compile(archive.read(path), path, "exec")
    old = types.ModuleType(module)
    old.__package__ = "torchvision.transforms"
    exec(code, old.__dict__)
    return old


def _image(module: str) -> Any:
    import torch
    from PIL import Image

    generator = torch.Generator().manual_seed(0)
    pixels = torch.randint(0, 256, (3, 12, 10), generator=generator, dtype=torch.uint8)
    if module.endswith("tensor"):
        return pixels
    return Image.fromarray(pixels.permute(1, 2, 0).numpy())


# A value for each required parameter of the old functions, by name (the image aside).
VALUES = {
    "brightness_factor": 1.4, "contrast_factor": 0.6, "saturation_factor": 1.3, "hue_factor": 0.2,
    "gamma": 0.8, "sharpness_factor": 1.7, "bits": 3, "threshold": 100, "top": 1, "left": 2,
    "height": 5, "width": 6, "padding": [1, 2], "dtype": None, "num_output_channels": 3,
}  # fmt: skip
# torchvision changed how this rounds on uint8 images since 0.12, by at most this many levels.
CHANGED_ROUNDING = {"adjust_hue": 1}
FUNCTIONS = [
    (module, name, successor)
    for module in TRANSFORMS
    for name, successor in sorted(generated().successors(module).items())
    if successor and successor[0] == "torchvision.transforms.functional"
]


@pytest.mark.slow  # downloads the old wheel
@pytest.mark.parametrize("module, name, successor", FUNCTIONS)
def test_the_public_function_does_what_the_removed_one_did(
    module: str, name: str, successor: tuple[str, str], old_wheel: Path
) -> None:
    import numpy as np
    import torch

    old = getattr(old_module(old_wheel, module), name)
    new = getattr(importlib.import_module(successor[0]), successor[1])
    image = _image(module)
    arguments = [image]
    for parameter in list(inspect.signature(old).parameters.values())[1:]:
        if parameter.default is parameter.empty:
            arguments.append(VALUES[parameter.name])
    if name == "convert_image_dtype":
        arguments[1] = torch.float32
    before, after = old(*arguments), new(*arguments)
    if isinstance(before, torch.Tensor):
        tolerance = CHANGED_ROUNDING.get(name, 0)
        assert (before.int() - after.int()).abs().max() <= tolerance
    elif hasattr(before, "mode"):
        assert before.mode == after.mode and np.array_equal(np.asarray(before), np.asarray(after))
    else:
        assert before == after


def _importable(movable: bool) -> list[tuple[str, str]]:
    """(module, name) for each removed name; `movable`: only those with a successor of the same
    name in torch or torchvision, which the rule fixes."""
    removed = generated()
    return [
        (module, name)
        for module, names in sorted(removed.names.items())
        for name, successor in sorted(names.items())
        if not movable
        or (successor and successor[1] == name and successor[0].split(".")[0] in IMPORT_ROOTS)
    ]


@st.composite
def removed_imports(draw: st.DrawFn) -> tuple[str, dict[str, tuple[str, str]]]:
    """A module importing removed names, at module level, in a function (lazy) or in a `try`
    whose `except ImportError` imports the successor; a legacy builder call beside them. Also
    what each name it binds must be once migrated: the successor's (module, name)."""
    pool = _importable(movable=draw(st.booleans()))
    pairs = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True))
    removed = generated()
    source, bound, body = "from torchvision import models\n", {}, []
    for index, (module, name) in enumerate(pairs):
        alias = draw(st.sampled_from([name, f"{name}_{index}"]))
        clause = name if alias == name else f"{name} as {alias}"
        statement = f"from {module} import {clause}\n"
        successor = removed.successors(module).get(name)
        places = ["module", "function"] + (["fallback"] if successor else [])
        place = draw(st.sampled_from(places))
        if place == "function":
            body.append(f"def use_{index}():\n    {statement}    return {alias}\n\n\n")
            body.append(f"{alias} = use_{index}()\n")
        elif place == "fallback":
            assert successor is not None
            fallback = f"from {successor[0]} import {successor[1]}"
            fallback += "" if successor[1] == alias else f" as {alias}"
            source += f"try:\n    {statement}except ImportError:\n    {fallback}\n"
        else:
            source += statement
        if successor:
            bound[alias] = successor
    source += "\n" + "".join(body) + "model = models.resnet18(pretrained=False)\n"
    return source, bound


@settings(max_examples=150, deadline=None, derandomize=True)
@given(case=removed_imports())
def test_generated_modules_of_removed_imports(case: tuple[str, dict[str, tuple[str, str]]]) -> None:
    """The fuzzer's removed-API forms: each import of a removed name gets a finding on its line,
    a second run reports the same and fixes nothing, and a module with nothing left for a person
    runs under current torchvision with each name bound to its successor."""
    pytest.importorskip("torchvision")
    source, bound = case
    result = migrate_source(source.encode())
    migrated = result.migrated.decode()
    compile(migrated, "<migrated>", "exec")
    removed = generated()
    lines = {d.line for d in result.diagnostics}
    for number, line in enumerate(source.splitlines(), 1):
        words = line.split()
        if words[:1] == ["from"] and removed.removed(words[1], words[3]):
            assert number in lines, (source, result.diagnostics)
    again = migrate_source(result.migrated)
    assert again.migrated == result.migrated, (source, migrated)
    assert Code.FIXED not in {d.code for d in again.diagnostics}, (source, migrated)
    assert left_for_a_person(again) == left_for_a_person(result), (source, migrated)
    if left_for_a_person(result):
        return
    namespace: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # the shim's deprecation warnings
        exec(compile(migrated, "<migrated>", "exec"), namespace)
    for alias, (module, name) in bound.items():
        assert namespace[alias] is getattr(importlib.import_module(module), name), (alias, migrated)
