"""Benchmark of the table-wide verifier: total time, time per builder and peak memory.

    python benchmarks/verify_table.py [--builder NAME ...] [--device cpu] [--weights synthetic]

Not a test: it prints the figures the README quotes. Wall time depends on what else the machine
runs; CPU time (user + system, all threads) much less so, so both are printed."""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import click

from migrate_weights.tables.table import generated
from migrate_weights.verify import DEVICES, WEIGHT_SOURCES
from migrate_weights.verify.verifier import resolve_device, verify_builder

PROC_STATUS = Path("/proc/self/status")
PROC_CLEAR_REFS = Path("/proc/self/clear_refs")


def peak_resident_bytes() -> int:
    """Peak resident memory since the last reset (Linux), else since the process started."""
    if PROC_STATUS.exists():
        for line in PROC_STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def reset_peak() -> bool:
    """Start a new peak-memory window; False where the kernel does not allow it."""
    try:
        PROC_CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@click.command()
@click.option("--builder", "builders", multiple=True, metavar="NAME")
@click.option("--device", type=click.Choice(DEVICES), default="cpu", show_default=True)
@click.option(
    "--weights", type=click.Choice(WEIGHT_SOURCES), default="synthetic", show_default=True
)
@click.option("--slowest", type=int, default=15, show_default=True, help="Builders to list.")
def benchmark(builders: tuple[str, ...], device: str, weights: str, slowest: int) -> int:
    names = list(builders) or sorted(generated().builders)
    resolved = resolve_device(device)
    rows = []
    per_builder_peaks = True
    start_wall, start_cpu = time.perf_counter(), cpu_seconds()
    for name in names:
        per_builder_peaks = reset_peak() and per_builder_peaks
        wall, cpu = time.perf_counter(), cpu_seconds()
        results = verify_builder(name, resolved, weights)
        wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
        failed = sum(result.failed for result in results)
        rows.append((wall, cpu, peak_resident_bytes(), name, len(results), failed))
        click.echo(f"{name}: {len(results)} variants, {wall:.1f} s, {failed} failed", err=True)
    total_wall, total_cpu = time.perf_counter() - start_wall, cpu_seconds() - start_cpu
    peak_label = "peak RSS" if per_builder_peaks else "process peak RSS so far"
    click.echo(f"\n{'builder':40} variants  wall s   CPU s  {peak_label} GiB")
    for wall, cpu, peak, name, variants, failed in sorted(rows, reverse=True)[:slowest]:
        mark = f"  {failed} FAILED" if failed else ""
        click.echo(f"{name:40} {variants:8} {wall:7.1f} {cpu:7.1f} {peak / 2**30:8.2f}{mark}")
    failed_total = sum(row[5] for row in rows)
    click.echo(
        f"\n{len(names)} builders, {sum(row[4] for row in rows)} variants on {resolved} "
        f"({weights} weights): {total_wall:.0f} s wall, {total_cpu:.0f} s CPU, "
        f"peak RSS {max(row[2] for row in rows) / 2**30:.2f} GiB, {failed_total} failed"
    )
    return 3 if failed_total else 0


if __name__ == "__main__":
    sys.exit(benchmark.main(standalone_mode=False))
