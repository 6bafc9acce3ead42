"""How precisely a latent direction controls a factor, and what else it moves (seed 002 §4.4.1).

Sample latents, move each along the direction to every t, read the factors of every image
(``shapes-probe`` for x, y, scale, hue and class; mean grey level for brightness) and report
per t the factor's mean and standard deviation. x, y and scale are fractions of the image,
brightness lies in [0, 1] and hue on the unit circle, so every spread is already a fraction
of the image size or of the factor's full range.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from latentlab.assessors.probe_reader import as_reader
from latentlab.assessors.properties import grayscale
from latentlab.data.colours import hue_distance
from latentlab.errors import unknown_name_error
from latentlab.spaces.direction import Direction, check_t_values

CONTROL_FACTORS = ("x", "y", "scale", "brightness", "hue")
CIRCULAR = ("hue",)


@dataclass
class ControlReadout:
    """A sweep's factor readings [N, T] of N latents at T values of t, and the probe's class [N, T] (read by the one
    :class:`~latentlab.assessors.probe_reader.ProbeReader`)."""

    ts: torch.Tensor  # [T]
    factors: dict[str, torch.Tensor]  # name -> [N, T]
    classes: torch.Tensor  # [N, T] long


@torch.no_grad()
def read_along(generator, direction: Direction, ts: Sequence[float] | torch.Tensor, probe=None, *, n: int = 200, seed: int = 0,
               classes=None, truncation: float | None = None, batch_size: int = 100, progress: bool = False) -> ControlReadout:
    """Move ``n`` seeded latents along ``direction`` to every t and read every factor of the images.

    ``probe``: a ShapesProbe (read on its own device), a :class:`~latentlab.assessors.probe_reader.ProbeReader`,
    or None for the embedded ``shapes-probe`` (read on the generator's device).
    """
    ts = check_t_values(ts)
    z = generator.sample_latents(n, seed=seed, truncation=truncation)
    y = None
    if generator.conditional:
        y = generator.sample_classes(n, seed) if classes is None else generator.classes(classes, n)
    out = {name: torch.empty(n, len(ts)) for name in CONTROL_FACTORS}
    shapes = torch.empty(n, len(ts), dtype=torch.long)
    reader = as_reader(probe)
    for j, t in enumerate(tqdm(ts.tolist(), desc=f"read {direction.name}", disable=not progress, leave=False)):
        moved = direction.move(z, t)
        for i in range(0, n, batch_size):
            images = generator(moved[i:i + batch_size], None if y is None else y[i:i + batch_size]).clamp(0, 1)
            reading = reader.read(images, batch_size=batch_size)
            rows = slice(i, i + images.shape[0])
            out["x"][rows, j], out["y"][rows, j], out["scale"][rows, j] = reading.x, reading.y, reading.scale
            out["hue"][rows, j] = reading.hue
            out["brightness"][rows, j] = grayscale(images).mean(dim=(1, 2)).cpu()
            shapes[rows, j] = reading.shape
    return ControlReadout(ts.clone(), out, shapes)


def _mean_std(values: torch.Tensor, circular: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-column mean and std [T] of [N, T]; circular (unit-period) statistics for hue."""
    if not circular:
        return values.mean(dim=0), values.std(dim=0)
    angle = 2 * math.pi * values
    c, s = torch.cos(angle).mean(dim=0), torch.sin(angle).mean(dim=0)
    resultant = torch.sqrt(c**2 + s**2).clamp(1e-12, 1.0)
    return (torch.atan2(s, c) / (2 * math.pi)).remainder(1.0), torch.sqrt(-2 * torch.log(resultant)) / (2 * math.pi)


def _unwrap(means: torch.Tensor) -> torch.Tensor:
    steps = (means[1:] - means[:-1] + 0.5).remainder(1.0) - 0.5  # shortest signed steps on the circle
    return torch.cat([means[:1], means[:1] + torch.cumsum(steps, 0)])


def _change(values: torch.Tensor, circular: bool) -> torch.Tensor:
    """Per-latent change from the first to the last t [N] (shortest arc for hue)."""
    first, last = values[:, 0], values[:, -1]
    return hue_distance(first, last) if circular else (last - first).abs()


def control_report(readout: ControlReadout, target: str, digits: int = 4) -> dict:
    """Summary for ``target``: mean/std per t, max_std, range, monotonic, and the entanglement row.

    ``entanglement`` holds, for every factor, the mean per-latent change between the first and
    last t (same units as the spreads), and for ``class`` the fraction of latents whose
    probe-read class changes anywhere along the sweep.
    """
    if target not in CONTROL_FACTORS:
        raise unknown_name_error("factor", target, CONTROL_FACTORS)
    values = readout.factors[target]
    circular = target in CIRCULAR
    means, stds = _mean_std(values, circular)
    path = _unwrap(means) if circular else means
    steps = path[1:] - path[:-1]
    entanglement = {name: round(float(_change(v, name in CIRCULAR).mean()), digits) for name, v in readout.factors.items() if name != target}
    entanglement["class"] = round(float((readout.classes != readout.classes[:, :1]).any(dim=1).float().mean()), digits)
    return {
        "t": [round(float(t), digits) for t in readout.ts],
        "mean": [round(float(m), digits) for m in means],
        "std": [round(float(s), digits) for s in stds],
        "max_std": round(float(stds.max()), digits),
        "range": round(float(path.max() - path.min()), digits),
        "monotonic": bool((steps > 0).all() or (steps < 0).all()),
        "effect": round(float(_change(values, circular).mean()), digits),
        "entanglement": entanglement,
        "latents": int(values.shape[0]),
    }
