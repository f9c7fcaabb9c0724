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


def notebook_file(tmp_path: Path, sources: list[object]) -> Path:
    """A notebook of code cells with these `source` values, written as Jupyter writes one."""
    cells = [
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": s}
        for s in sources
    ]
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "course.ipynb"
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
    return path


def stored_sources(path: Path) -> list[object]:
    return [cell["source"] for cell in json.loads(path.read_text())["cells"]]


def test_a_cell_that_does_not_parse_is_reported_and_the_others_migrated(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = notebook_file(
        tmp_path,
        [
            ["import torchvision.models as models"],
            ["# TODO: your transforms\n", "train_transforms =\n"],
            ["model = models.vgg16(pretrained=True)"],
        ],
    )
    assert main([str(path)]) == 2
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        f"{path}:cell 2:2:19: MW004 cannot parse this cell: invalid syntax; it is left as it was",
        f"{path}:cell 3:1:9: MW001 models.vgg16: pretrained=True -> "
        "weights=models.VGG16_Weights.IMAGENET1K_V1",
    ]
    assert stored_sources(path) == [
        ["import torchvision.models as models"],
        ["# TODO: your transforms\n", "train_transforms =\n"],
        ["model = models.vgg16(weights=models.VGG16_Weights.IMAGENET1K_V1)"],
    ]
    assert "1 changed, 1 call sites rewritten, 0 left for a person, 1 failed" in err


def test_indented_shell_escapes_and_magics_are_read_as_ipython_reads_them(
    tmp_path: Path,
) -> None:
    sources = [
        [" !pip install -q kaggle\n", "import torchvision.models as models"],
        ["  %matplotlib inline\n", "  net = models.resnet18(pretrained=True)\n", "  net.eval()"],
        ["for arch in archs:\n", "    !echo {arch}\n", "net = models.alexnet(pretrained=True)"],
    ]
    path = notebook_file(tmp_path, sources)
    positions = [(d.cell, d.line, d.column) for d in migrate_file(path).diagnostics]
    assert positions == [(2, 2, 9), (3, 3, 7)]  # in the cells as stored, indentation counted
    assert main([str(path)]) == 1
    assert stored_sources(path) == [
        sources[0],
        [
            "  %matplotlib inline\n",
            "  net = models.resnet18(weights=models.ResNet18_Weights.IMAGENET1K_V1)\n",
            "  net.eval()",
        ],
        [*sources[2][:2], "net = models.alexnet(weights=models.AlexNet_Weights.IMAGENET1K_V1)"],
    ]


# Lines of Python that a reading line by line took for IPython syntax (found in captum's,
# rasbt's and mrdbourke's notebooks: `% (...)` continuing black's formatting of a `print`, a
# comment that asks a question), beside lines that are IPython syntax.
PYTHON_LIKE_IPYTHON = [
    "model = models.resnet18(pretrained=True)  # or resnet34?\n",
    'print(\n    "took %.2f minutes"\n    % (total,)\n)\n',
    "same = (a\n    != b)\n",
    'doc = """Which weights?\n!not a shell escape\n"""\n',
    "names = [n for n in dir(models) if n != '?'] \\\n    % 3\n",
]
IPYTHON = [
    "%matplotlib inline\n",
    "!pip install torchvision\n",
    "files = !ls\n",
    "models.resnet18?\n",
]


@pytest.mark.parametrize("with_ipython", [False, True], ids=["python only", "with IPython lines"])
def test_python_that_looks_like_ipython_syntax_is_read_as_python(
    tmp_path: Path, with_ipython: bool
) -> None:
    """IPython syntax starts a logical line (or ends one with `?`), outside strings and
    comments: a line inside brackets, a string or a comment is Python, and a cell that parses
    as Python holds none. Before, such cells failed with MW004, or a call was missed."""
    lines = ["import torchvision.models as models\n", "total = 1.0\n", *PYTHON_LIKE_IPYTHON]
    if with_ipython:
        lines[1:1] = IPYTHON
    path = notebook_file(tmp_path, [lines])
    result = migrate_file(path)
    assert [d.code.code for d in result.diagnostics] == ["MW001"]
    assert main([str(path)]) == 1
    fixed = (
        "model = models.resnet18(weights=models.ResNet18_Weights.IMAGENET1K_V1)  # or resnet34?\n"
    )
    expected = "".join(lines).replace(PYTHON_LIKE_IPYTHON[0], fixed)
    assert ["".join(source) for source in stored_sources(path)] == [expected]


@pytest.mark.parametrize(
    "lines",
    [
        # a string continued by a backslash: its next line is in it, whatever it ends with
        ['msg = "Is this the right \\\n', 'model?"\n', "m = models.resnet18(pretrained=True)\n"],
        ['y = "a\\\n', '" + str((1\n', "% models.resnet18(pretrained=True)\n", "))\n"],
    ],
    ids=["question in a string", "call in brackets after a string"],
)
def test_strings_continued_by_a_backslash_are_read_to_their_end(
    tmp_path: Path, lines: list[str]
) -> None:
    path = notebook_file(
        tmp_path, [["%matplotlib inline\n", "import torchvision.models as models\n", *lines]]
    )
    assert [d.code.code for d in migrate_file(path).diagnostics] == ["MW001"]


def test_a_line_taken_for_ipython_inside_brackets_is_reported_not_hidden(tmp_path: Path) -> None:
    """Where the reading of lines and Python's tokenizer disagree (a string nested in an f-string
    with the same quotes, Python 3.12 on), a masked line inside brackets would hide a call from
    the rules: the cell is reported instead (as on earlier Pythons, which cannot parse it)."""
    cell = [
        "%matplotlib inline\n",
        "import torchvision.models as models\n",
        'd = {")": 1}\n',
        'print(f"{d[")"]}"\n',
        "% models.resnet18(pretrained=True)\n",
        ")\n",
    ]
    diagnostics = migrate_file(notebook_file(tmp_path, [cell])).diagnostics
    assert [d.code.code for d in diagnostics] == ["MW004"]


@pytest.mark.parametrize(
    "source",
    [
        "import torchvision\nnet = torchvision.models.vgg11(pretrained=True)\nnet.eval()\n",
        ["import torchvision\nnet = torchvision.models.vgg11(pretrained=True)\nnet.eval()\n"],
        [
            "import torchvision\n",
            "net = torchvision.models.vgg11(pretrained=True)\n",
            "net.eval()\n",
        ],
    ],
    ids=["string", "one-element list", "list of lines"],
)
def test_a_cell_source_keeps_its_stored_shape(tmp_path: Path, source: object) -> None:
    path = notebook_file(tmp_path, [source])
    before = path.read_text().splitlines()
    assert main([str(path)]) == 1
    after = path.read_text().splitlines()
    migrated = (
        "net = torchvision.models.vgg11(weights=torchvision.models.VGG11_Weights.IMAGENET1K_V1)\n"
    )
    expected: object
    if isinstance(source, str):
        expected = source.replace(source.splitlines(keepends=True)[1], migrated)
    elif len(source) == 1:
        expected = [source[0].replace(source[0].splitlines(keepends=True)[1], migrated)]
    else:
        expected = [source[0], migrated, source[2]]
    assert stored_sources(path) == [expected]
    changed = [(old, new) for old, new in zip(before, after) if old != new]
    assert len(before) == len(after) and len(changed) == 1  # one line of the file


def test_json_and_github_findings_place_the_cell(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    dynamic = "models.quantization.__dict__[n](pretrained=True)"
    path = notebook_file(
        tmp_path,
        [
            ["import torchvision.models as models\n", "\n", "a = models.resnet50(pretrained=f)"],
            f"b = models.squeezenet1_0(\n    pretrained=True,\n)\nc = {dynamic}",
            ["d = (\n    1 +\n", f"    {dynamic})"],
        ],
    )
    text = path.read_text().splitlines()
    assert main([str(path), "--check", "--format", "json"]) == 1
    findings = json.loads(capsys.readouterr().out)
    assert [(f["cell"], f["line"], f["column"], f["code"]) for f in findings] == [
        (1, 3, 5, "MW001"),
        (2, 1, 5, "MW001"),
        (2, 4, 5, "MW002"),
        (3, 3, 5, "MW002"),
    ]
    assert main([str(path), "--check", "--format", "github"]) == 1
    annotations = capsys.readouterr().out.splitlines()
    lines = [int(a.split(",line=")[1].split(",")[0]) for a in annotations]
    # The file's lines: cell 1's third element; cell 2's one string (every line of it); cell 3's
    # second element, which holds the cell's third line.
    held = ["a = models.resnet50", "b = models.squeezenet", "c = models.quant", "    models."]
    assert all(part in text[line - 1] for part, line in zip(held, lines)), lines
    assert "::cell 3:3:5: models.quantization.__dict__[n]: `pretrained=True` on a" in annotations[3]


PUBLIC = {  # notebooks from public repositories (fixtures/notebooks/SOURCES.md): their findings
    "haletom_part8_transfer_learning_colab": [
        "cell 7:1:9: MW001 models.densenet121: pretrained=True -> "
        "weights=models.DenseNet121_Weights.IMAGENET1K_V1",
        "cell 8:4:9: MW001 models.densenet121: pretrained=True -> "
        "weights=models.DenseNet121_Weights.IMAGENET1K_V1",
    ],
    "mokumoku_transfer_learning_tutorial": [
        "cell 6:1:12: MW001 models.resnet18: pretrained=True -> "
        "weights=models.ResNet18_Weights.IMAGENET1K_V1",
        "cell 8:1:14: MW001 torchvision.models.resnet18: pretrained=True -> "
        "weights=torchvision.models.ResNet18_Weights.IMAGENET1K_V1",
    ],
    "udacity_part8_transfer_learning_exercises": [
        "cell 4:4:19: MW004 cannot parse this cell: invalid syntax; it is left as it was",
        "cell 6:1:9: MW001 models.densenet121: pretrained=True -> "
        "weights=models.DenseNet121_Weights.IMAGENET1K_V1",
    ],
    "ysda_interpretability_practice": [
        "cell 5:2:9: MW001 torchvision.models.resnet50: pretrained=True -> "
        "weights=torchvision.models.ResNet50_Weights.IMAGENET1K_V1",
        "cell 7:11:5: MW004 cannot parse this cell: invalid syntax; it is left as it was",
        "cell 9:1:1: MW004 cannot parse this cell: invalid syntax; it is left as it was",
    ],
}


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_notebook(name: str, tmp_path: Path) -> None:
    """Byte for byte; only lines holding an edited call change in the file; a cell that does not
    parse keeps its source; the exit status says so."""
    legacy = NOTEBOOKS / f"{name}.in.ipynb"
    path = tmp_path / legacy.name
    path.write_bytes(legacy.read_bytes())
    unparsable = any(" MW004 " in finding for finding in PUBLIC[name])
    assert main([str(path)]) == (2 if unparsable else 1)
    assert path.read_bytes() == (NOTEBOOKS / f"{name}.out.ipynb").read_bytes()
    result = migrate_file(legacy)
    assert [d.render("")[1:] for d in result.diagnostics] == PUBLIC[name]
    before, after = legacy.read_text().splitlines(), path.read_text().splitlines()
    assert len(before) == len(after)
    changed = [new for old, new in zip(before, after) if old != new]
    assert len(changed) == len(result.cells) and all("weights=" in line for line in changed)
    cells = json.loads(legacy.read_text())["cells"]
    for number in {d.cell for d in result.diagnostics if d.code.code == "MW004"}:
        assert cells[number - 1] == json.loads(path.read_text())["cells"][number - 1]
    assert main([str(path), "--check"]) == (2 if unparsable else 0)  # a second run: the same


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_notebook_annotations_point_at_the_file(
    name: str, capsys: pytest.CaptureFixture
) -> None:
    """Each GitHub annotation's line of the `.ipynb` file holds the cell's source line, and each
    JSON finding names its cell."""
    legacy = NOTEBOOKS / f"{name}.in.ipynb"
    text = legacy.read_text().splitlines()
    cells = json.loads(legacy.read_text())["cells"]
    main([str(legacy), "--check", "--format", "json"])
    findings = json.loads(capsys.readouterr().out)
    assert [f"cell {f['cell']}:{f['line']}:{f['column']}" for f in findings] == [
        finding.split(": ")[0] for finding in PUBLIC[name]
    ]
    main([str(legacy), "--check", "--format", "github"])
    annotations = capsys.readouterr().out.splitlines()
    assert len(annotations) == len(findings)
    for finding, annotation in zip(findings, annotations):
        held = text[int(annotation.split(",line=")[1].split(",")[0]) - 1].strip().rstrip(",")
        stored = json.loads(held.removeprefix('"source": '))
        source = "".join(cells[finding["cell"] - 1]["source"]).splitlines()
        assert source[finding["line"] - 1] in stored, (annotation, held)
