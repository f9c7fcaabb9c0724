"""Benchmark of `--verify` at repository scale: the bundled sample (`fixtures/legacy_sample`),
then the same sample copied 20 times, each verified by one run of
`migrate-weights TREE --verify --check -j N`. Prints, for each, the wall time, the call sites
verified, the distinct calls proven, the models built and the peak resident memory of the run
with its worker processes (sampled), then the ratio of the two wall times (target: at most 1.5,
since repeated calls are proven once).

    python benchmarks/verify_scale.py [--copies 20] [--jobs N] [--device cpu]

Not a test: it prints the figures the README quotes."""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import click
from process_tree import run_sampled

from migrate_weights.verify import DEVICES, WEIGHT_SOURCES

SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "legacy_sample"
VERIFIED = re.compile(
    r"verified (\d+) call sites, .*; (\d+) distinct calls proven, (\d+) models built"
)


def run(tree: Path, device: str, weights: str, jobs: int) -> tuple[float, int, int, int, int]:
    """Wall seconds, call sites verified, distinct calls proven, models built, peak bytes."""
    command = [sys.executable, "-m", "migrate_weights", str(tree), "--verify", "--check"]
    command += ["--device", device, "--weights", weights, "-j", str(jobs)]
    done = run_sampled(command)
    found = VERIFIED.search(done.stderr)
    if found is None:
        raise click.ClickException(
            f"no verification summary (exit {done.returncode}):\n{done.stderr}"
        )
    sites, proven, built = (int(group) for group in found.groups())
    return done.wall, sites, proven, built, done.peak


@click.command()
@click.option("--copies", type=click.IntRange(min=2), default=20, show_default=True)
@click.option(
    "-j", "--jobs", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default=True
)
@click.option("--device", type=click.Choice(DEVICES), default="cpu", show_default=True)
@click.option(
    "--weights", type=click.Choice(WEIGHT_SOURCES), default="synthetic", show_default=True
)
def benchmark(copies: int, jobs: int, device: str, weights: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        once, many = Path(folder) / "sample", Path(folder) / f"sample_x{copies}"
        shutil.copytree(SAMPLE, once)
        for index in range(copies):
            shutil.copytree(SAMPLE, many / f"copy_{index:02}")
        rows = [("sample x1", run(once, device, weights, jobs))]
        rows.append((f"sample x{copies}", run(many, device, weights, jobs)))
    print(f"{jobs} processes on {os.cpu_count()} cores, {device}, {weights} weights")
    print(f"{'tree':<14}{'wall s':>9}{'sites':>8}{'proven':>8}{'built':>8}{'peak MiB':>10}")
    for name, (wall, sites, proven, built, peak) in rows:
        print(f"{name:<14}{wall:>9.1f}{sites:>8}{proven:>8}{built:>8}{peak / 2**20:>10.0f}")
    ratio = rows[1][1][0] / rows[0][1][0]
    print(f"x{copies} / x1 wall time: {ratio:.2f} (target <= 1.5)")


if __name__ == "__main__":
    benchmark()
