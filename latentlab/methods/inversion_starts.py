"""Where an inversion starts: given vectors, the mean style of each candidate's class, or prior samples.

Rows are candidate-major: row (c · restarts + r) · N + i is restart r of candidate class c for target i.
"""

from __future__ import annotations

import torch

from latentlab.errors import InvalidInputError
from latentlab.spaces import LatentSpace

MEAN_SAMPLES = 512  # prior samples averaged for the mean style of each class


def starting_points(space: LatentSpace, searched: LatentSpace, z_init, n: int, k: int, restarts: int, y_rows, seed: int,
            projector: bool) -> torch.Tensor:
    """Starting vectors [K·N, D] of the first stage's space, candidate-major: the first restart of every candidate
    starts at ``z_init`` or (projector) at the mean style of its class; the others at prior samples."""
    g = space.generator
    rows, groups = k * n, k // restarts
    base = None
    if z_init is not None:
        if not isinstance(z_init, torch.Tensor) or z_init.shape != (n, searched.dim):
            raise InvalidInputError(f"z_init must have shape {(n, searched.dim)} (vectors of the {searched.name!r} space), "
                                    f"got {tuple(getattr(z_init, 'shape', ()))}")
        base = z_init.detach().to(g.device).float()
        if space is not searched:  # a W+ start for a projection that begins in W: its layers' mean
            base = g.check_wplus(searched.decode(base)).mean(dim=1)
        base = base.repeat(groups, 1)
    elif projector:
        base = _mean_starts(space, y_rows, n, groups)
    if base is None:
        return _random_starts(space, rows, seed, y_rows)
    starts = base.view(groups, 1, n, -1).expand(-1, restarts, -1, -1).clone()  # [groups, restarts, N, D]
    if restarts > 1:
        starts[:, 1:] = _random_starts(space, rows, seed, y_rows).view(groups, restarts, n, -1)[:, 1:]
    return starts.reshape(rows, -1)


def _random_starts(space: LatentSpace, count: int, seed: int, y_rows) -> torch.Tensor:
    """``count`` prior samples of the space; W-like spaces map them with each row's class."""
    if y_rows is None or not space.class_in_coordinates:
        return space.sample(count, seed=seed)
    return space.encode(space.generator.sample_latents(count, seed=seed), y_rows)


@torch.no_grad()
def _mean_starts(space: LatentSpace, y_rows, n: int, groups: int) -> torch.Tensor:
    """The mean vector of the space per candidate group and target [groups · N, D]: of its class, or overall."""
    z = space.generator.sample_latents(MEAN_SAMPLES, seed=7)
    if y_rows is None:
        return space.encode(z, None).mean(dim=0).expand(groups * n, -1).clone()
    first = y_rows.view(groups, -1, n, *y_rows.shape[1:])[:, 0].reshape(groups * n, *y_rows.shape[1:])
    means: dict = {}
    out = []
    for cls in first:
        key = int(cls) if cls.dim() == 0 else tuple(cls.tolist())
        if key not in means:
            labels = cls.expand(MEAN_SAMPLES) if cls.dim() == 0 else cls.expand(MEAN_SAMPLES, -1)
            means[key] = space.encode(z, labels).mean(dim=0)
        out.append(means[key])
    return torch.stack(out)
