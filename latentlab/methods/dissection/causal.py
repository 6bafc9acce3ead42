"""Causal effect of units: the concept after intervening on the top-k units, against k random units of the layer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from latentlab.errors import check_positive_int, unknown_name_error
from latentlab.methods.dissection.concepts import (
    Concept,
    ProbeReading,
    _background_brightness,
    get_concept,
    measure_concept,
    read_probe,
)
from latentlab.methods.dissection.intervention import MODES, _region, _values, edit_features
from latentlab.methods.dissection.ranking import UnitRanking
from latentlab.methods.dissection.recording import UnitRecording, check_units

PRESENT_FRACTION = 0.01  # an object "is present" when the probe's mask covers at least this fraction of the image
READOUTS = ("object_fraction", "object_present", "background_brightness")


def _readouts(reading: ProbeReading, concept: Concept, region: torch.Tensor | None) -> dict[str, torch.Tensor]:
    fraction = reading.object_mask.mean(dim=(1, 2, 3))
    out = {"object_fraction": fraction, "object_present": (fraction >= PRESENT_FRACTION).float(),
           "background_brightness": _background_brightness(reading)}
    out["concept"] = measure_concept(concept, reading, region=region)
    return out


@torch.no_grad()
def _generate_edited(generator, recording: UnitRecording, units: list[int], mode: str, values: torch.Tensor,
                     region: torch.Tensor | None, batch_size: int) -> torch.Tensor:
    split = generator.split(recording.layer)
    device = generator.device
    out = []
    for i in range(0, recording.n, batch_size):
        w = recording.features[i:i + batch_size].to(device)
        z = recording.latents[i:i + batch_size].to(device)
        y = None if recording.classes is None else recording.classes[i:i + batch_size].to(device)
        out.append(split.h(edit_features(w, units, mode, values.to(device), region), z, y).float().cpu())
    return torch.cat(out)


def _units_from(units, k: int | None, recording: UnitRecording) -> tuple[list[int], str | None]:
    if isinstance(units, UnitRanking):
        if units.layer != recording.layer:
            raise ValueError(f"the ranking is of layer {units.layer!r} but the recording of {recording.layer!r}")
        if k is None:
            raise ValueError("give k: how many of the ranking's top units to intervene on")
        return units.top(k), units.concept
    chosen = check_units(units, recording.n_units, recording.layer)
    if k is not None:
        k = check_positive_int("k", k)
        if k > len(chosen):
            raise ValueError(f"k={k} exceeds the {len(chosen)} units given")
        chosen = chosen[:k]
    return chosen, None


def causal_effect(generator, recording: UnitRecording, units, concept: str | Concept | None = None, k: int | None = None,
                  mode: str = "ablate", *, value=None, quantile: float | None = None, region: torch.Tensor | None = None,
                  control_draws: int = 3, seed: int = 0, probe=None, batch_size: int = 64, progress: bool = False) -> dict:
    """Intervene on the top-``k`` units (of a :class:`UnitRanking`, or the given ``units``) over the recorded
    samples and measure the concept before, after, and after the same intervention on ``k`` random units.

    ``value`` / ``quantile`` set the units as in :func:`intervene` (quantiles from ``recording``).
    The control draws ``control_draws`` sets of k units uniformly from the whole layer (seeded by
    ``seed``) and averages them. ``concept`` defaults to the ranking's. Spatial concepts are
    measured as the fraction of pixels they cover (inside ``region`` when given), per-image
    concepts by their value. Returns a dict: ``before``, ``after``, ``control`` (means of the
    concept), ``effect`` = after − before, ``control_effect`` = control − before,
    ``difference`` = effect − control_effect, and ``readouts``: before/after/control of the
    object fraction, the object-present rate and the background brightness.
    """
    if mode not in MODES:
        raise unknown_name_error("mode", mode, MODES)
    chosen, ranked_concept = _units_from(units, k, recording)
    concept = get_concept(concept if concept is not None else ranked_concept or "object")
    k, draws = len(chosen), check_positive_int("control_draws", control_draws)
    generator._check_layer(recording.layer)
    region = _region(region, recording.images.shape[-1])

    def values(us: list[int]) -> torch.Tensor:
        return _values(value, us, quantile, mode, lambda q: recording.unit_quantile(q)[us])

    gen = torch.Generator().manual_seed(int(seed))
    controls = [torch.randperm(recording.n_units, generator=gen)[:k].tolist() for _ in range(draws)]
    before = _readouts(recording.reading(probe), concept, region)
    measured = []
    for us in tqdm([chosen, *controls], desc=f"{mode} {k} units", disable=not progress, leave=False):
        images = _generate_edited(generator, recording, us, mode, values(us), region, batch_size)
        measured.append(_readouts(read_probe(images, probe), concept, region))
    after, control = measured[0], measured[1:]

    def summary(key: str) -> dict[str, float]:
        b, a = float(before[key].mean()), float(after[key].mean())
        c = float(torch.stack([m[key].mean() for m in control]).mean())
        return {"before": b, "after": a, "control": c}

    main = summary("concept")
    return {
        "concept": concept.name, "layer": recording.layer, "mode": mode, "k": k, "n": recording.n,
        "units": chosen, "control_units": controls,
        "metric": f"{concept.name} pixel fraction" if concept.spatial else concept.name,
        **main,
        "effect": main["after"] - main["before"],
        "control_effect": main["control"] - main["before"],
        "difference": main["after"] - main["control"],
        "per_image": {"before": before["concept"], "after": after["concept"]},
        "readouts": {key: summary(key) for key in READOUTS},
    }


@dataclass
class CausalSweep:
    """Causal effects of intervening on the top-k units for several k, with the random-unit control."""

    concept: str
    layer: str
    mode: str
    ks: list[int]
    before: float
    after: list[float]
    control: list[float]
    results: list[dict]

    def plot(self, ax=None):
        """Concept after intervening on the top-k vs k random units, against k (matplotlib)."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(3.8, 2.8))
        ax.plot(self.ks, self.after, "o-", label=f"top-k {self.concept!r} units")
        ax.plot(self.ks, self.control, "s--", color="gray", label="k random units")
        ax.axhline(self.before, color="black", ls=":", lw=1, label="no intervention")
        ax.set_xscale("log", base=2)
        ax.set_xticks(self.ks)
        ax.set_xticklabels([str(k) for k in self.ks])
        ax.set(xlabel=f"k units {self.mode}d ({self.layer})", ylabel=self.results[0]["metric"] if self.results else "",
               title=f"{self.mode} {self.concept!r} units")
        ax.legend(fontsize=7)
        return ax


def causal_sweep(generator, recording: UnitRecording, ranking: UnitRanking, ks: Sequence[int] | None = None,
                 mode: str = "ablate", *, progress: bool = False, **kwargs) -> CausalSweep:
    """:func:`causal_effect` of the ranking's top-k units for each k of ``ks`` (default 1, 2, 4, 8, 16 up to the layer's width)."""
    if not isinstance(ranking, UnitRanking):
        raise ValueError(f"ranking must be a UnitRanking (from rank_units), got {type(ranking).__name__}")
    if ks is None:
        ks = [k for k in (1, 2, 4, 8, 16) if k <= recording.n_units]
    ks = [check_positive_int("k", k) for k in ks]
    if not ks:
        raise ValueError("ks is empty: give at least one k")
    results = [causal_effect(generator, recording, ranking, k=k, mode=mode, **kwargs)
               for k in tqdm(ks, desc="sweep k", disable=not progress, leave=False)]
    return CausalSweep(ranking.concept, recording.layer, mode, ks, results[0]["before"],
                       [r["after"] for r in results], [r["control"] for r in results], results)
