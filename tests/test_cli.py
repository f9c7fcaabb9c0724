"""The command line: modes, diagnostics, summary, exit status, and the end-to-end sample tree."""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cases import ROOT, SAMPLE, SAMPLE_MIGRATED
from migrate_weights.cli import main

LEGACY = "from torchvision import models\n\nmodel = models.resnet50(pretrained=True)\n"
MIGRATED = (
    "from torchvision import models\n\n"
    "model = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V1)\n"
)


@pytest.fixture
def legacy_file(tmp_path: Path) -> Path:
    path = tmp_path / "train.py"
    path.write_text(LEGACY)
    return path


def test_rewrites_in_place_and_exits_1(legacy_file: Path, capsys: pytest.CaptureFixture) -> None:
    assert main([str(legacy_file)]) == 1
    assert legacy_file.read_text() == MIGRATED
    out, err = capsys.readouterr()
    assert f"{legacy_file}:3:9: MW001 models.resnet50: pretrained=True -> " in out
    assert "1 files scanned, 1 changed, 1 call sites rewritten, 0 left for a person" in err


def test_second_run_exits_0(legacy_file: Path) -> None:
    main([str(legacy_file)])
    assert main([str(legacy_file)]) == 0
    assert legacy_file.read_text() == MIGRATED


def test_diff_writes_nothing(legacy_file: Path, capsys: pytest.CaptureFixture) -> None:
    assert main([str(legacy_file), "--diff"]) == 1
    assert legacy_file.read_text() == LEGACY
    out, err = capsys.readouterr()
    assert f"--- {legacy_file}\n+++ {legacy_file}\n" in out
    assert "-model = models.resnet50(pretrained=True)\n" in out
    assert "+model = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V1)\n" in out
    assert "MW001" in err and "MW001" not in out


def test_diff_applies_with_patch(legacy_file: Path, capsys: pytest.CaptureFixture) -> None:
    if shutil.which("patch") is None:
        pytest.skip("patch is not installed")
    main([str(legacy_file), "--diff"])
    diff = capsys.readouterr().out
    subprocess.run(["patch", "-p0", str(legacy_file)], input=diff.encode(), check=True,
                   capture_output=True)  # fmt: skip
    assert legacy_file.read_text() == MIGRATED


def test_check_writes_nothing(legacy_file: Path, capsys: pytest.CaptureFixture) -> None:
    assert main([str(legacy_file), "--check"]) == 1
    assert legacy_file.read_text() == LEGACY
    assert "1 would change" in capsys.readouterr().err


def test_clean_tree_exits_0(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text(
        "from torchvision import models\nmodels.resnet50(weights=None)\n"
    )
    assert main([str(tmp_path), "--check"]) == 0


def test_site_left_for_a_person_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "vit.py"
    path.write_text("from torchvision import models\nmodels.vit_h_14(pretrained=True)\n")
    assert main([str(path), "--check"]) == 1
    out, err = capsys.readouterr()
    assert f"{path}:2:1: MW003 " in out
    assert "0 call sites rewritten, 1 left for a person" in err


def test_style_string(legacy_file: Path) -> None:
    main([str(legacy_file), "--style", "string"])
    assert 'models.resnet50(weights="IMAGENET1K_V1")' in legacy_file.read_text()


def test_unparsable_file_exits_2_and_others_are_processed(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    broken = tmp_path / "a_python2.py"
    broken.write_bytes(b"import torchvision\nprint torchvision.models.vgg16(True)\n")
    good = tmp_path / "b_train.py"
    good.write_text(LEGACY)
    assert main([str(tmp_path)]) == 2
    assert broken.read_bytes() == b"import torchvision\nprint torchvision.models.vgg16(True)\n"
    assert good.read_text() == MIGRATED
    out, err = capsys.readouterr()
    assert f"{broken}:2:" in out and "MW004 cannot parse" in out
    assert "1 failed" in err


def test_missing_path_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    missing = tmp_path / "nope.py"
    assert main([str(missing)]) == 2
    assert f"{missing}:1:1: MW004 No such file or directory" in capsys.readouterr().out


def test_directories_skip_virtual_environments_and_vcs(tmp_path: Path) -> None:
    for folder in (".git", ".venv", "build", "env_with_cfg"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "legacy.py").write_text(LEGACY)
    (tmp_path / "env_with_cfg" / "pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / "notes.txt").write_text(LEGACY)
    assert main([str(tmp_path)]) == 0
    assert (tmp_path / ".venv" / "legacy.py").read_text() == LEGACY


def test_keeps_file_mode(legacy_file: Path) -> None:
    legacy_file.chmod(0o754)
    main([str(legacy_file)])
    assert legacy_file.stat().st_mode & 0o777 == 0o754


def test_version() -> None:
    assert main(["--version"]) == 0


def test_console_script_runs_without_torch(tmp_path: Path) -> None:
    """The rewrite path imports neither torch nor torchvision."""
    path = tmp_path / "train.py"
    path.write_text(LEGACY)
    code = (
        "import sys; from migrate_weights.cli import main; status = main([sys.argv[1]]);"
        "assert not {'torch', 'torchvision'} & set(sys.modules), 'torch imported';"
        "sys.exit(status)"
    )
    completed = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True)
    assert completed.returncode == 1, completed.stderr.decode()
    assert path.read_text() == MIGRATED


SCRIPT = [sys.executable, "-c", "from migrate_weights.cli import script; script()"]


def test_console_script_ends_with_all_its_output_written() -> None:
    """The script ends its process without the interpreter's teardown, once its output is
    flushed: the source migrated from standard input, written to a buffered stream, comes out
    whole."""
    buffered = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    completed = subprocess.run(
        [*SCRIPT, "-"], input=LEGACY, capture_output=True, text=True, env=buffered
    )
    assert completed.returncode == 1, completed.stderr
    assert completed.stdout == MIGRATED


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_output_that_cannot_be_written_is_said_and_exits_2(legacy_file: Path) -> None:
    with open("/dev/full", "w") as full:
        completed = subprocess.run(
            [*SCRIPT, str(legacy_file), "--diff"], stdout=full, stderr=subprocess.PIPE, text=True
        )
    assert completed.returncode == 2
    assert completed.stderr.endswith("migrate-weights: [Errno 28] No space left on device\n")
    assert "Traceback" not in completed.stderr
    assert legacy_file.read_text() == LEGACY


def test_sample_tree_end_to_end(tmp_path: Path) -> None:
    """The README's first command, on a copy: the result matches the expected tree, file by
    file, and a second run changes nothing."""
    tree = tmp_path / "legacy_sample"
    shutil.copytree(SAMPLE, tree)
    assert main([str(tree)]) == 1
    expected = SAMPLE_MIGRATED
    files = sorted(p.relative_to(expected) for p in expected.rglob("*.py"))
    assert files == sorted(p.relative_to(tree) for p in tree.rglob("*.py"))
    match, mismatch, errors = filecmp.cmpfiles(expected, tree, files, shallow=False)
    assert mismatch == [] and errors == []
    before = {p: p.read_bytes() for p in tree.rglob("*.py")}
    main([str(tree)])
    assert before == {p: p.read_bytes() for p in tree.rglob("*.py")}


def test_readme_example_is_real_output() -> None:
    readme = (ROOT / "README.md").read_text()
    example = readme.split("```python\n", 1)[1].split("```", 1)[0]
    before, after = example.split("# after `migrate-weights train.py`\n")
    before = before.removeprefix("# before\n").rstrip("\n") + "\n"
    from migrate_weights.pipeline.migrate import migrate_source

    assert migrate_source(before.encode()).migrated == after.encode()


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    command = next(line for line in ci.splitlines() if "pytest" in line)
    assert f"```sh\n{command}\n```" in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("missing", ["torch", "torchvision"])
def test_verify_without_torch_names_the_extra(
    legacy_file: Path,
    capsys: pytest.CaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    missing: str,
) -> None:
    if missing == "torchvision":
        pytest.importorskip("torch")  # without torch, torch is what it names
    for name in [n for n in sys.modules if n.split(".")[0] == missing]:
        monkeypatch.setitem(sys.modules, name, None)  # importing it fails, as where it is absent
    monkeypatch.setitem(sys.modules, missing, None)
    monkeypatch.delitem(sys.modules, "migrate_weights.verify.verifier", raising=False)
    assert main([str(legacy_file), "--verify"]) == 2
    _, err = capsys.readouterr()
    assert err == (
        f"Error: verifying needs {missing}, which is not installed here: "
        'pip install "migrate-weights[verify]"\n'
    )
    assert legacy_file.read_text() == LEGACY


def test_table_wide_verify_without_torch_names_the_extra() -> None:
    blocked = "import runpy, sys; sys.modules['torch'] = None; "
    blocked += "runpy.run_module('migrate_weights.verify', run_name='__main__')"
    done = subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr == (
        "Error: verifying needs torch, which is not installed here: "
        'pip install "migrate-weights[verify]"\n'
    )
