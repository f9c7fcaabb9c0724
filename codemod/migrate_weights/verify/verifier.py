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
import multiprocessing
import os
import time
import warnings
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Union

import click
import torch
from torchvision.models import get_model_builder, get_model_weights, get_weight

from migrate_weights.commands import ExitStatus, jobs_option, run
from migrate_weights.diagnostics import CallRewrite, Code
from migrate_weights.pipeline.migrate import FileResult, migrate_source
from migrate_weights.syntax.arguments import NOT_LITERAL
from migrate_weights.tables.table import Builder, LegacyTable, generated
from migrate_weights.verify import DEVICES, WEIGHT_SOURCES, pool
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
        for name, node in _keywords(keyword):
            value = _value(node, assignment)
            if name is None or value is NOT_LITERAL:
                bound.defaulted.append(ast.unparse(keyword))
                continue
            bound.kwargs[name] = value
    return bound


def _keywords(keyword: ast.keyword) -> list[tuple[str | None, ast.expr]]:
    """A keyword argument, or the entries of a dict literal given with `**` as keywords."""
    entries = keyword.value
    if keyword.arg is None and isinstance(entries, ast.Dict):
        keys = [key.value for key in entries.keys if isinstance(key, ast.Constant)]
        names = [key for key in keys if isinstance(key, str)]
        if len(names) == len(entries.keys):
            return list(zip(names, entries.values))
    return [(keyword.arg, keyword.value)]


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


def _bound(call: ast.Call, builder: str, assignment: Mapping[str, Any]) -> _Arguments | Exception:
    """The call's arguments as values, or what binding them raised (the build's outcome)."""
    try:
        return _bind(call, builder, assignment)
    except Exception as error:
        return error


def _evaluated(value: Any) -> tuple[str, str]:
    """A value as a key holds it: `1`, `1.0` and `True` apart."""
    return type(value).__name__, repr(value)


def call_key(builder: str, bound: _Arguments | Exception) -> Hashable:
    """What a build evaluates: the builder, every argument it is called with, and the source of
    those left at its default. Builds with one key build the same model."""
    if isinstance(bound, Exception):
        return builder, "unbound", _error_text(bound)
    arguments = tuple(map(_evaluated, bound.args))
    keywords = tuple(sorted((name, _evaluated(value)) for name, value in bound.kwargs.items()))
    return builder, arguments, keywords, tuple(bound.defaulted)


def _build(
    builder: str,
    bound: _Arguments | Exception,
    device: torch.device,
    weights: str,
    forward: bool,
) -> _Outcome:
    if isinstance(bound, Exception):
        return _Outcome(error=bound)
    try:
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


@dataclass(frozen=True)
class _Branch:
    """One branch of a rewrite's conditionals: its label and the keys of the two calls."""

    label: str
    legacy: Hashable
    migrated: Hashable


@dataclass(frozen=True)
class _Plan:
    before: str
    after: str
    branches: tuple[_Branch, ...]


Calls = dict[Hashable, tuple[str, Union[_Arguments, Exception]]]  # by key: builder, arguments


def _planned(
    rewrite: CallRewrite, key: Callable[[str, _Arguments | Exception], Hashable], calls: Calls
) -> _Plan:
    """The rewrite's branches, each side's call added to `calls`."""
    before, after = _call(rewrite.before), _call(rewrite.after)
    conditions = _conditions(after)
    branches = []
    for assignment in _assignments(conditions):
        keys = []
        for call in (before, after):
            bound = _bound(call, rewrite.builder, assignment)
            keys.append(key(rewrite.builder, bound))
            calls.setdefault(keys[-1], (rewrite.builder, bound))
        branches.append(_Branch(_branch_label(conditions, assignment), *keys))
    return _Plan(ast.unparse(before), ast.unparse(after), tuple(branches))


class Prover:
    """Proves rewrites: builds each side of each branch and compares the two. A call is built
    once for all the rewrites given together, and its outcome is held only while a comparison
    still needs it. `key` says which calls are the same (`call_key` unless given)."""

    def __init__(
        self,
        device: torch.device,
        weights: str = "auto",
        forward: bool = True,
        key: Callable[[str, _Arguments | Exception], Hashable] = call_key,
    ) -> None:
        self.device, self.weights, self.forward, self.key = device, weights, forward, key
        self.builds = 0

    def verify(self, rewrites: Sequence[CallRewrite]) -> list[Verification]:
        """Each rewrite's verification, in the order given."""
        calls: Calls = {}
        plans = [_planned(rewrite, self.key, calls) for rewrite in rewrites]
        # Comparisons that share a rewritten call are made one after the other, so that at most
        # two outcomes are held at a time, as when every call was built anew.
        comparisons = [(plan, branch) for plan in plans for branch in plan.branches]
        first_use: dict[Hashable, int] = {}
        for _, branch in comparisons:
            first_use.setdefault(branch.migrated, len(first_use))
        comparisons.sort(key=lambda comparison: first_use[comparison[1].migrated])
        last_use: dict[Hashable, int] = {}
        for step, (_, branch) in enumerate(comparisons):
            last_use[branch.legacy] = last_use[branch.migrated] = step
        outcomes: dict[Hashable, _Outcome] = {}
        compared: dict[int, tuple[str, str, _Outcome, _Outcome]] = {}
        for step, (_, branch) in enumerate(comparisons):
            for key in (branch.legacy, branch.migrated):
                if key not in outcomes:
                    builder, bound = calls[key]
                    outcomes[key] = _build(builder, bound, self.device, self.weights, self.forward)
                    self.builds += 1
            legacy, migrated = outcomes[branch.legacy], outcomes[branch.migrated]
            status, detail = _compare_outcomes(legacy, migrated, self.forward)
            compared[id(branch)] = status, detail, legacy, migrated
            for key in (branch.legacy, branch.migrated):
                if last_use[key] == step:
                    outcomes.pop(key, None)
        return [self._verification(plan, compared) for plan in plans]

    def _verification(
        self, plan: _Plan, compared: Mapping[int, tuple[str, str, _Outcome, _Outcome]]
    ) -> Verification:
        branches, statuses, all_compared = [], set(), True
        devices: set[str] = set()
        loaded: set[str] = set()
        defaulted: list[str] = []
        for branch in plan.branches:
            status, detail, legacy, migrated = compared[id(branch)]
            statuses.add(status)
            all_compared = all_compared and legacy.error is None and migrated.error is None
            branches.append(f"[{branch.label}] {detail}" if branch.label else detail)
            for outcome in (legacy, migrated):
                devices.update([outcome.device] if outcome.error is None else [])
                loaded.update(outcome.weights)
                defaulted += [text for text in outcome.defaulted if text not in defaulted]
        notes = sorted(devices) or [str(self.device)]
        if loaded:
            notes.append(" and ".join(sorted(loaded)) + " weights")
        if defaulted:
            notes.append("replaced by the builder's defaults: " + ", ".join(defaulted))
        detail = "; ".join(branches) + f" ({', '.join(notes)})"
        return Verification(plan.before, plan.after, _worst(statuses), detail, all_compared)


def verify_rewrite(
    rewrite: CallRewrite, device: torch.device, weights: str = "auto", forward: bool = True
) -> Verification:
    """Build `rewrite.before` and `rewrite.after` (every branch of its conditionals) and compare
    their state dicts and, unless `forward` is False, their outputs on a fixed input."""
    return Prover(device, weights, forward).verify([rewrite])[0]


def evaluation(rewrite: CallRewrite) -> Hashable:
    """What proving a rewrite evaluates: for each branch of the conditionals the rewrite wrote,
    the key of each side's call. Rewrites that evaluate the same are proven by one proof."""
    plan = _planned(rewrite, call_key, {})
    return tuple((branch.legacy, branch.migrated) for branch in plan.branches)


BASE_MEMORY = 1 << 30  # a worker process with torch and torchvision imported, and the inputs
HELD_COPIES = 3  # of a model's parameters at a time: the two outcomes compared, its checkpoint


def builder_memory(builder: str) -> int:
    """What proving a builder's rewrites may hold at once, from its weights' parameter count."""
    parameters = (member.meta.get("num_params", 0) for member in get_model_weights(builder))
    return BASE_MEMORY + HELD_COPIES * 4 * max(parameters, default=0)


@dataclass(frozen=True)
class _Group:
    """One builder's rewrites, to prove together (in a worker process)."""

    index: int
    rewrites: Sequence[CallRewrite]
    device: str
    weights: str
    forward: bool

    @property
    def cost(self) -> float:
        """Its share of the work, to start the longest first: the builder's forward pass's
        operations (GFLOPs, from its weights) per rewrite."""
        members = get_model_weights(self.rewrites[0].builder)
        ops = max((member.meta.get("_ops", 0.0) for member in members), default=0.0)
        return ops * len(self.rewrites)


def _start_worker(threads: int) -> None:
    torch.set_num_threads(threads)


@dataclass(frozen=True)
class Proven:
    """A group's verifications, in its order, the models built for them, and the time taken."""

    verifications: list[Verification]
    builds: int
    seconds: float


def _prove_group(group: _Group) -> Proven:
    start = time.perf_counter()
    prover = Prover(torch.device(group.device), group.weights, group.forward)
    verifications = prover.verify(group.rewrites)
    return Proven(verifications, prover.builds, time.perf_counter() - start)


def prove_groups(
    groups: Sequence[Sequence[CallRewrite]],
    device: torch.device,
    weights: str,
    forward: bool = True,
    jobs: int = 1,
    memory: int | None = None,
) -> Iterator[tuple[int, Proven]]:
    """Each group's proof with the group's index, as they come. A group is one builder's
    rewrites, proven by one prover: its calls are built once. With more than one job the groups
    go to that many worker processes, the longest first, each building one pair at a time,
    together within `memory` (by default a share of the machine's)."""
    tasks = [
        _Group(index, group, str(device), weights, forward) for index, group in enumerate(groups)
    ]
    if jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield task.index, _prove_group(task)
        return
    tasks.sort(key=lambda task: task.cost, reverse=True)
    workers = min(jobs, len(tasks))
    threads = max(1, (os.cpu_count() or 1) // workers)
    context = multiprocessing.get_context("spawn")  # torch's threads do not survive a fork
    with ProcessPoolExecutor(workers, context, _start_worker, (threads,)) as executor:
        done = pool.bounded(
            tasks,
            _prove_group,
            executor,
            workers,
            lambda task: builder_memory(task.rewrites[0].builder),
            memory or int(pool.machine_memory() * pool.MEMORY_SHARE),
        )
        for task, proven in done:
            yield task.index, proven


class SiteVerifier:
    """`migrate-weights --verify`: proves the rewritten call sites of a run, prints one line per
    site as each file is reported, and keeps count for the summary and the exit status. Each
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
        self.builds = 0
        self.counts = dict.fromkeys((EQUAL, DIFFER, NOT_VERIFIED), 0)
        self.other_fixes = 0  # fixes with no CallRewrite: model_urls, imports

    def prove(self, results: Sequence[FileResult], jobs: int = 1) -> None:
        """Prove every rewrite of `results` whose evaluation is not proven yet, on `jobs`
        processes, a builder's rewrites together."""
        first_sites: dict[Hashable, tuple[str, CallRewrite]] = {}
        for result in results:
            for rewrite in result.rewrites:
                key = self.key(rewrite)
                if key not in self.proofs:
                    first_sites.setdefault(key, (rewrite.location(result.path), rewrite))
        by_builder: dict[str, list[Hashable]] = {}
        for key, (_, rewrite) in first_sites.items():
            by_builder.setdefault(rewrite.builder, []).append(key)
        keys = list(by_builder.values())
        groups = [[first_sites[key][1] for key in group] for group in keys]
        for index, proven in prove_groups(groups, self.device, self.weights, jobs=jobs):
            self.builds += proven.builds
            for key, verification in zip(keys[index], proven.verifications):
                self.proofs[key] = (first_sites[key][0], verification)

    def verify_file(self, result: FileResult, stream: Any = None) -> str:
        """EQUAL when every rewritten call site of the file is proven equal (or it has none),
        else DIFFER or NOT_VERIFIED; one line per site goes to `stream` (stdout by default)."""
        self.prove([result])
        statuses: set[str] = set()
        for rewrite in result.rewrites:
            location = rewrite.location(result.path)
            first, verification = self.proofs[self.key(rewrite)]
            if first != location:
                before, after = (ast.unparse(_call(c)) for c in (rewrite.before, rewrite.after))
                verification = replace(
                    verification, before=before, after=after, detail=f"same as {first}"
                )
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
        return text + f"; {len(self.proofs)} distinct calls proven, {self.builds} models built"


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


def _table_forms(name: str, table: LegacyTable) -> list[tuple[str, CallRewrite | TableResult]]:
    """Each legacy form of the builder with its rewrite, or its result where the rewrite left it
    alone (a failure, unless the builder has no legacy weights)."""
    builder = table.builder_named(name)
    if builder is None:
        raise click.UsageError(f"{name}: not a builder in the legacy table")
    module, _, function = table.shortest_path(name).rpartition(".")
    forms: list[tuple[str, CallRewrite | TableResult]] = []
    for arguments in table_variants(builder):
        legacy = f"{function}({arguments})"
        source = f"from {module} import {function}\n{legacy}\n".encode()
        migrated = migrate_source(source, table=table)
        if migrated.rewrites:
            forms.append((legacy, migrated.rewrites[0]))
            continue
        codes = {diagnostic.code for diagnostic in migrated.diagnostics}
        note = "; ".join(diagnostic.message for diagnostic in migrated.diagnostics)
        failed = codes != {Code.NO_LEGACY_WEIGHTS}
        forms.append((legacy, TableResult(legacy, None, failed, note or "no change")))
    return forms


def _table_results(
    forms: list[tuple[str, CallRewrite | TableResult]], verifications: Sequence[Verification]
) -> list[TableResult]:
    """The forms' results, the rewritten ones with their verifications, in order. Every form is
    a valid legacy call: one that raises, even on both sides, fails."""
    proven = iter(verifications)
    results = []
    for legacy, form in forms:
        if isinstance(form, TableResult):
            results.append(form)
            continue
        verification = next(proven)
        failed = not (verification.equal and verification.compared)
        results.append(TableResult(legacy, verification, failed))
    return results


def _rewrites(forms: list[tuple[str, CallRewrite | TableResult]]) -> list[CallRewrite]:
    return [form for _, form in forms if isinstance(form, CallRewrite)]


def verify_builder(
    name: str,
    device: torch.device,
    weights: str = "auto",
    forward: bool = True,
    table: LegacyTable | None = None,
) -> list[TableResult]:
    """Every legacy variant of one builder, rewritten by the real rewrite and verified, each
    distinct call built once. `table`: the legacy table the variants are read from and the
    rewrite uses, when not the generated one."""
    forms = _table_forms(name, table or generated())
    return _table_results(forms, Prover(device, weights, forward).verify(_rewrites(forms)))


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
@jobs_option(
    "Processes building models, each one pair at a time, together within the machine's memory."
)
def table_command(builders: tuple[str, ...], device: str, weights: str, jobs: int) -> int:
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
    forms = {name: _table_forms(name, table) for name in names}
    proving = [name for name in names if _rewrites(forms[name])]
    groups = [_rewrites(forms[name]) for name in proving]
    proofs: dict[str, list[Verification]] = {name: [] for name in names}
    builds = 0
    for index, proven in prove_groups(groups, resolved, weights, jobs=jobs):
        proofs[proving[index]] = proven.verifications
        builds += proven.builds
        click.echo(f"{proving[index]}: {proven.seconds:.1f} s", err=True)
    results = []
    for name in names:  # in the order of the builders, whatever the order they were done in
        for result in _table_results(forms[name], proofs[name]):
            click.echo(result.render())
            results.append(result)
    failed = sum(result.failed for result in results)
    proven_equal = sum(result.verification is not None and not result.failed for result in results)
    click.echo(
        f"{len(names)} builders, {len(results)} legacy forms on {resolved}: {proven_equal} proven "
        f"equal, {len(results) - proven_equal - failed} left alone (no legacy weights), {failed} "
        f"failed; {builds} models built, {jobs} processes ({time.perf_counter() - start:.0f} s)",
        err=True,
    )
    return ExitStatus.MISMATCH if failed else ExitStatus.CLEAN


def main(argv: Sequence[str] | None = None, table: LegacyTable | None = None) -> int:
    """The table-wide mode's command line; `table`: the legacy table, when not the generated
    one."""
    return run(table_command, argv, "python -m migrate_weights.verify", table)
