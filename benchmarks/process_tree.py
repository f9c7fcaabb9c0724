"""A command run with the resident memory of its whole process tree sampled (Linux): a run that
proves on worker processes holds its models there, not in the process started."""

from __future__ import annotations

import os
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


def _parents() -> dict[int, int]:
    parents = {}
    for stat in PROC.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    return parents


def _resident(pid: int) -> int:
    try:
        status = (PROC / str(pid) / "status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def tree_resident(root: int) -> int:
    """The resident memory of a process and all its descendants, in bytes."""
    parents = _parents()
    tree, grown = {root}, True
    while grown:
        found = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= found
        grown = bool(found)
    return sum(_resident(pid) for pid in tree)


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


if not PROC.is_dir():
    raise SystemExit(f"{os.path.basename(__file__)}: needs Linux's /proc to sample memory")
