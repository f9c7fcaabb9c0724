"""The `model_urls` mapping: every key of torchvision 0.12.0's dicts is mapped, each member serves
the old URL or a recorded difference, the generator reproduces the committed data, and each
rewritten lookup, run under the installed torchvision, gives that URL. Also the pre-filter for
torch.hub files and the `torchvision.models.utils` replacement."""

from __future__ import annotations

import importlib
import inspect
import zipfile
from pathlib import Path

import pytest

models = pytest.importorskip("torchvision.models")

from migrate_weights.tables import generate_model_urls  # noqa: E402
from migrate_weights.tables import legacy_model_urls
from migrate_weights.pipeline import migrate as runner
from migrate_weights.diagnostics import Code  # noqa: E402
from migrate_weights.pipeline.migrate import migrate_source  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ENTRIES = [
    (name, key, entry)
    for name, urls in legacy_model_urls.MODEL_URLS.items()
    for key, entry in urls.items()
]
ALL_PATHS = sorted([*legacy_model_urls.MODEL_URLS, *legacy_model_urls.IMPORTED])


def entry_id(value: object) -> str:
    return str(value).replace("torchvision.models.", "") if isinstance(value, str) else ""


def test_every_old_dict_and_key_is_recorded() -> None:
    assert len(legacy_model_urls.MODEL_URLS) == 30  # as counted in the 0.12.0 wheel
    assert sum(len(urls) for urls in legacy_model_urls.MODEL_URLS.values()) == 87
    for name, defined in legacy_model_urls.IMPORTED.items():
        assert defined in legacy_model_urls.MODEL_URLS, name


@pytest.mark.parametrize("name, key, entry", ENTRIES, ids=[f"{n[19:]}[{k}]" for n, k, _ in ENTRIES])
def test_member_serves_the_old_url_or_a_recorded_difference(name: str, key: str, entry) -> None:  # type: ignore[no-untyped-def]
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


def test_generator_maps_the_recorded_urls_as_committed() -> None:
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


def test_prefilter_passes_hub_files_that_never_name_torchvision() -> None:
    """torch.hub.load files may not mention torchvision: the pre-filter must not skip them."""
    for case in ("hub_load", "hub_not_fixable"):
        source = (FIXTURES / f"{case}.in.py").read_bytes()
        assert b"torchvision" not in source
        assert runner.might_need_migration(source)
        assert migrate_source(source).diagnostics
    concatenated = b'import torch\nm = torch.hub.load("pytorch/" "vision", "resnet50", True)\n'
    assert not runner.might_need_migration(concatenated)
    with pytest.MonkeyPatch.context() as patch:  # the hub rule agrees: not spelled, not rewritten
        patch.setattr(runner, "might_need_migration", lambda source: True)
        assert migrate_source(concatenated).migrated == concatenated


def test_migrated_models_utils_imports_resolve() -> None:
    """Every import the rule writes exists, and is torch's function."""
    import torch.hub

    source = (FIXTURES / "models_utils.out.py").read_text()
    imports = "".join(line + "\n" for line in source.splitlines() if "import" in line)
    namespace: dict[str, object] = {}
    exec(compile(imports, "<imports>", "exec"), namespace)
    for name in ("load_state_dict_from_url", "load_url"):
        assert namespace[name] is torch.hub.load_state_dict_from_url
    for alias in ("tv_utils", "model_utils"):
        assert (
            namespace[alias].load_state_dict_from_url  # type: ignore[attr-defined]
            is torch.hub.load_state_dict_from_url
        )
