"""Installed, not imported from the checkout: this project next to PyPI's `codemod` in one
environment, and the same `--check` output on every supported Python.

The tests build fresh virtual environments with `python -m venv` and install from the package
index, so the whole module is marked slow. They install a copy of the repository root rather than
the root itself: pip builds a project in its source tree (`build/`, `*.egg-info`), and two
pytest-xdist workers building in the same tree at once could trip over each other.

`MIGRATE_WEIGHTS_PYTHONS` (interpreter paths separated by `os.pathsep`, set by `.ci/run`) names
the Pythons to test; a listed interpreter that is missing fails the test. Without it the tests look
for each supported version under pyenv's `versions` folder (`$PYENV_ROOT`, else `~/.pyenv`) and
skip a version that is not installed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SUPPORTED = ("3.9", "3.10", "3.11", "3.12", "3.13")
PYTHONS_VARIABLE = "MIGRATE_WEIGHTS_PYTHONS"
CHECK = ["fixtures/legacy_sample", "--check"]  # run from ROOT, so the paths it prints match
# What a copy of the repository leaves out: VCS data, virtual environments, build output, caches.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
)
# Interpreter settings that would make a subprocess see something other than its own venv.
LEAKY = ("PYTHONPATH", "PYTHONHOME", "PYTHONSAFEPATH", "PYTHONSTARTUP", "VIRTUAL_ENV")

pytestmark = pytest.mark.slow


def environment(**extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in LEAKY}
    env.update(extra)
    return env


def run(
    *args: str | Path, cwd: Path = ROOT, **extra_env: str
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(arg) for arg in args], cwd=cwd, env=environment(**extra_env),
        stdin=subprocess.DEVNULL, capture_output=True, timeout=900,
    )  # fmt: skip


def shown(completed: subprocess.CompletedProcess[bytes]) -> str:
    return (
        f"{' '.join(completed.args)} exited {completed.returncode}\n"
        f"--- stdout\n{completed.stdout.decode(errors='replace')}\n"
        f"--- stderr\n{completed.stderr.decode(errors='replace')}"
    )


def succeeds(*args: str | Path, cwd: Path = ROOT, **extra_env: str) -> str:
    completed = run(*args, cwd=cwd, **extra_env)
    assert completed.returncode == 0, shown(completed)
    return completed.stdout.decode()


def scripts(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin")


def make_venv(python: str | Path, venv: Path) -> Path:
    """A fresh virtual environment; returns its interpreter."""
    succeeds(python, "-m", "venv", venv)
    return scripts(venv) / "python"


def source_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "source"
    shutil.copytree(ROOT, copy, ignore=NOT_SOURCE)
    return copy


def outcome(completed: subprocess.CompletedProcess[bytes]) -> tuple[int, str, str]:
    return completed.returncode, completed.stdout.decode(), completed.stderr.decode()


def project_version() -> str:
    found = re.search(r'^version = "([^"]+)"$', (ROOT / "pyproject.toml").read_text(), re.M)
    assert found, "no version in pyproject.toml"
    return found[1]


@pytest.fixture(scope="module")
def reference() -> tuple[int, str, str]:
    """The checkout's own `migrate-weights fixtures/legacy_sample --check`: this repository's
    source on the interpreter running the tests, whatever is installed in its environment."""
    completed = run(
        sys.executable, "-m", "migrate_weights", *CHECK, PYTHONPATH=str(ROOT / "codemod")
    )
    status, out, err = outcome(completed)
    # The sample has sites to rewrite: exit 1, each reported.
    assert status == 1, shown(completed)
    assert " MW001 " in out, shown(completed)
    assert "would change" in err, shown(completed)
    return status, out, err


def test_installs_next_to_pypi_codemod(tmp_path: Path, reference: tuple[int, str, str]) -> None:
    """This project and PyPI's `codemod==1.0.0` (Facebook's regex refactoring tool, whose top-level
    package is `codemod`, the name of this repository's source root) in one environment, installed
    by one pip command: both import, `codemod` is PyPI's, and both command-line tools run.

    It runs on the interpreter that runs the tests (CPython 3.11 in CI). codemod 1.0.0 is
    Python-2-era code but imports and runs on CPython 3.9 to 3.13; its command line needs a
    terminfo entry (TERM=xterm) and, without a terminal, LINES and COLUMNS, which the test sets.
    """
    python = make_venv(sys.executable, tmp_path / "venv")
    succeeds(python, "-m", "pip", "install", source_copy(tmp_path), "codemod==1.0.0")
    succeeds(python, "-m", "pip", "check")

    # Both packages, from the environment's site-packages, from a neutral folder and from the
    # repository root, whose `codemod/` folder (no __init__.py) must not shadow PyPI's package.
    probe = (
        "import json, importlib.metadata as md, codemod, migrate_weights;"
        "print(json.dumps([codemod.__file__, migrate_weights.__file__,"
        " md.version('codemod'), md.version('migrate-weights'),"
        " callable(getattr(codemod, 'Query', None)), callable(getattr(codemod, 'main', None))]))"
    )
    site = succeeds(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    site_packages = Path(site.strip()).resolve()
    for cwd in (tmp_path, ROOT):
        found = json.loads(succeeds(python, "-c", probe, cwd=cwd))
        codemod_file, ours_file, codemod_version, ours_version, has_query, has_main = found
        assert codemod_file is not None, f"from {cwd}: `codemod` is a namespace package, not PyPI's"
        assert Path(codemod_file).resolve() == site_packages / "codemod" / "__init__.py", cwd
        assert Path(ours_file).resolve() == site_packages / "migrate_weights" / "__init__.py", cwd
        assert (codemod_version, ours_version) == ("1.0.0", project_version()), cwd
        assert has_query and has_main, f"from {cwd}: `codemod` lacks PyPI codemod's Query and main"

    # Ours: the installed console script prints what the checkout prints, and exits 1.
    completed = run(scripts(tmp_path / "venv") / "migrate-weights", *CHECK)
    assert completed.returncode == 1, shown(completed)
    assert outcome(completed) == reference, shown(completed)

    # PyPI's: its console script is codemod's, and it rewrites a file without asking.
    codemod = scripts(tmp_path / "venv") / "codemod"
    assert "large-scale" in succeeds(codemod, "--help")
    work = tmp_path / "work"  # codemod keeps a bookmark file in its working directory
    work.mkdir()
    (work / "train.py").write_text("model = models.resnet50(pretrained=True)\n")
    succeeds(
        codemod, "--accept-all", "--extensions", "py", "-d", work, "pretrained=True",
        'weights="DEFAULT"', cwd=work, TERM="xterm", LINES="25", COLUMNS="80",
    )  # fmt: skip
    assert (work / "train.py").read_text() == 'model = models.resnet50(weights="DEFAULT")\n'


def pyenv_python(version: str) -> Path | None:
    """The newest `<version>.<patch>` CPython under pyenv's versions folder, if any."""
    versions = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    patches = [
        (int(folder.name.rsplit(".", 1)[1]), folder / "bin" / "python")
        for folder in (versions.glob(f"{version}.*") if versions.is_dir() else ())
        if re.fullmatch(rf"{re.escape(version)}\.\d+", folder.name)
        and (folder / "bin" / "python").exists()
    ]
    return max(patches)[1] if patches else None


def interpreters() -> list[Any]:
    """One parameter per Python to test: (path or None, version expected or None, listed)."""
    listed = os.environ.get(PYTHONS_VARIABLE)
    if listed is not None:
        paths = [path for path in listed.split(os.pathsep) if path]
        return [pytest.param(Path(path), None, True, id=path) for path in paths]
    return [
        pytest.param(pyenv_python(version), version, False, id=version) for version in SUPPORTED
    ]


def version_of(python: Path) -> str:
    return succeeds(python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])").strip()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository's wheel (pure Python, one for every version), built once per worker."""
    folder = tmp_path_factory.mktemp("wheel")
    source = source_copy(folder)
    succeeds(sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", folder / "dist", source)
    (built,) = (folder / "dist").glob("migrate_weights-*.whl")
    return built


@pytest.mark.parametrize("python, version, listed", interpreters())
def test_same_check_output_on_every_python(
    python: Path | None,
    version: str | None,
    listed: bool,
    wheel: Path,
    reference: tuple[int, str, str],
    tmp_path: Path,
) -> None:
    """`migrate-weights fixtures/legacy_sample --check`, installed on each supported Python (with
    only its own dependencies: libcst and click, no torch), prints the same stdout and stderr and
    exits with the same status as the checkout's own run."""
    if python is None:
        pytest.skip(f"no Python {version} under pyenv's versions folder; {PYTHONS_VARIABLE} unset")
    if listed and not python.exists():
        pytest.fail(f"{python}, listed in {PYTHONS_VARIABLE}, does not exist")
    actual_version = version_of(python)
    assert version is None or actual_version == version, f"{python} is Python {actual_version}"
    venv_python = make_venv(python, tmp_path / "venv")
    succeeds(venv_python, "-m", "pip", "install", wheel)
    completed = run(scripts(tmp_path / "venv") / "migrate-weights", *CHECK)
    assert outcome(completed) == reference, f"on Python {actual_version}: {shown(completed)}"


def test_ci_lists_every_supported_python() -> None:
    """Where CI names the interpreters, they cover every supported version, so none is skipped."""
    listed = os.environ.get(PYTHONS_VARIABLE)
    if listed is None:
        pytest.skip(f"{PYTHONS_VARIABLE} is not set: each version is looked up under pyenv")
    paths = [Path(path) for path in listed.split(os.pathsep) if path]
    missing = [path for path in paths if not path.exists()]
    assert not missing, f"{PYTHONS_VARIABLE} lists interpreters that do not exist: {missing}"
    versions = {version_of(path) for path in paths}
    assert versions >= set(SUPPORTED), f"{PYTHONS_VARIABLE} misses {set(SUPPORTED) - versions}"
