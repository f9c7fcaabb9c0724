"""The `model_urls` mapping (codemod/migrate_weights/tables/legacy_model_urls.py): every key of
torchvision 0.12.0's dicts is mapped, each member serves the old URL or a recorded difference, and
the generator reproduces the committed data. That each rewritten lookup gives that URL:
tests/rules/test_model_urls.py."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest

from migrate_weights.tables import generate_model_urls, legacy_model_urls

ENTRIES = [
    (name, key, entry)
    for name, urls in legacy_model_urls.MODEL_URLS.items()
    for key, entry in urls.items()
]


@pytest.fixture(scope="module")
def models() -> Any:
    """The installed torchvision's models, which the recorded members are of."""
    return pytest.importorskip("torchvision.models")


def test_every_old_dict_and_key_is_recorded() -> None:
    assert len(legacy_model_urls.MODEL_URLS) == 30  # as counted in the 0.12.0 wheel
    assert sum(len(urls) for urls in legacy_model_urls.MODEL_URLS.values()) == 87
    for name, defined in legacy_model_urls.IMPORTED.items():
        assert defined in legacy_model_urls.MODEL_URLS, name


@pytest.mark.parametrize("name, key, entry", ENTRIES, ids=[f"{n[19:]}[{k}]" for n, k, _ in ENTRIES])
def test_member_serves_the_old_url_or_a_recorded_difference(
    name: str, key: str, entry: tuple[Any, ...], models: Any
) -> None:
    url, member, difference = entry
    if member is None:
        assert url is None and difference == generate_model_urls.NO_CHECKPOINT
        return
    current = models.get_weight(member).url
    if difference is None:
        assert current == url
    else:  # a real difference, recorded with its reason: the same checkpoint, re-published
        assert current != url and difference == generate_model_urls.KNOWN_DIFFERENCES[url]
        assert generate_model_urls._file_stem(current) == generate_model_urls._file_stem(url)


def test_generator_maps_the_recorded_urls_as_committed(models: Any) -> None:
    """Without the old wheel (no network in CI): the recorded old URLs, mapped again onto the
    installed torchvision, give the committed entries, and render gives the committed file."""
    members = generate_model_urls.current_members()
    for name, key, entry in ENTRIES:
        assert generate_model_urls.map_entry(entry[0], members) == entry, (name, key)
    data = {
        "wheel": "torchvision-0.12.0-cp39-cp39-manylinux1_x86_64.whl",
        "sha256": generate_model_urls.DATA_PATH.read_text().split("(sha256 ")[1][:64],
        "version": legacy_model_urls.TORCHVISION_VERSION,
        "imported": legacy_model_urls.IMPORTED,
        "entries": legacy_model_urls.MODEL_URLS,
    }
    assert generate_model_urls.render(data) == generate_model_urls.DATA_PATH.read_text()


def test_generator_reads_dicts_with_ast_only(tmp_path: Path) -> None:
    """A made-up wheel: dicts defined at module level, imported by name (relative too), and code
    that would fail if the generator imported it."""
    wheel = tmp_path / "torchvision-0.12.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(
            "torchvision/models/resnet.py", 'raise ImportError\nmodel_urls = {"a": "u"}\n'
        )
        archive.writestr(
            "torchvision/models/quantization/resnet.py",
            "from ..resnet import model_urls\nquant_model_urls = {'b': None}\n",
        )
        archive.writestr("torchvision/models/other.py", "def f():\n    model_urls = {'c': 'v'}\n")
        archive.writestr("torchvision/io/x.py", "model_urls = {'d': 'w'}\n")
    dicts, imported = generate_model_urls.read_old_dicts(wheel)
    assert dicts == {
        "torchvision.models.resnet.model_urls": {"a": "u"},
        "torchvision.models.quantization.resnet.quant_model_urls": {"b": None},
    }
    assert imported == {
        "torchvision.models.quantization.resnet.model_urls": "torchvision.models.resnet.model_urls"
    }


def test_generator_stops_on_an_unexplained_url() -> None:
    with pytest.raises(SystemExit, match="explain it in KNOWN_DIFFERENCES"):
        generate_model_urls.map_entry("https://example.com/x-0123abcd.pth", {})
