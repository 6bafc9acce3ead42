"""A dSprites-style world: one white shape on black, from the Shapes renderer's object coverage.

dSprites (Matthey et al. 2017) varies shape, scale, rotation and position of a white sprite
on a black background; the Shapes renderer's anti-aliased object mask is exactly such an
image, so the same factors and seeds apply. Position is recoverable as the barycentre of
the white pixels (seed 002 §4.4.1).
"""

from __future__ import annotations

import torch

from latentlab.data.shapes import FactorValue, ShapeFactors, render, sample_factors


def render_sprites(n: int, seed: int | None = None, *, size: int = 64, **chosen: FactorValue) -> tuple[torch.Tensor, ShapeFactors]:
    """White-on-black images [n, 1, size, size] in [0, 1] and their factors (keywords fix factors)."""
    factors = sample_factors(n, seed, **chosen)
    _, masks = render(factors, size)
    return masks, factors


def barycentre(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Centre of mass (x, y) [N] of the intensity of images [N, C, H, W], as fractions of the size (y down)."""
    mass = images.mean(dim=1)  # [N, H, W]
    h, w = mass.shape[-2:]
    ys = (torch.arange(h, dtype=mass.dtype, device=mass.device) + 0.5) / h
    xs = (torch.arange(w, dtype=mass.dtype, device=mass.device) + 0.5) / w
    total = mass.sum(dim=(1, 2)).clamp(min=1e-6)
    return (mass * xs).sum(dim=(1, 2)) / total, (mass * ys[:, None]).sum(dim=(1, 2)) / total
