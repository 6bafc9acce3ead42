"""Assessors read by ``shapes-probe``: class probability, x, y, scale and closeness to a hue."""

from __future__ import annotations

import math
from functools import lru_cache

import torch

from latentlab.assessors.base import Assessor
from latentlab.data.shapes import hue_value
from latentlab.errors import unknown_name_error

FACTORS = ("x", "y", "scale")


@lru_cache(maxsize=1)
def default_probe():
    """The embedded probe, loaded once per process."""
    from latentlab.zoo import load_probe

    return load_probe("shapes-probe")


class _ProbeAssessor(Assessor):
    def __init__(self, probe=None):
        super().__init__()
        self.probe = probe if probe is not None else default_probe()

    def read(self, images: torch.Tensor):
        return self.probe.to(images.device)(images, with_mask=False)


class ClassProbability(_ProbeAssessor):
    """Probability the probe gives to one shape class."""

    unit = "probability"

    def __init__(self, shape: str, probe=None):
        super().__init__(probe)
        if shape not in self.probe.class_names:
            raise unknown_name_error("shape", shape, self.probe.class_names)
        self.index, self.name = self.probe.class_names.index(shape), f"p({shape})"

    def score(self, images: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.read(images).logits, dim=1)[:, self.index]


class ProbeFactor(_ProbeAssessor):
    """The probe's reading of x, y (fractions of the image, y down) or scale (fraction of the width)."""

    unit = "fraction of the image"

    def __init__(self, factor: str, probe=None):
        super().__init__(probe)
        if factor not in FACTORS:
            raise unknown_name_error("probe factor", factor, FACTORS)
        self.factor, self.name = factor, f"probe {factor}"

    def score(self, images: torch.Tensor) -> torch.Tensor:
        return getattr(self.read(images), self.factor)


class HueCloseness(_ProbeAssessor):
    """cos(2π (ĥ − h)) between the probe's object hue ĥ and a target hue or colour name (1 = same)."""

    unit = "cosine"

    def __init__(self, hue: float | str, probe=None):
        super().__init__(probe)
        self.hue = hue_value(hue)
        self.name = f"hue ≈ {hue}"

    def score(self, images: torch.Tensor) -> torch.Tensor:
        v = self.read(images).hue_vector
        target = v.new_tensor([math.cos(2 * math.pi * self.hue), math.sin(2 * math.pi * self.hue)])
        return (v @ target) / v.norm(dim=1).clamp(min=1e-6)
