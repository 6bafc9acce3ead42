"""SeFa (Shen & Zhou 2021): closed-form directions from the weights of the generator's first layer.

The first layer maps a latent z to A z + b. Moving z by n changes its output by A n, which
is largest for the unit n maximising ‖A n‖², i.e. the top eigenvectors of AᵀA. No sampling,
no training: the directions are read off the weights.
"""

from __future__ import annotations

import torch
from torch import nn

from latentlab.errors import check_positive_int
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
