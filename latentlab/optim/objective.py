"""From flat latent vectors to fitness: decode, generate and assess in memory-bounded chunks."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from latentlab.errors import unknown_name_error

SPACES = ("z", "z+class", "w", "w+")
W_STAT_SAMPLES = 2000  # latents mapped to estimate W's mean and spread
Assessor = Callable[[torch.Tensor], torch.Tensor]


class LatentObjective:
    """Fitness of flat latents x [P, D]: ``assessor(generator(decode(x)))``.

    ``space="z"`` searches z with the class fixed by ``classes`` (one name/index, one soft class
    vector [C], or one name/index per candidate); ``space="z+class"`` appends class logits to z and feeds their softmax as a
    soft class vector. For style-based generators ``space="w"`` searches one style vector and
    ``space="w+"`` one per layer, both standardised: x = (w − mean) / std per dimension, with the
    mean and spread of W measured on the generator's own samples (of ``classes`` when given),
    so x = 0 is the average image and unit noise gives plausible styles. The generator and the
    assessor each see the whole population, split into chunks of at most ``chunk_size`` images
    to bound memory.
    """

    def __init__(self, generator, assessor: Assessor, *, space: str = "z", classes: int | str | Sequence | None = None,
                 chunk_size: int = 64):
        if space not in SPACES:
            raise unknown_name_error("latent space", space, SPACES)
        if space == "z+class" and not generator.conditional:
            raise ValueError("space='z+class' needs a class-conditional generator")
        if space in ("w", "w+") and not hasattr(generator, "to_w"):
            raise ValueError(f"space={space!r} needs a style-based generator (with a W space); "
                             f"{type(generator).__name__} has none: use 'z' or 'z+class'")
        if space == "z" and generator.conditional and classes is None:
            raise ValueError(f"pass classes= (one of {list(generator.class_names)}) or use space='z+class'")
        self.generator, self.assessor, self.space = generator, assessor, space
        self.classes, self.chunk_size = classes, max(1, int(chunk_size))
        self.n_classes = len(generator.class_names)
        self.dim = generator.latent_dim + (self.n_classes if space == "z+class" else 0)
        if space in ("w", "w+"):
            self.w_mean, self.w_std = self._w_statistics()
            self.dim = generator.space_dim(space)
        self.evaluations = 0
        self.last_images: torch.Tensor | None = None

    @torch.no_grad()
    def _w_statistics(self) -> tuple[torch.Tensor, torch.Tensor]:
        g = self.generator
        z = g.sample_latents(W_STAT_SAMPLES, seed=12345)
        y = None
        if g.conditional:
            y = g.sample_classes(W_STAT_SAMPLES, seed=12345) if self.classes is None else self._class_input(z)
        w = g.to_w(z, y)
        return w.mean(dim=0), w.std(dim=0).clamp_min(1e-6)

    def _class_input(self, z: torch.Tensor) -> torch.Tensor:
        if isinstance(self.classes, (int, str)):
            return self.generator.classes(self.classes, z.shape[0])
        if isinstance(self.classes, torch.Tensor) and self.classes.is_floating_point():  # one soft class vector
            return self.classes.reshape(1, -1).to(z.device).expand(z.shape[0], -1)
        y = self.generator.classes(self.classes)
        if y.shape[0] != z.shape[0]:
            raise ValueError(f"got {y.shape[0]} classes for a population of {z.shape[0]}")
        return y

    def styles(self, x: torch.Tensor) -> torch.Tensor:
        """W+ styles [P, num_ws, w_dim] of candidates in the 'w' or 'w+' space."""
        if self.space not in ("w", "w+"):
            raise ValueError(f"styles() needs space 'w' or 'w+', this objective searches {self.space!r}")
        x = self._check(x)
        g = self.generator
        if self.space == "w":
            return g.broadcast(self.w_mean + x * self.w_std)
        return self.w_mean + x.reshape(x.shape[0], g.num_ws, g.w_dim) * self.w_std

    def _check(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2 or x.shape[1] != self.dim:
            raise ValueError(f"candidates must have shape [P, {self.dim}], got {tuple(x.shape)}")
        return x.to(self.generator.device)

    def _generate(self, x: torch.Tensor) -> torch.Tensor:
        """Images of a chunk of candidates."""
        if self.space in ("w", "w+"):
            return self.generator.from_wplus(self.styles(x))
        z, y = self.decode(x)
        return self.generator(z, y)

    def decode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Latents and class input of each candidate (the 'z' and 'z+class' spaces)."""
        if self.space in ("w", "w+"):
            raise ValueError(f"decode() gives z and classes; candidates in {self.space!r} map to styles(x)")
        x = self._check(x)
        z = x[:, : self.generator.latent_dim]
        if self.space == "z+class":
            return z, torch.softmax(x[:, self.generator.latent_dim:], dim=1)
        if not self.generator.conditional:
            return z, None
        return z, self._class_input(z)

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
