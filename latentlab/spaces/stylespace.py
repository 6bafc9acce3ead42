"""StyleSpace (Wu et al. 2021): the per-layer style channels s = A(w) that modulate each convolution.

Its coordinates are every style affine's output, concatenated in synthesis order (the
channels of each modulated convolution and of each toRGB layer). Single channels there are
often far more disentangled than directions in W, which is what StyleSpace analysis and
StyleCLIP's global directions exploit.
"""

from __future__ import annotations

import torch

from latentlab.errors import InvalidInputError
from latentlab.spaces.w import _StyleBase


class StyleSpace(_StyleBase):
    """Flat vectors [N, Σ channels] of the style channels of every layer (see ``generator.style_layers()``)."""

    name = "stylespace"
    decodes_to = "styles"

    def __init__(self, generator, classes=None):
        super().__init__(generator, classes)
        self.layers = self.generator.style_layers()  # [(name, w+ index, channels)]
        self.sizes = [channels for _, _, channels in self.layers]
        self.dim = sum(self.sizes)

    def encode(self, z: torch.Tensor, classes=None, *, truncation: float | None = None) -> torch.Tensor:
        return self.flatten(self.generator.style_channels(self.mapped(z, classes, truncation)))

    def decode(self, x: torch.Tensor) -> list[torch.Tensor]:
        return list(torch.split(self.check(x), self.sizes, dim=1))

    def flatten(self, inputs) -> torch.Tensor:
        if len(inputs) != len(self.sizes):
            raise InvalidInputError(f"StyleSpace of {type(self.generator).__name__} has {len(self.sizes)} style layers, "
                                    f"got {len(inputs)} style tensors")
        return torch.cat(list(inputs), dim=1)

    def render(self, x: torch.Tensor) -> torch.Tensor:
        return self.generator.synthesis_from_styles(self.decode(x))

    def channel(self, layer: str, index: int) -> int:
        """The flat coordinate of channel ``index`` of style layer ``layer`` (a name from ``generator.style_layers()``)."""
        names = [name for name, _, _ in self.layers]
        if layer not in names:
            from latentlab.errors import unknown_name_error

            raise unknown_name_error("style layer", layer, names)
        i = names.index(layer)
        if not (isinstance(index, int) and 0 <= index < self.sizes[i]):
            raise InvalidInputError(f"style layer {layer!r} has channels 0..{self.sizes[i] - 1}, got {index!r}")
        return sum(self.sizes[:i]) + index

    def layer_of(self, coordinate: int) -> tuple[str, int]:
        """(style layer name, channel) of a flat coordinate."""
        if not 0 <= coordinate < self.dim:
            raise InvalidInputError(f"StyleSpace coordinates are 0..{self.dim - 1}, got {coordinate!r}")
        start = 0
        for (name, _, _), size in zip(self.layers, self.sizes):
            if coordinate < start + size:
                return name, coordinate - start
            start += size
        raise AssertionError("unreachable")
