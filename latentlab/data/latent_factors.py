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

With a ``knee`` the map reads each chunk as :func:`~latentlab.latents.normalize_chunks` leaves
it: a bounded factor is the exact quantile of its coordinate's *direction* (the coordinate of a
uniform unit vector), pulled toward the median only by how far the chunk's root-mean-square
falls below the knee. Truncation at ψ ≥ 1 then keeps the factors' full spread, and at smaller
ψ shrinks it about in proportion to ψ, down to the median object at ψ → 0.
"""

from __future__ import annotations

import math

import torch
from scipy.special import betainc

from latentlab.data.sdf import SHAPES
from latentlab.data.shapes import BACKGROUND_BRIGHTNESS_RANGE, SCALE_RANGE, ShapeFactors
from latentlab.latents import normalize_chunks

#: Coordinates of the rotated spatial chunk each spatial factor reads (pairs are angles).
SPATIAL = {"scale": 0, "x": 1, "y": 2, "rotation": (3, 4), "bg_angle": (5, 6), "bg_phase": (7, 8)}
#: Coordinates of the rotated colour chunk each colour factor reads.
COLOUR = {"hue": (0, 1), "bg_offset": 2, "bg_brightness": 3}
BG_OFFSET_RANGE = (60.0 / 360, 300.0 / 360)  # background hue minus object hue, as in sample_factors


def _stretch(u: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
    return lo + (hi - lo) * u


def _direction_quantile(v: torch.Tensor, dim: int) -> torch.Tensor:
    """CDF of one coordinate v ∈ [−1, 1] of a uniform unit vector in ``dim`` dimensions."""
    v = v.double().clamp(-1.0, 1.0)
    tail = torch.from_numpy(betainc(0.5, (dim - 1) / 2, v.square().numpy()))
    return (0.5 + 0.5 * torch.sign(v) * tail).float()


def _angle(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.atan2(a, b).remainder(2 * math.pi)


def _rotation(dim: int, seed: int) -> torch.Tensor:
    """A fixed random orthogonal matrix (QR of a seeded Gaussian, signs made unique)."""
    q, r = torch.linalg.qr(torch.randn(dim, dim, generator=torch.Generator().manual_seed(seed), dtype=torch.float64))
    return (q * torch.sign(torch.diagonal(r))).float()


class LatentFactorMap:
    """Maps latents [N, latent_dim] and shape classes [N] to the factors they stand for.

    ``chunk`` is the size of the generator's latent chunks (the first and the last are read);
    ``seed`` fixes the rotations; ``knee`` > 0 reads chunks by direction, as a generator that
    applies :func:`~latentlab.latents.normalize_chunks` with the same knee sees them.
    """

    def __init__(self, latent_dim: int = 120, chunk: int = 24, seed: int = 0, knee: float = 0.0):
        needed = max(max(v if isinstance(v, int) else max(v) for v in table.values()) for table in (SPATIAL, COLOUR)) + 1
        if chunk < needed or latent_dim < 2 * chunk:
            raise ValueError(f"a LatentFactorMap needs chunks of at least {needed} coordinates and two chunks; "
                             f"got latent_dim={latent_dim}, chunk={chunk}")
        if not 0.0 <= knee < 1.0:
            raise ValueError(f"knee must be in [0, 1) (a chunk's root-mean-square under the prior is about 1), got {knee}")
        self.latent_dim, self.chunk, self.seed, self.knee = latent_dim, chunk, seed, float(knee)
        self.spatial_rotation = _rotation(chunk, seed)
        self.colour_rotation = _rotation(chunk, seed + 1)

    def to_json(self) -> dict:
        return {"latent_dim": self.latent_dim, "chunk": self.chunk, "seed": self.seed, "knee": self.knee}

    def __call__(self, z: torch.Tensor, shape: torch.Tensor) -> ShapeFactors:
        if z.dim() != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"latents must have shape [N, {self.latent_dim}], got {tuple(z.shape)}")
        shape = torch.as_tensor(shape).long().cpu()
        if shape.shape != (z.shape[0],) or (shape < 0).any() or (shape >= len(SHAPES)).any():
            raise ValueError(f"shape classes must be {z.shape[0]} indices in 0..{len(SHAPES) - 1}, got {shape.tolist()}")
        z = z.detach().float().cpu()
        first, last = z[:, :self.chunk], z[:, -self.chunk:]
        s, c = first @ self.spatial_rotation, last @ self.colour_rotation
        bounded_s, bounded_c = self._bounded(s, first), self._bounded(c, last)
        scale = _stretch(bounded_s(SPATIAL["scale"]), *SCALE_RANGE)
        hue = _angle(*c[:, list(COLOUR["hue"])].T) / (2 * math.pi)
        offset = _stretch(bounded_c(COLOUR["bg_offset"]), *BG_OFFSET_RANGE)
        return ShapeFactors(
            shape=shape, hue=hue, scale=scale,
            x=scale / 2 + bounded_s(SPATIAL["x"]) * (1 - scale),
            y=scale / 2 + bounded_s(SPATIAL["y"]) * (1 - scale),
            rotation=_angle(*s[:, list(SPATIAL["rotation"])].T),
            bg_hue=(hue + offset).remainder(1.0),
            bg_brightness=_stretch(bounded_c(COLOUR["bg_brightness"]), *BACKGROUND_BRIGHTNESS_RANGE),
            bg_angle=_angle(*s[:, list(SPATIAL["bg_angle"])].T),
            bg_phase=_angle(*s[:, list(SPATIAL["bg_phase"])].T),
        )

    def _bounded(self, rotated: torch.Tensor, chunk: torch.Tensor):
        """coordinate index → its quantile in [0, 1], uniform under the prior."""
        if not self.knee:
            return lambda i: 0.5 * (1.0 + torch.erf(rotated[:, i] / math.sqrt(2.0)))
        seen = normalize_chunks(chunk, self.chunk, self.knee)  # what the generator reads
        pull = seen.square().mean(1).sqrt()  # its length: 1 unless the chunk is shorter than the knee
        direction = rotated / chunk.norm(dim=1).clamp(min=1e-12)[:, None]
        return lambda i: 0.5 + (_direction_quantile(direction[:, i], self.chunk) - 0.5) * pull
