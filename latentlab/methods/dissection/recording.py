"""Recording units: the feature maps of every unit of a layer over many generated samples.

:func:`record_units` runs ``generator.split(layer).f`` over seeded samples and keeps the feature
maps, images and latents in a :class:`UnitRecording`, which also caches per-unit quantiles and
the probe's reading. Generators that place their object (``places_object``) also record where
they put it, so unit maps can be carried into the image (:func:`place_maps`).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from latentlab.errors import check_positive_int, check_truncation
from latentlab.generators.placement import place
from latentlab.methods.dissection.concepts import Concept, ProbeReading, get_concept, read_probe


def _features(split, z: torch.Tensor, y: torch.Tensor | None, generator, layer: str) -> torch.Tensor:
    w = split.f(z, y)
    if w.dim() != 4:
        raise ValueError(f"{type(generator).__name__} cannot be dissected at layer {layer!r}: its output has shape "
                         f"{tuple(w.shape)}, not a feature map [N, C, H, W]; choose one of {generator.spatial_layers()}")
    return w


def _row_quantile(x: torch.Tensor, q: float) -> torch.Tensor:
    """The ``q`` quantile of each row of ``x`` [U, M] (nearest rank; no size limit, unlike torch.quantile)."""
    k = min(x.shape[1], max(1, int(round(q * (x.shape[1] - 1))) + 1))
    return x.kthvalue(k, dim=1).values


def _check_quantile(q: float) -> float:
    q = float(q)
    if not 0.0 < q < 1.0:
        raise ValueError(f"quantile must lie strictly between 0 and 1 (e.g. 0.9 or 0.99), got {q!r}")
    return q


@dataclass
class UnitRecording:
    """Feature maps of every unit at ``layer`` for N generated samples, with the images and latents.

    ``features`` [N, U, h, w], ``images`` [N, 3, R, R], ``latents`` [N, D] and ``classes`` [N]
    (None for unconditional generators) are kept on the CPU.
    """

    layer: str
    features: torch.Tensor
    images: torch.Tensor
    latents: torch.Tensor
    classes: torch.Tensor | None
    seed: int | None = None
    object_grids: torch.Tensor | None = None  # [N, R, R, 2]: where a generator that places its object put it
    _quantiles: dict = field(default_factory=dict, repr=False)
    _readings: dict = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        return self.features.shape[0]

    @property
    def n_units(self) -> int:
        return self.features.shape[1]

    def unit_quantile(self, q: float) -> torch.Tensor:
        """Each unit's ``q`` quantile [U] over all recorded samples and locations (cached)."""
        q = _check_quantile(q)
        if q not in self._quantiles:
            flat = self.features.transpose(0, 1).reshape(self.n_units, -1)
            self._quantiles[q] = _row_quantile(flat, q)
        return self._quantiles[q]

    def reading(self, probe=None) -> ProbeReading:
        """The probe's reading of the recorded images (cached per probe)."""
        if probe not in self._readings:  # keyed by the probe object itself (None: the embedded probe)
            self._readings[probe] = read_probe(self.images, probe)
        return self._readings[probe]

    def concept(self, concept: str | Concept, probe=None) -> torch.Tensor:
        """The concept on the recorded images: masks [N, 1, R, R] (spatial) or values [N]."""
        return get_concept(concept).measure(self.reading(probe))

    def activation_maps(self, units: int | Sequence[int], size: int | None = None, placed: bool = False) -> torch.Tensor:
        """Feature maps [N, len(units), size, size] of ``units``, bilinearly upsampled to ``size`` (default: the images').

        ``placed``: moved, turned and scaled as the generator placed its object (see :func:`place_maps`).
        """
        units = check_units(units, self.n_units, self.layer)
        size = self.images.shape[-1] if size is None else check_positive_int("size", size)
        maps = F.interpolate(self.features[:, units], size=(size, size), mode="bilinear", align_corners=False)
        return place_maps(maps, self.object_grids) if placed else maps

    def __repr__(self) -> str:
        return f"UnitRecording(layer={self.layer!r}, n={self.n}, units={self.n_units}, map={tuple(self.features.shape[-2:])}, seed={self.seed})"


def check_units(units, n_units: int, layer: str = "") -> list[int]:
    """Unit indices as a list of ints; out-of-range indices name the bad index and the valid range."""
    if isinstance(units, torch.Tensor):
        units = units.reshape(-1).tolist()
    elif isinstance(units, numbers.Integral):
        units = [units]
    try:
        units = list(units)
    except TypeError:
        raise ValueError(f"units must be an int or a sequence of ints, got {units!r}") from None
    if not units:
        raise ValueError("units is empty: give at least one unit index")
    if any(isinstance(u, bool) or not isinstance(u, numbers.Integral) for u in units):
        raise ValueError(f"units must be integers, got {units!r}")
    where = f" of layer {layer!r}" if layer else ""
    for u in units:
        if not 0 <= u < n_units:
            raise ValueError(f"unit {u} is out of range: valid units{where} are 0..{n_units - 1} ({n_units} units)")
    return [int(u) for u in units]


def _latents_and_classes(generator, n: int, seed: int | None, classes, truncation) -> tuple[torch.Tensor, torch.Tensor | None]:
    z = generator.sample_latents(n, seed=seed, truncation=truncation)
    if not generator.conditional:
        if classes is not None:
            raise ValueError(f"{type(generator).__name__} is unconditional; pass classes=None")
        return z, None
    y = generator.sample_classes(n, seed) if classes is None else generator.classes(classes, n)
    if y.shape[0] != n:
        raise ValueError(f"got {y.shape[0]} classes for n={n}")
    return z, y


@torch.no_grad()
def place_maps(maps: torch.Tensor, grids: torch.Tensor | None) -> torch.Tensor:
    """Unit maps [N, U, R, R] drawn in the frame of a generator's object, placed in the image as its object was.

    Generators that draw their object upright and centred and place it with a spatial transformer
    (``shapes-biggan``, a ``CompactStyleGAN`` with ``output="layered"``) have object units that fire where the object is drawn,
    not where it lands; ``grids`` [N, R, R, 2] (``generator.object_grid(z, y)``) carry them there.
    """
    if grids is None:
        raise ValueError("these units were recorded from a generator that does not place its object (no object grids)")
    if grids.shape[1:3] != maps.shape[-2:]:
        raise ValueError(f"object grids of {tuple(grids.shape[1:3])} do not fit maps of {tuple(maps.shape[-2:])}")
    return place(maps, grids)


def record_units(generator, layer: str, n: int = 256, seed: int = 0, classes=None, *, truncation: float | None = None,
                 batch_size: int = 64, progress: bool = False) -> UnitRecording:
    """Feature maps at ``layer`` (via ``generator.split(layer).f``) and images for ``n`` samples from ``seed``.

    ``classes`` (a name, index or sequence of them) fixes the classes; by default they are drawn
    from ``seed`` like the latents, so the same arguments give the same recording.
    """
    n, batch_size = check_positive_int("n", n), check_positive_int("batch_size", batch_size)
    split = generator.split(layer)  # unknown layers: the generator's own error
    z, y = _latents_and_classes(generator, n, seed, classes, check_truncation(truncation))
    feats, images, grids = [], [], []
    placing = generator.places_object
    for i in tqdm(range(0, n, batch_size), desc=f"record {layer}", disable=not progress, leave=False):
        zb, yb = z[i:i + batch_size], None if y is None else y[i:i + batch_size]
        w = _features(split, zb, yb, generator, layer)
        images.append(split.h(w, zb, yb).float().cpu())
        feats.append(w.float().cpu())
        if placing:
            with torch.no_grad():
                grids.append(generator.object_grid(zb, yb).float().cpu())
    return UnitRecording(layer, torch.cat(feats), torch.cat(images), z.cpu(), None if y is None else y.cpu(), seed,
                         torch.cat(grids) if grids else None)
