"""Large inputs: a 50,000-line file and a 10,000-file tree are processed without error, and the
run's peak memory does not grow with the number of files (results are streamed, sources not
kept)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a minute or more on 2 cores

PROC_STATUS = Path("/proc/self/status")
if not PROC_STATUS.exists():
    pytest.skip("a process's own peak memory is read from /proc", allow_module_level=True)

# The CLI, reporting its process's own peak resident memory (VmHWM) on exit. Not the rusage a
# parent gets from wait4: Linux counts in it the memory of the parent it was forked from.
CLI_REPORTING_PEAK = """
import atexit, os, runpy, sys

def report():
    status = open("/proc/self/status").read()
    with open(os.environ["PEAK_FILE"], "w") as file:
        file.write(status.split("VmHWM:")[1].split()[0])

atexit.register(report)
sys.argv = ["migrate-weights", *sys.argv[1:]]
runpy.run_module("migrate_weights", run_name="__main__")
"""

IMPORTS = (
    "import torchvision.models as models\n"
    "from torchvision.models.detection import fasterrcnn_resnet50_fpn\n\n"
)
# Five legacy calls in about fifty lines of ordinary code.
LEGACY_BLOCK = '''

def build_{n}(flag, cfg):
    """Build the networks of experiment {n}."""
    backbone = models.resnet50(pretrained=True)
    head = models.vgg16(pretrained=flag)
    detector = fasterrcnn_resnet50_fpn(
        pretrained=False,
        pretrained_backbone=True,  # ImageNet backbone
        num_classes=cfg.classes,
    )
    small = models.mobilenet_v2(True)
    quantized = models.quantization.resnet18(pretrained=True, quantize=cfg.int8)
    layers = []
    for index, width in enumerate(cfg.widths):
        if index % 2:
            layers.append((width, index))
        else:
            layers.append((index, width))
    table = {{name: value for name, value in zip(cfg.names, cfg.values)}}
    total = 0
    for name, value in table.items():
        total += len(name) * value
    try:
        ratio = total / len(layers)
    except ZeroDivisionError:
        ratio = 0.0
    summary = {{
        "layers": layers,
        "ratio": ratio,
        "total": total,
    }}
    while total > 100:
        total //= 3
    message = f"experiment {n}: {{total}} {{ratio:.3f}}"
    print(message)
    return backbone, head, detector, small, quantized, summary
'''
CALLS_PER_BLOCK = 5
PLAIN_FILE = '''"""A module with nothing to migrate."""

import os


def walk(root):
    for entry in os.scandir(root):
        yield entry.path
'''


def run_cli(*args: str) -> tuple[int, str, int]:
    """(exit status, standard error, peak resident bytes) of `migrate-weights ARGS`."""
    with tempfile.TemporaryDirectory() as folder:
        peak_file = Path(folder) / "peak"
        completed = subprocess.run(
            [sys.executable, "-c", CLI_REPORTING_PEAK, *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, "PEAK_FILE": str(peak_file)},
        )
        peak = int(peak_file.read_text()) * 1024
    return completed.returncode, completed.stderr.decode(), peak


SUMMARY = re.compile(
    r"(?P<scanned>\d+) files scanned, (?P<changed>\d+) (?:would change|changed), "
    r"(?P<rewritten>\d+) call sites rewritten, \d+ left for a person, (?P<failed>\d+) failed"
)


def summary_counts(errors: str) -> dict[str, int]:
    found = SUMMARY.search(errors)
    assert found, errors
    return {key: int(value) for key, value in found.groupdict().items()}


def test_a_50000_line_file(tmp_path: Path) -> None:
    path = tmp_path / "big.py"
    blocks = 1400
    path.write_text(IMPORTS + "".join(LEGACY_BLOCK.format(n=n) for n in range(blocks)))
    assert len(path.read_text().splitlines()) >= 50_000

    status, errors, peak = run_cli(str(path), "--check")
    assert status == 1, errors
    counts = summary_counts(errors)
    assert counts["rewritten"] == blocks * CALLS_PER_BLOCK and counts["failed"] == 0
    assert peak < 1024**3, f"peak memory {peak / 2**20:.0f} MiB"

    status, errors, _ = run_cli(str(path))
    assert status == 1 and summary_counts(errors)["failed"] == 0, errors
    compile(path.read_bytes(), str(path), "exec")
    assert run_cli(str(path), "--check")[0] == 0


def write_tree(root: Path, files: int) -> int:
    """A tree of `files` modules, one in ten with legacy calls; the number of legacy files."""
    legacy = 0
    for n in range(files):
        folder = root / f"package_{n // 500}"
        folder.mkdir(parents=True, exist_ok=True)
        if n % 10 == 0:
            source = IMPORTS + "".join(LEGACY_BLOCK.format(n=f"{n}_{k}") for k in range(4))
            legacy += 1
        else:
            source = PLAIN_FILE
        (folder / f"module_{n}.py").write_text(source)
    return legacy


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_10000_file_tree_in_bounded_memory(tmp_path: Path, jobs: str) -> None:
    small, large = tmp_path / "small", tmp_path / "large"
    write_tree(small, 1_000)
    legacy = write_tree(large, 10_000)

    _, _, small_peak = run_cli(str(small), "--check", "-j", jobs)
    status, errors, large_peak = run_cli(str(large), "--check", "-j", jobs)
    assert status == 1, errors
    counts = summary_counts(errors)
    assert counts["scanned"] == 10_000 and counts["changed"] == legacy
    assert counts["rewritten"] == legacy * 4 * CALLS_PER_BLOCK and counts["failed"] == 0
    # Ten times the files, about 25 MiB more source: kept, it would show.
    growth = large_peak - small_peak
    assert growth < 12 * 2**20, f"peak memory grew by {growth / 2**20:.1f} MiB"
