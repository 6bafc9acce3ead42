"""Probe-measured statistics of generated images: class consistency and factor spreads."""

from __future__ import annotations

import torch
from scipy.stats import wasserstein_distance

from latentlab.assessors.probe_reader import ProbeReader, ProbeReading, as_reader
from latentlab.data.colours import hue_distance

FACTORS = ("x", "y", "scale", "hue")


#: What the probe reads from a batch of images (the one reading type; this name is kept for it).
FactorReadout = ProbeReading


def read_factors(probe: ProbeReader | torch.nn.Module | None, images: torch.Tensor, batch_size: int = 500) -> ProbeReading:
    """The probe's factor predictions for ``images``, read in batches, on the CPU.

    ``probe``: a ShapesProbe (read on its own device), a :class:`ProbeReader`, or None for the
    embedded ``shapes-probe`` (read on the images' device).
    """
    return as_reader(probe).read(images, batch_size=batch_size)


def class_consistency(readout: ProbeReading, classes: torch.Tensor) -> float:
    """Fraction of images whose probe-read class equals the class they were generated for."""
    return float((readout.shape == classes.cpu()).float().mean())


def _circular_wasserstein(a: torch.Tensor, b: torch.Tensor, cuts: int = 16) -> float:
    """1-D Wasserstein distance on the unit circle, taking the best of several cut points."""
    return min(wasserstein_distance(((a + c / cuts) % 1.0).numpy(), ((b + c / cuts) % 1.0).numpy()) for c in range(cuts))


def factor_spread(generated: ProbeReading, real: ProbeReading) -> dict[str, float]:
    """1-D Wasserstein distance between generated and real distributions of x, y, scale and hue.

    Distances are in the factors' units (fractions of the image, of the hue circle); a
    generator that drops modes (e.g. only central objects) shows large values here.
    """
    out = {k: float(wasserstein_distance(getattr(generated, k).numpy(), getattr(real, k).numpy())) for k in FACTORS[:3]}
    out["hue"] = float(_circular_wasserstein(generated.hue, real.hue))
    return out


def factor_errors(readout: ProbeReading, truth) -> dict[str, float]:
    """Mean absolute errors of a readout against true factors (hue on the circle)."""
    return {
        "class_acc": float((readout.shape == truth.shape).float().mean()),
        "xy_err": float(torch.cat([(readout.x - truth.x).abs(), (readout.y - truth.y).abs()]).mean()),
        "scale_err": float((readout.scale - truth.scale).abs().mean()),
        "hue_err": float(hue_distance(readout.hue, truth.hue).mean()),
    }
