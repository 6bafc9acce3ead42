"""Image-property assessors needing no weights (seed 000 §3.3.2 "emerging factors").

Colour properties read pixels; object properties read an object mask, by default the
``shapes-probe`` mask (pass ``mask_fn`` for another segmenter). All are differentiable.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from latentlab.assessors.base import Assessor
from latentlab.assessors.probe_reader import as_reader

LUMA = (0.299, 0.587, 0.114)


def grayscale(images: torch.Tensor) -> torch.Tensor:
    w = images.new_tensor(LUMA).view(1, 3, 1, 1)
    return (images * w).sum(dim=1)


class Brightness(Assessor):
    """Mean grayscale intensity."""

    name, unit = "brightness", "mean intensity [0, 1]"

    def score(self, images: torch.Tensor) -> torch.Tensor:
        return grayscale(images).mean(dim=(1, 2))


class Colorfulness(Assessor):
    """Hasler & Süsstrunk (2003): σ_rgyb + 0.3 μ_rgyb on 0–255 pixel values."""

    name, unit = "colorfulness", "Hasler–Süsstrunk M"

    def score(self, images: torch.Tensor) -> torch.Tensor:
        r, g, b = (images * 255).unbind(1)
        rg, yb = r - g, 0.5 * (r + g) - b
        std = torch.sqrt(rg.var(dim=(1, 2), unbiased=False) + yb.var(dim=(1, 2), unbiased=False) + 1e-8)
        mean = torch.sqrt(rg.mean(dim=(1, 2)) ** 2 + yb.mean(dim=(1, 2)) ** 2 + 1e-8)
        return std + 0.3 * mean


class Redness(Assessor):
    """Share of red pixels, counted softly: red clearly above green and blue."""

    name, unit = "redness", "fraction of pixels"

    def __init__(self, margin: float = 0.25, sharpness: float = 25.0):
        super().__init__()
        self.margin, self.sharpness = margin, sharpness

    def score(self, images: torch.Tensor) -> torch.Tensor:
        r, g, b = images.unbind(1)
        lead = r - torch.maximum(g, b)
        return torch.sigmoid(self.sharpness * (lead - self.margin)).mean(dim=(1, 2))


class IntensityEntropy(Assessor):
    """Entropy (bits) of the grayscale histogram, with soft (Gaussian) bins so it has gradients."""

    name, unit = "entropy", "bits"

    def __init__(self, bins: int = 32):
        super().__init__()
        self.bins = bins

    def score(self, images: torch.Tensor) -> torch.Tensor:
        gray = grayscale(images).flatten(1)  # [N, P]
        centres = (torch.arange(self.bins, device=images.device, dtype=images.dtype) + 0.5) / self.bins
        width = 1.0 / self.bins
        weights = torch.exp(-0.5 * ((gray[:, :, None] - centres) / (0.5 * width)) ** 2)
        hist = (weights / weights.sum(dim=2, keepdim=True).clamp(min=1e-12)).mean(dim=1)
        return -(hist * torch.log2(hist.clamp(min=1e-12))).sum(dim=1)


def probe_mask(images: torch.Tensor) -> torch.Tensor:
    """Object masks [N, 1, H, W] from the embedded ``shapes-probe``, read on the images' device (differentiable)."""
    return as_reader(None)(images, with_mask=True).mask


class _MaskProperty(Assessor):
    def __init__(self, mask_fn: Callable[[torch.Tensor], torch.Tensor] | None = None):
        super().__init__()
        self.mask_fn = mask_fn or probe_mask

    def moments(self, images: torch.Tensor):
        m = self.mask_fn(images)[:, 0]  # [N, H, W]
        h, w = m.shape[-2:]
        ys = (torch.arange(h, device=m.device, dtype=m.dtype) + 0.5) / h
        xs = (torch.arange(w, device=m.device, dtype=m.dtype) + 0.5) / w
        area = m.sum(dim=(1, 2)).clamp(min=1e-6)
        cx = (m * xs).sum(dim=(1, 2)) / area
        cy = (m * ys[:, None]).sum(dim=(1, 2)) / area
        return m, xs, ys, area, cx, cy


class ObjectSize(_MaskProperty):
    """Object area as a fraction of the image."""

    name, unit = "object size", "fraction of the image"

    def score(self, images: torch.Tensor) -> torch.Tensor:
        m = self.mask_fn(images)
        return m.mean(dim=(1, 2, 3))


class Centeredness(_MaskProperty):
    """Negative distance of the mask centroid from the image centre (0 = centred)."""

    name, unit = "centeredness", "-distance / image size"

    def score(self, images: torch.Tensor) -> torch.Tensor:
        _, _, _, _, cx, cy = self.moments(images)
        return -torch.sqrt((cx - 0.5) ** 2 + (cy - 0.5) ** 2 + 1e-12)


class Squareness(_MaskProperty):
    """Minor/major axis ratio of the mask's moment-equivalent ellipse (1 = as wide as tall)."""

    name, unit = "squareness", "axis ratio"

    def score(self, images: torch.Tensor) -> torch.Tensor:
        m, xs, ys, area, cx, cy = self.moments(images)
        dx, dy = xs[None, None, :] - cx[:, None, None], ys[None, :, None] - cy[:, None, None]
        cxx = (m * dx * dx).sum(dim=(1, 2)) / area
        cyy = (m * dy * dy).sum(dim=(1, 2)) / area
        cxy = (m * dx * dy).sum(dim=(1, 2)) / area
        root = torch.sqrt(((cxx - cyy) / 2) ** 2 + cxy**2 + 1e-12)
        major, minor = (cxx + cyy) / 2 + root, ((cxx + cyy) / 2 - root).clamp(min=0)
        return torch.sqrt(minor / major.clamp(min=1e-12))


PROPERTY_ASSESSORS = {cls.name: cls for cls in (Brightness, Colorfulness, Redness, IntensityEntropy, ObjectSize, Centeredness, Squareness)}
