"""Probe-measured statistics of generated images: class consistency and factor spreads."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from scipy.stats import wasserstein_distance

from latentlab.data.colours import hue_distance

FACTORS = ("x", "y", "scale", "hue")


@dataclass
class FactorReadout:
    """What the probe reads from a batch of images."""

    shape: torch.Tensor
    x: torch.Tensor
    y: torch.Tensor
    scale: torch.Tensor
    hue: torch.Tensor


@torch.no_grad()
def read_factors(probe, images: torch.Tensor, batch_size: int = 500) -> FactorReadout:
    """Run the probe over ``images`` in batches and collect its factor predictions."""
    parts = []
    for i in range(0, images.shape[0], batch_size):
        out = probe(images[i:i + batch_size].to(next(probe.parameters()).device), with_mask=False)
        parts.append(torch.stack([out.shape.float(), out.x, out.y, out.scale, out.hue], dim=1).cpu())
    cols = torch.cat(parts).unbind(1)
    return FactorReadout(cols[0].long(), *cols[1:])


def class_consistency(readout: FactorReadout, classes: torch.Tensor) -> float:
    """Fraction of images whose probe-read class equals the class they were generated for."""
    return float((readout.shape == classes.cpu()).float().mean())


def _circular_wasserstein(a: torch.Tensor, b: torch.Tensor, cuts: int = 16) -> float:
    """1-D Wasserstein distance on the unit circle, taking the best of several cut points."""
    return min(wasserstein_distance(((a + c / cuts) % 1.0).numpy(), ((b + c / cuts) % 1.0).numpy()) for c in range(cuts))


def factor_spread(generated: FactorReadout, real: FactorReadout) -> dict[str, float]:
    """1-D Wasserstein distance between generated and real distributions of x, y, scale and hue.

    Distances are in the factors' units (fractions of the image, of the hue circle); a
    generator that drops modes (e.g. only central objects) shows large values here.
    """
    out = {k: float(wasserstein_distance(getattr(generated, k).numpy(), getattr(real, k).numpy())) for k in FACTORS[:3]}
    out["hue"] = float(_circular_wasserstein(generated.hue, real.hue))
    return out


def factor_errors(readout: FactorReadout, truth) -> dict[str, float]:
    """Mean absolute errors of a readout against true factors (hue on the circle)."""
    return {
        "class_acc": float((readout.shape == truth.shape).float().mean()),
        "xy_err": float(torch.cat([(readout.x - truth.x).abs(), (readout.y - truth.y).abs()]).mean()),
        "scale_err": float((readout.scale - truth.scale).abs().mean()),
        "hue_err": float(hue_distance(readout.hue, truth.hue).mean()),
    }
