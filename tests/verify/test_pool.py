"""Tasks on several workers within a memory budget: the heavy ones are not run side by side when
together they would exceed it, and every task's result comes back once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from migrate_weights.verify import pool

MEMORY = {"vit_h_14": 10, "regnet_y_128gf": 9, "resnet18": 1, "squeezenet1_1": 1, "alexnet": 1}


class Recorder:
    """Runs a task for a moment, recording which tasks ran beside which."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: set[str] = set()
        self.beside: set[frozenset[str]] = set()

    def __call__(self, task: str) -> str:
        with self.lock:
            self.beside.update(frozenset({task, other}) for other in self.running)
            self.running.add(task)
        time.sleep(0.05)
        with self.lock:
            self.running.remove(task)
        return task.upper()


def run(budget: int, workers: int = 2) -> tuple[Recorder, list[tuple[str, str]]]:
    recorder = Recorder()
    with ThreadPoolExecutor(workers) as executor:
        done = list(pool.bounded(list(MEMORY), recorder, executor, workers, MEMORY.get, budget))
    return recorder, done


@pytest.mark.parametrize("budget", [12, 18])
def test_tasks_that_together_exceed_the_budget_never_run_side_by_side(budget: int) -> None:
    recorder, done = run(budget)
    assert sorted(done) == sorted((task, task.upper()) for task in MEMORY)
    heavy = frozenset({"vit_h_14", "regnet_y_128gf"})
    assert heavy not in recorder.beside
    # the light tasks ran beside the heavy ones: the budget holds back only what does not fit
    assert any(pair & heavy and len(pair & heavy) == 1 for pair in recorder.beside)


def test_tasks_that_fit_run_side_by_side() -> None:
    recorder, _ = run(budget=19)
    assert frozenset({"vit_h_14", "regnet_y_128gf"}) in recorder.beside


def test_a_task_above_the_budget_runs_alone() -> None:
    recorder, done = run(budget=5)
    assert len(done) == len(MEMORY)
    assert not any(pair & {"vit_h_14", "regnet_y_128gf"} for pair in recorder.beside)


def test_no_more_tasks_than_workers_at_a_time() -> None:
    recorder, _ = run(budget=100, workers=1)
    assert recorder.beside == set()
