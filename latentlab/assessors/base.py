"""The Assessor contract: images [N, 3, H, W] in [0, 1] → one score per image, higher = more.

Assessors compose: ``a + b``, ``2.0 * a``, ``-a``, ``a - b`` give weighted sums, and
``a.masked(mask)`` scores only a region (x ⊙ m, or the crop of the mask's bounding box).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from latentlab.errors import unknown_name_error
from latentlab.masks import check_mask  # re-exported: masks are validated where they are made

RANGE_TOLERANCE = 1e-3
NOT_IDENTITY = {"training", "batch_size", "chunk_size"}  # settings that change how fast, not what, an assessor scores
MASK_MODES = ("multiply", "crop")


def check_images(images: torch.Tensor) -> torch.Tensor:
    """Validate an image batch: a float tensor [N, 3, H, W] with finite values in [0, 1]."""
    if not isinstance(images, torch.Tensor):
        raise ValueError(f"images must be a torch.Tensor [N, 3, H, W], got {type(images).__name__}")
    if images.dim() != 4 or images.shape[1] != 3 or images.shape[0] == 0:
        raise ValueError(f"images must have shape [N, 3, H, W] with N >= 1, got {tuple(images.shape)}")
    if not images.is_floating_point():
        raise ValueError(f"images must be floating point in [0, 1], got dtype {images.dtype}")
    lo, hi = float(images.detach().min()), float(images.detach().max())
    if not (lo >= -RANGE_TOLERANCE and hi <= 1 + RANGE_TOLERANCE):
        raise ValueError(f"images must lie in [0, 1]; got values in [{lo:.4g}, {hi:.4g}]")
    return images


class Assessor(nn.Module):
    """Base class. Subclasses implement :meth:`score`; calling checks the images first."""

    name: str = "assessor"
    unit: str = ""

    def score(self, images: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.score(check_images(images))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}{', ' + self.unit if self.unit else ''})"

    def identity(self) -> dict:
        """What this assessor computes, for a run's identity: its type, name, settings and a digest of its weights."""
        from latentlab.runs.identity import weights_digest

        settings = {k: v for k, v in sorted(vars(self).items()) if not k.startswith("_") and k not in NOT_IDENTITY
                    and (isinstance(v, (bool, int, float, str)) or (isinstance(v, (list, tuple)) and all(
                        isinstance(x, (bool, int, float, str)) for x in v)))}
        return {"type": type(self).__name__, **settings, "weights": weights_digest(self)}

    # composition -------------------------------------------------------------------------
    def __add__(self, other: Assessor) -> WeightedSum:
        return WeightedSum([(1.0, self), (1.0, other)])

    def __sub__(self, other: Assessor) -> WeightedSum:
        return WeightedSum([(1.0, self), (-1.0, other)])

    def __mul__(self, weight: float) -> WeightedSum:
        return WeightedSum([(float(weight), self)])

    __rmul__ = __mul__

    def __neg__(self) -> WeightedSum:
        return WeightedSum([(-1.0, self)])

    def masked(self, mask: torch.Tensor, mode: str = "multiply") -> MaskedAssessor:
        """Score only the region where ``mask`` is 1."""
        return MaskedAssessor(self, mask, mode)


class WeightedSum(Assessor):
    """Σ wᵢ · assessorᵢ(images); nested sums are flattened."""

    def __init__(self, terms: list[tuple[float, Assessor]]):
        super().__init__()
        flat: list[tuple[float, Assessor]] = []
        for weight, assessor in terms:
            if not isinstance(assessor, Assessor):
                raise ValueError(f"can only combine assessors, got {type(assessor).__name__}")
            if isinstance(assessor, WeightedSum):
                flat.extend((weight * w, a) for w, a in assessor.terms)
            else:
                flat.append((weight, assessor))
        self.terms = flat
        self.parts = nn.ModuleList(a for _, a in flat)
        self.name = " ".join(f"{'+' if w >= 0 else '-'} {abs(w):g}·{a.name}" for w, a in flat).lstrip("+ ")
        units = {a.unit for _, a in flat}
        self.unit = units.pop() if len(units) == 1 else "mixed"

    def score(self, images: torch.Tensor) -> torch.Tensor:
        return sum(w * a.score(images) for w, a in self.terms)

    def identity(self) -> dict:
        return {"type": "WeightedSum", "terms": {f"{i}": {"weight": w, **a.identity()} for i, (w, a) in enumerate(self.terms)}}


class MaskedAssessor(Assessor):
    """Scores x ⊙ m (``mode="multiply"``, seed 000 eq. 4.2) or the crop of m's bounding box (``"crop"``)."""

    def __init__(self, assessor: Assessor, mask: torch.Tensor, mode: str = "multiply"):
        super().__init__()
        if mode not in MASK_MODES:
            raise unknown_name_error("mask mode", mode, MASK_MODES)
        self.inner, self.mode = assessor, mode
        self.register_buffer("mask", check_mask(mask))
        self.name, self.unit = f"{assessor.name} [masked]", assessor.unit

    def score(self, images: torch.Tensor) -> torch.Tensor:
        return self.inner.score(apply_region(images, self.mask, self.mode))


def apply_region(images: torch.Tensor, mask: torch.Tensor, mode: str = "multiply") -> torch.Tensor:
    """The region of ``images`` under ``mask``: x ⊙ m (``"multiply"``) or m's bounding box resized to full size (``"crop"``)."""
    if mode not in MASK_MODES:
        raise unknown_name_error("mask mode", mode, MASK_MODES)
    mask = check_mask(mask, tuple(images.shape[-2:])).to(images.device)
    if mode == "multiply":
        return images * mask
    crops = []
    for i in range(images.shape[0]):
        m = mask[i if mask.shape[0] > 1 else 0, 0] > 0.5
        rows, cols = m.any(dim=1).nonzero(), m.any(dim=0).nonzero()
        crop = images[i:i + 1, :, rows.min():rows.max() + 1, cols.min():cols.max() + 1]
        crops.append(F.interpolate(crop, size=images.shape[-2:], mode="bilinear", align_corners=False))
    return torch.cat(crops).clamp(0, 1)
