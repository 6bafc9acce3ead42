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
from torch import nn

from latentlab.errors import check_positive_int
from latentlab.generators.style import StyleGenerator
from latentlab.methods.directions import Direction


def first_layer(generator) -> tuple[torch.Tensor, slice]:
    """The weight A [out, in] of the layer that first reads the latent, and which latent entries it reads.

    A generator may say so itself with ``first_latent_weight()`` (BigGAN-deep: the latent
    columns of the stem, which also reads the class embedding). A hierarchical generator with a
    ``stem`` (e.g. the compact BigGAN) feeds it the first latent chunk; otherwise the first
    ``nn.Linear`` taking the whole latent is used.
    """
    if hasattr(generator, "first_latent_weight"):
        return generator.first_latent_weight().detach(), slice(0, generator.latent_dim)
    if isinstance(generator, StyleGenerator):  # z only enters its mapping network: SeFa belongs in W
        raise ValueError(f"{type(generator).__name__} is style-based: z reaches the image only through its mapping network, "
                         f"so SeFa in z is not defined; use style_sefa_directions(generator) for directions in W "
                         f"(read off the style affine weights), or pass weight= and latent_slice= yourself")
    stem = getattr(generator, "stem", None)
    if isinstance(stem, nn.Linear) and stem.in_features <= generator.latent_dim:
        return stem.weight.detach(), slice(0, stem.in_features)
    for module in generator.modules():
        if isinstance(module, nn.Linear) and module.in_features == generator.latent_dim:
            return module.weight.detach(), slice(0, generator.latent_dim)
    raise ValueError(f"found no linear layer reading the latent in {type(generator).__name__}; pass weight= (and latent_slice=)")


def sefa_directions(generator, *, k: int = 10, weight: torch.Tensor | None = None, latent_slice: slice | None = None) -> list[Direction]:
    """The top ``k`` unit eigenvectors of AᵀA as latent directions [D] (zero outside the entries A reads).

    ``info`` holds each direction's eigenvalue (the squared gain ‖A n‖²).
    """
    if weight is None:
        weight, found = first_layer(generator)
        latent_slice = latent_slice or found
    latent_slice = latent_slice or slice(0, weight.shape[1])
    width = len(range(*latent_slice.indices(generator.latent_dim)))
    if weight.dim() != 2 or weight.shape[1] != width:
        raise ValueError(f"weight must be [out, {width}] for latent entries {latent_slice}, got {tuple(weight.shape)}")
    k = check_positive_int("k", k)
    if k > width:
        raise ValueError(f"k={k} exceeds the {width} latent entries the first layer reads")
    a = weight.double().cpu()
    eigenvalues, vectors = torch.linalg.eigh(a.T @ a)  # ascending
    order = torch.argsort(eigenvalues, descending=True)[:k]
    directions = []
    for i, j in enumerate(order.tolist()):
        vector = torch.zeros(generator.latent_dim)
        vector[latent_slice] = vectors[:, j].float()
        directions.append(Direction(vector, f"sefa{i}", "sefa", info={"component": i, "eigenvalue": round(float(eigenvalues[j]), 5)}))
    return directions


def style_affine_weights(generator: StyleGenerator) -> list[torch.Tensor]:
    """The effective weights [channels, w_dim] of every style affine (w → per-channel style), in layer order."""
    weights = []
    for module in generator.modules():
        affine = getattr(module, "affine", None)
        weight = getattr(affine, "weight", None)
        if isinstance(weight, torch.Tensor) and weight.dim() == 2 and weight.shape[1] == generator.w_dim:
            gain = getattr(affine, "gain", getattr(affine, "weight_gain", 1.0))
            weights.append((weight * gain).detach())
    if not weights:
        raise ValueError(f"found no style affine layers (w_dim={generator.w_dim}) in {type(generator).__name__}")
    return weights


def style_sefa_directions(generator: StyleGenerator, *, k: int = 10, layers: Sequence[int] | None = None) -> list[Direction]:
    """SeFa in W: the top ``k`` unit eigenvectors of Σ Aₗᵀ Aₗ over the style affines ``layers`` (indices into
    :func:`style_affine_weights`; default all), as directions [w_dim] with ``info['space'] == 'w'``.

    Add t·vector to w (``generator.from_w(w + t * d.vector)``) or to a range of W+ rows.
    """
    if not isinstance(generator, StyleGenerator):
        raise ValueError(f"style_sefa_directions needs a style-based generator, got {type(generator).__name__}; "
                         f"use sefa_directions for its first layer")
    weights = style_affine_weights(generator)
    chosen = list(range(len(weights))) if layers is None else list(layers)
    bad = [i for i in chosen if not (isinstance(i, int) and 0 <= i < len(weights))]
    if bad or not chosen:
        raise ValueError(f"layers must be indices in 0..{len(weights) - 1} of the style affines, got {layers!r}")
    k = check_positive_int("k", k)
    if k > generator.w_dim:
        raise ValueError(f"k={k} exceeds w_dim={generator.w_dim}")
    gram = sum(weights[i].double().cpu().T @ weights[i].double().cpu() for i in chosen)
    eigenvalues, vectors = torch.linalg.eigh(gram)
    order = torch.argsort(eigenvalues, descending=True)[:k]
    return [Direction(vectors[:, j].float(), f"sefa-w{i}", "sefa",
                      info={"component": i, "eigenvalue": round(float(eigenvalues[j]), 5), "space": "w", "layers": chosen})
            for i, j in enumerate(order.tolist())]
