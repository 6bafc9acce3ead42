"""Ranking units by a concept: GAN-dissection IoU for spatial concepts, rank correlation for per-image ones."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from latentlab.errors import check_positive_int
from latentlab.methods.dissection.concepts import Concept, get_concept
from latentlab.methods.dissection.recording import UnitRecording, _check_quantile, check_units, place_maps


@dataclass
class UnitRanking:
    """Units of one layer sorted by how well they match a concept (best first)."""

    layer: str
    concept: str
    method: str  # "iou", "spearman" or "pearson"
    units: torch.Tensor  # [U] unit indices, best first
    scores: torch.Tensor  # [U] their scores
    quantile: float | None = None  # activation threshold quantile (IoU rankings)
    placed: torch.Tensor | None = None  # [U] per ranked unit: matched in its generator's object frame (IoU rankings)

    def top(self, k: int) -> list[int]:
        """The ``k`` best units."""
        k = check_positive_int("k", k)
        if k > len(self.units):
            raise ValueError(f"k={k} exceeds the {len(self.units)} units of layer {self.layer!r}")
        return self.units[:k].tolist()

    def is_placed(self, unit: int) -> bool:
        """Whether the unit matched its concept in the frame of its generator's object (see :func:`place_maps`)."""
        unit = check_units(unit, len(self.units), self.layer)[0]
        return self.placed is not None and bool(self.placed[(self.units == unit).nonzero()[0, 0]])

    def score(self, unit: int) -> float:
        """The score of one unit."""
        unit = check_units(unit, len(self.units), self.layer)[0]
        return float(self.scores[(self.units == unit).nonzero()[0, 0]])

    @property
    def mean_score(self) -> float:
        """Mean score over all units: what a randomly chosen unit scores on average."""
        return float(self.scores.mean())

    def table(self, k: int = 10) -> list[tuple[int, float]]:
        """The top ``k`` (unit, score) pairs."""
        k = min(check_positive_int("k", k), len(self.units))
        return [(int(u), round(float(s), 4)) for u, s in zip(self.units[:k], self.scores[:k])]

    def plot(self, k: int = 20, ax=None):
        """Bar chart of the top ``k`` units' scores with the mean over all units (matplotlib)."""
        import matplotlib.pyplot as plt

        k = min(check_positive_int("k", k), len(self.units))
        if ax is None:
            _, ax = plt.subplots(figsize=(max(3.0, 0.28 * k + 1.5), 2.8))
        ax.bar(range(k), self.scores[:k].numpy(), color="tab:blue")
        ax.axhline(self.mean_score, color="gray", ls=":", label=f"mean of {len(self.units)} units")
        ax.set_xticks(range(k))
        ax.set_xticklabels([str(int(u)) for u in self.units[:k]], fontsize=7, rotation=90 if k > 24 else 0)
        label = {"iou": f"IoU (top {1 - self.quantile:.0%} activations)" if self.quantile else "IoU"}.get(self.method, f"{self.method} r")
        ax.set(xlabel=f"unit ({self.layer})", ylabel=label, title=f"units for {self.concept!r}")
        ax.legend(fontsize=7)
        return ax

    def __repr__(self) -> str:
        return f"UnitRanking({self.concept!r} at {self.layer!r} by {self.method}, top {self.table(5)}, mean {self.mean_score:.3f})"


def _ranks(x: torch.Tensor) -> torch.Tensor:
    """Ranks along dim 0 (average ranks for ties)."""
    order = x.argsort(dim=0)
    ranks = torch.empty_like(x)
    ranks.scatter_(0, order, torch.arange(x.shape[0], dtype=x.dtype).view(-1, *([1] * (x.dim() - 1))).expand_as(x))
    if x.dim() == 1:  # average ties
        values = x
        uniq, inverse = values.unique(return_inverse=True)
        if len(uniq) < len(values):
            sums = torch.zeros(len(uniq), dtype=x.dtype).index_add_(0, inverse, ranks)
            counts = torch.zeros(len(uniq), dtype=x.dtype).index_add_(0, inverse, torch.ones_like(ranks))
            ranks = (sums / counts)[inverse]
    return ranks


def _correlation(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Pearson correlation of each column of ``a`` [N, U] with ``b`` [N]; 0 where either is constant."""
    a = a.double() - a.double().mean(dim=0)
    b = b.double() - b.double().mean()
    denominator = a.norm(dim=0) * b.norm()
    r = (a * b[:, None]).sum(dim=0) / denominator.clamp(min=1e-12)
    return torch.where(denominator > 1e-12, r, torch.zeros_like(r)).float()


def unit_iou(recording: UnitRecording, masks: torch.Tensor, quantile: float, batch_size: int = 32,
             placed: bool = False) -> torch.Tensor:
    """IoU [U] between each unit's upsampled map thresholded at its ``quantile`` and the masks [N, 1, R, R]
    (``placed``: the maps placed as the generator placed its object, see :func:`place_maps`)."""
    thresholds = recording.unit_quantile(quantile).view(1, -1, 1, 1)
    concept = masks > 0.5
    inter = torch.zeros(recording.n_units, dtype=torch.float64)
    union = torch.zeros(recording.n_units, dtype=torch.float64)
    size = tuple(masks.shape[-2:])
    for i in range(0, recording.n, batch_size):
        up = F.interpolate(recording.features[i:i + batch_size], size=size, mode="bilinear", align_corners=False)
        if placed:
            up = place_maps(up, recording.object_grids[i:i + batch_size])
        active, m = up > thresholds, concept[i:i + batch_size]
        inter += (active & m).sum(dim=(0, 2, 3)).double()
        union += (active | m).sum(dim=(0, 2, 3)).double()
    return (inter / union.clamp(min=1)).float()


def rank_units(recording: UnitRecording, concept: str | Concept, *, quantile: float = 0.9, method: str | None = None,
               probe=None) -> UnitRanking:
    """Rank the recorded units by how well they match ``concept``.

    Spatial concepts: GAN-dissection IoU between the unit's activation map, bilinearly upsampled
    to the image and thresholded at the unit's ``quantile`` over all recorded locations, and the
    concept mask, pooled over all samples; for a generator that places its object (recordings with
    ``object_grids``) each unit is also scored with its map placed as the object was, and keeps the
    better of the two (``UnitRanking.placed`` says which). The default 0.9 (the top 10 % of locations) suits
    concepts that cover a small part of the image; GAN dissection's 0.99 caps the IoU at
    0.01 / (concept area), about 0.07 for Shapes objects that cover ~14 % of the image.
    Per-image concepts: correlation (``method`` "spearman", the default, or "pearson") across
    samples between the unit's spatially averaged activation and the concept's value; a strongly
    negative score marks a unit that works against the concept.
    """
    concept = get_concept(concept)
    quantile = _check_quantile(quantile)
    values = recording.concept(concept, probe)
    placed = None
    if concept.spatial:
        if method not in (None, "iou"):
            raise ValueError(f"spatial concept {concept.name!r} is scored by IoU; got method={method!r}")
        method, scores = "iou", unit_iou(recording, values, quantile)
        if recording.object_grids is not None:
            in_object_frame = unit_iou(recording, values, quantile, placed=True)
            placed = in_object_frame > scores
            scores = torch.maximum(scores, in_object_frame)
    else:
        method = method or "spearman"
        if method not in ("spearman", "pearson"):
            raise ValueError(f"method must be 'spearman' or 'pearson' for per-image concepts, got {method!r}")
        means = recording.features.mean(dim=(2, 3))  # [N, U]
        if method == "spearman":
            means, values = _ranks(means), _ranks(values.float())
        scores = _correlation(means, values)
        quantile = None
    scores, order = scores.sort(descending=True, stable=True)
    return UnitRanking(recording.layer, concept.name, method, order, scores, quantile,
                       None if placed is None else placed[order])
