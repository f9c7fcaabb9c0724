"""The `torch.hub.load` rule: a call of the vision repository's entry point with legacy arguments,
planned as the builder call it makes, and what is left alone (other repositories, old tags, local
directories). Its fixtures, byte for byte, from fixtures/hub_load/ (see tests/cases.py), and the
pre-filter on hub files. Run under torchvision: tests/verify/test_hub_runtime.py."""

from __future__ import annotations

from cases import FIXTURES, fixture_tests, noop_tests
from migrate_weights.pipeline import screen
from migrate_weights.pipeline.migrate import migrate_source

test_fixes, test_second_run_changes_nothing = fixture_tests("hub_load")
test_noop = noop_tests("hub_load")


def test_prefilter_passes_hub_files_that_never_name_torchvision() -> None:
    """torch.hub.load files may not mention torchvision: the pre-filter must not skip them."""
    for case in ("hub_load", "hub_not_fixable"):
        source = (FIXTURES / "hub_load" / f"{case}.in.py").read_bytes()
        assert b"torchvision" not in source
        assert screen.might_need_migration(source)
        assert migrate_source(source).diagnostics
    concatenated = b'import torch\nm = torch.hub.load("pytorch/" "vision", "resnet50", True)\n'
    assert not screen.might_need_migration(concatenated)
    # the hub rule agrees: not spelled, not rewritten
    assert migrate_source(concatenated, screen=False).migrated == concatenated
