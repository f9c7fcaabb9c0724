"""A failing file stays one file's problem: a recursion bomb, an error raised inside one file's
rewrite, memory running out, and a worker process that ends abruptly each become one finding for
that file, which stays untouched; every other file is migrated and the run exits 2.

Faults go in through the legacy table, which the command takes as a value: one whose lookup of
one builder fails."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from migrate_weights.cli import main
from migrate_weights.tables.table import Builder, LegacyTable, generated

DOOMED = "from torchvision.models import alexnet\n\nmodel = alexnet(pretrained=True)\n"
HEALTHY = "from torchvision.models import resnet18\n\nmodel = resnet18(pretrained=True)\n"
MIGRATED = (
    "from torchvision.models import resnet18, ResNet18_Weights\n\n"
    "model = resnet18(weights=ResNet18_Weights.IMAGENET1K_V1)\n"
)


@dataclasses.dataclass(frozen=True)
class FailingTable(LegacyTable):
    """The generated table, but looking up alexnet fails in the way given."""

    how: str = "error"

    def builder_named(self, name: str) -> Builder | None:
        if name == "alexnet":
            if self.how == "exit":
                os._exit(1)  # the worker process ends, as on a crash in native code
            raise {"error": RuntimeError("injected"), "memory": MemoryError()}[self.how]
        return super().builder_named(name)


def failing_table(how: str) -> LegacyTable:
    table = generated()
    fields = {f.name: getattr(table, f.name) for f in dataclasses.fields(table) if f.init}
    return FailingTable(**fields, how=how)


def tree(root: Path, healthy: int) -> tuple[Path, list[Path]]:
    """A doomed file among `healthy` legacy files that migrate; the doomed one and the others."""
    doomed = root / "b_doomed.py"
    doomed.write_text(DOOMED)
    others = []
    for index in range(healthy):
        path = root / f"{'a' if index % 2 else 'c'}_{index:03}.py"
        path.write_text(HEALTHY)
        others.append(path)
    return doomed, others


@pytest.mark.parametrize(
    ("how", "code", "message"),
    [
        ("error", "MW006", "internal error (RuntimeError: injected); the file is left as it was"),
        ("memory", "MW004", "cannot parse: it does not fit in memory"),
    ],
)
def test_an_error_in_one_file_is_its_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], how: str, code: str, message: str
) -> None:
    doomed, others = tree(tmp_path, 3)
    assert main([str(tmp_path), "-j", "1"], table=failing_table(how)) == 2
    out, err = capsys.readouterr()
    assert f"{doomed}:1:1: {code} {message}" in out
    assert doomed.read_text() == DOOMED
    assert all(path.read_text() == MIGRATED for path in others)
    assert "3 call sites rewritten, 0 left for a person, 1 failed" in err
    if code == "MW006":
        assert "Please report it" in out


def test_a_recursion_bomb_is_one_files_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bomb = tmp_path / "generated.py"
    # Python 3.11 on refuses to build the tree; before, it builds it, and the walk of the
    # module's scopes (for `resnet18`, bound twice) goes too deep.
    source = HEALTHY + "resnet18 = resnet18\nx = " + " + ".join(["1"] * 20_000) + "\n"
    bomb.write_text(source)
    _, others = tree(tmp_path, 2)
    assert main([str(tmp_path), "-j", "1"]) == 2
    out, _ = capsys.readouterr()
    assert f"{bomb}:1:1: MW004 cannot parse: it is nested too deeply" in out
    assert bomb.read_text() == source
    assert all(path.read_text() == MIGRATED for path in others)


def test_a_worker_that_ends_abruptly_loses_no_file(tmp_path: Path) -> None:
    # In a process of its own: forking a pool from a test runner's threaded worker can hang.
    doomed, others = tree(tmp_path, 60)  # enough for a pool of processes
    script = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from test_failures import failing_table\n"
        "from migrate_weights.cli import main\n"
        "sys.exit(main(sys.argv[1:], table=failing_table('exit')))\n"
    )
    command = [sys.executable, "-c", script, str(tmp_path), "-j", "2"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    assert f"{doomed}:1:1: MW006 internal error (the process migrating it ended abruptly)" in (
        done.stdout
    )
    assert doomed.read_text() == DOOMED
    assert all(path.read_text() == MIGRATED for path in others)
    assert "61 files scanned, 60 changed, 60 call sites rewritten" in done.stderr
    lines = [line for line in done.stdout.splitlines() if " MW00" in line]
    paths = [line.split(":")[0] for line in lines]
    assert paths == sorted(paths)  # reported in the order of the files, as without a pool


@pytest.mark.parametrize(
    ("newer", "version", "stops_at"),  # stops_at: the line of `newer` Python stops at
    [
        ("match command:\n    case _:\n        pass\n", (3, 10), 1),
        ("try:\n    pass\nexcept* ValueError:\n    pass\n", (3, 11), 3),
        ("type Backbone = str\n", (3, 12), 1),
        ("def first[T](items: list[T]) -> T:\n    return items[0]\n", (3, 12), 1),
    ],
    ids=["match", "except*", "type alias", "type parameters"],
)
def test_syntax_newer_than_this_python_is_named(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    newer: str,
    version: tuple[int, int],
    stops_at: int,
) -> None:
    if sys.version_info >= version:
        pytest.skip(f"Python {sys.version_info[0]}.{sys.version_info[1]} parses it")
    path = tmp_path / "model.py"
    source = HEALTHY + newer
    path.write_text(source)
    assert main([str(path)]) == 2
    out, _ = capsys.readouterr()
    needed, running = ".".join(map(str, version)), ".".join(map(str, sys.version_info[:2]))
    line = len(HEALTHY.splitlines()) + stops_at
    why = f"needs Python {needed} or later to parse (this is Python {running})"
    assert out.startswith(f"{path}:{line}:") and f": MW004 cannot parse: {why}: " in out
    assert path.read_text() == source


@pytest.mark.parametrize(
    ("first_line", "why"),
    [
        (b"# -*- coding: bogus -*-\n", "unknown encoding: bogus"),
        (b"\xef\xbb\xbf# -*- coding: latin-1 -*-\n", "encoding problem: utf-8"),
    ],
)
def test_a_bad_coding_cookie_is_bad_input_not_an_internal_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], first_line: bytes, why: str
) -> None:
    path = tmp_path / "model.py"
    source = first_line + HEALTHY.encode()
    path.write_bytes(source)
    assert main([str(path)]) == 2
    out, _ = capsys.readouterr()
    assert out == f"{path}:1:1: MW004 cannot decode: {why}\n"
    assert path.read_bytes() == source
