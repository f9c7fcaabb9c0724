"""Tasks run on several processes within a memory budget: a task starts only when the memory the
running ones may need, and its own, fit in the budget (or when nothing else runs)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from typing import TypeVar

Task = TypeVar("Task")
Result = TypeVar("Result")

MEMORY_SHARE = 0.8  # of the machine's memory, for the tasks together: the rest is the system's


def machine_memory() -> int:
    """The machine's physical memory in bytes."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def bounded(
    tasks: Sequence[Task],
    run: Callable[[Task], Result],
    executor: Executor,
    workers: int,
    memory: Callable[[Task], int],
    budget: int,
) -> Iterator[tuple[Task, Result]]:
    """Each task's result as it comes, from at most `workers` tasks at a time on `executor`.
    Tasks start in the order given, but one that does not fit beside those running waits while a
    later one that fits starts."""
    pending = list(tasks)
    running: dict[Future[Result], tuple[Task, int]] = {}
    while pending or running:
        for task in list(pending):
            if len(running) >= workers:
                break
            need = memory(task)
            if running and sum(held for _, held in running.values()) + need > budget:
                continue
            running[executor.submit(run, task)] = (task, need)
            pending.remove(task)
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in done:
            task, _ = running.pop(future)
            yield task, future.result()
