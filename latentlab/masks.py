"""Region masks [H, W] in {0, 1}: rectangles, brush strokes and the object the probe sees."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from latentlab.errors import check_positive_int


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


@torch.no_grad()
def object_mask(images: torch.Tensor, *, grow: int = 3, probe=None, threshold: float = 0.5) -> torch.Tensor:
    """Masks [N, H, W] of the object in Shapes-world images, as ``shapes-probe`` segments it, grown by ``grow`` pixels."""
    from latentlab.assessors.probe import default_probe

    probe = probe if probe is not None else default_probe()
    soft = probe(images.to(next(probe.parameters()).device)).mask[:, 0]
    return dilate((soft > threshold).float(), grow).cpu()
