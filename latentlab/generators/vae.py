"""A small convolutional (β-)VAE for 64×64 one-channel sprites (seed 002 Table 4.2), usable as a Generator.

Encoder: four stride-2 4×4 convolutions (64 → 4 pixels) and two dense layers to the mean and
log-variance of q(z|x); the decoder mirrors it with transposed convolutions and ends in
per-pixel Bernoulli logits. As a generator, z ~ N(0, I) decodes to grey images in [0, 1]
(repeated to three channels to meet the image contract).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from latentlab.generators.base import Generator


@dataclass
class ConvVAEConfig:
    """Architecture of a :class:`ConvVAE`."""

    latent_dim: int = 10
    channels: int = 32  # every convolution
    hidden: int = 256  # the dense layers
    resolution: int = 64  # a power of two >= 8

    def to_json(self) -> dict:
        return asdict(self)


class ConvVAE(Generator):
    """β-VAE on [N, 1, R, R] images; ``forward(z)`` decodes latents to RGB images like any generator."""

    def __init__(self, config: ConvVAEConfig | None = None):
        super().__init__()
        self.config = config = config or ConvVAEConfig()
        self.latent_dim, self.resolution = config.latent_dim, config.resolution
        levels = config.resolution.bit_length() - 3  # halvings down to 4×4
        if config.resolution != 4 * 2**levels:
            raise ValueError(f"resolution must be a power of two >= 8, got {config.resolution}")
        c, flat = config.channels, config.channels * 16
        enc, dec = [], []
        for i in range(levels):
            enc += [nn.Conv2d(1 if i == 0 else c, c, 4, stride=2, padding=1), nn.ReLU()]
            dec += [nn.ConvTranspose2d(c, 1 if i == levels - 1 else c, 4, stride=2, padding=1)]
            if i < levels - 1:
                dec.append(nn.ReLU())
        self.encoder = nn.Sequential(*enc, nn.Flatten(), nn.Linear(flat, config.hidden), nn.ReLU(),
                                     nn.Linear(config.hidden, config.hidden), nn.ReLU(), nn.Linear(config.hidden, 2 * config.latent_dim))
        self.decoder_fc = nn.Sequential(nn.Linear(config.latent_dim, config.hidden), nn.ReLU(), nn.Linear(config.hidden, config.hidden),
                                        nn.ReLU(), nn.Linear(config.hidden, flat), nn.ReLU())
        self.decoder = nn.Sequential(*dec)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance [N, latent_dim] of q(z | x) for images x [N, 1, R, R]."""
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """Bernoulli logits [N, 1, R, R] of p(x | z)."""
        return self.decoder(self.decoder_fc(z).view(z.shape[0], self.config.channels, 4, 4))

    def synthesize(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        return torch.sigmoid(self.decode_logits(z)).expand(-1, 3, -1, -1)

    def loss(self, x: torch.Tensor, beta: float, generator: torch.Generator | None = None) -> tuple[torch.Tensor, dict[str, float]]:
        """β-VAE loss per image (Bernoulli reconstruction + β·KL), averaged over the batch."""
        mu, logvar = self.encode(x)
        noise = torch.randn(mu.shape, generator=generator).to(mu.device)
        z = mu + torch.exp(0.5 * logvar) * noise  # reparameterisation
        recon = F.binary_cross_entropy_with_logits(self.decode_logits(z), x, reduction="none").sum(dim=(1, 2, 3)).mean()
        kl = (0.5 * (mu**2 + logvar.exp() - 1 - logvar)).sum(dim=1).mean()
        return recon + beta * kl, {"recon": float(recon.detach()), "kl": float(kl.detach())}

    def layer_names(self) -> list[str]:
        return ["decoder_fc"]

    def split(self, layer: str = "decoder_fc"):
        from latentlab.generators.base import SplitGenerator

        self._check_layer(layer)

        def f(z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
            return self.decoder_fc(z).view(z.shape[0], self.config.channels, 4, 4)

        def h(features: torch.Tensor, z: torch.Tensor | None = None, y: torch.Tensor | None = None) -> torch.Tensor:
            return torch.sigmoid(self.decoder(features)).expand(-1, 3, -1, -1)

        return SplitGenerator(layer, f, h)
