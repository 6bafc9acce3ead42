"""Recursive estimation of latent trajectories of an image transformation (seed 002 §4.2.3, Algorithm 1).

Inverting a strongly transformed image directly stalls: along a curved image manifold the
pixel-space gradient is nearly orthogonal to it (eqs. 4.7–4.8). So each trajectory walks
δt_1 < … < δt_N = T, solving z_n = argmin L(G(z), T_{δt_n}(G(z_0))) from z_{n−1} (eq. 4.9)
with the blurred MSE over the defined region, and records whose error exceeds the
threshold Θ are dropped as outliers (by default Θ keeps the best 90%).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from latentlab.errors import check_positive_int
from latentlab.methods.invert import invert
from latentlab.methods.transforms import Transformation, get_transformation
from latentlab.spaces import LatentSpace, resolve_space


@dataclass
class Trajectories:
    """The dataset D of Algorithm 1: records (z_0, z_δt, δt) with their reconstruction errors."""

    transformation: str
    z0: torch.Tensor  # [M, D] start latent of each record
    z: torch.Tensor  # [M, D] latent found for the transformed image
    dt: torch.Tensor  # [M] transformation parameter δt_n of the record
    loss: torch.Tensor  # [M] reconstruction error of z
    classes: torch.Tensor | None  # [M] class of the trajectory (conditional generators)
    trajectory: torch.Tensor  # [M] long: which trajectory each record belongs to
    kept: torch.Tensor  # [M] bool: loss below the threshold Θ
    threshold: float
    space: str = "z"  # the space the latents live in

    def __len__(self) -> int:
        return int(self.kept.sum())

    def kept_records(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(z_0 [K, D], z_δt [K, D], δt [K], trajectory [K]) of the records that passed the threshold."""
        k = self.kept
        return self.z0[k], self.z[k], self.dt[k], self.trajectory[k]


def estimate_trajectories(generator, transformation: str | Transformation, *, n: int = 64, t_max: float = 0.25,
                          steps: int = 10, iterations: int = 30, sigma: float = 3.0, lr: float = 0.1, optimizer: str = "isotropic", classes=None,
                          both_signs: bool = True, threshold: float | None = None, outlier_fraction: float = 0.1,
                          batch_size: int = 64, space: str | LatentSpace = "z", seed: int = 0,
                          progress: bool = True) -> Trajectories:
    """Algorithm 1: ``n`` trajectories of ``steps`` records each, δt_k = k·t_max/steps.

    ``both_signs`` walks every other trajectory towards −t_max so both directions of the
    factor are seen. ``threshold`` Θ is absolute; when None it is the (1 − outlier_fraction)
    quantile of all reconstruction errors. ``iterations`` Adam steps solve each eq. 4.9; the
    default "isotropic" Adam moves latents only along directions that change the image, so
    z_δt − z_0 carries the factor rather than per-coordinate optimiser drift. ``space`` is where
    the trajectories walk: Z by default, or W / W+ / StyleSpace of a style-based generator (its
    vectors carry the class, so ``classes`` then only choose the starts' classes).
    """
    transform = get_transformation(transformation)
    n, steps, iterations = check_positive_int("n", n), check_positive_int("steps", steps), check_positive_int("iterations", iterations)
    if not transform.low < t_max < transform.high or t_max <= 0:
        raise ValueError(f"t_max {t_max!r} is out of range for {transform.name}: expected 0 < t_max < {transform.high:g} ({transform.unit})")
    if not 0 <= outlier_fraction < 1:
        raise ValueError(f"outlier_fraction must lie in [0, 1), got {outlier_fraction!r}")
    walked = resolve_space(space, generator)
    # z_0 from the prior, projected into the space's valid set (the ball of eq. 4.2 in Z) so that z_δt − z_0 holds
    # no projection shrinkage
    y_all = None
    if generator.conditional:
        y_all = generator.sample_classes(n, seed) if classes is None else generator.classes(classes, n)
    if walked.class_in_coordinates:
        z_start = walked.project(walked.encode(generator.sample_latents(n, seed=seed), y_all))  # [n, D]
        y_all = None  # the vectors carry their class
    else:
        z_start = walked.project(walked.sample(n, seed=seed))
    signs = torch.ones(n, device=z_start.device)
    if both_signs:
        signs[1::2] = -1.0
    records: list[tuple[torch.Tensor, ...]] = []
    batches = range(0, n, check_positive_int("batch_size", batch_size))
    bar = tqdm(total=len(batches) * steps, desc=f"trajectories {transform.name}", disable=not progress, leave=False)
    for i in batches:
        z0, sign = z_start[i:i + batch_size], signs[i:i + batch_size]
        y = None if y_all is None else y_all[i:i + batch_size]
        with torch.no_grad():
            image0 = (walked if y is None else walked.with_classes(y)).render(z0).clamp(0, 1)  # I_0 = G(z_0) [B, 3, H, W]
        z = z0
        for k in range(1, steps + 1):
            dt = sign * (k * t_max / steps)  # [B]
            target, valid = transform(image0, dt)
            found = invert(generator, target, valid=valid, classes=y, z_init=z, steps=iterations, lr=lr, sigma=sigma,
                           optimizer=optimizer, space=walked, seed=seed + k)
            z = found.z  # warm start of the next, slightly larger transformation (eq. 4.9)
            records.append((z0, z, dt, found.loss, torch.arange(i, i + z0.shape[0]), y))
            bar.update(1)
    bar.close()
    z0s, zs, dts, losses, index = (torch.cat([r[j] for r in records]).detach().cpu() for j in range(5))
    ys = None if y_all is None else torch.cat([r[5] for r in records]).cpu()
    theta = float(torch.quantile(losses, 1 - outlier_fraction)) if threshold is None else float(threshold)
    kept = losses <= theta
    return Trajectories(transform.name, z0s, zs, dts, losses, ys, index, kept, theta, walked.name)
