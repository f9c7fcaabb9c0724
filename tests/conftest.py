from __future__ import annotations

from collections.abc import Iterator

import pytest

from codemod.table import builder_named


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
def restore_table() -> Iterator[None]:
    """For tests that tamper with the table through monkeypatch: set up before monkeypatch, so
    that its cache is cleared after monkeypatch has put the table back."""
    yield
    builder_named.cache_clear()
