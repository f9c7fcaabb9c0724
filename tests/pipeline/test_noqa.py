"""`# noqa` comments: a bare one, or one naming the finding's code, on the line where a finding
starts suppresses it, as in flake8 and ruff; a suppressed fix is not made, and the summary counts
what was suppressed. `--ignore-noqa` reports and fixes everything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from migrate_weights.cli import main
from migrate_weights.pipeline.migrate import migrate_source

LEGACY = """\
import torchvision.models as models
from torchvision.models.utils import load_state_dict_from_url  # noqa: MW001
from torchvision.models.resnet import model_urls

kept = models.resnet50(pretrained=True)  # noqa: MW001
bare = models.resnet18(pretrained=True)  # noqa
other_code = models.resnet34(pretrained=True)  # noqa: E501
accepted = models.quantization.__dict__[arch](pretrained=True)  # noqa: MW002
several = models.resnet152(  # noqa:E501,MW001
    pretrained=True
)
url = model_urls["resnet18"]  # NOQA
text = "# noqa"; fixed = models.vgg16(pretrained=True)
"""
MIGRATED = """\
import torchvision.models as models
from torchvision.models.utils import load_state_dict_from_url  # noqa: MW001
from torchvision.models.resnet import model_urls

kept = models.resnet50(pretrained=True)  # noqa: MW001
bare = models.resnet18(pretrained=True)  # noqa
other_code = models.resnet34(weights=models.ResNet34_Weights.IMAGENET1K_V1)  # noqa: E501
accepted = models.quantization.__dict__[arch](pretrained=True)  # noqa: MW002
several = models.resnet152(  # noqa:E501,MW001
    pretrained=True
)
url = model_urls["resnet18"]  # NOQA
text = "# noqa"; fixed = models.vgg16(weights=models.VGG16_Weights.IMAGENET1K_V1)
"""


def test_suppressed_sites_are_neither_reported_nor_fixed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "train.py"
    path.write_text(LEGACY)
    assert main([str(path)]) == 1
    out, err = capsys.readouterr()
    assert path.read_text() == MIGRATED
    assert out.splitlines() == [
        f"{path}:7:14: MW001 models.resnet34: pretrained=True -> "
        "weights=models.ResNet34_Weights.IMAGENET1K_V1",
        f"{path}:13:26: MW001 models.vgg16: pretrained=True -> "
        "weights=models.VGG16_Weights.IMAGENET1K_V1",
    ]
    assert err == (
        "migrate-weights: 1 files scanned, 1 changed, 2 call sites rewritten, "
        "0 left for a person, 0 failed, 6 suppressed\n"
    )


def test_ignore_noqa_reports_and_fixes_everything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "train.py"
    path.write_text(LEGACY)
    assert main([str(path), "--ignore-noqa"]) == 1
    out, err = capsys.readouterr()
    migrated = path.read_text()
    assert "pretrained" not in migrated.replace("quantization.__dict__[arch](pretrained=True)", "")
    assert "from torch.hub import load_state_dict_from_url  # noqa: MW001" in migrated
    assert "url = ResNet18_Weights.IMAGENET1K_V1.url  # NOQA" in migrated
    assert f"{path}:8:12: MW002 models.quantization.__dict__[arch]: " in out
    assert err.endswith("8 call sites rewritten, 1 left for a person, 0 failed\n")


def test_an_accepted_site_lets_the_gate_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "zoo.py"
    source = (
        "import torchvision.models as tvm\n\nflow = tvm.optical_flow.__dict__[n](pretrained=True)\n"
    )
    path.write_text(source)
    assert main([str(path), "--check"]) == 1
    path.write_text(source.replace("True)\n", "True)  # noqa: MW002\n"))
    capsys.readouterr()
    assert main([str(path), "--check", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == []
    assert err.endswith("0 left for a person, 0 failed, 1 suppressed\n")


@pytest.mark.parametrize(
    "comment",
    ["# noqa", "# noqa: MW001", "# NOQA:MW001", "#noqa: E501, MW001", "# noqa: MW001 E501"],
)
def test_comments_that_suppress_a_fix(comment: str) -> None:
    source = f"import torchvision\n\nm = torchvision.models.alexnet(pretrained=True)  {comment}\n"
    result = migrate_source(source.encode())
    assert (result.migrated, result.diagnostics, result.suppressed) == (source.encode(), [], 1)


@pytest.mark.parametrize(
    "comment", ["# noqa: E501", "# noqa: MW002", "# noqa MW001 was here", '"# noqa"']
)
def test_comments_that_do_not(comment: str) -> None:
    # Not a comment but a string, or a comment naming other codes; `# noqa MW001 ...` is bare
    # `# noqa` to flake8 and ruff (no colon): it suppresses.
    source = f"import torchvision\n\nm = torchvision.models.alexnet(pretrained=True) ; {comment}\n"
    result = migrate_source(source.encode())
    suppressed = comment == "# noqa MW001 was here"
    assert result.suppressed == suppressed
    assert (result.migrated == source.encode()) == suppressed


def test_notebook_cells_suppress_line_by_line(tmp_path: Path) -> None:
    cells = [
        "import torchvision.models as models",
        "kept = models.resnet50(pretrained=True)  # noqa: MW001\n"
        "fixed = models.resnet18(pretrained=True)",
    ]
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "source": s,
                "outputs": [],
                "execution_count": None,
            }
            for s in cells
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / "analysis.ipynb"
    path.write_text(json.dumps(notebook, indent=1) + "\n")
    assert main([str(path)]) == 1
    sources = [cell["source"] for cell in json.loads(path.read_text())["cells"]]
    assert sources[1] == (
        "kept = models.resnet50(pretrained=True)  # noqa: MW001\n"
        "fixed = models.resnet18(weights=models.ResNet18_Weights.IMAGENET1K_V1)"
    )
