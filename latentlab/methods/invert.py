"""Invert a generator by optimisation: find latents whose images match target images.

Seed 002 §4.2: minimise a reconstruction loss between G(z) and the target (eq. 4.1) with
z kept in the ball ‖z‖ ≤ √d (eq. 4.2), where nearly all prior mass lies. The default loss
is the blurred MSE (eq. 4.5), which forgives out-of-phase texture; ``valid`` masks out
undefined regions of a transformed target (e.g. the strip a shift leaves empty).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from tqdm.auto import tqdm

from latentlab.assessors.base import check_images
from latentlab.assessors.distances import blurred_mse
from latentlab.errors import check_positive_int, unknown_name_error
from latentlab.latents import project_to_ball
from latentlab.spaces import LatentSpace, resolve_space
from latentlab.spaces.z import class_input

#: loss(generated [N,3,H,W], target [N,3,H,W], valid [N,1,H,W] or None) -> per-image loss [N]
LossFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor | None], torch.Tensor]
LOSSES = ("blurred_mse", "mse")
#: "adam": per-coordinate step sizes; "isotropic": Adam with one second-moment estimate per latent, so each
#: step follows the gradient's direction and coordinates the loss ignores stay put
OPTIMIZERS = ("adam", "isotropic")
BETAS, EPS = (0.9, 0.999), 1e-8


@dataclass
class InversionResult:
    """Best latents found for each target, their images and the optimisation history."""

    z: torch.Tensor  # [N, D] best vector per target, in ``space``
    images: torch.Tensor  # [N, 3, H, W] G(z, y)
    loss: torch.Tensor  # [N] loss of the best latent per target
    classes: torch.Tensor | None  # [N] class indices (None when unconditional)
    history: list[float] = field(default_factory=list)  # mean loss over targets per step
    space: str = "z"  # the space z lives in (vectors of W, W+, StyleSpace for those)


def resolve_loss(loss: str | LossFn, sigma: float) -> LossFn:
    """A per-image loss function from a name ('blurred_mse', 'mse') or a callable."""
    if callable(loss):
        return loss
    if loss not in LOSSES:
        raise unknown_name_error("loss", loss, LOSSES)
    if not (isinstance(sigma, (int, float)) and sigma >= 0 and math.isfinite(sigma)):
        raise ValueError(f"sigma must be a finite number >= 0 (pixels), got {sigma!r}")
    width = float(sigma) if loss == "blurred_mse" else 0.0
    return lambda a, b, valid: blurred_mse(a, b, width, valid)


class _LatentAdam:
    """Adam on latents z [N, D]; ``isotropic`` shares the second moment across each row's coordinates."""

    def __init__(self, z: torch.Tensor, lr: float, isotropic: bool):
        self.z, self.lr, self.isotropic, self.t = z, lr, isotropic, 0
        self.m = torch.zeros_like(z)
        self.v = torch.zeros_like(z[:, :1]) if isotropic else torch.zeros_like(z)

    @torch.no_grad()
    def step(self, grad: torch.Tensor) -> None:
        self.t += 1
        b1, b2 = BETAS
        self.m.mul_(b1).add_(grad, alpha=1 - b1)
        square = (grad**2).mean(dim=1, keepdim=True) if self.isotropic else grad**2
        self.v.mul_(b2).add_(square, alpha=1 - b2)
        m_hat, v_hat = self.m / (1 - b1**self.t), self.v / (1 - b2**self.t)
        self.z.sub_(self.lr * m_hat / (v_hat.sqrt() + EPS))


def invert(generator, target: torch.Tensor, *, loss: str | LossFn = "blurred_mse", sigma: float = 3.0,
           valid: torch.Tensor | None = None, classes=None, steps: int = 200, lr: float = 0.1, restarts: int = 1,
           z_init: torch.Tensor | None = None, radius: float | None = None, optimizer: str = "adam",
           space: str | LatentSpace = "z", seed: int = 0, progress: bool = False) -> InversionResult:
    """Vectors x [N, D] of ``space`` whose images match ``target`` [N, 3, H, W], by Adam kept in the space's valid set.

    In Z that set is the ball ‖z‖ ≤ ``radius`` (default √d, the generator's
    ``project_latents``); W, W+ and StyleSpace (style-based generators) are unbounded.
    ``restarts`` random starts per target run side by side and the best is kept; ``z_init``
    [N, D] starts from given vectors of the space instead (the recursive trajectories of seed 002
    eq. 4.9). ``classes`` (names, indices or soft vectors [N, C]) stay fixed for a conditional
    generator. ``optimizer`` "adam" (the paper's) or "isotropic" (Adam with a per-vector step
    scale, which keeps the change x − z_init along directions that affect the image).
    """
    target = check_images(target).detach().to(generator.device)
    n, steps, restarts = target.shape[0], check_positive_int("steps", steps), check_positive_int("restarts", restarts)
    if not (isinstance(lr, (int, float)) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if tuple(target.shape[-2:]) != (generator.resolution, generator.resolution):
        raise ValueError(f"target images are {tuple(target.shape[-2:])} but the generator makes {generator.resolution}×{generator.resolution}")
    if optimizer not in OPTIMIZERS:
        raise unknown_name_error("optimizer", optimizer, OPTIMIZERS)
    loss_fn = resolve_loss(loss, sigma)
    searched = resolve_space(space, generator)
    # a class stays fixed where the space leaves it open (Z); W-like vectors carry it (given classes map the starts)
    y = class_input(generator, classes, n) if classes is not None or not searched.class_in_coordinates else None
    repeated = searched if y is None or searched.class_in_coordinates else searched.with_classes(y.repeat(restarts, *([1] * (y.dim() - 1))))
    project = searched.project if radius is None else (lambda x: project_to_ball(x, float(radius)))
    if valid is not None:
        valid = valid.to(target.device, target.dtype)
        if valid.dim() != 4 or valid.shape[1] != 1 or valid.shape[-2:] != target.shape[-2:] or valid.shape[0] not in (1, n):
            raise ValueError(f"valid must be [N or 1, 1, H, W] matching the targets, got {tuple(valid.shape)}")
        valid = valid.expand(n, -1, -1, -1)

    # starting points: [R·N, D], restart r of target i at row r·N + i
    dim = searched.dim
    if z_init is not None:
        if z_init.shape != (n, dim):
            raise ValueError(f"z_init must have shape {(n, dim)} (vectors of the {searched.name!r} space), got {tuple(z_init.shape)}")
        first = z_init.detach().to(generator.device).float()
        x0 = first if restarts == 1 else torch.cat([first, _starts(searched, (restarts - 1) * n, seed, y, restarts - 1)])
    else:
        x0 = _starts(searched, restarts * n, seed, y, restarts)
    z = project(x0.to(generator.device))
    targets = target.repeat(restarts, 1, 1, 1)  # [R·N, 3, H, W]
    masks = None if valid is None else valid.repeat(restarts, 1, 1, 1)
    opt = _LatentAdam(z, lr, isotropic=optimizer == "isotropic")
    best_loss = torch.full((restarts * n,), math.inf, device=z.device)
    best_z = z.detach().clone()
    history: list[float] = []

    for _ in tqdm(range(steps), desc="invert", disable=not progress, leave=False):
        leaf = z.detach().requires_grad_(True)
        per_image = loss_fn(repeated.render(leaf).clamp(0, 1), targets, masks)  # [R·N]
        with torch.no_grad():  # keep the best vector seen for each start
            better = per_image < best_loss
            best_loss = torch.where(better, per_image.detach(), best_loss)
            best_z[better] = z[better]
        history.append(float(per_image.detach().view(restarts, n).min(dim=0).values.mean()))
        (grad,) = torch.autograd.grad(per_image.sum(), leaf)  # the vectors only: generator weights get no gradients
        opt.step(grad)
        z.copy_(project(z))

    # the last step's update is evaluated once more, then the best restart per target is chosen
    with torch.no_grad():
        last = loss_fn(repeated.render(z).clamp(0, 1), targets, masks)
        better = last < best_loss
        best_loss = torch.where(better, last, best_loss)
        best_z[better] = z[better]
        pick = best_loss.view(restarts, n).argmin(dim=0)  # [N]
        rows = pick * n + torch.arange(n, device=pick.device)
        z_best = best_z[rows]
        images = searched.render_with(z_best, None if searched.class_in_coordinates else y).clamp(0, 1)
    return InversionResult(z_best, images, best_loss[rows], y, history, searched.name)


def _starts(space: LatentSpace, count: int, seed: int, y: torch.Tensor | None, repeats: int) -> torch.Tensor:
    """``count`` random starts: prior samples of the space (W-like spaces mapped with each target's class)."""
    if y is None or not space.class_in_coordinates:
        return space.sample(count, seed=seed)
    z = space.generator.sample_latents(count, seed=seed)
    return space.encode(z, y.repeat(repeats, *([1] * (y.dim() - 1))))
