"""Concepts for dissection: what the probe (and the pixels) say about images, and the registry of concepts.

A concept is read from a :class:`ProbeReading` of a batch of images: either a binary mask per
pixel (``spatial``, e.g. the object) or one value per image (object size, background
brightness, closeness to a colour). :data:`CONCEPTS` registers them by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from latentlab.assessors.probe_reader import ProbeReading, read_probe  # the one probe reader
from latentlab.errors import unknown_name_error


def _object(r: ProbeReading) -> torch.Tensor:
    return r.object_mask


def _object_size(r: ProbeReading) -> torch.Tensor:
    return r.geometry[:, 2]


def _background_brightness(r: ProbeReading) -> torch.Tensor:
    from latentlab.assessors.properties import grayscale

    gray = grayscale(r.images)  # [N, R, R]
    outside = 1.0 - r.object_mask[:, 0]
    area = outside.sum(dim=(1, 2))
    inside_mean = gray.mean(dim=(1, 2))  # whole image when no background is left
    return torch.where(area > 0, (gray * outside).sum(dim=(1, 2)) / area.clamp(min=1.0), inside_mean)


def _colour(hue: float) -> Callable[[ProbeReading], torch.Tensor]:
    import math

    target = torch.tensor([math.cos(2 * math.pi * hue), math.sin(2 * math.pi * hue)])

    def closeness(r: ProbeReading) -> torch.Tensor:
        v = r.hue_vector
        return (v @ target) / v.norm(dim=1).clamp(min=1e-6)

    return closeness


@dataclass(frozen=True)
class Concept:
    """A concept read from images: a binary mask per pixel (``spatial``) or one value per image."""

    name: str
    spatial: bool
    measure: Callable[[ProbeReading], torch.Tensor]  # spatial: [N, 1, R, R] in {0, 1}; else [N]
    description: str = ""


def _concepts() -> dict[str, Concept]:
    from latentlab.data.colours import COLOURS

    out = {
        "object": Concept("object", True, _object, "the probe's object mask, per pixel"),
        "object_size": Concept("object_size", False, _object_size, "the probe's object scale (fraction of the width)"),
        "background_brightness": Concept("background_brightness", False, _background_brightness,
                                         "mean grayscale brightness outside the object mask"),
    }
    for name, hue in COLOURS.items():
        out[name] = Concept(name, False, _colour(hue), f"closeness of the object's hue to {name}: cos 2π(ĥ − h), 1 = same hue")
    return out


#: Registry of concepts by name.
CONCEPTS: dict[str, Concept] = _concepts()


def get_concept(name: str | Concept) -> Concept:
    """The registered concept called ``name``; unknown names list the valid ones and close matches."""
    if isinstance(name, Concept):
        return name
    if name not in CONCEPTS:
        raise unknown_name_error("concept", name, CONCEPTS)
    return CONCEPTS[name]


def measure_concept(concept: str | Concept, images: torch.Tensor | ProbeReading, probe=None, region: torch.Tensor | None = None) -> torch.Tensor:
    """Per-image value [N] of ``concept`` on ``images`` (or on an existing :class:`ProbeReading`).

    Spatial concepts give the fraction of pixels they cover, inside ``region`` [1 or N, 1, R, R]
    when given; per-image concepts give their value (``region`` is ignored).
    """
    concept = get_concept(concept)
    reading = images if isinstance(images, ProbeReading) else read_probe(images, probe)
    value = concept.measure(reading)
    if not concept.spatial:
        return value
    if region is None:
        return value.mean(dim=(1, 2, 3))
    region = region.to(value)
    return (value * region).sum(dim=(1, 2, 3)) / region.sum(dim=(1, 2, 3)).clamp(min=1e-6)
