"""Notebooks: code cells are migrated as one module, IPython syntax survives, and the file changes
only in the edited source lines."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

from cases import NOTEBOOKS
from migrate_weights.cli import main
from migrate_weights.pipeline.migrate import migrate_file
from migrate_weights.pipeline.write import unified_diff

NOTEBOOK = NOTEBOOKS / "notebook.in.ipynb"
MIGRATED = NOTEBOOKS / "notebook.out.ipynb"


def test_notebook_fixture(tmp_path: Path) -> None:
    result = migrate_file(NOTEBOOK)
    assert result.migrated == MIGRATED.read_bytes()
    rendered = [d.render(result.path) for d in result.diagnostics]
    assert rendered == [
        f"{NOTEBOOK}:cell 3:1:9: MW001 models.resnet50: pretrained=True -> "
        "weights=models.ResNet50_Weights.IMAGENET1K_V1",
        f"{NOTEBOOK}:cell 5:5:12: MW001 fasterrcnn_resnet50_fpn: pretrained_backbone=True -> "
        "weights_backbone=ResNet50_Weights.IMAGENET1K_V1",
    ]


def test_only_edited_source_lines_differ() -> None:
    before_text = NOTEBOOK.read_text()
    result = migrate_file(NOTEBOOK)
    assert result.migrated is not None
    after_text = result.migrated.decode()
    before, after = json.loads(before_text), json.loads(after_text)
    assert list(before) == list(after)
    assert {k: v for k, v in before.items() if k != "cells"} == {
        k: v for k, v in after.items() if k != "cells"
    }
    changed_cells = {change.number for change in result.cells}
    assert changed_cells == {2, 3, 5}
    for number, (old, new) in enumerate(zip(before["cells"], after["cells"]), start=1):
        assert list(old) == list(new)  # key order kept
        assert {k: v for k, v in old.items() if k != "source"} == {
            k: v for k, v in new.items() if k != "source"
        }
        if number not in changed_cells:
            assert old["source"] == new["source"]
    # In the file itself, every line that differs is a line of a source list.
    old_lines, new_lines = before_text.splitlines(), after_text.splitlines()
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    changed = [
        line
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
        for line in old_lines[i1:i2] + new_lines[j1:j2]
    ]
    assert changed and all(line.startswith('    "') for line in changed)
    assert sum(tag != "equal" for tag, *_ in matcher.get_opcodes()) == 3


def test_ipython_lines_are_kept() -> None:
    result = migrate_file(NOTEBOOK)
    cells = json.loads(result.migrated)["cells"]  # type: ignore[arg-type]
    setup, loop, bash = "".join(cells[1]["source"]), "".join(cells[4]["source"]), cells[3]
    assert setup.startswith("%matplotlib inline\n!pip install torchvision\n")
    assert "files = !ls\nmodels.resnet50?\n" in loop
    assert "    %time net = models.__dict__[arch](pretrained=False)\n" in loop
    assert "".join(bash["source"]) == "%%bash\necho models.resnet50(pretrained=True)"


def test_notebook_diff_names_cells(capsys: pytest.CaptureFixture) -> None:
    result = migrate_file(NOTEBOOK)
    diff = unified_diff(result)
    assert f"--- {NOTEBOOK}:cell 3\n+++ {NOTEBOOK}:cell 3\n" in diff
    assert "+model = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V1)\n" in diff


def test_notebook_in_place_and_idempotent(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    path = tmp_path / "analysis.ipynb"
    path.write_bytes(NOTEBOOK.read_bytes())
    assert main([str(tmp_path)]) == 1
    assert path.read_bytes() == MIGRATED.read_bytes()
    nbformat.validate(nbformat.read(str(path), as_version=4))
    assert main([str(tmp_path)]) == 0


def test_a_broken_notebook_is_reported_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "broken.ipynb"
    path.write_bytes(b'{"cells": [ torchvision')
    assert main([str(path)]) == 2
    assert path.read_bytes() == b'{"cells": [ torchvision'
