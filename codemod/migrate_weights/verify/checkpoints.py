"""Offline weights for the verifier: a real checkpoint when the torch hub cache already holds it,
otherwise a synthetic one, deterministic per weights member. Nothing is downloaded or written."""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import torch
from torch import nn
from torchvision.models import WeightsEnum

from migrate_weights.verify import WEIGHT_SOURCES

SYNTHETIC_CACHE_BYTES = 1 << 30  # recent members: a builder's forms reuse the same few


class MissingCheckpoint(RuntimeError):
    pass


class _SyntheticCheckpoint(dict[str, Any]):
    """What `get_state_dict` returns for a synthetic member: an empty dict (builders that rename
    checkpoint keys find nothing to rename) that `load_state_dict` fills with the keys and shapes
    of the model it is loaded into."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url


def cached_checkpoint(url: str) -> Path:
    """Where `torch.hub.load_state_dict_from_url` keeps the file for `url` (under TORCH_HOME)."""
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(urlparse(url).path).name


def _uniform(seed_text: str, template: torch.Tensor) -> torch.Tensor:
    """Values in [-1, 1) that depend only on `seed_text` and the template's shape and dtype."""
    seed = int.from_bytes(hashlib.sha256(seed_text.encode()).digest()[:8], "little") >> 1
    generator = torch.Generator().manual_seed(seed)
    dtype = template.dtype if template.is_floating_point() else torch.float32
    return torch.rand(template.shape, generator=generator, dtype=dtype).mul_(2).sub_(1)


def _quantized_like(values: torch.Tensor, template: torch.Tensor) -> torch.Tensor:
    zero_point = 0 if template.dtype == torch.qint8 else 128
    if template.qscheme() in (torch.per_channel_affine, torch.per_channel_symmetric):
        axis = template.q_per_channel_axis()
        other_dims = [d for d in range(values.dim()) if d != axis]
        scales = (values.abs().amax(dim=other_dims) / 127).clamp_min(1e-8).double()
        zero_points = torch.full_like(scales, zero_point, dtype=torch.long)
        return torch.quantize_per_channel(values, scales, zero_points, axis, template.dtype)
    scale = max(values.abs().max().item() / 127, 1e-8)
    return torch.quantize_per_tensor(values, scale, zero_point, template.dtype)


def synthetic_value(seed_text: str, template: Any) -> Any:
    """A deterministic stand-in for a checkpoint entry shaped like `template`. Weights are scaled
    by fan-in so that activations stay finite through deep networks; entries that must stay
    positive (variances, norm scales, quantisation scales) stay positive. Integer entries (batch
    counters, zero points) and non-finite ones (the statistics of an observer that has seen no
    data) are state, not weights, and are kept as the model built them."""
    if isinstance(template, (tuple, list)):
        return type(template)(
            synthetic_value(f"{seed_text}.{index}", item) for index, item in enumerate(template)
        )
    if not isinstance(template, torch.Tensor):
        return template
    if template.is_quantized:
        return _quantized_like(_uniform(seed_text, template), template)
    if not template.is_floating_point() or not bool(template.isfinite().all()):
        return template.clone()
    values = _uniform(seed_text, template)
    if template.numel() and bool((template > 0).all()):
        return values.abs_().mul_(0.5).add_(0.5)
    if template.dim() < 2:
        return values.mul_(0.1)
    fan_in = template[0].numel()
    return values.mul_(math.sqrt(3 / max(fan_in, 1)))


def _size(value: Any) -> int:
    if isinstance(value, (tuple, list)):
        return sum(_size(item) for item in value)
    if isinstance(value, torch.Tensor):
        return value.numel() * value.element_size()
    return 0


class _SyntheticCache:
    """Synthetic entries per member URL, so that each member is synthesised once; the least
    recently used members are dropped beyond `max_bytes`."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.members: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.sizes: dict[str, int] = {}

    def state_dict(self, url: str, template: dict[str, Any]) -> OrderedDict[str, Any]:
        entries = self.members.setdefault(url, {})
        self.members.move_to_end(url)
        for key, value in template.items():
            if key not in entries:
                entries[key] = synthetic_value(f"{url}|{key}", value)
                self.sizes[url] = self.sizes.get(url, 0) + _size(entries[key])
        while sum(self.sizes.values()) > self.max_bytes and len(self.members) > 1:
            oldest, _ = self.members.popitem(last=False)
            del self.sizes[oldest]
        state_dict = OrderedDict((key, entries[key]) for key in template)
        # Module versions: quantized modules read older layouts when this is missing.
        setattr(state_dict, "_metadata", getattr(template, "_metadata", None))  # noqa: B010
        return state_dict

    def clear(self) -> None:
        self.members.clear()
        self.sizes.clear()


synthetic_cache = _SyntheticCache(SYNTHETIC_CACHE_BYTES)


@contextmanager
def offline_weights(source: str = "auto") -> Iterator[list[str]]:
    """While active, weights members load from the hub cache (`real`), are synthesised
    (`synthetic`), or the first where the file is there and the second otherwise (`auto`).
    Yields a list that records "real" or "synthetic" for each checkpoint loaded."""
    if source not in WEIGHT_SOURCES:
        raise ValueError(f"weights source must be one of {WEIGHT_SOURCES}, not {source!r}")
    loaded: list[str] = []
    original_get_state_dict = WeightsEnum.get_state_dict
    original_load_state_dict = nn.Module.load_state_dict

    def get_state_dict(member: WeightsEnum, *args: Any, **kwargs: Any) -> dict[str, Any]:
        path = cached_checkpoint(member.url)
        if source != "synthetic" and path.is_file():
            loaded.append("real")
            checkpoint: dict[str, Any] = torch.load(path, map_location="cpu", weights_only=True)
            return checkpoint
        if source == "real":
            raise MissingCheckpoint(f"{member!r}: no checkpoint at {path} (nothing is downloaded)")
        loaded.append("synthetic")
        return _SyntheticCheckpoint(member.url)

    def load_state_dict(module: nn.Module, state_dict: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(state_dict, _SyntheticCheckpoint):
            state_dict = synthetic_cache.state_dict(state_dict.url, module.state_dict())
        return original_load_state_dict(module, state_dict, *args, **kwargs)

    setattr(WeightsEnum, "get_state_dict", get_state_dict)  # noqa: B010
    setattr(nn.Module, "load_state_dict", load_state_dict)  # noqa: B010
    try:
        yield loaded
    finally:
        setattr(WeightsEnum, "get_state_dict", original_get_state_dict)  # noqa: B010
        setattr(nn.Module, "load_state_dict", original_load_state_dict)  # noqa: B010
