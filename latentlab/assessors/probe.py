"""Assessors read by ``shapes-probe``: class probability, x, y, scale and closeness to a hue.

Each reads through a :class:`~latentlab.assessors.probe_reader.ProbeReader`, so it scores on the
images' device with the probe kept there (never by moving a shared probe).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from latentlab.assessors.base import Assessor
from latentlab.assessors.probe_reader import (  # noqa: F401  (the reader's names, importable from here too)
    ProbeReader,
    ProbeReading,
    as_reader,
    default_probe,
    object_mask,
    read_probe,
)
from latentlab.data.shapes import hue_value
from latentlab.errors import unknown_name_error
from latentlab.runs.identity import weights_digest

FACTORS = ("x", "y", "scale")


class ProbeAssessor(Assessor):
    """Base of the assessors that score what the probe reads (``probe``: a ShapesProbe, a reader, or None for the embedded one)."""

    def __init__(self, probe: ProbeReader | nn.Module | None = None):
        super().__init__()
        self.reader = as_reader(probe)  # a plain object, not a submodule: .to() on the assessor moves no probe

    @property
    def probe(self) -> nn.Module:
        """The probe as given (the embedded one's CPU copy by default)."""
        return self.reader.probe

    def read(self, images: torch.Tensor) -> ProbeReading:
        return self.reader(images)

    def identity(self) -> dict:
        holder = nn.Module()
        holder.probe = self.reader.probe  # the probe's weights, digested under the name "probe"
        return {**super().identity(), "weights": weights_digest(holder)}


class ClassProbability(ProbeAssessor):
    """Probability the probe gives to one shape class."""

    unit = "probability"

    def __init__(self, shape: str, probe: ProbeReader | nn.Module | None = None):
        super().__init__(probe)
        names = self.reader.class_names
        if shape not in names:
            raise unknown_name_error("shape", shape, names)
        self.index, self.name = names.index(shape), f"p({shape})"

    def score(self, images: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.read(images).logits, dim=1)[:, self.index]


class ProbeFactor(ProbeAssessor):
    """The probe's reading of x, y (fractions of the image, y down) or scale (fraction of the width)."""

    unit = "fraction of the image"

    def __init__(self, factor: str, probe: ProbeReader | nn.Module | None = None):
        super().__init__(probe)
        if factor not in FACTORS:
            raise unknown_name_error("probe factor", factor, FACTORS)
        self.factor, self.name = factor, f"probe {factor}"

    def score(self, images: torch.Tensor) -> torch.Tensor:
        return getattr(self.read(images), self.factor)


class HueCloseness(ProbeAssessor):
    """cos(2π (ĥ − h)) between the probe's object hue ĥ and a target hue or colour name (1 = same)."""

    unit = "cosine"

    def __init__(self, hue: float | str, probe: ProbeReader | nn.Module | None = None):
        super().__init__(probe)
        self.hue = hue_value(hue)
        self.name = f"hue ≈ {hue}"

    def score(self, images: torch.Tensor) -> torch.Tensor:
        v = self.read(images).hue_vector
        target = v.new_tensor([math.cos(2 * math.pi * self.hue), math.sin(2 * math.pi * self.hue)])
        return (v @ target) / v.norm(dim=1).clamp(min=1e-6)
