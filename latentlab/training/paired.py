"""Paired training: a generator learns to render the factors each of its latents stands for.

A :class:`~latentlab.data.LatentFactorMap` gives every latent the Shapes factors it stands for,
so a layered generator (background, object alpha, object colour, and a placement head that
moves, turns and scales the object) can be pulled toward the renderer's own layers before, and
alongside, the adversarial loss. These helpers serve any generator with that shape — it
provides ``layers(z, y)``, ``placement(z, y)``, ``placement_head``, ``object_colour`` and
``_head_inputs(z, y)`` → (placement head input, colour head input).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import torch
import torch.nn.functional as F

from latentlab.data import ShapeFactors, render_layers
from latentlab.generators.placement import Placement, place, placement_from_head, placement_grid

#: Latents [N, D] and class indices [N] → the factors they stand for.
FactorsOf = Callable[[torch.Tensor, torch.Tensor], ShapeFactors]

#: Weights of the placement terms: a centre off by a pixel or two blurs every outline, and next
#: to the image terms an unweighted squared error in image fractions is too small to prevent it.
PLACEMENT_WEIGHTS = {"centre": 30.0, "rotation": 3.0, "size": 3.0}


def paired_loss(generator, z: torch.Tensor, y: torch.Tensor, factors: ShapeFactors) -> tuple[torch.Tensor, torch.Tensor]:
    """L1 between the generator's layers (and their composite) and the renderer's for ``factors``,
    cross-entropy on the alpha map, and the placement terms. Returns (loss, composite images)."""
    background, alpha, colour = (t.to(z.device) for t in render_layers(factors, size=generator.resolution))
    g_background, g_alpha, g_colour = generator.layers(z, y)
    images = g_background + g_alpha * (g_colour - g_background)
    target = background + alpha * (colour - background)
    loss = sum((a - b).abs().mean() for a, b in ((images, target), (g_background, background), (g_colour, colour)))
    # cross-entropy for the alpha map: an L1 gradient through a saturated sigmoid vanishes, so the
    # parts a blob is missing (a star's arms) would never grow; this one does not
    loss = loss + F.binary_cross_entropy(g_alpha.float(), alpha)
    if getattr(generator, "placement_head", None) is not None:  # where the object sits, read off the same latent
        loss = loss + placement_loss(generator.placement(z, y), factors)
    return loss, images


def drawn_frame_loss(generator, z: torch.Tensor, y: torch.Tensor, factors: ShapeFactors) -> tuple[torch.Tensor, torch.Tensor]:
    """The paired loss with the object's alpha compared where it is drawn: upright, centred and at
    ``object_size``, against the renderer's alpha for the same class there (cross-entropy and L1);
    the background and colour by L1 and the placement by :func:`placement_loss`. The alpha's
    gradient then never passes through the placing resampler, whose errors early in training would
    otherwise average each outline into a blob. Needs ``generator.drawn_layers(z, y)``. Returns
    (loss, composite images)."""
    # one render: the background and colour do not depend on where the object is, only the alpha does
    layers = render_layers(drawn_factors(factors, generator.config.object_size), size=generator.resolution)
    background, drawn, colour = (t.to(z.device) for t in layers)
    g_background, g_drawn, g_colour, placement = generator.drawn_layers(z, y)
    loss = ((g_background - background).abs().mean() + (g_colour - colour).abs().mean()
            + F.binary_cross_entropy(g_drawn.float(), drawn) + (g_drawn - drawn).abs().mean()
            + placement_loss(placement, factors))
    alpha = place(g_drawn, placement_grid(placement, generator.resolution, generator.config.object_size))
    return loss, g_background + alpha * (g_colour - g_background)  # the images, for an adversarial loss


def drawn_factors(factors: ShapeFactors, object_size: float) -> ShapeFactors:
    """The same objects upright, centred and ``object_size`` wide: how a placing generator draws them."""
    n = len(factors)
    return replace(factors, x=torch.full((n,), 0.5), y=torch.full((n,), 0.5), rotation=torch.zeros(n),
                   scale=torch.full((n,), float(object_size)))


def placement_loss(placement: Placement, factors: ShapeFactors) -> torch.Tensor:
    """Weighted squared errors of a placement (centre, rotation, and size if it has one) against the factors'."""
    centre, rotation, size = placement
    true_centre = torch.stack([factors.x, factors.y], dim=1).to(centre.device)
    true_rotation = torch.stack([torch.cos(factors.rotation), torch.sin(factors.rotation)], dim=1).to(centre.device)
    loss = (PLACEMENT_WEIGHTS["centre"] * (centre - true_centre).square().sum(1).mean()
            + PLACEMENT_WEIGHTS["rotation"] * (rotation - true_rotation).square().sum(1).mean())
    if size is not None:
        loss = loss + PLACEMENT_WEIGHTS["size"] * torch.log(size / factors.scale.to(centre.device)).square().mean()
    return loss


def _fit(generator, factors_of: FactorsOf, modules: Sequence[torch.nn.Module], loss_of, *, steps: int,
         batch_size: int, seed: int, lr: float):
    """Adam with a cosine schedule on ``modules`` alone (every other parameter of the generator is
    frozen meanwhile) over fresh latents; ``loss_of(factors, z, y)`` returns (loss, what to report)."""
    parameters = [p for module in modules for p in module.parameters()]
    optimizer = torch.optim.Adam(parameters, lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    rng = torch.Generator().manual_seed(seed)
    device = parameters[0].device
    chosen = {id(p) for p in parameters}
    was_trainable = [(p, p.requires_grad) for p in generator.parameters()]
    for p, _ in was_trainable:
        p.requires_grad_(id(p) in chosen)
    value = float("nan")
    try:
        for _ in range(steps):
            z = torch.randn(batch_size, generator.latent_dim, generator=rng)
            y = torch.randint(len(generator.class_names), (batch_size,), generator=rng)
            loss, value = loss_of(factors_of(z, y), z.to(device), y.to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
    finally:
        for p, trainable in was_trainable:
            p.requires_grad_(trainable)
    return value


def _placement_fit(generator, factors: ShapeFactors, placement_input: torch.Tensor) -> tuple[torch.Tensor, float]:
    """Placement loss and mean centre error in pixels."""
    placement = placement_from_head(generator.placement_head(placement_input), generator.config.object_size)
    true_centre = torch.stack([factors.x, factors.y], dim=1).to(placement.centre.device)
    error = (placement.centre.detach() - true_centre).norm(dim=1).mean().item() * generator.resolution
    return placement_loss(placement, factors), error


def _colour_fit(generator, factors: ShapeFactors, colour_input: torch.Tensor) -> tuple[torch.Tensor, float]:
    """Mean absolute colour error (as loss and as a number)."""
    target = render_layers(factors, size=4)[2].to(colour_input.device)
    loss = (torch.sigmoid(generator.object_colour(colour_input))[:, :, None, None] - target).abs().mean()
    return loss, loss.item()


def fit_placement_head(generator, factors_of: FactorsOf, *, steps: int = 3000, batch_size: int = 512,
                       seed: int = 0, lr: float = 1e-2) -> float:
    """Fit the placement head alone to the factors (seconds), e.g. before training so outlines are
    learnt in the right place. Returns the final mean centre error in pixels."""
    return _fit(generator, factors_of, [generator.placement_head],
                lambda f, z, y: _placement_fit(generator, f, generator._head_inputs(z, y)[0]),
                steps=steps, batch_size=batch_size, seed=seed, lr=lr)


def fit_heads(generator, factors_of: FactorsOf, feeders: Sequence[torch.nn.Module], *, steps: int = 3000,
              batch_size: int = 512, seed: int = 0, lr: float = 3e-3) -> tuple[float, float]:
    """Fit the placement and colour heads together with the ``feeders`` whose output they read
    (a mapping network, a class embedding) to the factors. Returns the final mean centre error in
    pixels and the mean absolute colour error."""
    def loss_of(factors: ShapeFactors, z: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, tuple[float, float]]:
        inputs = generator._head_inputs(z, y)
        (placement, centre_error), (colour, colour_error) = (_placement_fit(generator, factors, inputs[0]),
                                                             _colour_fit(generator, factors, inputs[1]))
        return placement + colour, (centre_error, colour_error)

    return _fit(generator, factors_of, [generator.placement_head, generator.object_colour, *feeders], loss_of,
                steps=steps, batch_size=batch_size, seed=seed, lr=lr)


def fit_colour_head(generator, factors_of: FactorsOf, *, steps: int = 3000, batch_size: int = 512,
                    seed: int = 0, lr: float = 3e-3) -> float:
    """Fit the object-colour head alone to the renderer's colours (seconds). Returns the final mean
    absolute colour error."""
    return _fit(generator, factors_of, [generator.object_colour],
                lambda f, z, y: _colour_fit(generator, f, generator._head_inputs(z, y)[1]),
                steps=steps, batch_size=batch_size, seed=seed, lr=lr)


def fit_output_layer(generator, factors_of: FactorsOf, *, steps: int = 400, batch_size: int = 64,
                     seed: int = 0, lr: float = 1e-3) -> float:
    """Refit the last convolution (``out_conv``: background and object alpha) alone to the paired
    loss, everything before it frozen (a minute or two on a CPU). Trained under spectral norm, it
    cannot turn logits as steeply as crisp edges need; freed from it, its edges sharpen. Returns
    the final paired loss."""
    def loss_of(factors: ShapeFactors, z: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, float]:
        loss = paired_loss(generator, z, y, factors)[0]
        return loss, loss.item()

    return _fit(generator, factors_of, [generator.out_conv], loss_of, steps=steps, batch_size=batch_size, seed=seed, lr=lr)
