"""Masks resized to a feature map, for generators that blend two feature maps by a region (paint by word's split).

The region space that searches such a split lives in :mod:`latentlab.spaces.region`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F


def resize_mask(mask: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """A mask [N, 1, H, W] resized to a feature map's ``size`` (area average when shrinking)."""
    size = tuple(int(s) for s in size)
    if tuple(mask.shape[-2:]) == size:
        return mask
    if mask.shape[-2] >= size[0] and mask.shape[-1] >= size[1]:
        return F.adaptive_avg_pool2d(mask, size)
    return F.interpolate(mask, size=size, mode="bilinear", align_corners=False)
