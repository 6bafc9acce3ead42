"""Signed distance functions of the Shapes world's objects, vectorised in torch.

Each raw function takes local coordinates ``px, py`` (y pointing up) and returns the
signed distance (negative inside). :func:`normalised_sdf` re-centres every shape on
its area centroid and scales it so its bounding circle has radius 1, so that a
shape's position is its centroid and its scale is its bounding diameter.
"""

from __future__ import annotations

import math
from functools import cache

import torch

SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "star", "heart")


def _circle(px: torch.Tensor, py: torch.Tensor) -> torch.Tensor:
    return torch.sqrt(px * px + py * py) - 1.0


def _square(px: torch.Tensor, py: torch.Tensor) -> torch.Tensor:
    half = math.sqrt(0.5)  # corners on the unit circle
    dx, dy = px.abs() - half, py.abs() - half
    outside = torch.hypot(dx.clamp(min=0), dy.clamp(min=0))
    return outside + torch.maximum(dx, dy).clamp(max=0)


def _triangle(px: torch.Tensor, py: torch.Tensor) -> torch.Tensor:
    # equilateral, apex up, centroid at the origin, circumradius 1
    k = math.sqrt(3.0)
    r = k / 2.0
    x = px.abs() - r
    y = py + r / k
    flip = (x + k * y) > 0
    x, y = torch.where(flip, (x - k * y) / 2, x), torch.where(flip, (-k * x - y) / 2, y)
    x = x - x.clamp(min=-2 * r, max=0.0)
    return -torch.sqrt(x * x + y * y) * torch.sign(y)


def _star(px: torch.Tensor, py: torch.Tensor, inner: float = 0.45) -> torch.Tensor:
    # five-pointed star, outer radius 1
    k1x, k1y = 0.809016994375, -0.587785252292
    k2x, k2y = -k1x, k1y
    x, y = px.abs(), py
    d = 2 * (k1x * x + k1y * y).clamp(min=0)
    x, y = x - d * k1x, y - d * k1y
    d = 2 * (k2x * x + k2y * y).clamp(min=0)
    x, y = x - d * k2x, y - d * k2y
    x = x.abs()
    y = y - 1.0
    bax, bay = inner * -k1y, inner * k1x - 1.0
    h = ((x * bax + y * bay) / (bax * bax + bay * bay)).clamp(0.0, 1.0)
    dist = torch.hypot(x - bax * h, y - bay * h)
    return dist * torch.sign(y * bax - x * bay)


def _heart(px: torch.Tensor, py: torch.Tensor) -> torch.Tensor:
    # point down, lobes up; spans roughly x in [-0.6, 0.6], y in [0, 1.1]
    x, y = px.abs(), py
    lobe = torch.hypot(x - 0.25, y - 0.75) - math.sqrt(2.0) / 4
    t = 0.5 * (x + y).clamp(min=0)
    body = torch.minimum(torch.hypot(x, y - 1.0), torch.hypot(x - t, y - t)) * torch.sign(x - y)
    return torch.where(y + x > 1.0, lobe, body)


_RAW = {"circle": _circle, "square": _square, "triangle": _triangle, "star": _star, "heart": _heart}


@cache
def _frame(name: str) -> tuple[float, float, float]:
    """Area centroid (cx, cy) and bounding radius about it, measured on a fine grid."""
    n = 801
    axis = torch.linspace(-2.0, 2.0, n, dtype=torch.float64)
    py, px = torch.meshgrid(axis, axis, indexing="ij")
    inside = _RAW[name](px, py) <= 0
    cx, cy = px[inside].mean().item(), py[inside].mean().item()
    radius = torch.sqrt((px[inside] - cx) ** 2 + (py[inside] - cy) ** 2).max().item()
    return cx, cy, radius + 2.0 / (n - 1)


def normalised_sdf(shape: int, px: torch.Tensor, py: torch.Tensor) -> torch.Tensor:
    """Signed distance to shape ``SHAPES[shape]`` centred on its centroid, bounding radius 1."""
    name = SHAPES[shape]
    cx, cy, radius = _frame(name)
    return _RAW[name](px * radius + cx, py * radius + cy) / radius
