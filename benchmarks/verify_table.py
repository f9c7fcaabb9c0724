"""Benchmark of the table-wide verifier, `python -m migrate_weights.verify`: wall time, models
built, and the peak resident memory of the run with its worker processes, sampled; then the
slowest builders (the time each took in its worker).

    python benchmarks/verify_table.py [--jobs N] [--builder NAME ...] [--device cpu]

Target on 2 cores: at most 10 minutes for the whole table. Not a test: it prints the figures the
README quotes."""

from __future__ import annotations

import os
import re
import sys

import click
from process_tree import run_sampled

from migrate_weights.verify import DEVICES, WEIGHT_SOURCES

TARGET_SECONDS = 600
SUMMARY = re.compile(r"(\d+) builders, (\d+) legacy forms .*; (\d+) models built, (\d+) processes")
BUILDER_TIME = re.compile(r"^(\w+): ([\d.]+) s$", re.MULTILINE)


@click.command()
@click.option("--builder", "builders", multiple=True, metavar="NAME")
@click.option("--device", type=click.Choice(DEVICES), default="cpu", show_default=True)
@click.option(
    "--weights", type=click.Choice(WEIGHT_SOURCES), default="synthetic", show_default=True
)
@click.option(
    "-j", "--jobs", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default=True
)
@click.option("--slowest", type=int, default=10, show_default=True, help="Builders to list.")
def benchmark(builders: tuple[str, ...], device: str, weights: str, jobs: int, slowest: int) -> int:
    command = [sys.executable, "-m", "migrate_weights.verify", "--device", device]
    command += ["--weights", weights, "-j", str(jobs)]
    command += [argument for name in builders for argument in ("--builder", name)]
    run = run_sampled(command)
    summary = SUMMARY.search(run.stderr)
    if summary is None:
        raise click.ClickException(f"no summary (exit {run.returncode}):\n{run.stderr}")
    times = sorted(((float(s), name) for name, s in BUILDER_TIME.findall(run.stderr)), reverse=True)
    click.echo(f"{'slowest builders':40} s (in its worker)")
    for seconds, name in times[:slowest]:
        click.echo(f"{name:40} {seconds:6.1f}")
    count, forms, built, processes = (int(group) for group in summary.groups())
    click.echo(
        f"\n{count} builders, {forms} legacy forms, {built} models built, on {device} with "
        f"{processes} processes ({os.cpu_count()} cores), {weights} weights: {run.wall:.0f} s "
        f"wall (target <= {TARGET_SECONDS} s), peak resident memory of the run "
        f"{run.peak / 2**30:.2f} GiB, exit status {run.returncode}"
    )
    click.echo(run.stderr.splitlines()[-1])
    return run.returncode


if __name__ == "__main__":
    sys.exit(benchmark.main(standalone_mode=False))
