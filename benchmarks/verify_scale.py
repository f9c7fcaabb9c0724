"""Benchmark of `--verify` at repository scale: the bundled sample (`fixtures/legacy_sample`),
then the same sample copied 20 times, each verified by one run of
`migrate-weights TREE --verify --check`. Prints, for each, the wall time, the call sites
verified, the distinct calls built and the run's peak resident memory, then the ratio of the two
wall times (target: at most 1.5, since repeated calls are proven once).

    python benchmarks/verify_scale.py [--copies 20] [--device cpu] [--weights synthetic]

Not a test: it prints the figures the README quotes."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

from migrate_weights.verify import DEVICES, WEIGHT_SOURCES

SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "legacy_sample"
VERIFIED = re.compile(r"verified (\d+) call sites, .*; (\d+) distinct calls built")
# The command line, writing its process's own peak resident memory (VmHWM, Linux) on exit.
REPORTING_PEAK = """
import atexit, os, runpy, sys

def report():
    status = open("/proc/self/status").read()
    with open(os.environ["PEAK_FILE"], "w") as file:
        file.write(status.split("VmHWM:")[1].split()[0])

atexit.register(report)
sys.argv = ["migrate-weights", *sys.argv[1:]]
runpy.run_module("migrate_weights", run_name="__main__")
"""


def run(tree: Path, device: str, weights: str) -> tuple[float, int, int, int]:
    """Wall seconds, call sites verified, distinct calls built, peak KiB."""
    peak_file = tree.parent / f"{tree.name}.peak"
    command = [sys.executable, "-c", REPORTING_PEAK, str(tree), "--verify", "--check"]
    command += ["--device", device, "--weights", weights]
    start = time.perf_counter()
    done = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, "PEAK_FILE": str(peak_file)}
    )
    wall = time.perf_counter() - start
    found = VERIFIED.search(done.stderr)
    if found is None:
        raise click.ClickException(
            f"no verification summary (exit {done.returncode}):\n{done.stderr}"
        )
    return wall, int(found.group(1)), int(found.group(2)), int(peak_file.read_text())


@click.command()
@click.option("--copies", type=click.IntRange(min=2), default=20, show_default=True)
@click.option("--device", type=click.Choice(DEVICES), default="cpu", show_default=True)
@click.option(
    "--weights", type=click.Choice(WEIGHT_SOURCES), default="synthetic", show_default=True
)
def benchmark(copies: int, device: str, weights: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        once, many = Path(folder) / "sample", Path(folder) / f"sample_x{copies}"
        shutil.copytree(SAMPLE, once)
        for index in range(copies):
            shutil.copytree(SAMPLE, many / f"copy_{index:02}")
        rows = [("sample x1", run(once, device, weights))]
        rows.append((f"sample x{copies}", run(many, device, weights)))
    print(f"{'tree':<14}{'wall s':>9}{'sites':>8}{'built':>8}{'peak MiB':>10}")
    for name, (wall, sites, built, peak) in rows:
        print(f"{name:<14}{wall:>9.1f}{sites:>8}{built:>8}{peak / 1024:>10.0f}")
    ratio = rows[1][1][0] / rows[0][1][0]
    print(f"x{copies} / x1 wall time: {ratio:.2f} (target <= 1.5)")


if __name__ == "__main__":
    benchmark()
