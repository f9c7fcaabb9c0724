"""The verifier: build every rewritten call both ways, the legacy call through torchvision's own
shim and the migrated call, and prove that they load the same weights and compute the same thing.

Call text is read with `ast` only and nothing the user wrote is ever executed: literals are read
with `ast.literal_eval`, `Any.Cls.MEMBER` with `torchvision.models.get_weight("Cls.MEMBER")`, and
any other expression is replaced by the builder's default (and reported), except the tests of the
conditionals the rewrite wrote, which are verified for each value they can take.

`python -m migrate_weights.verify` runs the table-wide mode: every builder x every legacy form
the table knows, each rewritten by the real rewrite and verified.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import os
import time
import warnings
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import click
import torch
from torchvision.models import get_model_builder, get_model_weights, get_weight

from migrate_weights.commands import ExitStatus, run
from migrate_weights.diagnostics import CallRewrite, Code
from migrate_weights.pipeline.migrate import FileResult, migrate_source
from migrate_weights.syntax.arguments import NOT_LITERAL
from migrate_weights.tables.table import Builder, LegacyTable, generated
from migrate_weights.verify import DEVICES, WEIGHT_SOURCES
from migrate_weights.verify.checkpoints import MissingCheckpoint, offline_weights

# What verifying a rewrite can show: equal, a difference, or nothing (a checkpoint is missing).
EQUAL, DIFFER, NOT_VERIFIED = "equal", "differ", "not verified"
SEED = 0
SMALLEST_IMAGE = 64
VIDEO_FRAMES = 4
FLOW_UPDATES = 3
# Two model instances on one GPU may be given different cuDNN / cuBLAS kernels (the choice depends
# on free workspace), which sum in a different order even with deterministic algorithms on. The
# weights are still compared bitwise, so a wrong member cannot hide behind this tolerance.
CUDA_OUTPUT_TOLERANCE = 1e-4


@dataclass
class _Arguments:
    args: list[Any] = field(default_factory=list)
    kwargs: dict[str, Any] = field(default_factory=dict)
    defaulted: list[str] = field(default_factory=list)  # source replaced by the builder's default


@dataclass
class _Outcome:
    """What one side built: its state dict and outputs as named leaves, or the error it raised."""

    state: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    error: BaseException | None = None
    device: str = "cpu"
    weights: tuple[str, ...] = ()  # "real" / "synthetic" per checkpoint loaded
    defaulted: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verification:
    before: str
    after: str
    status: str  # EQUAL, DIFFER (some branch differs) or NOT_VERIFIED (some branch not built)
    detail: str
    compared: bool  # False when some branch only showed that both calls raise the same error

    @property
    def equal(self) -> bool:
        return self.status == EQUAL

    def render(self) -> str:
        relation = {EQUAL: "==", DIFFER: "!="}.get(self.status, "->")
        return f"{self.before} {relation} {self.after}: {self.detail}"


def _call(text: str) -> ast.Call:
    node = ast.parse(text.strip(), mode="eval").body
    if not isinstance(node, ast.Call):
        raise ValueError(f"not a call: {text!r}")
    return node


def _weights_member(node: ast.AST) -> Any:
    """`Any.Cls.MEMBER` as torchvision's member, or None when `Cls` is no weights enum. A known
    enum without that member raises KeyError."""
    if not isinstance(node, ast.Attribute):
        return None
    owner = node.value
    enum_class = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
    if enum_class is None:
        return None
    try:
        return get_weight(f"{enum_class}.{node.attr}")
    except ValueError:
        return None


def _value(node: ast.AST, assignment: Mapping[str, Any]) -> Any:
    """The value of an argument under `assignment` (condition -> value), or NOT_LITERAL."""
    key = ast.dump(node)
    if key in assignment:
        return assignment[key]
    if isinstance(node, ast.IfExp):
        test = _value(node.test, assignment)
        if test is NOT_LITERAL:
            return NOT_LITERAL
        return _value(node.body if test else node.orelse, assignment)
    equality = _equality(node)
    if equality is not None:
        left = _value(equality.left, assignment)
        right = _value(equality.comparators[0], assignment)
        if left is NOT_LITERAL or right is NOT_LITERAL:
            return NOT_LITERAL
        return (left == right) == isinstance(equality.ops[0], ast.Eq)
    member = _weights_member(node)
    if member is not None:
        return member
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return NOT_LITERAL


def _equality(node: ast.AST) -> ast.Compare | None:
    """The node, if it is `a == b` or `a != b`."""
    if not isinstance(node, ast.Compare) or len(node.ops) != 1:
        return None
    return node if isinstance(node.ops[0], (ast.Eq, ast.NotEq)) else None


def _conditions(call: ast.Call) -> dict[str, tuple[str, list[Any]]]:
    """The non-literal tests of the call's conditionals: ast dump -> (source, values to try)."""
    found: dict[str, tuple[str, list[Any]]] = {}

    def add(node: ast.AST, compared_with: Any = NOT_LITERAL) -> None:
        if _value(node, {}) is not NOT_LITERAL:
            return
        _, values = found.setdefault(ast.dump(node), (ast.unparse(node), [True, False]))
        if compared_with is not NOT_LITERAL and compared_with not in values:
            values.insert(0, compared_with)

    for node in ast.walk(call):
        if not isinstance(node, ast.IfExp):
            continue
        equality = _equality(node.test)
        if equality is not None:
            left, right = equality.left, equality.comparators[0]
            add(left, _value(right, {}))
            add(right, _value(left, {}))
        else:
            add(node.test)
    return found


def _assignments(conditions: dict[str, tuple[str, list[Any]]]) -> list[dict[str, Any]]:
    keys = list(conditions)
    choices = [conditions[key][1] for key in keys]
    return [dict(zip(keys, values)) for values in itertools.product(*choices)]


def _branch_label(conditions: dict[str, tuple[str, list[Any]]], assignment: dict[str, Any]) -> str:
    return ", ".join(f"{conditions[key][0]}={value!r}" for key, value in assignment.items())


def _bind(call: ast.Call, builder: str, assignment: Mapping[str, Any]) -> _Arguments:
    """The call's arguments as values; `get_model("name", ...)` loses its name argument."""
    bound = _Arguments()
    positional = list(call.args)
    if positional and _value(positional[0], {}) == builder:
        positional = positional[1:]
    parameters = [
        p
        for p in inspect.signature(get_model_builder(builder)).parameters.values()
        if p.kind is not p.VAR_KEYWORD
    ]
    for index, node in enumerate(positional):
        value = NOT_LITERAL if isinstance(node, ast.Starred) else _value(node, assignment)
        if value is NOT_LITERAL:
            bound.defaulted.append(ast.unparse(node))
            if isinstance(node, ast.Starred) or index >= len(parameters):
                continue
            value = parameters[index].default
        bound.args.append(value)
    for keyword in call.keywords:
        value = _value(keyword.value, assignment)
        if keyword.arg is None or value is NOT_LITERAL:
            bound.defaulted.append(ast.unparse(keyword))
            continue
        bound.kwargs[keyword.arg] = value
    return bound


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda":
        if not torch.cuda.is_available():
            raise click.UsageError("--device cuda: no CUDA device is available")
        # cuBLAS is deterministic only with a fixed workspace, set before its first use.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    return torch.device(name)


def task_of(builder: str) -> str:
    """detection, segmentation, video, optical_flow, quantization, or classification."""
    package = get_model_builder(builder).__module__.split(".")
    return package[2] if len(package) > 3 else "classification"


def _inputs(
    builder: str, model: torch.nn.Module, device: torch.device
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """A fixed input, as small as the model accepts: its documented minimum size (at least 64
    pixels), or the one size a model with fixed position embeddings takes. A classifier whose
    minimum is above 64 pixels is fed the size its weights' transforms crop to: Inception v3 is
    built for 299x299, and at its 75x75 minimum its last blocks see a single pixel."""
    first = next(iter(get_model_weights(builder)))
    meta = first.meta
    fixed = getattr(model, "image_size", None)
    height, width = (fixed, fixed) if fixed else meta.get("min_size", (1, 1))
    task = task_of(builder)
    if not fixed and task in ("classification", "quantization") and height > SMALLEST_IMAGE:
        crop = getattr(first.transforms, "keywords", {}).get("crop_size", (height, width))
        height, width = (crop, crop) if isinstance(crop, int) else crop
    height, width = max(SMALLEST_IMAGE, height), max(SMALLEST_IMAGE, width)
    generator = torch.Generator().manual_seed(SEED)

    def images(*shape: int) -> torch.Tensor:
        return torch.rand(shape, generator=generator).to(device)

    if task == "detection":
        return ([images(3, height, width)],), {}
    if task == "video":
        frames = max(VIDEO_FRAMES, meta.get("min_temporal_size", 1))
        return (images(1, 3, frames, height, width),), {}
    if task == "optical_flow":
        pair = images(1, 3, height, width), images(1, 3, height, width)
        return pair, {"num_flow_updates": FLOW_UPDATES}
    return (images(1, 3, height, width),), {}


def _leaves(value: Any, name: str = "") -> Iterator[tuple[str, Any]]:
    """Tensors and other values of a nested output as (path, value): "['out']", "[0]['boxes']"."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _leaves(item, f"{name}[{key!r}]")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{name}[{index}]")
    else:
        yield name, value


def _state(model: torch.nn.Module) -> dict[str, Any]:
    """The state dict with nested entries (quantized packed parameters) flattened."""
    return {
        name: value
        for key, entry in model.state_dict().items()
        for name, value in _leaves(entry, key)
    }


@contextmanager
def _deterministic(enabled: bool) -> Iterator[None]:
    # warn_only: an op without a deterministic kernel must not stop the run; its output is still
    # compared, so nondeterminism shows up as a mismatch, never as a false "equal".
    saved = (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.backends.cudnn.benchmark,
    )
    torch.use_deterministic_algorithms(enabled, warn_only=True)
    torch.backends.cudnn.benchmark = False
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(saved[0], warn_only=saved[1])
        torch.backends.cudnn.benchmark = saved[2]


def _build(
    builder: str,
    call: ast.Call,
    assignment: Mapping[str, Any],
    device: torch.device,
    weights: str,
    forward: bool,
) -> _Outcome:
    try:
        bound = _bind(call, builder, assignment)
        with offline_weights(weights) as loaded, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the legacy call's deprecation warnings, expected
            torch.manual_seed(SEED)
            model = get_model_builder(builder)(*bound.args, **bound.kwargs).eval()
            quantized = any(
                getattr(value, "is_quantized", False) for value in _state(model).values()
            )
            # Quantized kernels run on the CPU only, and have no deterministic-mode support.
            run_on = torch.device("cpu") if quantized else device
            state = _state(model.to(run_on))
            outputs = {}
            if forward:
                args, kwargs = _inputs(builder, model, run_on)
                with torch.no_grad(), _deterministic(not quantized):
                    outputs = dict(_leaves(model(*args, **kwargs)))
    except Exception as error:  # whatever the call raises is its outcome, compared below
        return _Outcome(error=error)
    return _Outcome(state, outputs, None, str(run_on), tuple(loaded), tuple(bound.defaulted))


def _bitwise_equal(a: torch.Tensor, b: torch.Tensor) -> bool:
    if a.dtype != b.dtype or a.shape != b.shape or a.device != b.device:
        return False
    if a.is_quantized:
        if a.qscheme() != b.qscheme():
            return False
        if a.qscheme() in (torch.per_channel_affine, torch.per_channel_symmetric):
            parameters_equal = (
                a.q_per_channel_axis() == b.q_per_channel_axis()
                and torch.equal(a.q_per_channel_scales(), b.q_per_channel_scales())
                and torch.equal(a.q_per_channel_zero_points(), b.q_per_channel_zero_points())
            )
        else:
            parameters_equal = (a.q_scale(), a.q_zero_point()) == (b.q_scale(), b.q_zero_point())
        return parameters_equal and torch.equal(a.int_repr(), b.int_repr())
    if a.is_floating_point():
        # Compare the bits: NaN equals NaN, and 0.0 differs from -0.0.
        as_integers = {1: torch.int8, 2: torch.int16, 4: torch.int32, 8: torch.int64}
        bits = as_integers[a.element_size()]
        return torch.equal(a.contiguous().view(bits), b.contiguous().view(bits))
    return torch.equal(a, b)


def _max_abs_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    """For two tensors of one shape and dtype; NaN where either holds one."""
    if a.numel() == 0:
        return 0.0
    if a.is_quantized:
        a, b = a.dequantize(), b.dequantize()
    return (a.double().cpu() - b.double().cpu()).abs().max().item()


def _entry(label: str, name: str) -> str:
    return f"state_dict tensor {name!r}" if label == "state_dict" else f"{label}{name}"


def _compare(
    label: str, legacy: dict[str, Any], migrated: dict[str, Any], tolerance: float = 0.0
) -> tuple[int, float, str | None]:
    """(tensors equal, max |diff|, the first difference) between the named leaves of the
    "state_dict" or the "output" of the two calls. A tolerance of 0 means bitwise equality."""
    if legacy.keys() != migrated.keys():
        sides = [
            f"only the {side} has {sorted(names)[:3]}"
            for side, names in (
                ("legacy call", legacy.keys() - migrated.keys()),
                ("rewritten call", migrated.keys() - legacy.keys()),
            )
            if names
        ]
        return 0, float("inf"), f"{label} entries differ: " + "; ".join(sides)
    equal, largest, problem = 0, 0.0, None
    for name, a in legacy.items():
        b = migrated[name]
        if not isinstance(a, torch.Tensor) or not isinstance(b, torch.Tensor):
            if a != b and problem is None:
                problem = f"{_entry(label, name)} differs: {a!r} vs {b!r}"
            continue
        if a.shape != b.shape or a.dtype != b.dtype:
            shapes = f"{a.dtype}{list(a.shape)} vs {b.dtype}{list(b.shape)}"
            problem = problem or f"{_entry(label, name)} differs: {shapes}"
            largest = float("inf")
            continue
        same_bits = _bitwise_equal(a, b)
        diff = 0.0 if same_bits else _max_abs_diff(a, b)
        largest = max(largest, diff)
        if same_bits or (tolerance > 0 and diff <= tolerance):
            equal += 1
        elif problem is None:
            problem = f"{_entry(label, name)} differs (max |diff| {diff:g})"
    return equal, largest, problem


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _compare_outcomes(legacy: _Outcome, migrated: _Outcome, forward: bool) -> tuple[str, str]:
    for outcome in (legacy, migrated):
        if isinstance(outcome.error, MissingCheckpoint):
            return NOT_VERIFIED, f"not verified: {outcome.error}"
    raised = [
        (side, _error_text(outcome.error))
        for side, outcome in (("legacy", legacy), ("rewritten", migrated))
        if outcome.error is not None
    ]
    if len(raised) == 2 and raised[0][1] == raised[1][1]:
        return EQUAL, f"both raise {raised[0][1]}"
    if raised:
        texts = ", ".join(f"the {side} call raises {text}" for side, text in raised)
        return DIFFER, f"only {texts}" if len(raised) == 1 else texts
    if legacy.device != migrated.device:
        return DIFFER, f"built on {legacy.device} and on {migrated.device}"
    equal, _, problem = _compare("state_dict", legacy.state, migrated.state)
    if problem:
        return DIFFER, problem
    if not forward:
        return EQUAL, f"{equal} tensors equal, forward pass not run"
    tolerance = CUDA_OUTPUT_TOLERANCE if legacy.device.startswith("cuda") else 0.0
    _, largest, problem = _compare("output", legacy.outputs, migrated.outputs, tolerance)
    if problem:
        return DIFFER, problem
    return EQUAL, f"{equal} tensors equal, output max |diff| {largest!r}"


def _worst(statuses: set[str]) -> str:
    """A difference outweighs a call not verified, which outweighs equality."""
    return next((status for status in (DIFFER, NOT_VERIFIED) if status in statuses), EQUAL)


def verify_rewrite(
    rewrite: CallRewrite, device: torch.device, weights: str = "auto", forward: bool = True
) -> Verification:
    """Build `rewrite.before` and `rewrite.after` (every branch of its conditionals) and compare
    their state dicts and, unless `forward` is False, their outputs on a fixed input."""
    before, after = _call(rewrite.before), _call(rewrite.after)
    conditions = _conditions(after)
    branches, statuses, compared = [], set(), True
    devices: set[str] = set()
    loaded: set[str] = set()
    defaulted: list[str] = []
    for assignment in _assignments(conditions):
        legacy = _build(rewrite.builder, before, assignment, device, weights, forward)
        migrated = _build(rewrite.builder, after, assignment, device, weights, forward)
        status, detail = _compare_outcomes(legacy, migrated, forward)
        statuses.add(status)
        compared = compared and legacy.error is None and migrated.error is None
        label = _branch_label(conditions, assignment)
        branches.append(f"[{label}] {detail}" if label else detail)
        for outcome in (legacy, migrated):
            devices.update([outcome.device] if outcome.error is None else [])
            loaded.update(outcome.weights)
            defaulted += [text for text in outcome.defaulted if text not in defaulted]
        del legacy, migrated
    notes = sorted(devices) or [str(device)]
    if loaded:
        notes.append(" and ".join(sorted(loaded)) + " weights")
    if defaulted:
        notes.append("replaced by the builder's defaults: " + ", ".join(defaulted))
    detail = "; ".join(branches) + f" ({', '.join(notes)})"
    status = _worst(statuses)
    return Verification(ast.unparse(before), ast.unparse(after), status, detail, compared)


def _evaluated(value: Any) -> tuple[str, str]:
    """A value as the proof's key holds it: `1`, `1.0` and `True` apart."""
    return type(value).__name__, repr(value)


def evaluation(rewrite: CallRewrite) -> Hashable:
    """What proving a rewrite evaluates: its builder and, for each branch of the conditionals
    the rewrite wrote, the arguments each side is called with, and the source of those left at
    the builder's default. Rewrites that evaluate the same are proven by one proof."""
    before, after = _call(rewrite.before), _call(rewrite.after)
    conditions = _conditions(after)
    branches: list[Hashable] = []
    for assignment in _assignments(conditions):
        for call in (before, after):
            try:
                bound = _bind(call, rewrite.builder, assignment)
            except Exception:  # the proof reports it; keyed by the call's text meanwhile
                branches.append(("unbound", ast.unparse(call)))
                continue
            arguments = tuple(map(_evaluated, bound.args))
            keywords = tuple(sorted((k, _evaluated(v)) for k, v in bound.kwargs.items()))
            branches.append((arguments, keywords, tuple(bound.defaulted)))
    return rewrite.builder, tuple(branches)


class SiteVerifier:
    """`migrate-weights --verify`: verifies each file's rewritten call sites as the run reaches
    it, prints one line per site, and keeps count for the summary and the exit status. Each
    distinct evaluation (`key`, `evaluation` unless given) is proven once per run; a site that
    shares one says which site's proof it is."""

    def __init__(
        self,
        device: str = "auto",
        weights: str = "auto",
        key: Callable[[CallRewrite], Hashable] = evaluation,
    ) -> None:
        self.device = resolve_device(device)
        self.weights = weights
        self.key = key
        self.proofs: dict[Hashable, tuple[str, Verification]] = {}  # by key: where, and what
        self.counts = dict.fromkeys((EQUAL, DIFFER, NOT_VERIFIED), 0)
        self.other_fixes = 0  # fixes with no CallRewrite: model_urls, imports

    def verify_file(self, result: FileResult, stream: Any = None) -> str:
        """EQUAL when every rewritten call site of the file is proven equal (or it has none),
        else DIFFER or NOT_VERIFIED; one line per site goes to `stream` (stdout by default)."""
        statuses: set[str] = set()
        for rewrite in result.rewrites:
            location, key = rewrite.location(result.path), self.key(rewrite)
            if key in self.proofs:
                first, proof = self.proofs[key]
                before, after = (ast.unparse(_call(c)) for c in (rewrite.before, rewrite.after))
                verification = replace(proof, before=before, after=after, detail=f"same as {first}")
            else:
                verification = verify_rewrite(rewrite, self.device, self.weights)
                self.proofs[key] = (location, verification)
            click.echo(f"{location} {verification.render()}", file=stream)
            self.counts[verification.status] += 1
            statuses.add(verification.status)
        sites = {(rewrite.cell, rewrite.line, rewrite.column) for rewrite in result.rewrites}
        self.other_fixes += sum(
            d.code is Code.FIXED and (d.cell, d.line, d.column) not in sites
            for d in result.diagnostics
        )
        return _worst(statuses)

    @property
    def mismatches(self) -> int:
        return self.counts[DIFFER]

    @property
    def unverified(self) -> int:
        return self.counts[NOT_VERIFIED]

    def summary(self) -> str:
        counts, others = self.counts, self.other_fixes
        text = (
            f"migrate-weights: verified {sum(counts.values())} call sites, {counts[EQUAL]} equal, "
            f"{counts[DIFFER]} differ"
        )
        if counts[NOT_VERIFIED]:
            text += f", {counts[NOT_VERIFIED]} not verified"
        if others:
            text += f"; {others} other fixes not verified (not builder calls)"
        return text + f"; {len(self.proofs)} distinct calls built"


def table_variants(builder: Builder) -> list[str]:
    """Every legacy argument list the table knows for `builder`, as source: each legacy flag
    true and false, by keyword and by position, its switch (quantize) both ways, its special
    strings. Positional forms fill earlier boolean slots with the opposite of their default so
    that an argument read from the wrong position changes the result."""
    parameters = inspect.signature(get_model_builder(builder.name)).parameters
    legacy_slots = {param.new for param in builder.legacy}

    def positional(values: dict[str, str]) -> str:
        last = max(builder.positional_order.index(name) for name in values)
        texts = []
        for name in builder.positional_order[: last + 1]:
            default = parameters[name].default
            if name in values:
                texts.append(values[name])
            elif name in legacy_slots:
                texts.append("False")
            else:
                texts.append(repr(not default if isinstance(default, bool) else default))
        return ", ".join(texts)

    variants = []
    for param in builder.legacy:
        variants += [f"{param.legacy}=True", f"{param.legacy}=False"]
        variants.append(positional({param.new: "True"}))
        if param.switch is not None:
            key = param.switch[0]
            variants += [f"{param.legacy}=True, {key}=True", f"{param.legacy}=True, {key}=False"]
            variants.append(positional({param.new: "True", key: "True"}))
        variants += [f"{param.legacy}={text!r}" for text in param.strings]
    return variants


@dataclass(frozen=True)
class TableResult:
    legacy: str  # the legacy call, e.g. "resnet50(pretrained=True)"
    verification: Verification | None  # None: the rewrite left the call alone
    failed: bool
    note: str = ""  # why the rewrite left the call alone

    def render(self) -> str:
        if self.verification is None:
            return f"{self.legacy}: not rewritten: {self.note}"
        return self.verification.render()


def verify_builder(
    name: str,
    device: torch.device,
    weights: str = "auto",
    forward: bool = True,
    table: LegacyTable | None = None,
) -> list[TableResult]:
    """Every legacy variant of one builder, rewritten by the real rewrite and verified. Every
    variant is a valid legacy call: one that raises, even on both sides, fails, and so does one
    the rewrite leaves alone unless the builder has no legacy weights. `table`: the legacy
    table the variants are read from and the rewrite uses, when not the generated one."""
    table = table or generated()
    builder = table.builder_named(name)
    if builder is None:
        raise click.UsageError(f"{name}: not a builder in the legacy table")
    module, _, function = table.shortest_path(name).rpartition(".")
    results = []
    for arguments in table_variants(builder):
        legacy = f"{function}({arguments})"
        source = f"from {module} import {function}\n{legacy}\n".encode()
        migrated = migrate_source(source, table=table)
        if not migrated.rewrites:
            codes = {diagnostic.code for diagnostic in migrated.diagnostics}
            note = "; ".join(diagnostic.message for diagnostic in migrated.diagnostics)
            failed = codes != {Code.NO_LEGACY_WEIGHTS}
            results.append(TableResult(legacy, None, failed, note or "no change"))
            continue
        verification = verify_rewrite(migrated.rewrites[0], device, weights, forward)
        failed = not (verification.equal and verification.compared)
        results.append(TableResult(legacy, verification, failed))
    return results


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--builder",
    "builders",
    multiple=True,
    metavar="NAME",
    help="Verify only this builder (repeatable). Default: every builder in the table.",
)
@click.option("--device", type=click.Choice(DEVICES), default="auto", show_default=True)
@click.option("--weights", type=click.Choice(WEIGHT_SOURCES), default="auto", show_default=True)
def table_command(builders: tuple[str, ...], device: str, weights: str) -> int:
    """Verify every legacy form of every builder in the table: rewrite it with the real rewrite,
    build both calls, compare weights and outputs. Exit status 3 on any mismatch."""
    table: LegacyTable = click.get_current_context().obj or generated()
    unknown = sorted(set(builders) - set(table.builders))
    if unknown:
        raise click.BadParameter(
            f"not in the legacy table: {', '.join(unknown)}", param_hint="--builder"
        )
    names = list(builders) or sorted(table.builders)
    resolved = resolve_device(device)
    start = time.perf_counter()
    results = []
    for name in names:
        builder_start = time.perf_counter()
        for result in verify_builder(name, resolved, weights, table=table):
            click.echo(result.render())
            results.append(result)
        click.echo(f"{name}: {time.perf_counter() - builder_start:.1f} s", err=True)
    failed = sum(result.failed for result in results)
    proven = sum(result.verification is not None and not result.failed for result in results)
    click.echo(
        f"{len(names)} builders, {len(results)} legacy forms on {resolved}: {proven} proven "
        f"equal, {len(results) - proven - failed} left alone (no legacy weights), {failed} failed "
        f"({time.perf_counter() - start:.0f} s)",
        err=True,
    )
    return ExitStatus.MISMATCH if failed else ExitStatus.CLEAN


def main(argv: Sequence[str] | None = None, table: LegacyTable | None = None) -> int:
    """The table-wide mode's command line; `table`: the legacy table, when not the generated
    one."""
    return run(table_command, argv, "python -m migrate_weights.verify", table)
