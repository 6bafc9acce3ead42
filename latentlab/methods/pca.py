"""PCA directions, GANSpace-style (Härkönen et al. 2020): principal axes of latents or of a layer's features.

In latent space the principal axes of sampled (or inverted) latents are the directions; in W
of a style-based generator (``space="w"``) they are GANSpace's components, which it applies to
a range of W+ layers (``layers="coarse"``, ``[0, 1, 2]``): such a direction moves only those
layers in a W+ space.
In feature space, PCA of the flattened activations f(z) [N, F] gives components V; each
sample's coordinates x = (f(z) − μ)V are regressed onto its latent, z ≈ xU, and the rows of
U (normalised) are latent directions whose moves follow the feature-space components.
"""

from __future__ import annotations

import torch
from tqdm.auto import tqdm

from latentlab.errors import check_positive_int
from latentlab.spaces import Direction, LatentSpace, resolve_space


def principal_axes(x: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Mean [F], top-k orthonormal components [k, F] and explained-variance ratios [k] of rows x [N, F]."""
    k = check_positive_int("k", k)
    if x.dim() != 2 or x.shape[0] < 2:
        raise ValueError(f"PCA needs a matrix [N >= 2, F], got {tuple(x.shape)}")
    if k > min(x.shape):
        raise ValueError(f"k={k} exceeds the rank bound min(N, F) = {min(x.shape)}")
    mean = x.mean(dim=0)
    _, s, vh = torch.linalg.svd((x - mean).double(), full_matrices=False)
    variance = s**2
    return mean.float(), vh[:k].float(), (variance[:k] / variance.sum()).float()


@torch.no_grad()
def pca_directions(generator, *, layer: str | None = None, k: int = 10, n_samples: int = 2000, latents: torch.Tensor | None = None,
                   classes=None, seed: int = 0, truncation: float | None = None, space: str | LatentSpace = "z",
                   layers=None, batch_size: int = 200, progress: bool = False) -> list[Direction]:
    """The top ``k`` PCA directions (unit, [D] each) of vectors of ``space`` (``layer=None``) or of ``layer``'s features.

    ``space`` is Z by default, or any space the generator offers ('w' for GANSpace); ``layers``
    names the W+ layers a W direction is meant for (indices, a slice, or 'coarse' / 'middle' /
    'fine'). ``latents`` [N, D] replaces the prior samples (e.g. inverted or mapped latents, where
    PCA of an isotropic prior would find nothing). Each direction's ``info`` holds its component
    index and explained-variance ratio.
    """
    if layer is None:
        pooled = resolve_space(space, generator, classes=classes)
        wplus = None if layers is None else tuple(pooled.layer_indices(layers))
        if latents is None:
            x, _ = pooled.draw(check_positive_int("n_samples", n_samples), seed=seed,
                               truncation=pooled.sampling_truncation(truncation))
        else:
            x = pooled.check(latents)
        _, components, ratio = principal_axes(x, k)
        return [Direction(c, f"pca{i}", "pca", info={"component": i, "explained_variance": round(float(r), 5)},
                          space=pooled.name, layers=wplus)
                for i, (c, r) in enumerate(zip(components, ratio))]
    z = generator.sample_latents(check_positive_int("n_samples", n_samples), seed=seed, truncation=truncation) if latents is None else latents.to(generator.device).float()
    split = generator.split(layer)  # raises with the valid layer names
    y = None
    if generator.conditional:
        y = generator.sample_classes(z.shape[0], seed) if classes is None else generator.classes(classes, z.shape[0])
    feats = torch.cat([split.f(z[i:i + batch_size], None if y is None else y[i:i + batch_size]).flatten(1).cpu()
                       for i in tqdm(range(0, z.shape[0], batch_size), desc=f"features {layer}", disable=not progress, leave=False)])
    mean, components, ratio = principal_axes(feats, k)  # [F], [k, F], [k]
    coords = (feats - mean) @ components.T  # [N, k] PCA coordinates
    # regress latents on the coordinates: z ≈ [x, 1] [U; b]
    design = torch.cat([coords, torch.ones(coords.shape[0], 1)], dim=1).double()
    solution = torch.linalg.lstsq(design, z.cpu().double()).solution[:-1].float()  # [k, D]
    return [Direction(u / u.norm().clamp(min=1e-12), f"pca{i}", "pca",
                      info={"component": i, "explained_variance": round(float(r), 5), "features": layer})
            for i, (u, r) in enumerate(zip(solution, ratio))]

