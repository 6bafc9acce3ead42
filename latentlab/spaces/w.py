"""W and W+ of a style-based generator: one style vector for every layer, or one per layer.

Truncation here is StyleGAN's: ψ pulls w towards the average w̄ (z itself is drawn untruncated).
A W+ space may be restricted to a range of layers (``layers``): its vectors then hold the styles of
those layers only and the others stay at a fixed ``base`` (W+ styles [1, num_ws, w_dim]).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from latentlab.errors import InvalidInputError, check_count, check_seed, check_truncation, coerce_latents
from latentlab.spaces.base import LatentSpace
from latentlab.spaces.z import class_input


def check_style_generator(generator, space: str):
    from latentlab.generators.style import StyleGenerator

    if not isinstance(generator, StyleGenerator):
        raise InvalidInputError(f"the {space!r} space needs a style-based generator (one with a mapping network); "
                                f"{type(generator).__name__} offers {list(generator.latent_spaces)}")
    return generator


class _StyleBase(LatentSpace):
    def __init__(self, generator, classes=None):
        super().__init__(check_style_generator(generator, self.name))
        self.classes = classes

    def _classes_for(self, z: torch.Tensor, classes):
        if not self.generator.conditional:
            return class_input(self.generator, classes, z.shape[0])
        return class_input(self.generator, self.classes if classes is None else classes, z.shape[0])

    def sample(self, n: int, *, seed: int | None = None, truncation: float | None = None) -> torch.Tensor:
        n, seed, truncation = check_count("n", n), check_seed("seed", seed), check_truncation(truncation)
        g = self.generator
        z = g.sample_latents(n, seed=seed)
        y = None
        if g.conditional:
            y = g.sample_classes(n, seed) if self.classes is None else class_input(g, self.classes, n)
        return self.encode(z, y, truncation=truncation)

    def sampling_truncation(self, truncation: float | None) -> float | None:
        """ψ pulls towards w̄ here: ψ > 1 would extrapolate away from it, so it means no truncation."""
        return None if truncation is None or truncation > 1 else truncation

    def mapped(self, z: torch.Tensor, classes=None, truncation: float | None = None) -> torch.Tensor:
        """W+ styles [N, num_ws, w_dim] of prior latents (the classes default to the space's)."""
        g = self.generator
        z = coerce_latents(z, g.latent_dim, torch.float32).to(self.device)
        return g.to_wplus(z, self._classes_for(z, classes), truncation=1.0 if truncation is None else truncation)

    def statistics(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self._measured_statistics()

    def identity(self) -> dict:
        return {**super().identity(), "classes": self.classes}


class WSpace(_StyleBase):
    """W: one style vector w [N, w_dim] drives every layer."""

    name = "w"
    decodes_to = "wplus"

    def __init__(self, generator, classes=None):
        super().__init__(generator, classes)
        self.dim = generator.w_dim

    def encode(self, z: torch.Tensor, classes=None, *, truncation: float | None = None) -> torch.Tensor:
        return self.mapped(z, classes, truncation)[:, 0]

    def layer_indices(self, layers) -> list[int]:
        """W+ layer indices from a named range ('coarse', 'middle', 'fine'), a slice or indices."""
        return self.generator.mix_layers(layers)

    def decode(self, x: torch.Tensor) -> torch.Tensor:
        return self.generator.broadcast(self.check(x))

    def flatten(self, inputs) -> torch.Tensor:
        ws = inputs if inputs.dim() == 2 else inputs[:, 0]
        return self.check(ws)

    def render(self, x: torch.Tensor) -> torch.Tensor:
        return self.generator.synthesis(self.decode(x))


class WPlusSpace(_StyleBase):
    """W+: a style vector per layer, flat [N, num_ws · w_dim] (or over ``layers`` only, the rest held at ``base``)."""

    name = "w+"
    decodes_to = "wplus"

    def __init__(self, generator, classes=None, *, layers: str | Sequence[int] | slice | None = None,
                 base: torch.Tensor | None = None):
        super().__init__(generator, classes)
        g = self.generator
        self.layers = list(range(g.num_ws)) if layers is None else g.mix_layers(layers)
        if not self.layers:
            raise InvalidInputError(f"layers={layers!r} selects no W+ layer of {type(g).__name__} (it has {g.num_ws})")
        self.partial = len(self.layers) < g.num_ws
        if self.partial and base is None:
            raise InvalidInputError("a W+ space over some layers holds the others fixed: pass base= (W+ styles "
                                    f"[1, {g.num_ws}, {g.w_dim}], e.g. space.mapped(z))")
        self.base = None if base is None else g.check_wplus(base.reshape(-1, g.num_ws, g.w_dim)[:1])
        self.dim = len(self.layers) * g.w_dim

    def encode(self, z: torch.Tensor, classes=None, *, truncation: float | None = None) -> torch.Tensor:
        return self.flatten(self.mapped(z, classes, truncation))

    def decode(self, x: torch.Tensor) -> torch.Tensor:
        x = self.check(x)
        g = self.generator
        part = x.reshape(x.shape[0], len(self.layers), g.w_dim)
        if not self.partial:
            return part
        ws = self.base.expand(x.shape[0], -1, -1).clone()
        ws[:, self.layers] = part
        return ws

    def flatten(self, inputs) -> torch.Tensor:
        g = self.generator
        ws = g.check_wplus(inputs.reshape(inputs.shape[0], g.num_ws, g.w_dim) if inputs.dim() == 2 else inputs)
        return ws[:, self.layers].reshape(ws.shape[0], -1)

    def render(self, x: torch.Tensor) -> torch.Tensor:
        return self.generator.synthesis(self.decode(x))

    def adopt(self, direction):
        """A W direction becomes a W+ one that moves its own layers (all when it names none) within this space's."""
        from latentlab.spaces.direction import Direction

        if isinstance(direction, Direction) and direction.space == "w" and direction.dim == self.generator.w_dim:
            return direction.lifted(self.generator.num_ws, self.layers)
        return super().adopt(direction)

    def identity(self) -> dict:
        return {**super().identity(), "layers": self.layers, "base": self.base}
