"""Processes as /proc shows them (Linux), for the benchmarks: a command's process tree, each
process's memory, and a command run with the resident memory of its whole tree sampled (a run
that proves on worker processes holds its models there, not in the process started)."""

from __future__ import annotations

import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
SAMPLE_SECONDS = 0.1


@dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: str
    stderr: str
    wall: float  # seconds
    peak: int  # bytes: the largest sum of the tree's resident memory seen


def tree(root: int) -> list[int]:
    """A process and its descendants, from /proc/PID/task/TID/children; those that end
    meanwhile are left out."""
    found, pending = [], [root]
    while pending:
        current = pending.pop()
        found.append(current)
        try:
            for children in (PROC / str(current) / "task").glob("*/children"):
                pending += [int(child) for child in children.read_text().split()]
        except OSError:  # it ended while it was read
            continue
    return found


def status_field(pid: int, field: str) -> int:
    """A memory figure of /proc/PID/status (`VmRSS`, `VmHWM`) in bytes; 0 once it has ended."""
    try:
        status = (PROC / str(pid) / "status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    return 0


def tree_resident(root: int) -> int:
    """The resident memory of a process and all its descendants, in bytes."""
    return sum(status_field(pid, "VmRSS") for pid in tree(root))


def run_sampled(command: list[str], env: dict[str, str] | None = None) -> Finished:
    """Run `command`, sampling its tree's resident memory every SAMPLE_SECONDS."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start, peak = time.perf_counter(), 0
        process = subprocess.Popen(command, stdout=out, stderr=err, text=True, env=env)
        while process.poll() is None:
            peak = max(peak, tree_resident(process.pid))
            time.sleep(SAMPLE_SECONDS)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        return Finished(process.returncode, out.read(), err.read(), wall, peak)
