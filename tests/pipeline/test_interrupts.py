"""Ctrl-C or SIGTERM in the middle of a large run: no half-written file and no temporary file is
left, what was done is printed, and the exit status is 130 (143 for SIGTERM)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from migrate_weights.pipeline.write import write_atomically

LEGACY = (
    "import torchvision.models as models\n\n"
    "def build(pretrained=True):\n"
    "    return models.resnet50(pretrained=pretrained), models.vgg16(pretrained=True)\n"
)
MIGRATED = (
    "import torchvision.models as models\n\n"
    "def build(pretrained=True):\n"
    "    return models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V1 if pretrained "
    "else None), models.vgg16(weights=models.VGG16_Weights.IMAGENET1K_V1)\n"
)
FILES = 4000


@pytest.mark.slow  # a tree of thousands of files, started and stopped four times
@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize(("sent", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_run_leaves_every_file_whole(
    tmp_path: Path, jobs: str, sent: signal.Signals, status: int
) -> None:
    tree = tmp_path / "tree"
    for index in range(FILES):
        folder = tree / f"package_{index // 100:02}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"module_{index:04}.py").write_text(LEGACY)
    command = [sys.executable, "-m", "migrate_weights", str(tree), "-j", jobs]
    run = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        # A shell that starts a job in the background ignores SIGINT in it, and Python then
        # leaves it ignored: the run must have Ctrl-C as a terminal gives it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    first = tree / "package_00" / "module_0000.py"
    deadline = time.monotonic() + 120
    while first.read_text() == LEGACY and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert run.poll() is None, "the run ended before it could be interrupted"
    run.send_signal(sent)
    _, err = run.communicate(timeout=120)
    assert run.returncode == status, err
    contents = [path.read_text() for path in tree.rglob("*.py")]
    assert len(contents) == FILES and set(contents) <= {LEGACY, MIGRATED}
    assert MIGRATED in contents and LEGACY in contents  # stopped midway
    assert [path.name for path in tree.rglob("*") if path.name.startswith(".")] == []
    summary = err.splitlines()[-1]
    assert summary.startswith("migrate-weights: interrupted; ") and " files scanned, " in summary
    changed = int(summary.split(" files scanned, ")[1].split(" changed")[0])
    # What it says it did is what it did, but for a write the signal came right after.
    assert contents.count(MIGRATED) - 1 <= changed <= contents.count(MIGRATED)


def test_a_signal_during_a_write_waits_until_it_is_done(tmp_path: Path) -> None:
    """Ctrl-C sent to the process from another thread (as a pool's manager thread may receive
    it) at any point of many writes: each file is whole, and no temporary file is left beside
    it. A signal taken in the middle of a write left one; holding it in the main thread alone
    (pthread_sigmask) did not help, since another thread receives it then."""
    target = tmp_path / "module.py"
    target.write_text(LEGACY)
    armed, interrupted = False, 0

    class Interrupted(Exception):
        pass

    def interrupt(signum: int, frame: object) -> None:
        if armed:  # only where the loop below catches it
            raise Interrupted

    stop = threading.Event()

    def send() -> None:
        count = 0
        while not stop.is_set():
            os.kill(os.getpid(), signal.SIGINT)
            count += 1
            time.sleep(0.0001 * (count % 4))

    previous = signal.signal(signal.SIGINT, interrupt)
    sender = threading.Thread(target=send)
    sender.start()
    try:
        for _ in range(2000):
            original = target.read_bytes()
            data = (MIGRATED if original == LEGACY.encode() else LEGACY).encode()
            try:
                armed = True
                write_atomically(target, data, original, [tmp_path])
                time.sleep(0.0005)
            except Interrupted:
                interrupted += 1
            finally:
                armed = False
    finally:
        stop.set()
        sender.join()
        time.sleep(0.01)  # a signal sent last is handled here, by `interrupt`, not after
        signal.signal(signal.SIGINT, previous)
    assert interrupted > 100
    assert target.read_text() in {LEGACY, MIGRATED}
    assert [path.name for path in tmp_path.iterdir()] == ["module.py"]
