"""Latent priors, truncation and interpolation (pure functions)."""

from __future__ import annotations

import math

import torch

from latentlab.errors import check_positive_int, check_truncation

REJECTION_ROUNDS = 200  # at ψ ≥ 0.25 an entry is still outside after 200 rounds with probability < 1e-19


def seeded_generator(seed: int | None) -> torch.Generator:
    """A CPU random generator seeded with ``seed`` (0 when None)."""
    return torch.Generator().manual_seed(0 if seed is None else int(seed))


def truncated_normal(n: int, dim: int, truncation: float | None = None, *, seed: int | None = None,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """Standard normal latents [n, dim]; with ``truncation`` ψ, values with |z| > ψ are resampled.

    This is BigGAN's truncation trick: a smaller threshold trades variety for fidelity.
    Sampling happens on the CPU so results do not depend on the device.
    """
    n, dim = check_positive_int("n", n), check_positive_int("dim", dim)
    psi = check_truncation(truncation)
    generator = generator or seeded_generator(seed)
    z = torch.randn(n, dim, generator=generator)
    if psi is None:
        return z
    outside = z.abs() > psi
    for _ in range(REJECTION_ROUNDS):  # rejection sampling keeps the exact truncated normal
        if not outside.any():
            return z
        z[outside] = torch.randn(int(outside.sum()), generator=generator)
        outside = z.abs() > psi
    if outside.any():  # a small ψ accepts too few draws: the rest by the inverse CDF (the same distribution)
        z[outside] = _inverse_cdf_truncated(int(outside.sum()), psi, generator)
    return z


def _inverse_cdf_truncated(count: int, psi: float, generator: torch.Generator) -> torch.Tensor:
    """``count`` draws of the standard normal restricted to [-ψ, ψ], by Φ⁻¹ of a uniform in [Φ(-ψ), Φ(ψ)]."""
    lo = torch.special.ndtr(torch.tensor(-psi, dtype=torch.float64))
    u = lo + (1 - 2 * lo) * torch.rand(count, generator=generator, dtype=torch.float64)
    return torch.special.ndtri(u).clamp(-psi, psi).float()


def normalize_chunks(z: torch.Tensor, chunk: int, knee: float) -> torch.Tensor:
    """Each ``chunk`` of every latent scaled to length √chunk, or shorter in proportion when its
    root-mean-square is below ``knee``: z_c / max(rms(z_c), knee).

    Untruncated latents (rms ≈ 1 ± 1/√(2·chunk)) and latents truncated at ψ ≥ 1 (rms ≈ 0.54 at
    ψ = 1) land on the same sphere, so only their direction counts; stronger truncation shrinks
    each chunk toward 0, the mean latent, about in proportion to ψ.
    """
    if not knee > 0:
        raise ValueError(f"knee must be positive (a chunk's root-mean-square below which length counts), got {knee}")
    if z.shape[-1] % chunk:
        raise ValueError(f"latent size {z.shape[-1]} does not split into chunks of {chunk}")
    chunks = z.unflatten(-1, (-1, chunk))
    rms = chunks.square().mean(-1, keepdim=True).sqrt()
    return (chunks / rms.clamp(min=knee)).flatten(-2)


def lerp(a: torch.Tensor, b: torch.Tensor, steps: int) -> torch.Tensor:
    """Linear interpolation [steps, ...] from a to b inclusive."""
    t = torch.linspace(0.0, 1.0, check_positive_int("steps", steps), dtype=a.dtype, device=a.device)
    return a[None] + t.reshape(-1, *([1] * a.dim())) * (b - a)[None]


def slerp(a: torch.Tensor, b: torch.Tensor, steps: int) -> torch.Tensor:
    """Spherical interpolation [steps, ...] from a to b (flattened angle), inclusive."""
    t = torch.linspace(0.0, 1.0, check_positive_int("steps", steps), dtype=a.dtype, device=a.device)
    af, bf = a.flatten(), b.flatten()
    cos = torch.dot(af, bf) / (af.norm() * bf.norm()).clamp(min=1e-12)
    omega = torch.arccos(cos.clamp(-1.0, 1.0))
    if omega.abs() < 1e-6:
        return lerp(a, b, steps)
    so = torch.sin(omega)
    wa = torch.sin((1 - t) * omega) / so
    wb = torch.sin(t * omega) / so
    shape = (-1, *([1] * a.dim()))
    return wa.reshape(shape) * a[None] + wb.reshape(shape) * b[None]


def project_to_ball(z: torch.Tensor, radius: float | None = None) -> torch.Tensor:
    """Project each row of z onto the ball ‖z‖ ≤ radius (default √d)."""
    radius = math.sqrt(z.shape[-1]) if radius is None else radius
    norm = z.norm(dim=-1, keepdim=True).clamp(min=1e-12)
    return z * (radius / norm).clamp(max=1.0)
