"""A compact BigGAN-style projection discriminator for CPU training."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _sn_ortho(module: nn.Module) -> nn.Module:
    nn.init.orthogonal_(module.weight)
    if getattr(module, "bias", None) is not None:
        nn.init.zeros_(module.bias)
    return nn.utils.parametrizations.spectral_norm(module)


class DBlock(nn.Module):
    """Residual down-block that pools first, so its convolutions run at the lower resolution."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv1 = _sn_ortho(nn.Conv2d(cin, cout, 3, padding=1))
        self.conv2 = _sn_ortho(nn.Conv2d(cout, cout, 3, padding=1))
        self.skip = _sn_ortho(nn.Conv2d(cin, cout, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.avg_pool2d(x, 2)
        h = self.conv2(F.relu(self.conv1(F.relu(x))))
        return h + self.skip(x)


class ProjectionDiscriminator(nn.Module):
    """D(x, y) = ψ(φ(x)) + ⟨embed(y), φ(x)⟩ with spectral norm on every layer (Miyato & Koyama).

    The stem is one convolution at full resolution; ``full_res_convs`` adds residual ones there
    (more capacity for edges and corners, at about twice the cost per step with (32, 64, 128, 256, 256)).
    ``aux_classifier=True`` adds a linear class head on φ(x) for the auxiliary classification
    loss (``GANTrainConfig.aux_class_weight``); ``forward(..., return_logits=True)`` returns it too.
    """

    def __init__(self, n_classes: int, channels: tuple[int, ...] = (16, 32, 64, 128, 256), full_res_convs: int = 0,
                 aux_classifier: bool = False):
        super().__init__()
        self.n_aux_classes = n_classes if aux_classifier else 0
        self.stem = _sn_ortho(nn.Conv2d(3, channels[0], 3, padding=1))
        self.full_res = nn.ModuleList(_sn_ortho(nn.Conv2d(channels[0], channels[0], 3, padding=1)) for _ in range(full_res_convs))
        self.blocks = nn.Sequential(*[DBlock(a, b) for a, b in zip(channels[:-1], channels[1:])])
        self.linear = _sn_ortho(nn.Linear(channels[-1], 1))
        self.embed = nn.utils.parametrizations.spectral_norm(nn.Linear(n_classes, channels[-1], bias=False))
        nn.init.orthogonal_(self.embed.parametrizations.weight.original)
        self.classify = _sn_ortho(nn.Linear(channels[-1], n_classes)) if aux_classifier else None

    def forward(self, images: torch.Tensor, y: torch.Tensor, return_logits: bool = False):
        """Scores [N] for images in [0, 1] and soft class vectors [N, C] (and class logits [N, C])."""
        h = F.relu(self.stem(images * 2.0 - 1.0))
        for conv in self.full_res:
            h = h + conv(F.relu(h))
        h = self.blocks(h)
        phi = F.relu(h).sum(dim=(2, 3))  # global sum pooling
        scores = self.linear(phi).squeeze(1) + (self.embed(y) * phi).sum(dim=1)
        if not return_logits:
            return scores
        if self.classify is None:
            raise ValueError("return_logits=True needs ProjectionDiscriminator(..., aux_classifier=True)")
        return scores, self.classify(phi)
