"""Z, the prior's own space, and Z with class logits (the class becomes part of what is searched)."""

from __future__ import annotations

import torch

from latentlab.errors import InvalidInputError, coerce_latents
from latentlab.spaces.base import LatentSpace

#: a class as logits: softmax(4 · one-hot) puts 0.93 on it for 5 classes
CLASS_LOGIT = 4.0


def class_input(generator, classes, n: int) -> torch.Tensor | None:
    """The generator's class input for ``n`` latents from one name/index, one soft vector [C], or one per latent
    (names, indices [n] or soft vectors [n, C]); None for an unconditional generator."""
    if not generator.conditional:
        if classes is not None:
            raise InvalidInputError(f"{type(generator).__name__} is unconditional; leave classes=None")
        return None
    if classes is None:
        raise InvalidInputError(f"{type(generator).__name__} is class-conditional: pass classes= (one of "
                                f"{list(generator.class_names)[:8]}, or one per latent), or search the 'z+class' space")
    if isinstance(classes, torch.Tensor) and classes.is_floating_point():  # soft class vectors
        y = classes.reshape(-1, len(generator.class_names)).to(generator.device)
        y = y.expand(n, -1) if y.shape[0] == 1 else y
    elif isinstance(classes, (int, str)) or (isinstance(classes, torch.Tensor) and classes.dim() == 0):
        y = generator.classes(classes, n)
    else:
        y = generator.classes(classes)
        y = y.expand(n) if y.shape[0] == 1 else y
    if y.shape[0] != n:
        raise InvalidInputError(f"got {y.shape[0]} classes for {n} latents")
    return y


class ZSpace(LatentSpace):
    """The prior space: flat vectors are the latents z [N, latent_dim].

    A conditional generator's class stays fixed by ``classes`` (one for all, or one per vector).
    """

    name = "z"
    class_in_coordinates = False

    def __init__(self, generator, classes=None):
        super().__init__(generator)
        self.classes, self.dim = classes, generator.latent_dim
        if classes is not None:
            class_input(generator, classes, 1 if _single(classes) else _count(classes))  # refuses bad classes early

    def sample(self, n: int, *, seed: int | None = None, truncation: float | None = None) -> torch.Tensor:
        return self.generator.sample_latents(n, seed=seed, truncation=truncation)

    def encode(self, z: torch.Tensor, classes=None, *, truncation: float | None = None) -> torch.Tensor:
        return coerce_latents(z, self.generator.latent_dim, torch.float32).to(self.device)

    def decode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        x = self.check(x)
        return x, class_input(self.generator, self.classes, x.shape[0])

    def flatten(self, inputs) -> torch.Tensor:
        z = inputs[0] if isinstance(inputs, tuple) else inputs
        return self.encode(z)

    def render(self, x: torch.Tensor) -> torch.Tensor:
        return self.generator(*self.decode(x))

    def sampling_truncation(self, truncation: float | None) -> float | None:
        return self.generator.effective_truncation(truncation)

    def project(self, x: torch.Tensor) -> torch.Tensor:
        """Back into the prior's typical set (the generator's ``project_latents``: the ball ‖z‖ ≤ √d by default)."""
        return self.generator.project_latents(x)

    def with_classes(self, classes) -> ZSpace:
        """The same space with other fixed classes."""
        return ZSpace(self.generator, classes)

    def identity(self) -> dict:
        return {**super().identity(), "classes": self.classes}


class ZClassSpace(LatentSpace):
    """Z with class logits appended, x = [z, logits] [N, latent_dim + C]; the class input is softmax(logits).

    A starting class enters as :data:`CLASS_LOGIT` · one-hot.
    """

    name = "z+class"

    def __init__(self, generator):
        if not generator.conditional:
            raise InvalidInputError(f"the 'z+class' space needs a class-conditional generator; {type(generator).__name__} "
                                    "is unconditional: use 'z'")
        super().__init__(generator)
        self.n_classes = len(generator.class_names)
        self.dim = generator.latent_dim + self.n_classes

    def encode(self, z: torch.Tensor, classes=None, *, truncation: float | None = None) -> torch.Tensor:
        z = coerce_latents(z, self.generator.latent_dim, torch.float32).to(self.device)
        y = class_input(self.generator, classes, z.shape[0])
        return torch.cat([z, CLASS_LOGIT * self.generator.class_vectors(y)], dim=1)

    def decode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.check(x)
        d = self.generator.latent_dim
        return x[:, :d], torch.softmax(x[:, d:], dim=1)

    def flatten(self, inputs) -> torch.Tensor:
        """(z, soft class vectors) as [z, log y]: logits whose softmax is y again (one-hot becomes CLASS_LOGIT · one-hot)."""
        z, y = inputs
        y = self.generator.class_vectors(y)
        if ((y == 0) | (y == 1)).all():
            return self.encode(z, y)
        return torch.cat([coerce_latents(z, self.generator.latent_dim, torch.float32).to(self.device),
                          y.clamp_min(1e-12).log().to(self.device)], dim=1)

    def render(self, x: torch.Tensor) -> torch.Tensor:
        return self.generator(*self.decode(x))


def _single(classes) -> bool:
    if isinstance(classes, (int, str)):
        return True
    if isinstance(classes, torch.Tensor):
        return classes.dim() == 0 or (classes.is_floating_point() and classes.dim() == 1)
    return False


def _count(classes) -> int:
    if isinstance(classes, torch.Tensor):
        return classes.shape[0]
    return len(classes) if hasattr(classes, "__len__") else 1
