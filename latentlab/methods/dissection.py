"""Network dissection (GAN dissection, Bau et al. 2019): units that match a concept, and their causal effect.

A generator cut at a spatial layer, G = h(f(z, y)), has feature maps w = f(z, y) [N, U, h, w];
each channel u is a *unit*. Dissection has three steps:

1. **Record** the units' feature maps over many samples (:func:`record_units`).
2. **Rank** the units by how well they match a concept measured on the generated images
   (:func:`rank_units`). For a spatial concept (a mask per pixel, e.g. the object) the score is
   the IoU between the unit's upsampled activation map thresholded at its top ``quantile``
   (over all recorded locations) and the concept mask; for a per-image concept (object size,
   background brightness, a colour) it is the rank correlation between the unit's mean
   activation and the concept's value.
3. **Intervene** (:func:`intervene`): ablate units (set them to 0, or to a low quantile of their
   activations) or insert them (set them to a high quantile inside a region) and regenerate with h. :func:`causal_effect` measures the concept
   after ablating the top-k units against ablating k random units of the same layer.

Everything goes through ``generator.split(layer)``, so any generator with spatial layers works;
concepts are read by ``shapes-probe`` (built for the Shapes world) and from pixels.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from latentlab.errors import check_positive_int, check_truncation, unknown_name_error
from latentlab.generators.placement import place

MODES = ("ablate", "insert")
INSERT_QUANTILE = 0.99  # insert sets a unit to its 99th-percentile activation: where it fires
PRESENT_FRACTION = 0.01  # an object "is present" when the probe's mask covers at least this fraction of the image


# --- concepts -----------------------------------------------------------------------------
@dataclass
class ProbeReading:
    """What the probe (and the pixels) say about a batch of images; concepts are computed from it."""

    images: torch.Tensor  # [N, 3, R, R] in [0, 1], on the CPU
    mask: torch.Tensor  # [N, 1, R, R] object probability
    hue_vector: torch.Tensor  # [N, 2]
    geometry: torch.Tensor  # [N, 3] x, y, scale

    @property
    def object_mask(self) -> torch.Tensor:
        """Binary object masks [N, 1, R, R] (probe probability > 0.5)."""
        return (self.mask > 0.5).float()


@torch.no_grad()
def read_probe(images: torch.Tensor, probe=None, batch_size: int = 256) -> ProbeReading:
    """Run ``probe`` (default: the embedded ``shapes-probe``) over ``images`` [N, 3, R, R] in batches.

    The probe reads 64-px images; other sizes are resized for it and its mask resized back.
    """
    if probe is None:
        from latentlab.assessors.probe import default_probe

        probe = default_probe()
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] != 3:
        raise ValueError(f"images must be a tensor [N, 3, H, W], got {getattr(images, 'shape', type(images).__name__)}")
    device = next(probe.parameters()).device
    images = images.detach().float().cpu()
    size = images.shape[-2:]
    masks, hues, geometry = [], [], []
    for i in range(0, images.shape[0], batch_size):
        batch = images[i:i + batch_size].to(device)
        if tuple(size) != (64, 64):
            batch = F.interpolate(batch, size=(64, 64), mode="bilinear", antialias=True, align_corners=False)
        out = probe(batch)
        mask = out.mask
        if tuple(size) != (64, 64):
            mask = F.interpolate(mask, size=tuple(size), mode="bilinear", align_corners=False)
        masks.append(mask.cpu())
        hues.append(out.hue_vector.cpu())
        geometry.append(out.geometry.cpu())
    return ProbeReading(images, torch.cat(masks), torch.cat(hues), torch.cat(geometry))


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


# --- recording ----------------------------------------------------------------------------
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
    placing = callable(getattr(generator, "object_grid", None)) and generator.places_object
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


# --- ranking ------------------------------------------------------------------------------
@dataclass
class UnitRanking:
    """Units of one layer sorted by how well they match a concept (best first)."""

    layer: str
    concept: str
    method: str  # "iou", "spearman" or "pearson"
    units: torch.Tensor  # [U] unit indices, best first
    scores: torch.Tensor  # [U] their scores
    quantile: float | None = None  # activation threshold quantile (IoU rankings)
    placed: torch.Tensor | None = None  # [U] per ranked unit: matched in its generator's object frame (IoU rankings)

    def top(self, k: int) -> list[int]:
        """The ``k`` best units."""
        k = check_positive_int("k", k)
        if k > len(self.units):
            raise ValueError(f"k={k} exceeds the {len(self.units)} units of layer {self.layer!r}")
        return self.units[:k].tolist()

    def is_placed(self, unit: int) -> bool:
        """Whether the unit matched its concept in the frame of its generator's object (see :func:`place_maps`)."""
        unit = check_units(unit, len(self.units), self.layer)[0]
        return self.placed is not None and bool(self.placed[(self.units == unit).nonzero()[0, 0]])

    def score(self, unit: int) -> float:
        """The score of one unit."""
        unit = check_units(unit, len(self.units), self.layer)[0]
        return float(self.scores[(self.units == unit).nonzero()[0, 0]])

    @property
    def mean_score(self) -> float:
        """Mean score over all units: what a randomly chosen unit scores on average."""
        return float(self.scores.mean())

    def table(self, k: int = 10) -> list[tuple[int, float]]:
        """The top ``k`` (unit, score) pairs."""
        k = min(check_positive_int("k", k), len(self.units))
        return [(int(u), round(float(s), 4)) for u, s in zip(self.units[:k], self.scores[:k])]

    def plot(self, k: int = 20, ax=None):
        """Bar chart of the top ``k`` units' scores with the mean over all units (matplotlib)."""
        import matplotlib.pyplot as plt

        k = min(check_positive_int("k", k), len(self.units))
        if ax is None:
            _, ax = plt.subplots(figsize=(max(3.0, 0.28 * k + 1.5), 2.8))
        ax.bar(range(k), self.scores[:k].numpy(), color="tab:blue")
        ax.axhline(self.mean_score, color="gray", ls=":", label=f"mean of {len(self.units)} units")
        ax.set_xticks(range(k))
        ax.set_xticklabels([str(int(u)) for u in self.units[:k]], fontsize=7, rotation=90 if k > 24 else 0)
        label = {"iou": f"IoU (top {1 - self.quantile:.0%} activations)" if self.quantile else "IoU"}.get(self.method, f"{self.method} r")
        ax.set(xlabel=f"unit ({self.layer})", ylabel=label, title=f"units for {self.concept!r}")
        ax.legend(fontsize=7)
        return ax

    def __repr__(self) -> str:
        return f"UnitRanking({self.concept!r} at {self.layer!r} by {self.method}, top {self.table(5)}, mean {self.mean_score:.3f})"


def _ranks(x: torch.Tensor) -> torch.Tensor:
    """Ranks along dim 0 (average ranks for ties)."""
    order = x.argsort(dim=0)
    ranks = torch.empty_like(x)
    ranks.scatter_(0, order, torch.arange(x.shape[0], dtype=x.dtype).view(-1, *([1] * (x.dim() - 1))).expand_as(x))
    if x.dim() == 1:  # average ties
        values = x
        uniq, inverse = values.unique(return_inverse=True)
        if len(uniq) < len(values):
            sums = torch.zeros(len(uniq), dtype=x.dtype).index_add_(0, inverse, ranks)
            counts = torch.zeros(len(uniq), dtype=x.dtype).index_add_(0, inverse, torch.ones_like(ranks))
            ranks = (sums / counts)[inverse]
    return ranks


def _correlation(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Pearson correlation of each column of ``a`` [N, U] with ``b`` [N]; 0 where either is constant."""
    a = a.double() - a.double().mean(dim=0)
    b = b.double() - b.double().mean()
    denominator = a.norm(dim=0) * b.norm()
    r = (a * b[:, None]).sum(dim=0) / denominator.clamp(min=1e-12)
    return torch.where(denominator > 1e-12, r, torch.zeros_like(r)).float()


def unit_iou(recording: UnitRecording, masks: torch.Tensor, quantile: float, batch_size: int = 32,
             placed: bool = False) -> torch.Tensor:
    """IoU [U] between each unit's upsampled map thresholded at its ``quantile`` and the masks [N, 1, R, R]
    (``placed``: the maps placed as the generator placed its object, see :func:`place_maps`)."""
    thresholds = recording.unit_quantile(quantile).view(1, -1, 1, 1)
    concept = masks > 0.5
    inter = torch.zeros(recording.n_units, dtype=torch.float64)
    union = torch.zeros(recording.n_units, dtype=torch.float64)
    size = tuple(masks.shape[-2:])
    for i in range(0, recording.n, batch_size):
        up = F.interpolate(recording.features[i:i + batch_size], size=size, mode="bilinear", align_corners=False)
        if placed:
            up = place_maps(up, recording.object_grids[i:i + batch_size])
        active, m = up > thresholds, concept[i:i + batch_size]
        inter += (active & m).sum(dim=(0, 2, 3)).double()
        union += (active | m).sum(dim=(0, 2, 3)).double()
    return (inter / union.clamp(min=1)).float()


def rank_units(recording: UnitRecording, concept: str | Concept, *, quantile: float = 0.9, method: str | None = None,
               probe=None) -> UnitRanking:
    """Rank the recorded units by how well they match ``concept``.

    Spatial concepts: GAN-dissection IoU between the unit's activation map, bilinearly upsampled
    to the image and thresholded at the unit's ``quantile`` over all recorded locations, and the
    concept mask, pooled over all samples; for a generator that places its object (recordings with
    ``object_grids``) each unit is also scored with its map placed as the object was, and keeps the
    better of the two (``UnitRanking.placed`` says which). The default 0.9 (the top 10 % of locations) suits
    concepts that cover a small part of the image; GAN dissection's 0.99 caps the IoU at
    0.01 / (concept area), about 0.07 for Shapes objects that cover ~14 % of the image.
    Per-image concepts: correlation (``method`` "spearman", the default, or "pearson") across
    samples between the unit's spatially averaged activation and the concept's value; a strongly
    negative score marks a unit that works against the concept.
    """
    concept = get_concept(concept)
    quantile = _check_quantile(quantile)
    values = recording.concept(concept, probe)
    placed = None
    if concept.spatial:
        if method not in (None, "iou"):
            raise ValueError(f"spatial concept {concept.name!r} is scored by IoU; got method={method!r}")
        method, scores = "iou", unit_iou(recording, values, quantile)
        if recording.object_grids is not None:
            in_object_frame = unit_iou(recording, values, quantile, placed=True)
            placed = in_object_frame > scores
            scores = torch.maximum(scores, in_object_frame)
    else:
        method = method or "spearman"
        if method not in ("spearman", "pearson"):
            raise ValueError(f"method must be 'spearman' or 'pearson' for per-image concepts, got {method!r}")
        means = recording.features.mean(dim=(2, 3))  # [N, U]
        if method == "spearman":
            means, values = _ranks(means), _ranks(values.float())
        scores = _correlation(means, values)
        quantile = None
    scores, order = scores.sort(descending=True, stable=True)
    return UnitRanking(recording.layer, concept.name, method, order, scores, quantile,
                       None if placed is None else placed[order])


# --- intervention -------------------------------------------------------------------------
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


# --- causal effect ------------------------------------------------------------------------
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
