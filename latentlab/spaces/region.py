"""The region space of paint by word: a base space whose vectors change only the inside of a mask (seed 000 eqs. 4.3–4.7).

A generator G = h(f(·)) is cut at a layer whose output is a feature map. For the image being
edited — G(z₀, y₀) with the accepted edits applied — and a mask m, a vector x of the base space
renders as

    h(f(start) ⊙ (1 − m) + f(x) ⊙ m)

with m resized to the feature map. Families whose later layers are conditioned on the latent
(BigGAN's per-block chunks, StyleGAN's styles) split that conditioning too. The base space may
be Z, Z+class (the region may change class), W or W+ of a style-based generator.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from latentlab.errors import InvalidInputError, check_latents
from latentlab.masks import check_mask
from latentlab.spaces.base import LatentSpace


@dataclass(frozen=True)
class RegionEdit:
    """One accepted region edit: new latents ``z`` [D] and class vector ``y`` [C] (or None) inside ``mask`` [R, R].

    Edits found in W or W+ of a style-based generator carry their ``styles`` [num_ws, w_dim]
    instead (``z`` and ``y`` are then None).
    """

    z: torch.Tensor | None
    y: torch.Tensor | None
    mask: torch.Tensor
    text: str = ""
    styles: torch.Tensor | None = None


def class_vector(generator, z: torch.Tensor, y) -> torch.Tensor | None:
    """One class given as name, index, index tensor or soft vector → checked soft vector [1, C] (or None)."""
    if isinstance(y, (int, str)):
        y = generator.classes(y, 1)
    elif isinstance(y, torch.Tensor) and not y.is_floating_point():
        y = y.reshape(1)
    elif isinstance(y, torch.Tensor) and y.dim() == 1:
        y = y[None]
    return generator._check_classes(z, y)


class RegionSpace(LatentSpace):
    """Vectors of ``base`` rendered inside ``mask`` only, over the image G(``z0``, ``y0``) with ``edits`` applied.

    At the start point (:meth:`start`, the image's own latents) and with no earlier edits it
    renders the original image exactly.
    """

    name = "region"

    def __init__(self, base: LatentSpace, z0: torch.Tensor | None, y0, mask: torch.Tensor, layer: str | None = None,
                 edits: Sequence[RegionEdit] = (), styles: torch.Tensor | None = None):
        from latentlab.generators.style import StyleGenerator

        if not isinstance(base, LatentSpace) or base.decodes_to == "styles" or isinstance(base, RegionSpace):
            raise InvalidInputError(f"a region edits Z, Z+class, W or W+ vectors; {base!r} cannot be split by a mask")
        g = base.generator
        super().__init__(g)
        self.base, self.dim = base, base.dim
        self.layer = layer or g.edit_layer or g.spatial_layers()[0]
        g._check_layer(self.layer)
        device = g.device
        # an image found by inversion in W or W+ has no z: its W+ styles stand for it (``styles``)
        self.ws0 = None
        if styles is not None:
            if not isinstance(g, StyleGenerator) or base.decodes_to != "wplus":
                raise InvalidInputError(f"an image given by its styles is repainted in 'w' or 'w+' of a style-based "
                                        f"generator; got {base.describe()}")
            self.ws0 = g.check_wplus(torch.as_tensor(styles, dtype=torch.float32).reshape(1, g.num_ws, g.w_dim).to(device))
            z0 = torch.zeros(1, g.latent_dim) if z0 is None else z0  # unused: the styles decide the image
        elif z0 is None:
            raise InvalidInputError("give the image's latents (z) or, for an image found in W or W+, its styles=")
        self.z0 = check_latents(torch.as_tensor(z0, dtype=torch.float32).reshape(1, -1).to(device), g.latent_dim)
        self.y0 = None if self.ws0 is not None else class_vector(g, self.z0, y0)
        size = (g.resolution, g.resolution)
        self.mask = check_mask(mask, size).to(device)
        if self.mask.shape[0] != 1:
            raise InvalidInputError(f"give one mask [H, W] for the edit, got {self.mask.shape[0]}")
        self.styled = base.decodes_to == "wplus" or self.ws0 is not None or any(e.styles is not None for e in edits)
        if self.styled and not isinstance(g, StyleGenerator):
            raise InvalidInputError(f"edits made in W/W+ need a style-based generator; {type(g).__name__} has none")
        self.edits = [(None if e.z is None else check_latents(e.z.reshape(1, -1).to(device), g.latent_dim),
                       None if e.z is None else class_vector(g, self.z0, e.y), check_mask(e.mask, size).to(device),
                       None if e.styles is None else e.styles.reshape(1, *e.styles.shape[-2:]).to(device)) for e in edits]
        with torch.no_grad():
            self.render(self.start()[None])  # fails early, with the family's message, if the layer is not spatial

    @classmethod
    def for_image(cls, generator, space, z0: torch.Tensor | None, y0, mask: torch.Tensor, layer: str | None = None,
                  edits: Sequence[RegionEdit] = (), styles: torch.Tensor | None = None) -> RegionSpace:
        """The region space over ``space`` (a name or a LatentSpace of ``generator``), its class fixed at the image's
        own ``y0`` wherever the base space keeps the class fixed; ``styles`` (W+ [num_ws, w_dim]) give the image
        instead of ``z0`` when it was found in W or W+."""
        from latentlab.spaces.registry import resolve_space

        if z0 is None:
            z0 = torch.zeros(1, generator.latent_dim)
        z0 = check_latents(torch.as_tensor(z0, dtype=torch.float32).reshape(1, -1).to(generator.device), generator.latent_dim)
        classes = None if styles is not None else class_vector(generator, z0, y0)  # styles carry their class
        return cls(resolve_space(space, generator, classes=classes), z0, y0, mask, layer, edits, styles)

    # --- the contract ---------------------------------------------------------------------
    def sample(self, n: int, *, seed: int | None = None, truncation: float | None = None) -> torch.Tensor:
        return self.base.sample(n, seed=seed, truncation=truncation)

    def encode(self, z: torch.Tensor, classes=None, *, truncation: float | None = None) -> torch.Tensor:
        return self.base.encode(z, classes, truncation=truncation)

    def decode(self, x: torch.Tensor):
        return self.base.decode(x)

    def flatten(self, inputs) -> torch.Tensor:
        return self.base.flatten(inputs)

    def statistics(self):
        return self.base.statistics()

    def render(self, x: torch.Tensor) -> torch.Tensor:
        inputs = self.base.decode(x)
        if self.base.decodes_to == "wplus":
            return self._with_styles(inputs)
        z, y = inputs
        if self.styled:
            return self._with_styles(self._wplus(z, y))
        # the base and earlier edits go in with a batch of one and broadcast against the N vectors
        return self.generator.synthesize_edits((self.z0, self.y0), [*(e[:3] for e in self.edits), (z, y, self.mask)],
                                               self.layer)

    # --- the edit ---------------------------------------------------------------------------
    def start(self) -> torch.Tensor:
        """The image's own latents as a vector of this space [dim]."""
        if self.ws0 is not None:
            return self.base.flatten(self.ws0)[0]
        return self.base.encode(self.z0, self.y0)[0]

    def current(self) -> torch.Tensor:
        """The image being edited [1, 3, R, R]: G(z₀, y₀) with the accepted edits applied."""
        g = self.generator
        if not self.edits:
            return g(self.z0, self.y0) if self.ws0 is None else g.synthesis(self.ws0)
        if self.styled:
            return g.synthesize_edits_wplus(self._base_styles(), self._styled_edits(), self.layer)
        return g.synthesize_edits((self.z0, self.y0), [e[:3] for e in self.edits], self.layer)

    def edit(self, x: torch.Tensor, text: str = "") -> RegionEdit:
        """The accepted edit of vector ``x`` [dim] (to pass on as ``edits=``)."""
        inputs = self.base.decode(x.reshape(1, -1))
        mask = self.mask[0, 0].cpu()
        if self.base.decodes_to == "wplus":
            return RegionEdit(None, None, mask, text, styles=inputs[0].detach().cpu())
        z, y = inputs
        return RegionEdit(z[0].detach().cpu(), None if y is None else self.generator.class_vectors(y)[0].detach().cpu(),
                          mask, text)

    def _wplus(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        return self.generator.broadcast(self.generator.mapping(z, y))

    def _base_styles(self) -> torch.Tensor:
        """W+ styles [1, num_ws, w_dim] of the image being edited."""
        return self.ws0 if self.ws0 is not None else self._wplus(self.z0, self.y0)

    def _styled_edits(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        return [(ws if ws is not None else self._wplus(z, y), mask) for z, y, mask, ws in self.edits]

    def _with_styles(self, ws: torch.Tensor) -> torch.Tensor:
        ws = self.generator.check_wplus(ws)
        return self.generator.synthesize_edits_wplus(self._base_styles(), [*self._styled_edits(), (ws, self.mask)],
                                                     self.layer)

    def identity(self) -> dict:
        return {**super().identity(), "base": self.base.identity(), "z0": self.z0, "y0": self.y0, "styles": self.ws0,
                "mask": self.mask,
                "layer": self.layer, "edits": [[t for t in e if t is not None] for e in self.edits]}
