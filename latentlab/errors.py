"""User-facing validation: errors name the bad value and what would be accepted."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from typing import TypeVar

import torch

T = TypeVar("T")


def unknown_name_error(kind: str, name: str, valid: Iterable[str]) -> ValueError:
    """A ValueError for an unknown ``kind`` name that suggests the closest valid names."""
    valid = list(valid)
    close = difflib.get_close_matches(str(name).lower(), [v.lower() for v in valid], n=3, cutoff=0.4)
    close = [next(v for v in valid if v.lower() == c) for c in close]
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    listed = ", ".join(valid[:30]) + (f", … ({len(valid) - 30} more)" if len(valid) > 30 else "")
    return ValueError(f"unknown {kind} {name!r}.{hint} Valid {kind}s: {listed}")


def lookup(table: Mapping[str, T], name: str, kind: str) -> T:
    """``table[name]``, or :func:`unknown_name_error` naming the ``kind`` and the close names."""
    if name not in table:
        raise unknown_name_error(kind, name, table)
    return table[name]


def check_positive_int(name: str, value) -> int:
    """Return ``value`` as an int, or raise if it is not a positive integer."""
    if isinstance(value, bool) or not isinstance(value, (int,)) and not (isinstance(value, float) and value.is_integer()):
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if int(value) <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_truncation(truncation) -> float | None:
    """Validate a truncation threshold: None (no truncation) or a finite number > 0."""
    if truncation is None:
        return None
    try:
        value = float(truncation)
    except (TypeError, ValueError):
        raise ValueError(f"truncation must be a positive number or None, got {truncation!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"truncation must be a finite number > 0 (e.g. 0.5 or 1.0), got {truncation!r}")
    return value


def check_latents(z: torch.Tensor, dim: int) -> torch.Tensor:
    """Validate a latent batch of shape [N, dim] with finite entries."""
    if not isinstance(z, torch.Tensor):
        raise ValueError(f"latents must be a torch.Tensor of shape [N, {dim}], got {type(z).__name__}")
    if z.dim() != 2 or z.shape[1] != dim or z.shape[0] == 0:
        raise ValueError(f"latents must have shape [N, {dim}] with N >= 1, got {tuple(z.shape)}")
    if not torch.isfinite(z).all():
        raise ValueError("latents contain NaN or infinite values")
    return z
