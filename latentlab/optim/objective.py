"""From flat search vectors to fitness: map into a latent space, render and assess in memory-bounded chunks."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from latentlab.spaces import LatentSpace, resolve_space

Assessor = Callable[[torch.Tensor], torch.Tensor]


class LatentObjective:
    """Fitness of search vectors x [P, D]: ``assessor(space.render(v(x)))``.

    ``space`` is a :class:`~latentlab.spaces.LatentSpace` or a name the generator offers ('z',
    'z+class', 'w', 'w+', 'stylespace'); ``classes`` fix a conditional generator's class where the
    space keeps it fixed (one name/index, one soft class vector [C], or one per candidate). Spaces
    with uneven coordinates (W, W+, StyleSpace) are searched standardised: v = mean + x · std per
    coordinate, with the space's mean and spread under the prior, so x = 0 is the average image and
    unit noise gives plausible styles. The generator and the assessor see the population in chunks
    of at most ``chunk_size`` images to bound memory.
    """

    def __init__(self, generator, assessor: Assessor, *, space: str | LatentSpace = "z",
                 classes: int | str | Sequence | None = None, chunk_size: int = 64):
        self.space = resolve_space(space, generator, classes=classes)
        self.generator, self.assessor = generator, assessor
        self.chunk_size = max(1, int(chunk_size))
        self.dim = self.space.dim
        with torch.no_grad():
            self.space.decode(self.space.sample(1, seed=0))  # a missing class fails here, not in the first generation
        stats = self.space.statistics()
        self.mean, self.std = (None, None) if stats is None else (stats[0].to(generator.device), stats[1].to(generator.device))
        self.evaluations = 0
        self.last_images: torch.Tensor | None = None

    def to_space(self, x: torch.Tensor) -> torch.Tensor:
        """Search vectors [P, D] as vectors of the space (un-standardised)."""
        x = self._check(x)
        return x if self.mean is None else self.mean + x * self.std

    def from_space(self, v: torch.Tensor) -> torch.Tensor:
        """Vectors of the space [P, D] as search vectors (standardised where the space is)."""
        v = self.space.check(v)
        return v if self.mean is None else (v - self.mean) / self.std

    def decode(self, x: torch.Tensor):
        """The generator's inputs for each candidate (latents and classes, W+ styles, or style channels)."""
        return self.space.decode(self.to_space(x))

    def _check(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.shape[1] != self.dim:
            raise ValueError(f"candidates must have shape [P, {self.dim}], got {tuple(getattr(x, 'shape', ()))}")
        return x.to(self.generator.device)

    def _generate(self, x: torch.Tensor) -> torch.Tensor:
        return self.space.render(self.to_space(x))

    def images(self, x: torch.Tensor) -> torch.Tensor:
        x = self._check(x)
        return torch.cat([self._generate(x[i:i + self.chunk_size]) for i in range(0, x.shape[0], self.chunk_size)])

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        x = self._check(x)
        scores, made = [], []
        for i in range(0, x.shape[0], self.chunk_size):
            images = self._generate(x[i:i + self.chunk_size])
            scores.append(self.assessor(images).reshape(-1))
            made.append(images.detach())
        self.evaluations += x.shape[0]
        self.last_images = torch.cat(made)  # the images just scored, one per candidate (for thumbnails, galleries)
        return torch.cat(scores)
