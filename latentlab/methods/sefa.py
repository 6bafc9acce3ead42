"""SeFa (Shen & Zhou 2021): closed-form directions from the weights of the generator's first layer.

The first layer maps a latent z to A z + b. Moving z by n changes its output by A n, which
is largest for the unit n maximising ‖A n‖², i.e. the top eigenvectors of AᵀA. No sampling,
no training: the directions are read off the weights. For a style-based generator the layers
that read w are its style affines, so :func:`style_sefa_directions` factorises their stacked
weights and returns directions in W (the paper's form for StyleGAN).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from latentlab.errors import check_positive_int
from latentlab.generators.style import StyleGenerator
from latentlab.spaces import Direction


def first_layer(generator) -> torch.Tensor:
    """The weight A [out, latent_dim] of the layer that first reads z linearly, as the generator declares it
    (``generator.first_latent_weight()``; columns it does not read are zero)."""
    if isinstance(generator, StyleGenerator):  # z only enters its mapping network: SeFa belongs in W
        raise ValueError(f"{type(generator).__name__} is style-based: z reaches the image only through its mapping network, "
                         f"so SeFa in z is not defined; use style_sefa_directions(generator) for directions in W "
                         f"(read off the style affine weights), or pass weight= yourself")
    weight = generator.first_latent_weight()
    if weight is None:
        raise ValueError(f"{type(generator).__name__} declares no linear first layer reading z (first_latent_weight() is "
                         f"None), so SeFa's closed form is not defined for it; pass weight= [out, {generator.latent_dim}] "
                         "(the matrix of the first linear map of z) yourself")
    if weight.dim() != 2 or weight.shape[1] != generator.latent_dim:
        raise ValueError(f"first_latent_weight() must be [out, {generator.latent_dim}], got {tuple(weight.shape)}")
    return weight.detach()


def sefa_directions(generator, *, k: int = 10, weight: torch.Tensor | None = None, latent_slice: slice | None = None) -> list[Direction]:
    """The top ``k`` unit eigenvectors of AᵀA as directions in Z [D] (zero on the entries A does not read).

    A is the generator's declared first linear layer on z (``first_latent_weight()``), or
    ``weight`` [out, len(latent_slice)] over the entries ``latent_slice`` (default all).
    ``info`` holds each direction's eigenvalue (the squared gain ‖A n‖²).
    """
    if weight is None:
        weight = first_layer(generator)
        latent_slice = slice(0, generator.latent_dim)
    latent_slice = latent_slice or slice(0, weight.shape[1])
    width = len(range(*latent_slice.indices(generator.latent_dim)))
    if weight.dim() != 2 or weight.shape[1] != width:
        raise ValueError(f"weight must be [out, {width}] for latent entries {latent_slice}, got {tuple(weight.shape)}")
    k = check_positive_int("k", k)
    read = int((weight.abs().sum(dim=0) > 0).sum())  # the latent entries A reads
    if k > read:
        raise ValueError(f"k={k} exceeds the {read} latent entries the first layer reads")
    a = weight.double().cpu()
    eigenvalues, vectors = torch.linalg.eigh(a.T @ a)  # ascending
    order = torch.argsort(eigenvalues, descending=True)[:k]
    directions = []
    for i, j in enumerate(order.tolist()):
        vector = torch.zeros(generator.latent_dim)
        vector[latent_slice] = vectors[:, j].float()
        directions.append(Direction(vector, f"sefa{i}", "sefa", info={"component": i, "eigenvalue": round(float(eigenvalues[j]), 5)},
                                    space="z"))
    return directions


@torch.no_grad()
def style_affine_weights(generator: StyleGenerator) -> list[torch.Tensor]:
    """The weights A [channels, w_dim] of every style affine w → s (StyleSpace), in ``generator.style_layers()`` order.

    Read off the generator's own StyleSpace map: s is affine in w, so its columns are the style
    changes for unit steps from w̄, exactly.
    """
    w0 = generator.w_avg.detach().float().reshape(1, -1)
    steps = torch.cat([w0, w0 + torch.eye(generator.w_dim, device=w0.device)])  # [1 + w_dim, w_dim]
    styles = generator.style_channels(generator.broadcast(steps.to(generator.device)))
    return [(s[1:] - s[:1]).T.detach().cpu() for s in styles]


def style_affine_layers(generator: StyleGenerator) -> list[int]:
    """The W+ index each style affine reads, in ``generator.style_layers()`` order."""
    return [index for _, index, _ in generator.style_layers()]


def style_sefa_directions(generator: StyleGenerator, *, k: int = 10, layers: Sequence[int] | str | None = None) -> list[Direction]:
    """SeFa in W: the top ``k`` unit eigenvectors of Σ Aₗᵀ Aₗ over the style affines ``layers``, as W directions
    [w_dim] meant for the W+ layers those affines read (``direction.layers``).

    ``layers`` are indices into ``generator.style_layers()``; None takes the modulated convolutions
    (as SeFa does for StyleGAN: no toRGB, no learned input or output heads, whose many or few
    channels would otherwise dominate the sum), ``"all"`` every style affine. In W a direction moves
    every layer; a W+ space (``DirectionExplorer(..., space="w+")``) applies it to its own layers only.
    """
    if not isinstance(generator, StyleGenerator):
        raise ValueError(f"style_sefa_directions needs a style-based generator, got {type(generator).__name__}; "
                         f"use sefa_directions for its first layer")
    names = [name for name, _, _ in generator.style_layers()]
    weights = style_affine_weights(generator)
    if layers is None:
        chosen = [i for i, name in enumerate(names) if ".conv" in name] or list(range(len(names)))
    elif isinstance(layers, str):
        if layers != "all":
            raise ValueError(f"layers must be None (the modulated convolutions), 'all' or indices into style_layers(), "
                             f"got {layers!r}")
        chosen = list(range(len(names)))
    else:
        chosen = list(layers)
    bad = [i for i in chosen if isinstance(i, bool) or not (isinstance(i, int) and 0 <= i < len(weights))]
    if bad or not chosen:
        raise ValueError(f"layers must be indices in 0..{len(weights) - 1} of the style affines {names}, got {layers!r}")
    k = check_positive_int("k", k)
    if k > generator.w_dim:
        raise ValueError(f"k={k} exceeds w_dim={generator.w_dim}")
    gram = sum(weights[i].double().cpu().T @ weights[i].double().cpu() for i in chosen)
    eigenvalues, vectors = torch.linalg.eigh(gram)
    order = torch.argsort(eigenvalues, descending=True)[:k]
    reads = style_affine_layers(generator)
    ws_layers = tuple(sorted({reads[i] for i in chosen}))
    return [Direction(vectors[:, j].float(), f"sefa-w{i}", "sefa",
                      info={"component": i, "eigenvalue": round(float(eigenvalues[j]), 5),
                            "affines": [names[i] for i in chosen]},
                      space="w", layers=ws_layers)
            for i, j in enumerate(order.tolist())]
