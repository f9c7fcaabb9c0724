"""The verifier: equal rewrites are proven equal, conditionals are checked per branch, user code is
never run, weights stay offline, and each injected fault is reported as a mismatch."""

from __future__ import annotations

import filecmp
import io
import json
import re
import shutil
from collections.abc import Callable, Hashable
from pathlib import Path

import pytest

from cases import SAMPLE, SAMPLE_MIGRATED

torch = pytest.importorskip("torch")

from torchvision.models import SqueezeNet1_1_Weights, get_model_builder  # noqa: E402

from migrate_weights.cli import main  # noqa: E402
from migrate_weights.diagnostics import CallRewrite  # noqa: E402
from migrate_weights.pipeline.migrate import migrate_file, migrate_source  # noqa: E402
from migrate_weights.tables.table import LegacyTable, generated  # noqa: E402
from migrate_weights.verify import checkpoints  # noqa: E402
from migrate_weights.verify.verifier import (  # noqa: E402
    EQUAL,
    Prover,
    SiteVerifier,
    call_key,
    prove_groups,
    table_variants,
    verify_builder,
    verify_rewrite,
)
from migrate_weights.verify.verifier import main as verify_table  # noqa: E402

CPU = torch.device("cpu")
SMALL_DETECTOR = "fasterrcnn_mobilenet_v3_large_320_fpn"

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_thread_per_worker")]


def rewrite_of(source: str, table: LegacyTable | None = None) -> CallRewrite:
    result = migrate_source(source.encode(), table=table)
    assert len(result.rewrites) == 1, result.diagnostics
    return result.rewrites[0]


def state_dict_size(name: str) -> int:
    return len(get_model_builder(name)().state_dict())


def test_equal_rewrite_reports_every_tensor() -> None:
    rewrite = rewrite_of("import torchvision\ntorchvision.models.squeezenet1_1(pretrained=True)\n")
    verification = verify_rewrite(rewrite, CPU, "synthetic")
    tensors = state_dict_size("squeezenet1_1")
    assert verification.equal and verification.compared
    assert verification.render() == (
        "torchvision.models.squeezenet1_1(pretrained=True) == torchvision.models.squeezenet1_1("
        "weights=torchvision.models.SqueezeNet1_1_Weights.IMAGENET1K_V1): "
        f"{tensors} tensors equal, output max |diff| 0.0 (cpu, synthetic weights)"
    )


def test_conditional_is_verified_for_both_branches() -> None:
    rewrite = rewrite_of(
        "from torchvision.models import squeezenet1_1\nsqueezenet1_1(pretrained=args.pretrained)\n"
    )
    verification = verify_rewrite(rewrite, CPU, "synthetic")
    assert verification.equal
    assert "[args.pretrained=True] " in verification.detail
    assert "[args.pretrained=False] " in verification.detail


def test_conditional_on_a_string_tries_that_string() -> None:
    rewrite = CallRewrite(
        1,
        1,
        "squeezenet1_1",
        "squeezenet1_1(pretrained=p)",
        'squeezenet1_1(weights="IMAGENET1K_V1" if p == "legacy" else None)',
    )
    # Wrong on purpose for p=True (the legacy call loads weights): only that branch differs.
    verification = verify_rewrite(rewrite, CPU, "synthetic")
    assert not verification.equal
    branches = verification.detail.split("; ")
    assert branches[0].startswith("[p='legacy'] ") and "tensors equal" in branches[0]
    assert branches[1].startswith("[p=True] state_dict tensor ") and "differs" in branches[1]
    assert branches[2].startswith("[p=False] ") and "tensors equal" in branches[2]


def test_string_member_and_get_model() -> None:
    rewrite = CallRewrite(
        1,
        1,
        "squeezenet1_1",
        'models.get_model("squeezenet1_1", pretrained=True)',
        'models.get_model("squeezenet1_1", weights="IMAGENET1K_V1")',
    )
    assert verify_rewrite(rewrite, CPU, "synthetic").equal


def test_non_literal_argument_takes_the_default_and_is_reported(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    call = f"squeezenet1_1({{}}, num_classes=len(open({str(marker)!r}, 'w').name), **config)"
    rewrite = CallRewrite(
        1,
        1,
        "squeezenet1_1",
        call.format("pretrained=False"),
        call.format("weights=None"),
    )
    verification = verify_rewrite(rewrite, CPU, "synthetic")
    assert verification.equal
    assert verification.detail.endswith(
        f"replaced by the builder's defaults: num_classes=len(open({str(marker)!r}, 'w').name), "
        "**config)"
    )
    assert not marker.exists()


def test_call_that_raises_on_both_sides_is_equal_but_not_compared() -> None:
    rewrite = rewrite_of(
        "from torchvision.models import squeezenet1_1\n"
        "squeezenet1_1(pretrained=True, num_classes=10)\n"
    )
    verification = verify_rewrite(rewrite, CPU, "synthetic")
    assert verification.equal and not verification.compared
    assert verification.detail.startswith("both raise ValueError: The parameter 'num_classes'")


def test_synthetic_weights_are_deterministic_per_member_and_differ_between_members() -> None:
    template = torch.zeros(8, 3, 3, 3)
    first = checkpoints.synthetic_value("https://x/a.pth|conv.weight", template)
    again = checkpoints.synthetic_value("https://x/a.pth|conv.weight", template)
    other = checkpoints.synthetic_value("https://x/b.pth|conv.weight", template)
    assert torch.equal(first, again)
    assert not torch.eq(first, other).any()
    variances = checkpoints.synthetic_value("https://x/a.pth|bn.running_var", torch.ones(8))
    assert bool((variances > 0).all())


def test_offline_weights_never_download_nor_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))

    def download(*args: object, **kwargs: object) -> None:
        raise AssertionError("a download was attempted")

    monkeypatch.setattr("torch.hub.load_state_dict_from_url", download)
    monkeypatch.setattr("torchvision.models._api.load_state_dict_from_url", download)
    builder = get_model_builder("squeezenet1_1")
    with checkpoints.offline_weights("auto") as loaded:
        builder(weights="IMAGENET1K_V1")
    assert loaded == ["synthetic"]
    with pytest.raises(checkpoints.MissingCheckpoint), checkpoints.offline_weights("real"):
        builder(weights="IMAGENET1K_V1")
    assert list(tmp_path.rglob("*")) == []


def test_real_checkpoint_comes_from_the_hub_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    builder = get_model_builder("squeezenet1_1")
    torch.manual_seed(7)
    saved = builder().state_dict()
    path = checkpoints.cached_checkpoint(SqueezeNet1_1_Weights.IMAGENET1K_V1.url)
    path.parent.mkdir(parents=True)
    torch.save(saved, path)
    with checkpoints.offline_weights("auto") as loaded:
        model = builder(weights="IMAGENET1K_V1")
    assert loaded == ["real"]
    assert all(torch.equal(model.state_dict()[key], value) for key, value in saved.items())


@pytest.mark.parametrize(
    ("name", "variants"),
    [
        ("resnet50", ["pretrained=True", "pretrained=False", "True"]),
        (
            "fasterrcnn_resnet50_fpn",
            ["pretrained=True", "pretrained=False", "True", "pretrained_backbone=True"]
            + ["pretrained_backbone=False", "False, False, None, True"],
        ),
        (
            "keypointrcnn_resnet50_fpn",
            ["pretrained=True", "pretrained=False", "True", "pretrained='legacy'"]
            + ["pretrained_backbone=True", "pretrained_backbone=False"]
            + ["False, False, None, None, True"],
        ),
        (
            "quantized_resnet50",
            ["pretrained=True", "pretrained=False", "True", "pretrained=True, quantize=True"]
            + ["pretrained=True, quantize=False", "True, False, True"],
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_table_variants(name: str, variants: list[str]) -> None:
    assert table_variants(generated().builder_named(name)) == variants


def test_table_mode_leaves_builders_without_legacy_weights_alone(tamper_table) -> None:  # type: ignore[no-untyped-def]
    table = tamper_table("squeezenet1_1", pretrained=None)
    true, false, positional = verify_builder("squeezenet1_1", CPU, "synthetic", table=table)
    assert (true.verification, true.failed) == (None, False)
    assert true.render().startswith("squeezenet1_1(pretrained=True): not rewritten: ")
    assert (positional.verification, positional.failed) == (None, False)
    assert false.render().startswith(
        "squeezenet1_1(pretrained=False) == squeezenet1_1(weights=None): "
    )
    assert not false.failed


# The injected faults: each must come out as a mismatch.


def test_fault_resnet50_mapped_to_v2(tamper_table) -> None:  # type: ignore[no-untyped-def]
    table = tamper_table("resnet50", pretrained="ResNet50_Weights.IMAGENET1K_V2")
    source = "from torchvision.models import resnet50\nresnet50(pretrained=True)\n"
    rewrite = rewrite_of(source, table)
    assert rewrite.after == "resnet50(weights=ResNet50_Weights.IMAGENET1K_V2)"
    verification = verify_rewrite(rewrite, CPU, "synthetic")
    assert not verification.equal
    assert verification.detail.startswith("state_dict tensor 'conv1.weight' differs (max |diff| ")


def test_fault_quantized_builder_mapped_to_the_float_enum(tamper_table) -> None:  # type: ignore[no-untyped-def]
    name = "quantized_shufflenet_v2_x0_5"
    (param,) = generated().builders[name]["legacy"]
    float_member = param["pretrained"]
    table = tamper_table(name, switch=("quantize", float_member))
    rewrite = rewrite_of(
        "from torchvision.models.quantization import shufflenet_v2_x0_5\n"
        "shufflenet_v2_x0_5(pretrained=True, quantize=True)\n",
        table,
    )
    assert float_member in rewrite.after
    verification = verify_rewrite(rewrite, CPU, "synthetic")
    assert not verification.equal
    assert verification.detail.startswith("only the rewritten call raises TypeError: ")


def test_fault_progress_read_as_pretrained_backbone(tamper_table) -> None:  # type: ignore[no-untyped-def]
    order = list(generated().builders[SMALL_DETECTOR]["parameters"])
    progress, backbone = order.index("progress"), order.index("weights_backbone")
    order[progress], order[backbone] = order[backbone], order[progress]
    table = tamper_table(SMALL_DETECTOR, parameters=tuple(order))
    rewrite = rewrite_of(
        f"from torchvision.models.detection import {SMALL_DETECTOR}\n"
        f"{SMALL_DETECTOR}(False, False, None, True)\n",
        table,
    )
    assert "weights_backbone=None" in rewrite.after
    verification = verify_rewrite(rewrite, CPU, "synthetic")
    assert not verification.equal
    assert verification.detail.startswith("state_dict entries differ: only the rewritten call has ")


def test_fault_weights_backbone_dropped() -> None:
    rewrite = CallRewrite(
        1,
        1,
        SMALL_DETECTOR,
        f"{SMALL_DETECTOR}(pretrained=False, pretrained_backbone=False)",
        f"{SMALL_DETECTOR}(weights=None)",
    )
    verification = verify_rewrite(rewrite, CPU, "synthetic")
    assert not verification.equal
    assert verification.detail.startswith("state_dict entries differ: only the legacy call has ")


def test_table_mode_exits_3_on_a_tampered_table(tamper_table, capsys) -> None:  # type: ignore[no-untyped-def]
    wrong = "SqueezeNet1_0_Weights.IMAGENET1K_V1"
    table = tamper_table("squeezenet1_1", pretrained=wrong)
    arguments = ["--builder", "squeezenet1_1", "--device", "cpu", "--weights", "synthetic"]
    assert verify_table(arguments, table) == 3
    out, err = capsys.readouterr()
    assert [line.split(":")[0] for line in out.splitlines() if " != " in line] == [
        f"squeezenet1_1(pretrained=True) != squeezenet1_1(weights={wrong})",
        f"squeezenet1_1(True) != squeezenet1_1(weights={wrong})",
    ]
    assert (
        "3 legacy forms on cpu: 1 proven equal, 0 left alone (no legacy weights), 2 failed" in err
    )


# The command line.


def verified_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if re.match(r"\S+(:cell \d+)?:\d+:\d+ ", line)]


def test_cli_verifies_and_writes_every_rewritten_call_site_of_the_sample(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    tree = tmp_path / "legacy_sample"
    shutil.copytree(SAMPLE, tree)
    rewritten = [
        r for p in sorted(tree.rglob("*.py")) for r in migrate_source(p.read_bytes()).rewrites
    ]
    status = main([str(tree), "--verify", "--device", "cpu", "--weights", "synthetic"])
    out, err = capsys.readouterr()
    verified = verified_lines(out)
    assert status == 0, out  # every rewrite proven equal, though a site is left for a person
    assert len(verified) == len(rewritten) > 0
    assert all(" == " in line and line.endswith(")") for line in verified), out
    assert f"verified {len(rewritten)} call sites, {len(rewritten)} equal, 0 differ" in err
    expected = SAMPLE_MIGRATED
    files = sorted(p.relative_to(expected) for p in expected.rglob("*.py"))
    assert files == sorted(p.relative_to(tree) for p in tree.rglob("*.py"))
    assert filecmp.cmpfiles(expected, tree, files, shallow=False)[0] == files


def test_cli_diff_and_verify_exits_0_when_every_rewrite_is_equal(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = tmp_path / "train.py"
    source = b"import torchvision\ntorchvision.models.squeezenet1_1(pretrained=True)\n"
    path.write_bytes(source)
    status = main([str(path), "--diff", "--verify", "--device", "cpu", "--weights", "synthetic"])
    out, err = capsys.readouterr()
    assert status == 0
    assert out.startswith(f"--- {path}\n")  # the diff alone on standard output
    assert [line.split(" == ")[0] for line in verified_lines(err)] == [
        f"{path}:2:1 torchvision.models.squeezenet1_1(pretrained=True)"
    ]
    assert path.read_bytes() == source


def test_cli_verify_keeps_the_json_document_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = tmp_path / "train.py"
    path.write_text("import torchvision\ntorchvision.models.squeezenet1_1(pretrained=True)\n")
    arguments = ["--check", "--format", "json", "--verify", "--device", "cpu"]
    assert main([str(path), *arguments, "--weights", "synthetic"]) == 0
    out, err = capsys.readouterr()
    assert [finding["code"] for finding in json.loads(out)] == ["MW001"]
    assert len(verified_lines(err)) == 1


def test_cli_counts_fixes_it_has_no_call_to_build_for(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = tmp_path / "train.py"
    path.write_text(
        "import torchvision.models as models\nmodels.__dict__[name](pretrained=False)\n"
    )
    assert main([str(path), "--verify", "--device", "cpu"]) == 0
    assert "weights=None" in path.read_text()
    err = capsys.readouterr().err
    assert "verified 0 call sites, 0 equal, 0 differ; 1 other fixes not verified (" in err


def test_cli_in_place_writes_only_files_whose_rewrites_are_equal(
    tmp_path: Path, capsys: pytest.CaptureFixture, tamper_table
) -> None:  # type: ignore[no-untyped-def]
    table = tamper_table("resnet50", pretrained="ResNet50_Weights.IMAGENET1K_V2")
    tampered, sound = tmp_path / "a_train.py", tmp_path / "b_eval.py"
    tampered_source = (
        b"import torchvision.models as tvm\n"
        b"head = tvm.squeezenet1_1(pretrained=True)\n"
        b"model = tvm.resnet50(True)\n"
    )
    tampered.write_bytes(tampered_source)
    sound.write_text("import torchvision\ntorchvision.models.squeezenet1_1(pretrained=True)\n")
    status = main([str(tmp_path), "--verify", "--device", "cpu", "--weights", "synthetic"], table)
    out, err = capsys.readouterr()
    assert status == 3
    assert tampered.read_bytes() == tampered_source
    assert "SqueezeNet1_1_Weights.IMAGENET1K_V1" in sound.read_text()
    lines = out.splitlines()
    assert lines[1].startswith(
        f"{tampered}:3:9 tvm.resnet50(True) != "
        "tvm.resnet50(weights=tvm.ResNet50_Weights.IMAGENET1K_V2): "
        "state_dict tensor 'conv1.weight' differs"
    )
    assert (
        f"{tampered}:1:1: MW005 not written: --verify found a rewrite that changes the model"
        in lines
    )
    summary = "2 files scanned, 1 changed, 3 call sites rewritten, 0 left for a person, 1 failed"
    assert summary in err
    assert "verified 3 call sites, 2 equal, 1 differ" in err


def test_cli_in_place_leaves_a_file_it_cannot_verify_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty_hub_cache"))
    path = tmp_path / "train.py"
    source = b"import torchvision\ntorchvision.models.squeezenet1_1(pretrained=True)\n"
    path.write_bytes(source)
    assert main([str(path), "--verify", "--device", "cpu", "--weights", "real"]) == 2
    out, err = capsys.readouterr()
    assert path.read_bytes() == source
    (line,) = verified_lines(out)
    assert " -> torchvision.models.squeezenet1_1(weights=" in line
    assert ": not verified: SqueezeNet1_1_Weights.IMAGENET1K_V1: no checkpoint at " in line
    assert f"{path}:1:1: MW005 not written: --verify could not verify a rewrite" in out
    assert "verified 1 call sites, 0 equal, 0 differ, 1 not verified" in err


def test_cli_rejects_verify_on_standard_input(capsys: pytest.CaptureFixture) -> None:
    assert main(["-", "--verify"]) == 2
    assert "--verify works on files" in capsys.readouterr().err


def test_cli_rejects_cuda_without_a_gpu(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    path = tmp_path / "train.py"
    path.write_text("import torchvision\ntorchvision.models.squeezenet1_1(pretrained=True)\n")
    assert main([str(path), "--check", "--verify", "--device", "cuda"]) == 2
    assert "no CUDA device is available" in capsys.readouterr().err


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_equal_rewrite_on_cuda() -> None:
    rewrite = rewrite_of("import torchvision\ntorchvision.models.resnet18(pretrained=True)\n")
    verification = verify_rewrite(rewrite, torch.device("cuda"), "synthetic")
    assert verification.equal and verification.compared
    assert verification.detail.endswith("(cuda, synthetic weights)")


def test_cli_verifies_calls_in_notebooks(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    import nbformat

    path = tmp_path / "explore.ipynb"
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("import torchvision"),
        nbformat.v4.new_code_cell(
            "%matplotlib inline\nmodel = torchvision.models.squeezenet1_1(True)"
        ),
    ]
    nbformat.write(notebook, path)
    status = main([str(path), "--verify", "--device", "cpu", "--weights", "synthetic"])
    out, _ = capsys.readouterr()
    assert status == 0, out
    [line] = verified_lines(out)
    assert line.startswith(f"{path}:cell 2:2:9 torchvision.models.squeezenet1_1(True) == "), line
    assert "squeezenet1_1(weights=" in nbformat.read(path, as_version=4).cells[1].source


SITES = {  # a file each; `same` evaluates as `first` does, the others differ in one argument
    "first": "squeezenet1_1(pretrained=True)",
    "same": "squeezenet1_1(  pretrained = True  )",
    "false": "squeezenet1_1(pretrained=False)",
    "progress": "squeezenet1_1(pretrained=True, progress=False)",
    "builder": "squeezenet1_0(pretrained=True)",
}


def shared_proofs(tmp_path: Path, verifier: SiteVerifier) -> dict[str, str]:
    """Which site's proof each site was given, where not its own (by file name)."""
    stream = io.StringIO()
    for name, call in SITES.items():
        path = tmp_path / f"{name}.py"
        path.write_text(f"from torchvision.models import *\n\nmodel = {call}\n")
        verifier.verify_file(migrate_file(path), stream)
    shared = {}
    for line in stream.getvalue().splitlines():
        found = re.search(r"same as \S*/(\w+)\.py:", line)
        if found:
            shared[Path(line.split(":")[0]).stem] = found.group(1)
    return shared


def test_each_distinct_call_is_proven_once(tmp_path: Path) -> None:
    verifier = SiteVerifier("cpu", "synthetic")
    assert shared_proofs(tmp_path, verifier) == {"same": "first"}
    assert len(verifier.proofs) == len(SITES) - 1
    assert verifier.counts == {"equal": len(SITES), "differ": 0, "not verified": 0}


def test_proofs_keyed_by_builder_alone_are_caught(tmp_path: Path) -> None:
    verifier = SiteVerifier("cpu", "synthetic", key=lambda rewrite: rewrite.builder)
    assert shared_proofs(tmp_path, verifier) != {"same": "first"}


# resnet50's calls: each differs from every other in one evaluated argument at least (`verbose`,
# not a literal, is left at the default, and the source it replaced is part of the call), but for
# the rewritten calls that two rewrites share. The last rewrite is wrong.
RESNET50_REWRITES = [
    ("resnet50(pretrained=True)", "resnet50(weights=ResNet50_Weights.IMAGENET1K_V1)"),
    ("resnet50(True)", "resnet50(weights=ResNet50_Weights.IMAGENET1K_V1)"),
    ("resnet50(pretrained=False)", "resnet50(weights=None)"),
    ("resnet50(pretrained=False, progress=False)", "resnet50(weights=None, progress=False)"),
    ("resnet50(pretrained=False, progress=verbose)", "resnet50(weights=None, progress=verbose)"),
    (
        "resnet50(pretrained=True, progress=False)",
        "resnet50(weights=ResNet50_Weights.IMAGENET1K_V2, progress=False)",
    ),
]


def assert_each_distinct_call_built_once(key: Callable[..., Hashable]) -> None:
    prover = Prover(CPU, "synthetic", key=key)
    rewrites = [CallRewrite(1, 1, "resnet50", *calls) for calls in RESNET50_REWRITES]
    verifications = prover.verify(rewrites)
    assert [v.status for v in verifications] == [EQUAL] * 5 + ["differ"], verifications
    assert "replaced by the builder's defaults: progress=verbose" in verifications[4].detail
    assert "state_dict tensor 'conv1.weight' differs" in verifications[-1].detail
    distinct = {call for calls in RESNET50_REWRITES for call in calls}
    assert prover.builds == len(distinct) == 11


def test_each_distinct_call_is_built_once() -> None:
    assert_each_distinct_call_built_once(call_key)


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(lambda builder, bound: builder, id="builder"),
        pytest.param(lambda builder, bound: call_key(builder, bound)[:2], id="positionals"),
        pytest.param(lambda builder, bound: call_key(builder, bound)[:3], id="not-defaulted"),
    ],
)
def test_builds_keyed_by_less_than_every_evaluated_argument_are_caught(
    key: Callable[..., Hashable],
) -> None:
    with pytest.raises(AssertionError):
        assert_each_distinct_call_built_once(key)


def test_groups_proven_on_two_processes_as_on_one() -> None:
    forms = {"squeezenet1_1": ["pretrained=True", "True"], "resnet18": ["pretrained=False"]}
    groups = [
        [rewrite_of(f"from torchvision.models import {name}\n{name}({form})\n") for form in calls]
        for name, calls in forms.items()
    ]
    proven = {jobs: dict(prove_groups(groups, CPU, "synthetic", jobs=jobs)) for jobs in (1, 2)}
    renders = {
        jobs: {index: [v.render() for v in group.verifications] for index, group in done.items()}
        for jobs, done in proven.items()
    }
    assert renders[1] == renders[2] and len(renders[2][0]) == 2
    assert [group.builds for _, group in sorted(proven[2].items())] == [3, 2]


def test_table_mode_prints_the_same_for_any_number_of_jobs(capsys: pytest.CaptureFixture) -> None:
    outputs = []
    for jobs in ("1", "2"):
        arguments = ["--builder", "squeezenet1_1", "--builder", "resnet18", "--device", "cpu"]
        status = verify_table([*arguments, "--weights", "synthetic", "-j", jobs])
        out, err = capsys.readouterr()
        assert status == 0, out + err
        assert "6 legacy forms on cpu: 6 proven equal" in err and "10 models built" in err, err
        outputs.append(out)
    assert outputs[0] == outputs[1]
    assert outputs[0].splitlines()[0].startswith("squeezenet1_1(pretrained=True) == ")  # as given


def test_cli_verifies_the_same_for_any_number_of_jobs(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    for name in ("squeezenet1_1", "resnet18"):
        (tmp_path / f"{name}.py").write_text(
            f"from torchvision.models import {name}\n\nmodel = {name}(pretrained=True)\n"
        )
    outputs = []
    for jobs in ("1", "2"):
        status = main([str(tmp_path), "--check", "--verify", "--device", "cpu", "-j", jobs])
        outputs.append(capsys.readouterr())
        assert status == 0, outputs[-1]
    assert outputs[0] == outputs[1]
    assert (
        "verified 2 call sites, 2 equal, 0 differ; 2 distinct calls proven, 4 models built"
        in outputs[1].err
    )
