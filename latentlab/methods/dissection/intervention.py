"""Intervening on units: ablate them (set to 0 or a low quantile) or insert them (a high quantile), then regenerate.

An intervention edits the feature maps f(z, y) of a split generator at chosen units, everywhere
or inside a region, and renders the edited maps with h.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from latentlab.errors import unknown_name_error
from latentlab.methods.dissection.recording import UnitRecording, _check_quantile, _features, _row_quantile, check_units

MODES = ("ablate", "insert")
INSERT_QUANTILE = 0.99  # insert sets a unit to its 99th-percentile activation: where it fires


def _region(region, resolution: int) -> torch.Tensor | None:
    if region is None:
        return None
    from latentlab.assessors.base import check_mask

    return check_mask(region, (resolution, resolution))


def _values(value, units: list[int], quantile: float | None, mode: str,
            source: Callable[[float], torch.Tensor]) -> torch.Tensor:
    """Per-unit target values [len(units)].

    ``value`` (a number, or one per unit) wins; else each unit's ``quantile`` activation from
    ``source(q)`` [len(units)]; else the mode's default: 0 to ablate, the 0.99 quantile to insert.
    """
    if value is not None:
        if quantile is not None:
            raise ValueError("give value or quantile, not both")
        v = torch.as_tensor(value, dtype=torch.float32).reshape(-1)
        if v.numel() == 1:
            v = v.expand(len(units))
        if v.numel() != len(units) or not torch.isfinite(v).all():
            raise ValueError(f"value must be a finite number or one per unit ({len(units)}), got {value!r}")
        return v
    if quantile is None:
        if mode == "ablate":
            return torch.zeros(len(units))
        quantile = INSERT_QUANTILE
    return source(_check_quantile(quantile)).float().cpu()


def edit_features(w: torch.Tensor, units: list[int], mode: str, values: torch.Tensor, region: torch.Tensor | None = None) -> torch.Tensor:
    """Feature maps ``w`` [N, U, h, w] with ``units`` set to ``values`` [len(units)] (inside ``region``, resized)."""
    if mode not in MODES:
        raise unknown_name_error("mode", mode, MODES)
    w = w.clone()
    target = values.to(w).view(1, -1, 1, 1)
    if region is None:
        w[:, units] = target.expand(w.shape[0], -1, *w.shape[-2:])
    else:
        from latentlab.generators.region import resize_mask

        m = resize_mask(region.to(w), w.shape[-2:])
        w[:, units] = w[:, units] * (1 - m) + m * target  # exact values where the mask is 0 or 1
    return w


@torch.no_grad()
def intervene(generator, z: torch.Tensor, y: torch.Tensor | None, layer: str, units, mode: str = "ablate", value=None,
              region: torch.Tensor | None = None, *, quantile: float | None = None,
              recording: UnitRecording | None = None) -> torch.Tensor:
    """Images [N, 3, R, R] with ``units`` of ``layer`` ablated or inserted: h(edited f(z, y), z, y).

    Each unit is set to ``value`` (a number, or one per unit) or, with ``quantile``, to its own
    ``quantile`` activation in ``recording`` (without one: over this batch's feature maps).
    Defaults: ``mode="ablate"`` sets units to 0 (GAN dissection; ``quantile=0.01`` switches them
    to their typical "off" level instead, which matters for signed pre-activation features);
    ``mode="insert"`` sets them to their 0.99 quantile, a high value, as where the unit fires.
    ``region`` [H, W], [1, H, W] or [N, 1, H, W] in {0, 1} limits the edit (resized to the
    feature map); None edits everywhere.
    """
    if mode not in MODES:
        raise unknown_name_error("mode", mode, MODES)
    split = generator.split(layer)  # unknown layers: the generator's own error
    w = _features(split, z, y, generator, layer)
    units = check_units(units, w.shape[1], layer)
    if recording is not None and recording.layer != layer:
        raise ValueError(f"the recording is of layer {recording.layer!r}, not {layer!r}")

    def source(q: float) -> torch.Tensor:
        if recording is not None:
            return recording.unit_quantile(q)[units]
        return _row_quantile(w[:, units].transpose(0, 1).reshape(len(units), -1).float().cpu(), q)

    values = _values(value, units, quantile, mode, source)
    return split.h(edit_features(w, units, mode, values, _region(region, generator.resolution)), z, y)
