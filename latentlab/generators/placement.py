"""Placing a drawn object: a spatial transformer that moves, turns and scales an upright layer.

Generators with layered output may draw their object's alpha map upright (and, with a size,
centred at a fixed size) and leave where it sits, how it is turned and how large it is to a
small placement head. Drawing one outline per class well is far easier for a convolutional
network than drawing it anywhere, at any angle and size.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F


class Placement(NamedTuple):
    """Where an object goes: centre [N, 2] (x, y as fractions of the image), rotation as
    (cos, sin) [N, 2], counter-clockwise, and size [N] as a fraction of the width (or None
    when the object is drawn at its own size and place and only turned)."""

    centre: torch.Tensor
    rotation: torch.Tensor
    size: torch.Tensor | None


def placement_from_head(out: torch.Tensor, object_size: float) -> Placement:
    """A :class:`Placement` from a head's raw outputs [N, 4] (centre, direction) or [N, 5] (… log size)."""
    size = object_size * torch.exp(out[:, 4].clamp(-3.0, 3.0)) if out.shape[1] > 4 else None
    return Placement(torch.sigmoid(out[:, :2]), F.normalize(out[:, 2:4], dim=1, eps=1e-6), size)


def rotation_grid(centre: torch.Tensor, rotation: torch.Tensor, size: int,
                  source: torch.Tensor | None = None, zoom: torch.Tensor | float = 1.0) -> torch.Tensor:
    """grid_sample grid [N, size, size, 2] that turns an upright layer counter-clockwise about ``centre``.

    With ``source`` (a point of the upright layer, [N, 2]) and ``zoom`` ([N] or a number), what sits
    at ``source`` lands at ``centre``, scaled by 1 / zoom.
    """
    source = centre if source is None else source
    zoom = torch.as_tensor(zoom, dtype=centre.dtype, device=centre.device).expand(centre.shape[0])[:, None, None]
    pixels = (torch.arange(size, dtype=centre.dtype, device=centre.device) + 0.5) / size
    du = pixels[None, None, :] - centre[:, 0, None, None]  # [N, 1, W]
    dv = pixels[None, :, None] - centre[:, 1, None, None]  # [N, H, 1] (v points down)
    c, s = rotation[:, 0, None, None] * zoom, rotation[:, 1, None, None] * zoom
    u = source[:, 0, None, None] + c * du - s * dv
    v = source[:, 1, None, None] + s * du + c * dv
    return torch.stack([u, v], dim=-1) * 2.0 - 1.0


def placement_grid(placement: Placement, size: int, object_size: float) -> torch.Tensor:
    """The grid that puts a layer drawn upright (centred at ``object_size`` when the placement has a size)."""
    if placement.size is None:  # drawn in place: turn it about its centre
        return rotation_grid(placement.centre, placement.rotation, size)
    middle = torch.full_like(placement.centre, 0.5)  # drawn centred at object_size: move, turn and scale it
    return rotation_grid(placement.centre, placement.rotation, size, source=middle, zoom=object_size / placement.size)


def place(layer: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """Resample an upright layer [N, C, H, W] through a placement grid (zeros outside it)."""
    return F.grid_sample(layer, grid.to(layer.dtype), mode="bilinear", padding_mode="zeros", align_corners=False)
