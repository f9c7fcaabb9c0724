"""The `torchvision.models.utils` rule: torchvision 0.11 removed the module, which only re-exported
torch.hub's `load_state_dict_from_url`; every import and use of it is rewritten to torch.hub's.
Its fixtures, byte for byte, from fixtures/models_utils/ (see tests/cases.py), and the imports
it writes, resolved under torch."""

from __future__ import annotations

from typing import Any

import pytest

from cases import FIXTURES, fixture_tests

test_fixes, test_second_run_changes_nothing = fixture_tests("models_utils")


def test_migrated_models_utils_imports_resolve() -> None:
    """Every import the rule writes exists, and is torch's function."""
    pytest.importorskip("torchvision")  # the migrated imports import it
    import torch.hub

    source = (FIXTURES / "models_utils" / "models_utils.out.py").read_text()
    imports = "".join(line + "\n" for line in source.splitlines() if "import" in line)
    namespace: dict[str, object] = {}
    exec(compile(imports, "<imports>", "exec"), namespace)
    for name in ("load_state_dict_from_url", "load_url"):
        assert namespace[name] is torch.hub.load_state_dict_from_url
    for alias in ("tv_utils", "model_utils"):
        assert (
            namespace[alias].load_state_dict_from_url  # type: ignore[attr-defined]
            is torch.hub.load_state_dict_from_url
        )


def test_an_import_with_a_fallback_binds_what_the_original_did(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """pytorch-fid's `try`/`except ImportError` imports, run under current torchvision: the
    original takes its fallbacks, the migrated module its rewritten imports, and both reach
    torch's function; the lazy import without a fallback works only once migrated."""
    pytest.importorskip("torchvision")
    import torch.hub

    case = FIXTURES / "models_utils" / "import_fallback"
    modules = {}
    for suffix in (".in.py", ".out.py"):
        namespace: dict[str, Any] = {"__name__": "fixture"}
        exec(compile(case.with_suffix(suffix).read_text(), suffix, "exec"), namespace)
        modules[suffix] = namespace
    original, migrated = modules[".in.py"], modules[".out.py"]
    function = torch.hub.load_state_dict_from_url
    assert original["load_state_dict_from_url"] is migrated["load_state_dict_from_url"] is function
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", lambda url, **kwargs: url)
    assert (
        original["fid_state_dict"]() == migrated["fid_state_dict"]() == original["FID_WEIGHTS_URL"]
    )
    assert migrated["lazily"]() == original["FID_WEIGHTS_URL"]
    with pytest.raises(ModuleNotFoundError):
        original["lazily"]()
