"""Fixtures shared by every test folder. Test modules are laid out like the package
(tests/rules/, tests/pipeline/, tests/fast_path/, tests/tables/, tests/verify/), with unique
basenames and no __init__.py; the fixture cases and their checks are in tests/cases.py, which
every folder imports as `cases`: this folder is put on sys.path for it, whatever the import mode
and wherever pytest is started."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from migrate_weights.tables import legacy_table
from migrate_weights.tables.table import builder_named

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
def tamper_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Change one builder's entry in the generated table for the test (a fault to inject):
    `tamper(name, parameters=(...))` its positional order, `tamper(name, pretrained=...)` (or
    `switch=`, `new=`...) a field of its first legacy parameter, `index=1` of the second."""

    def tamper(
        name: str, parameters: tuple[str, ...] | None = None, index: int = 0, **fields: Any
    ) -> None:
        entry = dict(legacy_table.BUILDERS[name])
        if parameters is not None:
            entry["parameters"] = parameters
        if fields:
            legacy = [dict(param) for param in entry["legacy"]]
            legacy[index].update(fields)
            entry["legacy"] = tuple(legacy)
        monkeypatch.setitem(legacy_table.BUILDERS, name, entry)
        builder_named.cache_clear()

    yield tamper
    builder_named.cache_clear()
