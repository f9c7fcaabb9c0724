"""Output formats, configuration, standard input, progress, and the pre-commit hooks."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from cases import FIXTURES, ROOT, SAMPLE
from migrate_weights import cli
from migrate_weights.cli import main
from migrate_weights.pipeline.migrate import screen_file

LEGACY = "from torchvision import models\n\nmodel = models.resnet50(pretrained=True)\n"
REPORTED = "from torchvision import models\n\nbig = models.vit_h_14(pretrained=True)\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "train.py").write_text(LEGACY)
    (tmp_path / "vit.py").write_text(REPORTED)
    return tmp_path


def test_json_format_parses(project: Path, capsys: pytest.CaptureFixture) -> None:
    assert main([".", "--check", "--format", "json"]) == 1
    findings = json.loads(capsys.readouterr().out)
    assert [(f["path"], f["line"], f["column"], f["code"]) for f in findings] == [
        ("train.py", 3, 9, "MW001"),
        ("vit.py", 3, 7, "MW003"),
    ]
    assert findings[0]["fix"] == {
        "old": "models.resnet50(pretrained=True)",
        "new": "models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V1)",
    }
    assert findings[1]["fix"] is None and "no legacy weights" in findings[1]["message"]


GITHUB_ANNOTATION = re.compile(
    r"^::(warning|error) file=(?P<file>[^,]+),line=(?P<line>\d+),col=(?P<col>\d+),"
    r"title=(?P<title>[^:]+)::(?P<message>.+)$"
)


def test_github_format_is_workflow_commands(project: Path, capsys: pytest.CaptureFixture) -> None:
    assert main([".", "--check", "--format", "github"]) == 1
    lines = capsys.readouterr().out.splitlines()
    matches = [GITHUB_ANNOTATION.match(line) for line in lines]
    assert all(matches) and len(matches) == 2, lines
    first = matches[0]
    assert first is not None
    assert (first["file"], first["line"], first["col"]) == ("train.py", "3", "9")
    assert first["title"].startswith("MW001 ")


def test_diff_with_a_machine_format_is_refused(project: Path) -> None:
    assert main([".", "--diff", "--format", "json"]) == 2


def test_exit_zero_even_if_changed(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(LEGACY)
    assert main([str(tmp_path), "--exit-zero-even-if-changed"]) == 0
    assert "weights=" in (tmp_path / "train.py").read_text()


def test_exit_zero_even_if_changed_still_fails_on_sites_for_a_person(project: Path) -> None:
    assert main([".", "--exit-zero-even-if-changed"]) == 1


def write_config(folder: Path, body: str) -> None:
    (folder / "pyproject.toml").write_text(f"[tool.migrate-weights]\n{body}")


def test_config_style_exclude_disable(project: Path) -> None:
    (project / "vendored").mkdir()
    (project / "vendored" / "old.py").write_text(LEGACY)
    write_config(project, 'style = "string"\nexclude = ["vendored"]\ndisable = ["MW003"]\n')
    assert main(["."]) == 1  # train.py changed
    assert 'weights="IMAGENET1K_V1"' in (project / "train.py").read_text()
    assert (project / "vendored" / "old.py").read_text() == LEGACY
    assert main(["."]) == 0  # vit.py's MW003 is disabled, vendored/ excluded


def test_flags_override_config(project: Path) -> None:
    write_config(project, 'style = "string"\n')
    main(["train.py", "--style", "enum"])
    assert "models.ResNet50_Weights.IMAGENET1K_V1" in (project / "train.py").read_text()


def test_disabling_fixes_writes_nothing(project: Path) -> None:
    assert main([".", "--disable", "MW001", "--disable", "MW003"]) == 0
    assert (project / "train.py").read_text() == LEGACY


def test_unknown_config_key_is_a_clear_error(project: Path, capsys: pytest.CaptureFixture) -> None:
    write_config(project, 'styles = "string"\n')
    assert main(["."]) == 2
    err = capsys.readouterr().err
    assert "pyproject.toml: unknown key styles in [tool.migrate-weights]" in err
    assert (project / "train.py").read_text() == LEGACY


def test_unknown_code_is_a_clear_error(project: Path, capsys: pytest.CaptureFixture) -> None:
    assert main([".", "--disable", "MW999"]) == 2
    assert "unknown code MW999" in capsys.readouterr().err


def test_standard_input_to_standard_output() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "migrate_weights", "-"], input=LEGACY.encode(), capture_output=True
    )
    assert completed.returncode == 1
    assert completed.stdout.decode() == LEGACY.replace(
        "pretrained=True", "weights=models.ResNet50_Weights.IMAGENET1K_V1"
    )
    assert "-:3:9: MW001" in completed.stderr.decode()


def test_standard_input_that_does_not_parse_comes_back_unchanged() -> None:
    source = b"import torchvision\nprint torchvision.models.vgg16(True)\n"
    completed = subprocess.run(
        [sys.executable, "-m", "migrate_weights", "-"], input=source, capture_output=True
    )
    assert completed.returncode == 2 and completed.stdout == source
    assert "MW004" in completed.stderr.decode()


def test_progress_only_for_a_person(monkeypatch: pytest.MonkeyPatch) -> None:
    results: list = []
    many = cli.PROGRESS_FROM_FILES
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    assert cli._with_progress(results, many) is results
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert cli._with_progress(results, many) is not results
    assert cli._with_progress(results, 3) is results
    monkeypatch.setenv("CI", "true")
    assert cli._with_progress(results, many) is results


def outputs_by_jobs(folder: Path, cwd: Path) -> dict[tuple[str, str], tuple[int, bytes, bytes]]:
    outputs = {}
    for jobs in ("1", "2"):
        for mode in ("--check", "--diff"):
            command = [sys.executable, "-m", "migrate_weights", str(folder), mode, "-j", jobs]
            completed = subprocess.run(command, capture_output=True, cwd=cwd)
            outputs[jobs, mode] = (completed.returncode, completed.stdout, completed.stderr)
    return outputs


def test_output_is_the_same_for_any_number_of_jobs(tmp_path: Path) -> None:
    """Over the fixtures (more files needing a look than the pool threshold), in check and diff
    modes."""
    files = sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".py", ".ipynb"))
    needing = [path for path in files if isinstance(screen_file(path), bytes)]
    assert len(needing) >= cli.PARALLEL_FROM_FILES
    outputs = outputs_by_jobs(FIXTURES, tmp_path)
    assert outputs["1", "--check"] == outputs["2", "--check"]
    assert outputs["1", "--diff"] == outputs["2", "--diff"]
    status, out, err = outputs["1", "--check"]
    # Two notebooks taken from courses (their .in and .out) have exercise cells that do not parse.
    assert status == 2 and out.count(b": MW001 ") > 50 and b" 4 failed" in err


def test_a_finished_run_leaves_no_thread_of_its_pool_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pool still winding down when the interpreter exits races Python's exit hook for its
    wakeup pipe, which then prints "Bad file descriptor" on some runs: a finished run joins it."""
    for n in range(cli.PARALLEL_FROM_FILES):
        (tmp_path / f"train_{n:02}.py").write_text(LEGACY)
    monkeypatch.chdir(tmp_path)
    before = set(threading.enumerate())
    assert main([".", "--check", "-j", "2"]) == 1
    assert set(threading.enumerate()) <= before


def test_output_is_the_same_for_any_number_of_jobs_when_few_files_need_a_look(
    tmp_path: Path,
) -> None:
    """Many files, of which too few pass the textual check to be worth a pool."""
    tree = tmp_path / "tree"
    tree.mkdir()
    for n in range(2 * cli.PARALLEL_FROM_FILES):
        (tree / f"plain_{n:02}.py").write_text("import os\n")
    sample = SAMPLE
    (tree / "plain_05.py").write_bytes((sample / "segmentation.py").read_bytes())
    (tree / "z_build.py").write_bytes((sample / "quantized.py").read_bytes())
    outputs = outputs_by_jobs(tree, tmp_path)
    assert outputs["1", "--check"] == outputs["2", "--check"]
    assert outputs["1", "--diff"] == outputs["2", "--diff"]
    status, out, err = outputs["2", "--check"]
    lines = out.decode().splitlines()
    files = 2 * cli.PARALLEL_FROM_FILES + 1
    assert status == 1 and f"{files} files scanned, 2 would change".encode() in err
    assert lines == sorted(lines, key=lambda line: line.split(":")[0])  # plain_05 first


def test_output_is_the_same_for_any_number_of_jobs_when_the_processes_screen_too(
    tmp_path: Path,
) -> None:
    """A tree large enough that the processes share the textual check, the fixtures among
    files it turns away."""
    tree = tmp_path / "tree"
    shutil.copytree(FIXTURES / "builder_call", tree / "builder_call")
    for n in range(cli.SCREENED_IN_POOL_FROM):
        (tree / "plain" / f"module_{n // 100}").mkdir(parents=True, exist_ok=True)
        (tree / "plain" / f"module_{n // 100}" / f"plain_{n:04}.py").write_text("import os\n")
    outputs = outputs_by_jobs(tree, tmp_path)
    assert outputs["1", "--check"] == outputs["2", "--check"]
    assert outputs["1", "--diff"] == outputs["2", "--diff"]
    status, out, err = outputs["2", "--check"]
    assert status == 1 and out.count(b": MW001 ") > 50, err


def git(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True)


@pytest.mark.slow  # the real pre-commit: it clones this repository and builds a virtualenv
@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_pre_commit_hooks(tmp_path: Path) -> None:
    """The real pre-commit, with this repository as the hook repository."""
    pre_commit = pytest.importorskip("pre_commit")
    del pre_commit
    head = git(ROOT, "rev-parse", "HEAD")
    if head.returncode != 0:
        pytest.skip("not a git checkout")
    repo = tmp_path / "user-repo"
    repo.mkdir()
    identity = {
        f"GIT_{who}_{what}": "t@t" for who in ("AUTHOR", "COMMITTER") for what in ("NAME", "EMAIL")
    }
    env = {**os.environ, **identity, "PRE_COMMIT_HOME": str(tmp_path / "cache")}
    git(repo, "init", "-q")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {ROOT}\n  rev: {head.stdout.strip()}\n  hooks:\n"
        "  - id: migrate-weights-check\n  - id: migrate-weights\n"
    )
    (repo / "train.py").write_text(LEGACY)
    git(repo, "add", ".")

    def pre_commit(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "pre_commit", *args]
        return subprocess.run(command, cwd=repo, capture_output=True, text=True, env=env)

    check = pre_commit("run", "migrate-weights-check", "--files", "train.py")
    assert check.returncode == 1, check.stdout + check.stderr
    assert "+model = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V1)" in check.stdout
    assert (repo / "train.py").read_text() == LEGACY

    assert pre_commit("install").returncode == 0
    first = subprocess.run(["git", "commit", "-qm", "legacy"], cwd=repo, capture_output=True,
                           text=True, env=env)  # fmt: skip
    assert first.returncode != 0, "the hooks let a legacy call through"
    assert "weights=models.ResNet50_Weights.IMAGENET1K_V1" in (repo / "train.py").read_text()

    git(repo, "add", "train.py")
    second = subprocess.run(["git", "commit", "-qm", "migrated"], cwd=repo, capture_output=True,
                            text=True, env=env)  # fmt: skip
    assert second.returncode == 0, second.stdout + second.stderr


TEXT_FINDING = re.compile(
    r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>MW\d{3}) (?P<msg>.+)$"
)


def test_text_format_lines_parse(project: Path, capsys: pytest.CaptureFixture) -> None:
    assert main([".", "--check"]) == 1
    lines = capsys.readouterr().out.splitlines()
    parsed = [TEXT_FINDING.match(line) for line in lines]
    assert all(parsed) and len(parsed) == 2, lines
    assert [(m["path"], m["line"], m["col"], m["code"]) for m in parsed if m] == [
        ("train.py", "3", "9", "MW001"),
        ("vit.py", "3", "7", "MW003"),
    ]


@pytest.mark.parametrize("count", [0, 1, 3])
def test_json_findings_are_streamed_as_one_document(count: int) -> None:
    """Written finding by finding, the text is that of json.dumps over the whole list."""
    from migrate_weights.diagnostics import Code, Diagnostic
    from migrate_weights.output import JsonFindings

    findings = [
        ("a.py", Diagnostic(n + 1, 2, Code.FIXED, f"message {n}", ("old\n", 'new "x"')))
        for n in range(count)
    ]
    written: list[str] = []
    stream = JsonFindings(written.append)
    for path, diagnostic in findings:
        stream.add(path, diagnostic)
    stream.close()
    expected = [
        {"path": p, "cell": None, "line": d.line, "column": d.column, "code": "MW001",
         "message": d.message,
         "fix": {"old": "old\n", "new": 'new "x"'}}
        for p, d in findings
    ]  # fmt: skip
    assert "".join(written) == json.dumps(expected, indent=2) + "\n"
