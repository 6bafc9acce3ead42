"""Region masks [H, W] in {0, 1}: validation, rectangles, brush strokes and growing a mask.

The mask of the object ``shapes-probe`` sees is :func:`latentlab.assessors.object_mask`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from latentlab.errors import check_positive_int


def check_mask(mask: torch.Tensor, size: tuple[int, int] | None = None) -> torch.Tensor:
    """Validate a region mask: [H, W], [1, H, W] or [N, 1, H, W], binary-like, neither empty nor full."""
    mask = torch.as_tensor(mask, dtype=torch.float32)
    if mask.dim() == 2:
        mask = mask[None, None]
    elif mask.dim() == 3:
        mask = mask[:, None] if mask.shape[0] != 1 else mask[None]
    if mask.dim() != 4 or mask.shape[1] != 1:
        raise ValueError(f"mask must be [H, W], [1, H, W] or [N, 1, H, W], got {tuple(mask.shape)}")
    if size is not None and tuple(mask.shape[-2:]) != tuple(size):
        raise ValueError(f"mask is {tuple(mask.shape[-2:])} but the images are {tuple(size)}")
    if not torch.isfinite(mask).all() or mask.min() < 0 or mask.max() > 1:
        raise ValueError(f"mask values must lie in [0, 1]; got [{mask.min():.3g}, {mask.max():.3g}]")
    soft = ((mask > 0.05) & (mask < 0.95)).float().mean()
    if soft > 0.25:
        raise ValueError(f"mask is not binary-like: {soft:.0%} of its values lie strictly between 0 and 1")
    area = (mask > 0.5).float().mean(dim=(1, 2, 3))
    if (area == 0).any():
        raise ValueError("mask is empty: paint a region first")
    if (area == 1).any():
        raise ValueError("mask covers the whole image; score without a mask instead")
    return mask


def rect_mask(size: int, left: int, top: int, right: int, bottom: int) -> torch.Tensor:
    """Ones in columns ``left``…``right``−1 and rows ``top``…``bottom``−1 of a ``size``×``size`` mask."""
    size = check_positive_int("size", size)
    box = [int(v) for v in (left, top, right, bottom)]
    if not (0 <= box[0] < box[2] <= size and 0 <= box[1] < box[3] <= size):
        raise ValueError(f"rectangle (left, top, right, bottom) = {tuple(box)} must satisfy "
                         f"0 <= left < right <= {size} and 0 <= top < bottom <= {size}")
    mask = torch.zeros(size, size)
    mask[box[1]:box[3], box[0]:box[2]] = 1.0
    return mask


def stamp_stroke(mask: np.ndarray, points: Sequence[tuple[float, float]], radius: float, value: float = 1.0) -> np.ndarray:
    """Paint (``value=1``) or erase (``0``) a brush stroke through ``points`` (x, y in pixels) into ``mask`` in place.

    The stroke is the union of discs of ``radius`` along every segment, so fast strokes with
    sparse points leave no gaps.
    """
    if radius <= 0:
        raise ValueError(f"brush radius must be > 0 pixels, got {radius!r}")
    h, w = mask.shape
    ys, xs = np.mgrid[0:h, 0:w]
    cx, cy = xs + 0.5, ys + 0.5  # pixel centres
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(pts) == 0:
        return mask
    segments = zip(pts, pts[1:]) if len(pts) > 1 else [(pts[0], pts[0])]
    hit = np.zeros_like(mask, dtype=bool)
    for (x0, y0), (x1, y1) in segments:  # distance from each pixel centre to the segment
        dx, dy = x1 - x0, y1 - y0
        t = np.clip(((cx - x0) * dx + (cy - y0) * dy) / max(dx * dx + dy * dy, 1e-12), 0.0, 1.0)
        hit |= (cx - x0 - t * dx) ** 2 + (cy - y0 - t * dy) ** 2 <= radius ** 2
    mask[hit] = value
    return mask


def dilate(mask: torch.Tensor, pixels: int) -> torch.Tensor:
    """Grow a mask [..., H, W] by ``pixels`` in every direction (square structuring element)."""
    if pixels <= 0:
        return mask
    shape = mask.shape
    m = mask.reshape(-1, 1, *shape[-2:]).float()
    return F.max_pool2d(m, 2 * pixels + 1, stride=1, padding=pixels).reshape(shape)


def __getattr__(name: str):
    if name == "object_mask":  # it reads shapes-probe, a model, so it lives with the probe's reader
        raise ImportError("object_mask moved to latentlab.assessors (it reads shapes-probe): "
                          "from latentlab.assessors import object_mask")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
