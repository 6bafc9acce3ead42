"""Spatially split generators: new latents inside a mask, the original ones outside (seed 000 eqs. 4.3–4.7).

A generator G = h(f(z)) is cut at a layer whose output w = f(z) is a feature map. For an
original image G(z₀) and a mask m, the split generator is

    G_{z₀,m}(z) = h(f(z₀) ⊙ (1 − m) + f(z) ⊙ m)

with m resized to the feature map. Families whose later layers are conditioned on the latent
(BigGAN's per-block chunks, StyleGAN's styles) may also split that conditioning: the original
condition outside the mask and the new one inside, at every layer it touches.

Edits stack: an accepted :class:`RegionEdit` becomes part of the image the next edit starts from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from latentlab.errors import check_latents


def resize_mask(mask: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """A mask [N, 1, H, W] resized to a feature map's ``size`` (area average when shrinking)."""
    size = tuple(int(s) for s in size)
    if tuple(mask.shape[-2:]) == size:
        return mask
    if mask.shape[-2] >= size[0] and mask.shape[-1] >= size[1]:
        return F.adaptive_avg_pool2d(mask, size)
    return F.interpolate(mask, size=size, mode="bilinear", align_corners=False)


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


def _class_vector(generator, z: torch.Tensor, y) -> torch.Tensor | None:
    """One class given as name, index, index tensor or soft vector → checked soft vector [1, C] (or None)."""
    if isinstance(y, (int, str)):
        y = generator.classes(y, 1)
    elif isinstance(y, torch.Tensor) and not y.is_floating_point():
        y = y.reshape(1)
    elif isinstance(y, torch.Tensor) and y.dim() == 1:
        y = y[None]
    return generator._check_classes(z, y)


class RegionGenerator:
    """G_{z₀,m}: a generator that changes only inside ``mask``, driven by new latents (and classes).

    The image it edits is G(z₀, y₀) with the accepted ``edits`` applied. Calling it with
    ``(z, y)`` returns images [N, 3, R, R]; at ``z = z₀, y = y₀`` (and no earlier edits) it returns
    the original image exactly. It offers the parts of the Generator interface that searches
    need (``latent_dim``, classes, ``device``), so optimizers and
    :class:`~latentlab.optim.LatentObjective` use it like any generator.
    """

    def __init__(self, generator, z0: torch.Tensor, y0, mask: torch.Tensor, layer: str = "block1",
                 edits: Sequence[RegionEdit] = ()):
        from latentlab.assessors.base import check_mask

        self.generator, self.layer = generator, layer
        generator._check_layer(layer)
        device = generator.device
        self.z0 = check_latents(torch.as_tensor(z0, dtype=torch.float32).reshape(1, -1).to(device), generator.latent_dim)
        self.y0 = _class_vector(generator, self.z0, y0)
        size = (generator.resolution, generator.resolution)
        self.mask = check_mask(mask, size).to(device)
        if self.mask.shape[0] != 1:
            raise ValueError(f"give one mask [H, W] for the edit, got {self.mask.shape[0]}")
        self.style_edits = any(e.styles is not None for e in edits)
        if self.style_edits and not hasattr(generator, "synthesize_edits_wplus"):
            raise ValueError(f"edits made in W/W+ need a style-based generator; {type(generator).__name__} has none")
        self.edits = [(None if e.z is None else check_latents(e.z.reshape(1, -1).to(device), generator.latent_dim),
                       None if e.z is None else _class_vector(generator, self.z0, e.y), check_mask(e.mask, size).to(device),
                       None if e.styles is None else e.styles.reshape(1, *e.styles.shape[-2:]).to(device)) for e in edits]
        self.latent_dim, self.resolution = generator.latent_dim, generator.resolution
        self.class_names = generator.class_names
        with torch.no_grad():
            self(self.z0, self.y0)  # fails early, with the family's message, if the layer is not spatial

    @property
    def conditional(self) -> bool:
        return self.generator.conditional

    @property
    def device(self) -> torch.device:
        return self.generator.device

    def classes(self, names, n: int | None = None) -> torch.Tensor:
        return self.generator.classes(names, n)

    def _wplus(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        return self.generator.broadcast(self.generator.mapping(z, y))

    def _styled_edits(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """The accepted edits as (W+ styles, mask) pairs."""
        return [(ws if ws is not None else self._wplus(z, y), mask) for z, y, mask, ws in self.edits]

    def current(self) -> torch.Tensor:
        """The image being edited [1, 3, R, R]: G(z₀, y₀) with the accepted edits applied."""
        if not self.edits:
            return self.generator(self.z0, self.y0)
        if self.style_edits:
            return self.generator.synthesize_edits_wplus(self._wplus(self.z0, self.y0), self._styled_edits(), self.layer)
        return self.generator.synthesize_edits((self.z0, self.y0), [e[:3] for e in self.edits], self.layer)

    def __call__(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        check_latents(z, self.latent_dim)
        y = self.generator._check_classes(z, y)
        if self.style_edits:
            return self.with_styles(self._wplus(z, y))
        # the base and earlier edits go in with a batch of one and broadcast against the N candidates
        return self.generator.synthesize_edits((self.z0, self.y0), [*(e[:3] for e in self.edits), (z, y, self.mask)], self.layer)

    def with_styles(self, ws: torch.Tensor) -> torch.Tensor:
        """Images with W+ styles ``ws`` [N, num_ws, w_dim] inside the mask (style-based generators)."""
        return self.generator.synthesize_edits_wplus(self._wplus(self.z0, self.y0), [*self._styled_edits(), (ws, self.mask)],
                                                     self.layer)


class StyleRegionGenerator:
    """A style-based generator seen through a :class:`RegionGenerator`: everything is the generator's own,
    except that W+ styles are rendered inside the region only (``from_wplus``), so W and W+
    searches (:class:`~latentlab.optim.LatentObjective` with space 'w' or 'w+') edit the region."""

    def __init__(self, region: RegionGenerator):
        self.region = region

    def __getattr__(self, name: str):
        return getattr(self.region.generator, name)

    def from_wplus(self, ws: torch.Tensor) -> torch.Tensor:
        return self.region.with_styles(self.region.generator.check_wplus(ws))
