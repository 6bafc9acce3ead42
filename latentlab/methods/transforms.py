"""Image transformations T_t with a continuous parameter t, and the regions they leave undefined.

Seed 002 §4.2: a factor of variation is found by transforming generated images and
inverting the results, ignoring the undefined regions of a transformed image (the strip a
shift uncovers, the border of a zoom-out).
Each transformation returns (images [N, 3, H, W], valid [N, 1, H, W]) and is differentiable.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from latentlab.errors import unknown_name_error


@dataclass(frozen=True)
class Transformation:
    """A named transformation with its parameter's meaning and accepted range ``low < t < high``."""

    name: str
    factor: str  # the factor of variation it changes
    unit: str
    low: float
    high: float
    fn: Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]

    def __call__(self, images: torch.Tensor, t: float | torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Transformed images [N, 3, H, W] and their defined region [N, 1, H, W] for t (one or one per image)."""
        t = torch.as_tensor(t, dtype=images.dtype, device=images.device)
        t = t.expand(images.shape[0]) if t.dim() == 0 else t
        if t.shape != (images.shape[0],):
            raise ValueError(f"t must be a number or one per image ({images.shape[0]},), got shape {tuple(t.shape)}")
        bad = ~torch.isfinite(t) | (t <= self.low) | (t >= self.high)
        if bad.any():
            raise ValueError(f"{self.name} parameter {t[bad][0].item():.4g} is out of range: expected {self.low:g} < t < {self.high:g} ({self.unit})")
        return self.fn(images, t)


def _warp(images: torch.Tensor, theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Resample images by affine maps theta [N, 2, 3] (output → input coordinates in [−1, 1])."""
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    out = F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    ones = images.new_ones(images.shape[0], 1, *images.shape[-2:])
    valid = F.grid_sample(ones, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return out, (valid > 0.999).to(images.dtype)


def _shift(images: torch.Tensor, t: torch.Tensor, axis: int) -> tuple[torch.Tensor, torch.Tensor]:
    theta = images.new_zeros(images.shape[0], 2, 3)
    theta[:, 0, 0] = theta[:, 1, 1] = 1.0
    theta[:, axis, 2] = -2.0 * t  # content moves by t of the image size (+x right, +y down)
    return _warp(images, theta)


def shift_x(images: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Move the content right by t of the image width (left for t < 0)."""
    return _shift(images, t, 0)


def shift_y(images: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Move the content down by t of the image height (up for t < 0)."""
    return _shift(images, t, 1)


def zoom(images: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Scale the content about the image centre by e^t (t = log zoom factor, additive under composition)."""
    theta = images.new_zeros(images.shape[0], 2, 3)
    theta[:, 0, 0] = theta[:, 1, 1] = torch.exp(-t)
    return _warp(images, theta)


def brightness(images: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Add t to every pixel, clipped to [0, 1]; nothing becomes undefined."""
    moved = (images + t[:, None, None, None]).clamp(0, 1)
    return moved, images.new_ones(images.shape[0], 1, *images.shape[-2:])


TRANSFORMATIONS: dict[str, Transformation] = {
    t.name: t for t in (
        Transformation("shift_x", "x", "fraction of the width", -1.0, 1.0, shift_x),
        Transformation("shift_y", "y", "fraction of the height", -1.0, 1.0, shift_y),
        Transformation("zoom", "scale", "log zoom factor", -math.log(4.0), math.log(4.0), zoom),
        Transformation("brightness", "brightness", "added intensity", -1.0, 1.0, brightness),
    )
}


def get_transformation(name: str | Transformation) -> Transformation:
    """A transformation by name ('shift_x', 'shift_y', 'zoom', 'brightness') or passed through."""
    if isinstance(name, Transformation):
        return name
    if name not in TRANSFORMATIONS:
        raise unknown_name_error("transformation", name, tuple(TRANSFORMATIONS))
    return TRANSFORMATIONS[name]
