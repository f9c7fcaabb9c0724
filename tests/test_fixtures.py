"""Every fixture pair, byte for byte: `<case>.in.py` -> `<case>.out.py`, with the diagnostics in
`<case>.diagnostics`; `<case>.noop.py` must come out unchanged with nothing reported. Cases named
`style_string_*` run with `--style string`."""

from __future__ import annotations

from pathlib import Path

import pytest

from codemod.diagnostics import Code
from codemod.runner import migrate_source

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CASES = sorted(FIXTURES.glob("*.in.py"))
NO_OPS = sorted(FIXTURES.glob("*.noop.py"))


def case_id(path: Path) -> str:
    return path.name.split(".")[0]


def style_of(path: Path) -> str:
    return "string" if path.name.startswith("style_string_") else "enum"


def rendered(result) -> str:  # type: ignore[no-untyped-def]
    return "".join(f"{d.line}:{d.column}: {d.code.code} {d.message}\n" for d in result.diagnostics)


def test_fixtures_exist() -> None:
    assert len(CASES) >= 15 and NO_OPS


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_fixes(case: Path) -> None:
    result = migrate_source(case.read_bytes(), case.name, style_of(case))
    expected = case.with_name(case.name.replace(".in.py", ".out.py")).read_bytes()
    assert result.migrated == expected
    diagnostics = case.with_name(case.name.replace(".in.py", ".diagnostics")).read_text()
    assert rendered(result) == diagnostics
    compile(result.migrated, case.name, "exec")


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_second_run_changes_nothing(case: Path) -> None:
    migrated = case.with_name(case.name.replace(".in.py", ".out.py")).read_bytes()
    result = migrate_source(migrated, case.name, style_of(case))
    assert result.migrated == migrated
    assert Code.FIXED not in {d.code for d in result.diagnostics}


@pytest.mark.parametrize("case", NO_OPS, ids=case_id)
def test_noop(case: Path) -> None:
    source = case.read_bytes()
    result = migrate_source(source, case.name)
    assert result.migrated == source
    assert result.diagnostics == []


def test_prefilter_never_skips_a_fixture_with_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    """The textual pre-filter is conservative: every fixture the tool changes or reports on
    (when run without the filter) passes it."""
    from codemod import runner

    needing = []
    for case in [*CASES, *FIXTURES.glob("legacy_sample/**/*.py")]:
        source = case.read_bytes()
        with monkeypatch.context() as patch:
            patch.setattr(runner, "might_need_migration", lambda source: True)
            result = migrate_source(source, case.name, style_of(case))
        if result.changed or result.diagnostics:
            needing.append(case)
            assert runner.might_need_migration(source), case.name
    assert len(needing) >= len(CASES)


IMPORT_SPELLINGS = [
    b"import torchvision\n",
    b"import os, torchvision\n",
    b"import numpy as np,  torchvision.models as tvm\n",
    b"from torchvision.models import resnet50\n",
    b"import os, \\\n    torchvision\n",
]
TRACES = [
    b"m = resnet50(pretrained=True)\n",
    b"m = models.resnet50 (\n    True)\n",
    b"m = tvm.vgg16(weights = (1))\n",
    b"m = tvm.vgg16(weights=-1)\n",
    b"m = build(weights_backbone=  # a comment\n  True)\n",
    b"m = f(pretrained_backbone = flag)\n",
    b"m = get_model(name)\n",
    b"url = urls.model_urls['resnet50']\n",
    b"load = torchvision.models.utils.load_state_dict_from_url\n",
    b"make = partial(resnet18, True)\n",
    b"make = functools.partial(\n    models.resnet18)\n",
    b"m = resnet50(flag, progress=False)\n",
    b"m = resnet50(num_classes=10, **config)\n",
    b"m = resnet50(weights=w, *rest)\n",
    b'm = resnet50(name=")", *rest)\n',  # a string: the arguments cannot be told apart
]
NO_TRACE = (
    b"def resnet50(*, weights=None):\n    return _resnet(weights=weights, block=None)\n"
    b"backbone = resnet50(weights=weights_backbone, norm_layer=(None))\nother = resnet18()\n"
)


@pytest.mark.parametrize("trace", TRACES)
@pytest.mark.parametrize("spelling", IMPORT_SPELLINGS)
def test_textual_check_passes_every_import_with_any_trace(spelling: bytes, trace: bytes) -> None:
    from codemod.prefilter import might_use_torchvision

    assert might_use_torchvision(spelling + trace)


@pytest.mark.parametrize(
    "source",
    [
        b"# see torchvision\n" + TRACES[0],
        b'doc = "torchvision"\n' + TRACES[0],
        b"import torchvision\n" + NO_TRACE,
        b'import torch\nlink = "https://github.com/pytorch/vision/"\n',
    ],
)
def test_textual_check_skips_mentions_and_modern_code(source: bytes) -> None:
    from codemod.prefilter import might_use_torchvision

    assert not might_use_torchvision(source)


def test_textual_check_passes_the_hub_repository_without_an_import() -> None:
    from codemod.prefilter import might_use_torchvision

    assert might_use_torchvision(b'm = torch.hub.load("pytorch/vision", "resnet50", True)\n')


@pytest.mark.parametrize("flag", [b"-1", b"(+1)", b"1.0", b'"legacy"'])
def test_a_constant_flag_as_weights_is_migrated_as_on_the_full_path(flag: bytes) -> None:
    """The pre-filter lets through every constant the rules read as a legacy flag."""
    from codemod.runner import migrate_with_libcst

    source = b"import torchvision\nm = torchvision.models.resnet50(weights=" + flag + b")\n"
    expected = migrate_with_libcst(source)
    assert expected.changed
    assert migrate_source(source).migrated == expected.migrated
