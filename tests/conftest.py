"""Fixtures shared by every test folder. Test modules are laid out like the package
(tests/rules/, tests/pipeline/, tests/fast_path/, tests/tables/, tests/verify/), with unique
basenames and no __init__.py; the fixture cases and their checks are in tests/cases.py, which
every folder imports as `cases`: this folder is put on sys.path for it, whatever the import mode
and wherever pytest is started."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from migrate_weights.tables.table import LegacyTable, generated

TESTS = str(Path(__file__).resolve().parent)
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)


@pytest.fixture(scope="module")
def one_thread_per_worker() -> Iterator[None]:
    """One torch thread per pytest-xdist worker, for modules that build models: the workers
    already keep every core busy, and more threads only make them wait on each other."""
    import torch  # here, not at the top: most test modules never need torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def tamper_table() -> Callable[..., LegacyTable]:
    """A copy of the generated table with one builder's entry changed (a fault to inject), to
    pass where the code takes a table: `tamper(name, parameters=(...))` its positional order,
    `tamper(name, pretrained=...)` (or `switch=`, `new=`...) a field of its first legacy
    parameter, `index=1` of the second."""

    def tamper(
        name: str, parameters: tuple[str, ...] | None = None, index: int = 0, **fields: Any
    ) -> LegacyTable:
        table = generated()
        entry = dict(table.builders[name])
        if parameters is not None:
            entry["parameters"] = parameters
        if fields:
            legacy = [dict(param) for param in entry["legacy"]]
            legacy[index].update(fields)
            entry["legacy"] = tuple(legacy)
        return dataclasses.replace(table, builders={**table.builders, name: entry})

    return tamper
