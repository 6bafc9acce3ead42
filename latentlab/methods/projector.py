"""The pieces of stylegan2-ada-pytorch's projector that :func:`~latentlab.methods.invert` uses.

A learning rate ramped up over the first 5 % of a stage and down with a cosine over the last 25 %;
noise on w whose scale fades to 0 by 75 %; and, where the noise inputs change the image, the noise
maps optimised too under a penalty on their autocorrelation at every scale (weight 10⁵).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from latentlab.spaces import LatentSpace

RAMPUP, RAMPDOWN, W_NOISE, W_NOISE_END, NOISE_WEIGHT = 0.05, 0.25, 0.05, 0.75, 1e5


def lr_ramp(t: float) -> float:
    """The projector's learning-rate factor at fraction ``t`` of a stage: linear ramp up, cosine ramp down."""
    down = min(1.0, (1.0 - t) / RAMPDOWN)
    return (0.5 - 0.5 * math.cos(down * math.pi)) * min(1.0, t / RAMPUP)


def noise_penalty(maps: list[torch.Tensor]) -> torch.Tensor:
    """The projector's noise regulariser per row [N]: squared autocorrelation at one pixel, at every scale."""
    total = 0.0
    for noise in maps:
        while True:
            total = total + (noise * torch.roll(noise, 1, dims=3)).mean(dim=(1, 2, 3)) ** 2
            total = total + (noise * torch.roll(noise, 1, dims=2)).mean(dim=(1, 2, 3)) ** 2
            if noise.shape[-1] <= 8:
                break
            noise = F.avg_pool2d(noise, 2)
    return total


@torch.no_grad()
def noise_matters(space: LatentSpace) -> bool:
    """Whether the generator's noise inputs can change its images by at least one grey level (at the mean vector):
    a generator that learnt to ignore its noise gains nothing from optimising it."""
    g, mean = space.generator, space.statistics()[0][None]
    plain = space.render(mean)
    with g.noise_inputs([m * 0 for m in g.noise_maps(1)]):
        quiet = space.render(mean)
    return float((plain - quiet).abs().max()) >= 1 / 255
