"""``shapes-probe``: a CNN that predicts a Shapes image's class, hue, position, scale and mask.

It backs the metrics (class consistency, factor spreads, the probe-feature FID) and the
property assessors. Its 256-d penultimate layer is the feature space of the FID.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class ShapesProbeConfig:
    """Architecture of the probe."""

    class_names: tuple[str, ...] = ("circle", "square", "triangle", "star", "heart")
    channels: tuple[int, ...] = (32, 64, 128, 128)  # at 32, 16, 8 and 4 pixels
    features: int = 256  # penultimate width (the FID feature space)

    def to_json(self) -> dict:
        d = asdict(self)
        return {**d, "class_names": list(self.class_names), "channels": list(self.channels)}

    @classmethod
    def from_json(cls, d: dict) -> ShapesProbeConfig:
        return cls(**{**d, "class_names": tuple(d["class_names"]), "channels": tuple(d["channels"])})


@dataclass
class ProbeOutput:
    """Raw outputs; use the properties for factors in the renderer's units."""

    logits: torch.Tensor  # [N, classes]
    hue_vector: torch.Tensor  # [N, 2] ≈ (cos 2πh, sin 2πh)
    geometry: torch.Tensor  # [N, 3] x, y, scale
    mask_logits: torch.Tensor  # [N, 1, H, W]
    features: torch.Tensor  # [N, features] penultimate activations

    @property
    def shape(self) -> torch.Tensor:
        return self.logits.argmax(dim=1)

    @property
    def hue(self) -> torch.Tensor:
        return (torch.atan2(self.hue_vector[:, 1], self.hue_vector[:, 0]) / (2 * math.pi)).remainder(1.0)

    @property
    def x(self) -> torch.Tensor:
        return self.geometry[:, 0]

    @property
    def y(self) -> torch.Tensor:
        return self.geometry[:, 1]

    @property
    def scale(self) -> torch.Tensor:
        return self.geometry[:, 2]

    @property
    def mask(self) -> torch.Tensor:
        return torch.sigmoid(self.mask_logits)


def _stage(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=2, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
    )


class ShapesProbe(nn.Module):
    """Images [N, 3, 64, 64] in [0, 1] → :class:`ProbeOutput`."""

    def __init__(self, config: ShapesProbeConfig | None = None):
        super().__init__()
        self.config = config = config or ShapesProbeConfig()
        self.class_names = tuple(config.class_names)
        c = config.channels
        self.stages = nn.ModuleList(_stage(a, b) for a, b in zip((3,) + c[:-1], c))
        self.fc = nn.Linear(c[-1] * 16, config.features)
        self.class_head = nn.Linear(config.features, len(self.class_names))
        self.hue_head = nn.Linear(config.features, 2)
        self.geometry_head = nn.Linear(config.features, 3)
        self.mask_head = nn.Conv2d(c[1], 1, 1)  # from the 16×16 stage, upsampled

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """Penultimate features [N, features] (ReLU activations)."""
        return self.forward(images, with_mask=False).features

    def forward(self, images: torch.Tensor, with_mask: bool = True) -> ProbeOutput:
        h = images * 2.0 - 1.0
        skips = []
        for stage in self.stages:
            h = stage(h)
            skips.append(h)
        feats = F.relu(self.fc(h.flatten(1)))
        size = images.shape[-1]
        mask = F.interpolate(self.mask_head(skips[1]), size=(size, size), mode="bilinear", align_corners=False) if with_mask else images.new_zeros(images.shape[0], 1, 1, 1)
        return ProbeOutput(self.class_head(feats), self.hue_head(feats), self.geometry_head(feats), mask, feats)
