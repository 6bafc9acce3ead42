"""StyleSpace inputs: the style layers a style-based generator declares, and the check of given style vectors.

StyleSpace (Wu et al. 2021) is the space of every style affine's output s = A_i(w_i): one
vector [N, C_i] per modulated layer. A generator lists its layers as :class:`StyleLayer`
entries (name, the W+ index the layer reads, its number of channels) in synthesis order;
:func:`check_styles` holds given style vectors to that list before a generator renders them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch

from latentlab.errors import InvalidInputError


class StyleLayer(NamedTuple):
    """One style layer: its ``name`` (e.g. ``b8.conv0``), the W+ ``index`` it reads and its number of ``channels``."""

    name: str
    index: int
    channels: int


def check_styles(styles: Sequence[torch.Tensor], layers: Sequence[StyleLayer], owner: str,
                 device: torch.device) -> list[torch.Tensor]:
    """``styles`` as float32 tensors on ``device``, one [N, C_i] per style layer of ``layers`` (the same N);
    otherwise an :class:`~latentlab.errors.InvalidInputError` naming the layer, the expected and the given shape."""
    if isinstance(styles, torch.Tensor) or not isinstance(styles, Sequence):
        raise InvalidInputError(f"styles must be a sequence of {len(layers)} tensors [N, C], one per style layer of "
                                f"{owner} (see style_layers()), got {type(styles).__name__}")
    if len(styles) != len(layers):
        raise InvalidInputError(f"{owner} has {len(layers)} style layers ({', '.join(name for name, _, _ in layers)}), "
                                f"got {len(styles)} style tensors")
    n = None
    for (name, _, channels), s in zip(layers, styles):
        got = tuple(s.shape) if isinstance(s, torch.Tensor) else type(s).__name__
        if n is None and isinstance(s, torch.Tensor) and s.dim() == 2:
            n = s.shape[0]
        if not isinstance(s, torch.Tensor) or s.dim() != 2 or s.shape[1] != channels or s.shape[0] != n:
            batch = "N" if n is None else str(n)
            raise InvalidInputError(f"style layer {name!r} of {owner} takes a tensor [{batch}, {channels}], got {got}")
        if not s.is_floating_point():
            raise InvalidInputError(f"the styles of layer {name!r} must be floating-point, got {s.dtype}")
    finite = torch.stack([torch.isfinite(s).all().to(device) for s in styles])  # one synchronisation for all layers
    if not finite.all():
        name = layers[int((~finite).nonzero()[0, 0])].name
        raise InvalidInputError(f"the styles of layer {name!r} contain NaN or infinite values")
    return [s.to(device, torch.float32) for s in styles]
