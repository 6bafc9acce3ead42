"""From flat latent vectors to fitness: decode, generate and assess in memory-bounded chunks."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from latentlab.errors import unknown_name_error

SPACES = ("z", "z+class")
Assessor = Callable[[torch.Tensor], torch.Tensor]


class LatentObjective:
    """Fitness of flat latents x [P, D]: ``assessor(generator(decode(x)))``.

    ``space="z"`` searches z with the class fixed by ``classes`` (one name/index, one soft class
    vector [C], or one name/index per candidate); ``space="z+class"`` appends class logits to z and feeds their softmax as a
    soft class vector. The generator and the assessor each see the whole population, split
    into chunks of at most ``chunk_size`` images to bound memory.
    """

    def __init__(self, generator, assessor: Assessor, *, space: str = "z", classes: int | str | Sequence | None = None,
                 chunk_size: int = 64):
        if space not in SPACES:
            raise unknown_name_error("latent space", space, SPACES)
        if space == "z+class" and not generator.conditional:
            raise ValueError("space='z+class' needs a class-conditional generator")
        if space == "z" and generator.conditional and classes is None:
            raise ValueError(f"pass classes= (one of {list(generator.class_names)}) or use space='z+class'")
        self.generator, self.assessor, self.space = generator, assessor, space
        self.classes, self.chunk_size = classes, max(1, int(chunk_size))
        self.n_classes = len(generator.class_names)
        self.dim = generator.latent_dim + (self.n_classes if space == "z+class" else 0)
        self.evaluations = 0
        self.last_images: torch.Tensor | None = None

    def decode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Latents and class input of each candidate."""
        if x.dim() != 2 or x.shape[1] != self.dim:
            raise ValueError(f"candidates must have shape [P, {self.dim}], got {tuple(x.shape)}")
        x = x.to(self.generator.device)
        z = x[:, : self.generator.latent_dim]
        if self.space == "z+class":
            return z, torch.softmax(x[:, self.generator.latent_dim:], dim=1)
        if not self.generator.conditional:
            return z, None
        if isinstance(self.classes, (int, str)):
            return z, self.generator.classes(self.classes, x.shape[0])
        if isinstance(self.classes, torch.Tensor) and self.classes.is_floating_point():  # one soft class vector
            return z, self.classes.reshape(1, -1).to(z.device).expand(x.shape[0], -1)
        y = self.generator.classes(self.classes)
        if y.shape[0] != x.shape[0]:
            raise ValueError(f"got {y.shape[0]} classes for a population of {x.shape[0]}")
        return z, y

    def images(self, x: torch.Tensor) -> torch.Tensor:
        z, y = self.decode(x)
        return torch.cat([self.generator(z[i:i + self.chunk_size], None if y is None else y[i:i + self.chunk_size])
                          for i in range(0, z.shape[0], self.chunk_size)])

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        z, y = self.decode(x)
        scores, made = [], []
        for i in range(0, z.shape[0], self.chunk_size):
            images = self.generator(z[i:i + self.chunk_size], None if y is None else y[i:i + self.chunk_size])
            scores.append(self.assessor(images).reshape(-1))
            made.append(images.detach())
        self.evaluations += z.shape[0]
        self.last_images = torch.cat(made)  # the images just scored, one per candidate (for thumbnails, galleries)
        return torch.cat(scores)
