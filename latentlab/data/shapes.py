"""The Shapes world: one anti-aliased object on a textured background, with known factors.

Rendering is a pure, vectorised function of the factors, so chosen factors render exactly
and random ones are reproducible from a seed::

    batch = render_shapes(16, seed=0, shape="star", hue="red")
    batch.images   # [16, 3, 64, 64] in [0, 1]
    batch.masks    # [16, 1, 64, 64] object coverage in [0, 1]
    batch.captions # varied captions of each image
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from latentlab.data.captions import captions
from latentlab.data.colours import hsv_to_rgb
from latentlab.data.factors import (  # noqa: F401  (re-exported: the factors belong to the Shapes world)
    BACKGROUND_BRIGHTNESS_RANGE,
    SCALE_RANGE,
    FactorValue,
    ShapeFactors,
    hue_value,
    sample_factors,
    shape_index,
)
from latentlab.data.sdf import SHAPES, normalised_sdf
from latentlab.errors import check_positive_int

OBJECT_SATURATION, OBJECT_VALUE = 0.85, 0.95
BACKGROUND_SATURATION = 0.45
GRADIENT_STRENGTH, TEXTURE_STRENGTH = 0.35, 0.03


@dataclass
class ShapesBatch:
    """Rendered images, object masks, their factors and captions."""

    images: torch.Tensor  # [N, 3, H, W] in [0, 1]
    masks: torch.Tensor  # [N, 1, H, W] object coverage in [0, 1]
    factors: ShapeFactors
    captions: list[str]


def _background(f: ShapeFactors, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Background colour [N, 3, H, W]: a tinted gradient with a faint ripple."""
    ca, sa = torch.cos(f.bg_angle)[:, None, None], torch.sin(f.bg_angle)[:, None, None]
    along = (u - 0.5) * ca + (v - 0.5) * sa  # [N, H, W] in about [-0.7, 0.7]
    ripple = torch.sin(2 * math.pi * 3.0 * (u * sa - v * ca) + f.bg_phase[:, None, None])
    value = f.bg_brightness[:, None, None] * (1.0 + GRADIENT_STRENGTH * along) + TEXTURE_STRENGTH * ripple
    # HSV -> RGB is linear in V, so tint a per-image unit colour by the value map
    tint = hsv_to_rgb(f.bg_hue, torch.full_like(f.bg_hue, BACKGROUND_SATURATION), torch.ones_like(f.bg_hue))
    return tint.T[:, :, None, None] * value.clamp(0.0, 1.0)[:, None]


def _coverage(f: ShapeFactors, u: torch.Tensor, v: torch.Tensor, size: int) -> torch.Tensor:
    """Anti-aliased object coverage [N, H, W] from each shape's signed distance."""
    half = (f.scale / 2)[:, None, None]
    dx = (u - f.x[:, None, None]) / half
    dy = -(v - f.y[:, None, None]) / half  # local y points up
    c, s = torch.cos(f.rotation)[:, None, None], torch.sin(f.rotation)[:, None, None]
    px, py = c * dx + s * dy, -s * dx + c * dy  # rotate the frame by -rotation
    coverage = torch.empty_like(px)
    for k in range(len(SHAPES)):
        idx = (f.shape == k).nonzero(as_tuple=True)[0]
        if idx.numel():
            dist = normalised_sdf(k, px[idx], py[idx]) * half[idx] * size  # in pixels
            coverage[idx] = (0.5 - dist).clamp(0.0, 1.0)
    return coverage


def render_layers(factors: ShapeFactors, size: int = 64) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The layers an image is composited from: background [N, 3, size, size], object coverage
    [N, 1, size, size] and object colour [N, 3, 1, 1], all in [0, 1]."""
    size = check_positive_int("size", size)
    centres = (torch.arange(size, dtype=torch.float32) + 0.5) / size
    v, u = centres[None, :, None], centres[None, None, :]
    alpha = _coverage(factors, u, v, size)  # [N, H, W]
    background = _background(factors, u.expand_as(alpha), v.expand_as(alpha))
    ones = torch.ones(len(factors))
    colour = hsv_to_rgb(factors.hue, OBJECT_SATURATION * ones, OBJECT_VALUE * ones).T[:, :, None, None]
    return background, alpha[:, None], colour


def render(factors: ShapeFactors, size: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """Render ``factors`` to images [N, 3, size, size] and masks [N, 1, size, size] in [0, 1]."""
    background, alpha, colour = render_layers(factors, size)
    return torch.lerp(background, colour.expand_as(background), alpha), alpha


def render_shapes(n: int, seed: int | None = None, *, size: int = 64, **chosen: FactorValue) -> ShapesBatch:
    """Sample factors (fixing any given as keywords), render them and caption them."""
    factors = sample_factors(n, seed, **chosen)
    images, masks = render(factors, size)
    return ShapesBatch(images, masks, factors, captions(factors, seed=seed))
