"""The LatentSpace contract: what a method searches, walks or edits, as flat vectors [N, dim].

A space turns a generator's inputs into flat vectors and back. Methods, objectives and
explorers only ever see flat vectors: they sample a start (:meth:`LatentSpace.sample`), encode
prior latents into the space (:meth:`~LatentSpace.encode`), render vectors to images
(:meth:`~LatentSpace.render`) and decode them back into the generator's inputs
(:meth:`~LatentSpace.decode`). Spaces whose coordinates have very different spreads (W, W+,
StyleSpace) also report their mean and spread (:meth:`~LatentSpace.statistics`), so a search
can run in standardised units.
"""

from __future__ import annotations

from typing import ClassVar

import torch

from latentlab.errors import InvalidInputError, check_count, check_seed, check_truncation

#: prior samples mapped to measure a space's mean and spread (W, W+, StyleSpace)
STAT_SAMPLES = 2000
STAT_SEED = 12345


class LatentSpace:
    """Base of latent spaces. Subclasses set :attr:`name` and :attr:`dim` and implement
    :meth:`sample`, :meth:`encode`, :meth:`decode` and :meth:`render`."""

    #: the registry name ('z', 'z+class', 'w', 'w+', 'stylespace', 'region')
    name: ClassVar[str] = ""
    #: what :meth:`decode` returns: 'latents' ((z, y)), 'wplus' (ws [N, num_ws, w_dim]) or 'styles' (a list per layer)
    decodes_to: ClassVar[str] = "latents"
    #: whether a vector fixes the class itself (W, W+, StyleSpace, Z+class); Z leaves it to :meth:`with_classes`
    class_in_coordinates: ClassVar[bool] = True
    #: optional box (low, high) the coordinates must stay in; None when unbounded
    bounds: tuple[float, float] | None = None
    #: the class a conditional generator is held at, where the space fixes one (None: chosen per vector)
    classes = None
    dim: int

    def __init__(self, generator):
        self.generator = generator
        self._statistics: tuple[torch.Tensor, torch.Tensor] | None = None

    # --- the contract ---------------------------------------------------------------------
    def sample(self, n: int, *, seed: int | None = None, truncation: float | None = None) -> torch.Tensor:
        """Reproducible starting points [n, dim] drawn from the generator's prior (truncated where that has a meaning)."""
        n, seed, truncation = check_count("n", n), check_seed("seed", seed), check_truncation(truncation)
        z = self.generator.sample_latents(n, seed=seed, truncation=truncation)
        return self.encode(z, self._sampled_classes(n, seed), truncation=truncation)

    def encode(self, z: torch.Tensor, classes=None, *, truncation: float | None = None) -> torch.Tensor:
        """Prior latents z [N, latent_dim] (and their classes) as flat vectors [N, dim] of this space."""
        raise NotImplementedError

    def decode(self, x: torch.Tensor):
        """Flat vectors [N, dim] as the generator's inputs (see :attr:`decodes_to`)."""
        raise NotImplementedError

    def flatten(self, inputs) -> torch.Tensor:
        """The inverse of :meth:`decode`: the generator's inputs as flat vectors [N, dim]."""
        raise NotImplementedError

    def render(self, x: torch.Tensor) -> torch.Tensor:
        """Images [N, 3, R, R] in [0, 1] of flat vectors [N, dim] (differentiable)."""
        raise NotImplementedError

    def project(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` moved back into the space's valid set (clamped to :attr:`bounds`; unchanged when unbounded)."""
        if self.bounds is None:
            return x
        return x.clamp(*self.bounds)

    def layer_indices(self, layers) -> list[int]:
        """The W+ layers a direction of this space is meant for; only W directions are applied per layer."""
        raise InvalidInputError(f"layers= names the W+ layers a W direction is applied to; {self.describe()} is not W")

    def sampling_truncation(self, truncation: float | None) -> float | None:
        """The truncation to sample with for a method's ``truncation`` (in Z: |z| ≤ ψ, any ψ > 0)."""
        return truncation

    def draw(self, n: int, *, seed: int | None = None, truncation: float | None = None,
             classes=None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``n`` reproducible starting vectors [n, dim] and, where the space leaves the class open (Z of a conditional
        generator), their classes [n] (``classes`` or random from ``seed``); render them with :meth:`render_with`."""
        g = self.generator
        y = None
        if g.conditional:
            y = g.sample_classes(n, seed) if classes is None else g.classes(classes, n)
        if self.class_in_coordinates:
            if y is None or self.classes is not None:
                return self.sample(n, seed=seed, truncation=truncation), None
            return self.encode(g.sample_latents(n, seed=seed), y, truncation=truncation), None
        return self.sample(n, seed=seed, truncation=truncation), y

    def render_with(self, x: torch.Tensor, classes: torch.Tensor | None) -> torch.Tensor:
        """:meth:`render` with the class held at ``classes`` (one per vector) where the space leaves it open."""
        return self.render(x) if classes is None else self.with_classes(classes).render(x)

    def with_classes(self, classes) -> LatentSpace:
        """The same space with the class held at ``classes`` (one, or one per vector); only for spaces whose
        vectors leave the class open (Z)."""
        raise InvalidInputError(f"vectors of {self.describe()} fix the class themselves; choose it when they are "
                                "sampled or encoded (classes=...)")

    # --- shared ----------------------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        return self.generator.device

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.render(x)

    def check(self, x) -> torch.Tensor:
        """``x`` as a finite float tensor [N, dim] on the generator's device; a clear error otherwise."""
        if not isinstance(x, torch.Tensor):
            raise InvalidInputError(f"{self.describe()} takes a tensor of flat vectors [N, {self.dim}], got "
                                    f"{type(x).__name__}")
        if x.dim() == 1 and x.numel() == self.dim:
            x = x[None]
        if x.dim() != 2 or x.shape[1] != self.dim or x.shape[0] == 0:
            raise InvalidInputError(f"{self.describe()} takes flat vectors [N, {self.dim}], got shape {tuple(x.shape)}")
        if not x.is_floating_point() or not torch.isfinite(x).all():
            raise InvalidInputError(f"vectors of {self.describe()} must be finite floats (got dtype {x.dtype}"
                                    f"{'' if not x.is_floating_point() or torch.isfinite(x).all() else ' with NaN/inf'})")
        return x.to(self.device, torch.float32)

    def statistics(self) -> tuple[torch.Tensor, torch.Tensor] | None:
        """(mean [dim], std [dim]) of the space's coordinates under the prior, for standardised searches; None when
        the coordinates are already standard (Z)."""
        return None

    def _measured_statistics(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and spread of :data:`STAT_SAMPLES` prior samples mapped into the space (of its fixed class, else of
        random classes), cached."""
        if self._statistics is None:
            g = self.generator
            with torch.no_grad():
                z = g.sample_latents(STAT_SAMPLES, seed=STAT_SEED)
                y = None
                if g.conditional:
                    y = g.sample_classes(STAT_SAMPLES, seed=STAT_SEED) if self.classes is None else None
                x = self.encode(z, y)
            self._statistics = x.mean(dim=0), x.std(dim=0).clamp_min(1e-6)
        return self._statistics

    def _sampled_classes(self, n: int, seed: int | None):
        """Classes for ``n`` prior samples: the space's fixed classes, else random from ``seed`` (None when unconditional)."""
        if not self.generator.conditional:
            return None
        return self.generator.sample_classes(n, seed) if self.classes is None else None

    def adopt(self, direction):
        """``direction`` expressed in this space (a W direction becomes a W+ one over its layers); an error when it
        belongs to another space."""
        from latentlab.spaces.direction import Direction

        if not isinstance(direction, Direction):
            raise InvalidInputError(f"expected a latentlab Direction, got {type(direction).__name__}")
        if direction.space != self.name or direction.dim != self.dim:
            raise InvalidInputError(f"direction {direction.name!r} has {direction.dim} dimensions in the {direction.space!r} "
                                    f"space; {self.describe()} has {self.dim}")
        return direction

    def identity(self) -> dict:
        """What decides this space's images, for run identities."""
        return {"type": type(self).__name__, "name": self.name, "dim": self.dim}

    def describe(self) -> str:
        return f"the {self.name!r} space of {type(self.generator).__name__}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({type(self.generator).__name__}, dim={self.dim})"
