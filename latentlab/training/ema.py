"""Exponential moving average of a model's weights, and BatchNorm standing statistics."""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
from torch import nn


class EMA:
    """Keeps ``shadow`` = EMA of ``model``'s parameters; buffers (BN stats, SN vectors) are copied."""

    def __init__(self, model: nn.Module, decay: float = 0.999, start: int = 0):
        self.decay, self.start = decay, start
        self.shadow = copy.deepcopy(model).eval()
        for p in self.shadow.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module, step: int) -> None:
        decay = 0.0 if step < self.start else self.decay
        for ps, pm in zip(self.shadow.parameters(), model.parameters()):
            ps.lerp_(pm, 1.0 - decay)
        for bs, bm in zip(self.shadow.buffers(), model.buffers()):
            bs.copy_(bm)


@torch.no_grad()
def standing_stats(model: nn.Module, forward: Callable[[int], None], batches: int = 32) -> None:
    """Recompute BatchNorm running statistics as plain averages over ``batches`` forward calls.

    BigGAN's "standing statistics": EMA weights need BN statistics of their own.
    """
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average
    model.train()
    for i in range(batches):
        forward(i)
    for bn in bns:
        bn.momentum = 0.1
    model.eval()
