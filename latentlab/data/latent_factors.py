"""Shapes factors read off a Gaussian latent: the pairing a generator can be trained to render.

A :class:`LatentFactorMap` turns a latent ``z ~ N(0, I)`` (and a shape class) into
:class:`ShapeFactors` that follow exactly the distribution of :func:`sample_factors`:
bounded factors are Φ(zᵢ) stretched to their range, and angles (hue, rotation, the
background's gradient direction and ripple phase) are the angle of a pair of coordinates,
which is uniform whatever the pair's length. Each factor reads a fixed random rotation of a
latent chunk, so factors lie along directions of the latent space rather than along its
axes. Spatial factors come from the first chunk (the one a hierarchical generator's stem
lays out), colours from the last (the one its object colour and last block see).

Truncating z pulls the bounded factors toward their median (a centred, mid-sized object on
a mid-bright background) but leaves the angles uniform, so hues keep their variety.
"""

from __future__ import annotations

import math

import torch

from latentlab.data.sdf import SHAPES
from latentlab.data.shapes import BACKGROUND_BRIGHTNESS_RANGE, SCALE_RANGE, ShapeFactors

#: Coordinates of the rotated spatial chunk each spatial factor reads (pairs are angles).
SPATIAL = {"scale": 0, "x": 1, "y": 2, "rotation": (3, 4), "bg_angle": (5, 6), "bg_phase": (7, 8)}
#: Coordinates of the rotated colour chunk each colour factor reads.
COLOUR = {"hue": (0, 1), "bg_offset": 2, "bg_brightness": 3}
BG_OFFSET_RANGE = (60.0 / 360, 300.0 / 360)  # background hue minus object hue, as in sample_factors


def _uniform(z: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
    return lo + (hi - lo) * 0.5 * (1.0 + torch.erf(z / math.sqrt(2.0)))


def _angle(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.atan2(a, b).remainder(2 * math.pi)


def _rotation(dim: int, seed: int) -> torch.Tensor:
    """A fixed random orthogonal matrix (QR of a seeded Gaussian, signs made unique)."""
    q, r = torch.linalg.qr(torch.randn(dim, dim, generator=torch.Generator().manual_seed(seed), dtype=torch.float64))
    return (q * torch.sign(torch.diagonal(r))).float()


class LatentFactorMap:
    """Maps latents [N, latent_dim] and shape classes [N] to the factors they stand for.

    ``chunk`` is the size of the generator's latent chunks (the first and the last are read);
    ``seed`` fixes the rotations.
    """

    def __init__(self, latent_dim: int = 120, chunk: int = 24, seed: int = 0):
        needed = max(max(v if isinstance(v, int) else max(v) for v in table.values()) for table in (SPATIAL, COLOUR)) + 1
        if chunk < needed or latent_dim < 2 * chunk:
            raise ValueError(f"a LatentFactorMap needs chunks of at least {needed} coordinates and two chunks; "
                             f"got latent_dim={latent_dim}, chunk={chunk}")
        self.latent_dim, self.chunk, self.seed = latent_dim, chunk, seed
        self.spatial_rotation = _rotation(chunk, seed)
        self.colour_rotation = _rotation(chunk, seed + 1)

    def to_json(self) -> dict:
        return {"latent_dim": self.latent_dim, "chunk": self.chunk, "seed": self.seed}

    def __call__(self, z: torch.Tensor, shape: torch.Tensor) -> ShapeFactors:
        if z.dim() != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"latents must have shape [N, {self.latent_dim}], got {tuple(z.shape)}")
        shape = torch.as_tensor(shape).long().cpu()
        if shape.shape != (z.shape[0],) or (shape < 0).any() or (shape >= len(SHAPES)).any():
            raise ValueError(f"shape classes must be {z.shape[0]} indices in 0..{len(SHAPES) - 1}, got {shape.tolist()}")
        z = z.detach().float().cpu()
        s = z[:, :self.chunk] @ self.spatial_rotation
        c = z[:, -self.chunk:] @ self.colour_rotation
        scale = _uniform(s[:, SPATIAL["scale"]], *SCALE_RANGE)
        hue = _angle(*c[:, list(COLOUR["hue"])].T) / (2 * math.pi)
        offset = _uniform(c[:, COLOUR["bg_offset"]], *BG_OFFSET_RANGE)
        return ShapeFactors(
            shape=shape, hue=hue, scale=scale,
            x=scale / 2 + _uniform(s[:, SPATIAL["x"]], 0.0, 1.0) * (1 - scale),
            y=scale / 2 + _uniform(s[:, SPATIAL["y"]], 0.0, 1.0) * (1 - scale),
            rotation=_angle(*s[:, list(SPATIAL["rotation"])].T),
            bg_hue=(hue + offset).remainder(1.0),
            bg_brightness=_uniform(c[:, COLOUR["bg_brightness"]], *BACKGROUND_BRIGHTNESS_RANGE),
            bg_angle=_angle(*s[:, list(SPATIAL["bg_angle"])].T),
            bg_phase=_angle(*s[:, list(SPATIAL["bg_phase"])].T),
        )
