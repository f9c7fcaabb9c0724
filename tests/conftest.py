from __future__ import annotations

from collections.abc import Iterator

import pytest

from codemod.table import builder_named


@pytest.fixture
def restore_table() -> Iterator[None]:
    """For tests that tamper with the table through monkeypatch: set up before monkeypatch, so
    that its cache is cleared after monkeypatch has put the table back."""
    yield
    builder_named.cache_clear()
