"""The table-wide mode in CI: every builder of the installed torchvision, every legacy form the
table knows, rewritten by the real rewrite and proven equal on CPU with synthetic weights.

Detection models are compared by their state dicts only: their forward pass runs the heads on up
to 100 boxes at 800 px, minutes per builder on a 2-core runner, while the table's forms differ
only in which weights they load, which the bitwise state dicts already decide. The sample tree
test (`--verify` in test_verify.py) runs detection forward passes, and
`python -m migrate_weights.verify` runs them for every builder."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from migrate_weights.tables.table import generated  # noqa: E402
from migrate_weights.verify.verifier import task_of, verify_builder  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_thread_per_worker")]


@pytest.mark.parametrize("name", sorted(generated().builders))
def test_every_legacy_form_builds_the_same_model(name: str) -> None:
    forward = task_of(name) != "detection"
    results = verify_builder(name, torch.device("cpu"), "synthetic", forward)
    assert [result.render() for result in results if result.failed] == []
    proven = [result.render() for result in results if result.verification is not None]
    assert proven, "no legacy form of this builder was rewritten"
    expected = " output max |diff| 0.0 (cpu" if forward else " forward pass not run (cpu"
    assert all(expected in line for line in proven)
