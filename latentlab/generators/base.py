"""The Generator contract: latents (and classes) in, images NCHW in [0, 1] out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields

import torch
from torch import nn

from latentlab.errors import (
    InvalidInputError,
    _integer_value,
    check_count,
    check_int,
    check_seed,
    coerce_latents,
    unknown_name_error,
)
from latentlab.latents import project_to_ball, seeded_generator, truncated_normal


class JsonConfig:
    """Mixin of dataclass configs stored as JSON in weight files: tuple fields are written as lists
    and read back as tuples."""

    def to_json(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, d: dict):
        """Config from a :meth:`to_json` dict; unknown keys are refused by name."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown {cls.__name__} keys {unknown}; expected a subset of {sorted(known)}")
        tuples = {f.name for f in fields(cls) if isinstance(f.default, tuple)}
        return cls(**{k: tuple(v) if k in tuples else v for k, v in d.items()})


def state_mismatch(model: torch.nn.Module, state: dict[str, torch.Tensor], what: str) -> ValueError | None:
    """The error naming ``state``'s missing, unexpected and mis-shaped tensors against ``model`` (None when it fits)."""
    expected = model.state_dict()
    missing, unexpected = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    wrong = [f"{k} {tuple(state[k].shape)} (expected {tuple(v.shape)})"
             for k, v in expected.items() if k in state and state[k].shape != v.shape]
    if missing or unexpected or wrong:
        return ValueError(f"the weights do not fit {what}: {len(missing)} missing {missing[:4]}, "
                          f"{len(unexpected)} unexpected {unexpected[:4]}, {len(wrong)} of the wrong shape {wrong[:4]}")
    return None


def assign_state(model: torch.nn.Module, state: dict[str, torch.Tensor], what: str) -> torch.nn.Module:
    """Load a checkpoint's ``state`` into ``model`` (built on the meta device) strictly, as float32, in eval mode.

    Missing, unexpected and mis-shaped tensors are refused together, named, with ``what`` (the
    model and config they were checked against) in the message.
    """
    error = state_mismatch(model, state, what)
    if error is not None:
        raise error
    model.load_state_dict({k: v.float() for k, v in state.items()}, strict=True, assign=True)
    return model.eval()


#: how far outside [0, 1] an image to encode may stray (as the assessors allow)
RANGE_TOLERANCE = 1e-3


def check_image_batch(images: torch.Tensor) -> torch.Tensor:
    """Images for an encoder: a floating-point tensor [N, 3, H, W] (N ≥ 1) with finite values in [0, 1]."""
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] != 3 or images.shape[0] == 0:
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"images must have shape [N, 3, H, W] with N >= 1, got {shape}")
    if not images.is_floating_point():
        raise ValueError(f"images must be floating point in [0, 1], got dtype {images.dtype}")
    if not torch.isfinite(images).all() or images.min() < -RANGE_TOLERANCE or images.max() > 1 + RANGE_TOLERANCE:
        raise ValueError(f"images must be finite and lie in [0, 1]; got values in "
                         f"[{float(images.min()):.4g}, {float(images.max()):.4g}]")
    return images


@dataclass(frozen=True)
class SplitGenerator:
    """A generator cut at a named layer: ``h(f(z, y), z, y) == G(z, y)``.

    ``f`` maps latents to the feature map at ``layer``; ``h`` maps such a feature map to an
    image. Hierarchical generators feed latent chunks and the class to later layers, so
    ``h`` takes the same ``z`` and ``y`` alongside the features.
    """

    layer: str
    f: Callable[..., torch.Tensor]
    h: Callable[..., torch.Tensor]


class Generator(nn.Module):
    """Base class of latentlab generators.

    Subclasses set ``latent_dim``, ``resolution``, ``class_names`` (empty when unconditional)
    and implement :meth:`synthesize`, :meth:`layer_names` and :meth:`split`.
    """

    latent_dim: int
    resolution: int
    class_names: tuple[str, ...] = ()
    #: the layer paint by word splits at by default (None: the first spatial layer)
    edit_layer: str | None = None

    @property
    def conditional(self) -> bool:
        return len(self.class_names) > 0

    @property
    def latent_spaces(self) -> tuple[str, ...]:
        """Names of the latent spaces this generator offers (see :mod:`latentlab.spaces`)."""
        return ("z", "z+class") if self.conditional else ("z",)

    def effective_truncation(self, truncation: float | None) -> float | None:
        """The truncation to sample with when a method asks for ``truncation`` (normal prior: |z| ≤ ψ, any ψ > 0)."""
        return truncation

    @property
    def places_object(self) -> bool:
        """Whether the generator draws its object in a frame of its own and places it (:meth:`object_grid`)."""
        return False

    def object_grid(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """The grid_sample grid [N, R, R, 2] placing the object's frame in the image (generators that place objects)."""
        raise NotImplementedError(f"{type(self).__name__} does not place its object in a frame of its own")

    def project_latents(self, z: torch.Tensor) -> torch.Tensor:
        """Latents moved back to where the prior puts nearly all its mass: the ball ‖z‖ ≤ √d (seed 002 eq. 4.2)."""
        return project_to_ball(z)

    def first_latent_weight(self) -> torch.Tensor | None:
        """The weight [out, latent_dim] of the first layer that reads z linearly (SeFa's A), or None where no single
        linear layer reads the whole latent."""
        return None

    def encoder_latents(self, images: torch.Tensor) -> torch.Tensor | None:
        """Prior latents [N, latent_dim] an encoder trained with the generator reads from ``images`` (an inversion in one
        forward pass, e.g. a VAE's posterior mean), or None when the generator has no encoder."""
        return None

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    @property
    def latent_dtype(self) -> torch.dtype:
        """The dtype latents are cast to: that of the first floating-point parameter (float32 without one)."""
        for tensor in self.parameters():
            if tensor.is_floating_point():
                return tensor.dtype
        return torch.float32

    # --- latents and classes -------------------------------------------------------------
    def sample_latents(self, n: int, seed: int | None = None, truncation: float | None = None) -> torch.Tensor:
        """Reproducible prior samples [n, latent_dim] on the model's device.

        ``truncation`` ψ resamples every entry with |z| > ψ (the truncation trick); None keeps
        the full standard normal.
        """
        n, seed = check_count("n", n), check_seed("seed", seed)
        return truncated_normal(n, self.latent_dim, truncation, seed=seed).to(self.device)

    def class_index(self, name: int | str) -> int:
        """Index of a class given by name or index; unknown names suggest close matches.

        Indices may be ints, NumPy or 0-d torch integers, or integral floats (``2.0``); other
        floats, bools and other types are refused.
        """
        if not self.conditional:
            raise ValueError(f"{type(self).__name__} is unconditional; it takes no class")
        if isinstance(name, str):
            if name not in self.class_names:
                raise unknown_name_error("class", name, self.class_names)
            return self.class_names.index(name)
        index = _integer_value(name)
        if index is None:
            raise InvalidInputError(f"a class must be a name ({', '.join(map(repr, self.class_names[:8]))}"
                                    f"{', …' if len(self.class_names) > 8 else ''}) or an integer index "
                                    f"0..{len(self.class_names) - 1}, got {name!r} ({type(name).__name__})")
        if not 0 <= index < len(self.class_names):
            raise InvalidInputError(f"class index {name!r} is out of range 0..{len(self.class_names) - 1}")
        return index

    def classes(self, names: int | str | Sequence[int | str], n: int | None = None) -> torch.Tensor:
        """Class indices [n] from one name/index (repeated n times, default once) or a sequence of them."""
        if n is not None:
            n = check_count("n", n)
        if isinstance(names, str) or not hasattr(names, "__iter__") or getattr(names, "ndim", None) == 0:  # 0-d tensors, arrays
            return torch.full((1 if n is None else n,), self.class_index(names), dtype=torch.long, device=self.device)
        if isinstance(names, (bytes, dict, set, frozenset)):
            raise InvalidInputError(f"classes must be a class name, an index or a sequence of them, got {names!r} "
                                    f"({type(names).__name__})")
        indices = [self.class_index(c) for c in names]
        if not indices:
            raise InvalidInputError(f"classes is an empty sequence ({names!r}): give at least one class name or index")
        return torch.tensor(indices, dtype=torch.long, device=self.device)

    def sample_classes(self, n: int, seed: int | None = None) -> torch.Tensor:
        """Reproducible uniformly random class indices [n]."""
        n, seed = check_count("n", n), check_seed("seed", seed)
        gen = seeded_generator(None if seed is None else seed + 7919)
        return torch.randint(len(self.class_names), (n,), generator=gen).to(self.device)

    def class_vectors(self, y: torch.Tensor) -> torch.Tensor:
        """Class input as soft vectors [N, C]: indices (any integer dtype) become one-hot, float vectors pass through
        (as float32)."""
        c = len(self.class_names)
        if not isinstance(y, torch.Tensor):
            raise InvalidInputError(f"classes must be a tensor of class indices [N] (see generator.classes(...)) or soft "
                                    f"class vectors [N, {c}], got {type(y).__name__} {y!r}"[:400])
        if y.dtype == torch.bool or y.is_complex():
            raise InvalidInputError(f"classes of dtype {y.dtype} are refused: pass integer class indices [N] in 0..{c - 1} "
                                    f"or real soft class vectors [N, {c}] (shape {tuple(y.shape)} given)")
        if not y.is_floating_point():  # int8/16/32/64, uint8: indices
            if y.dim() != 1 or y.shape[0] == 0:
                raise InvalidInputError(f"class indices must be a 1-D tensor [N] with N >= 1, got dtype {y.dtype} with "
                                        f"shape {tuple(y.shape)}")
            bad = y[(y < 0) | (y >= c)]
            if bad.numel():
                raise InvalidInputError(f"class indices must be in 0..{c - 1}, got {bad.unique()[:8].tolist()} "
                                        f"(indices given: {y.tolist()[:16]}{' …' if y.numel() > 16 else ''})")
            return nn.functional.one_hot(y.long(), c).float()
        if y.dim() != 2 or y.shape[1] != c or y.shape[0] == 0 or not torch.isfinite(y).all():
            hint = (" (a 1-D float tensor: pass class indices as an integer tensor, e.g. generator.classes(...))"
                    if y.dim() == 1 else "")
            finite = "" if y.numel() == 0 or torch.isfinite(y).all() else " containing NaN or infinite values"
            raise InvalidInputError(f"class vectors must be finite with shape [N, {c}], got {tuple(y.shape)}"
                                    f"{finite}{hint}")
        return y.float()

    # --- synthesis -----------------------------------------------------------------------
    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Images [N, 3, R, R] in [0, 1] from latents [N, latent_dim] and, if conditional, classes.

        ``y`` is a tensor of class indices [N] or soft class vectors [N, C] (for mixing).
        """
        z = coerce_latents(z, self.latent_dim, self.latent_dtype)
        y = self._check_classes(z, y)
        return self.synthesize(z, y)

    def _check_classes(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor | None:
        if not self.conditional:
            if y is not None:
                raise ValueError(f"{type(self).__name__} is unconditional; pass y=None")
            return None
        if y is None:
            raise ValueError(f"this generator is class-conditional; pass y (indices into {list(self.class_names)})")
        y = self.class_vectors(y.to(z.device) if isinstance(y, torch.Tensor) else y)
        if y.shape[0] != z.shape[0]:
            raise ValueError(f"got {z.shape[0]} latents but {y.shape[0]} classes")
        return y

    def synthesize(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        """Checked latents and soft class vectors (or None) to images."""
        raise NotImplementedError

    @torch.no_grad()
    def generate(self, n: int, *, seed: int | None = None, truncation: float | None = None,
                 classes: int | str | Sequence[int | str] | None = None, batch_size: int = 100) -> torch.Tensor:
        """Sample ``n`` images reproducibly (classes random from ``seed`` unless given).

        ``n`` is capped at :data:`latentlab.errors.MAX_BATCH` (raise it there to generate more in one call).
        """
        n, batch_size = check_count("n", n), check_int("batch_size", batch_size, minimum=1)
        z = self.sample_latents(n, seed=seed, truncation=truncation)
        y = None
        if self.conditional:
            y = self.sample_classes(n, seed) if classes is None else self.classes(classes, n)
            if y.shape[0] != n:
                raise ValueError(f"got {y.shape[0]} classes for n={n}")
        out = [self(z[i:i + batch_size], None if y is None else y[i:i + batch_size]) for i in range(0, n, batch_size)]
        return torch.cat(out)

    # --- splitting -----------------------------------------------------------------------
    # per-layer noise inputs (the stored maps, or maps a projection optimises) ------------------------
    def noise_layers(self) -> list[nn.Module]:
        """The synthesis layers with a per-layer noise input (a ``noise_const`` map), in synthesis order."""
        return [m for m in self.modules() if "noise_const" in m._buffers and m._buffers["noise_const"] is not None]

    def noise_maps(self, n: int = 1, seed: int | None = None) -> list[torch.Tensor]:
        """Standard-normal noise maps [n, 1, R_i, R_i], one per :meth:`noise_layers` (the stored maps when ``seed`` is
        None), as :meth:`noise_inputs` takes them."""
        layers = self.noise_layers()
        if seed is None:
            return [m.noise_const.detach()[None, None].expand(n, -1, -1, -1).clone() for m in layers]
        gen = torch.Generator().manual_seed(int(seed))
        return [torch.randn(n, 1, *m.noise_const.shape, generator=gen).to(self.device) for m in layers]

    @contextmanager
    def noise_inputs(self, maps: Sequence[torch.Tensor] | None):
        """Within the block, the noise layers read ``maps`` ([N or 1, 1, R_i, R_i] each, :meth:`noise_maps` order)
        instead of their stored maps; None changes nothing."""
        layers = self.noise_layers()
        if maps is None:
            yield
            return
        if len(maps) != len(layers):
            raise InvalidInputError(f"{type(self).__name__} has {len(layers)} noise inputs; got {len(maps)} noise maps")
        for m, noise in zip(layers, maps):
            r = m.noise_const.shape[-1]
            if noise.dim() != 4 or tuple(noise.shape[1:]) != (1, r, r):
                raise InvalidInputError(f"a noise map for a {r}×{r} layer must be [N, 1, {r}, {r}], got {tuple(noise.shape)}")
        try:
            for m, noise in zip(layers, maps):
                m.noise_override = noise.to(self.device)
            yield
        finally:
            for m in layers:
                m.noise_override = None

    def layer_names(self) -> list[str]:
        """Names accepted by :meth:`split`, from the input side to the output side."""
        raise NotImplementedError

    def split(self, layer: str) -> SplitGenerator:
        """Cut the generator after ``layer`` into f (latents → features) and h (features → image)."""
        raise NotImplementedError

    def synthesize_edits(self, base: tuple[torch.Tensor, torch.Tensor | None],
                         edits: Sequence[tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]], layer: str) -> torch.Tensor:
        """Images from a base (z0, y0) and region edits (z, y, mask), each with a batch of N (seed 000 eq. 4.7).

        The feature map at ``layer`` starts as f(z0, y0); each edit in turn replaces it inside its
        mask: w ← w ⊙ (1 − m) + f(z, y) ⊙ m; then h makes the image. This generic version keeps
        the later layers' conditioning at (z0, y0); families override it to split that too.
        Latents [N or 1, D], soft class vectors [N or 1, C] or None, masks [1, 1, R, R]; a batch
        of one broadcasts.
        """
        from latentlab.generators.region import resize_mask

        split = self.split(layer)
        w = split.f(*base)
        if w.dim() != 4:
            raise ValueError(f"{type(self).__name__} cannot be split spatially at layer {layer!r}: its output has shape "
                             f"{tuple(w.shape)}, not a feature map [N, C, H, W]; choose one of {self.spatial_layers()}")
        for z, y, mask in edits:
            w = w + resize_mask(mask, w.shape[-2:]) * (split.f(z, y) - w)
        z0, y0 = base
        return split.h(w, z0.expand(w.shape[0], -1), None if y0 is None else y0.expand(w.shape[0], -1))

    def spatial_layers(self) -> list[str]:
        """Layers whose output is a feature map [N, C, H, W] (where a region split is possible)."""
        names = []
        with torch.no_grad():
            z = self.sample_latents(1, seed=0)
            y = self.class_vectors(torch.zeros(1, dtype=torch.long, device=self.device)) if self.conditional else None
            for name in self.layer_names():
                try:
                    if self.split(name).f(z, y).dim() == 4:
                        names.append(name)
                except (NotImplementedError, ValueError):
                    pass
        return names

    def _check_layer(self, layer: str) -> int:
        names = self.layer_names()
        if layer not in names:
            raise unknown_name_error("layer", layer, names)
        return names.index(layer)
