"""A 64 px convolutional VAE of the shape of the CelebA face model ``celeba-vae64``; its decoder is the generator.

Encoder: e1–e4 Conv(k4, s2, p1) 3→32→32→64→64 (64 → 4 px), each + BatchNorm (bn1–bn4) +
LeakyReLU(0.2); flatten (1024); fc1 → mean, fc2 → log-variance (32 each).
Decoder: d1 Linear(32→1024) + ReLU, reshaped to 64×4×4; d2–d4 ConvTranspose(k4, s2, p1)
64→64→32→32 with bn6–bn8 + LeakyReLU(0.2); d5 ConvTranspose(32→3, k4, s2, p1) + Sigmoid.

As a generator, z ~ N(0, I₃₂) decodes to images [N, 3, 64, 64] in [0, 1]. Module names follow
the published state dict, so it loads strictly. Built in eval mode: BatchNorm uses its running statistics.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from latentlab.errors import coerce_latents
from latentlab.generators.base import Generator, SplitGenerator, check_image_batch
from latentlab.generators.dcgan import load_strict

LATENT_DIM, RESOLUTION = 32, 64
LEAK = 0.2
#: decoder stages after d1: (transposed convolution, BatchNorm) names
_DECODER = (("d2", "bn6"), ("d3", "bn7"), ("d4", "bn8"))


class FaceVAE(Generator):
    """The 64 px VAE: ``forward(z)`` decodes like any generator; :meth:`encode` gives q(z | x).

    ``layer_names()`` are ``d1``..``d4``, the decoder's feature maps (64×4×4 after d1's ReLU and
    reshape, then 64×8×8, 32×16×16, 32×32×32); d5 makes the image itself.
    """

    latent_dim = LATENT_DIM
    resolution = RESOLUTION

    def __init__(self):
        super().__init__()
        for i, (cin, cout) in enumerate(((3, 32), (32, 32), (32, 64), (64, 64)), start=1):
            setattr(self, f"e{i}", nn.Conv2d(cin, cout, 4, 2, 1))
            setattr(self, f"bn{i}", nn.BatchNorm2d(cout))
        self.fc1, self.fc2 = nn.Linear(1024, LATENT_DIM), nn.Linear(1024, LATENT_DIM)
        self.d1 = nn.Linear(LATENT_DIM, 1024)
        for (conv, norm), (cin, cout) in zip(_DECODER, ((64, 64), (64, 32), (32, 32))):
            setattr(self, conv, nn.ConvTranspose2d(cin, cout, 4, 2, 1))
            setattr(self, norm, nn.BatchNorm2d(cout))
        self.d5 = nn.ConvTranspose2d(32, 3, 4, 2, 1)
        self.eval()

    @classmethod
    def from_state_dict(cls, state: dict[str, torch.Tensor]) -> FaceVAE:
        """A VAE holding ``state`` (the published ``vae.pth`` keys, loaded strictly), in eval mode."""
        return load_strict(cls(), state, "the 64 px face VAE (e1-e4, bn1-bn4, fc1, fc2, d1-d5, bn6-bn8)")

    # encoder -----------------------------------------------------------------------------------
    def encode(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance [N, 32] of q(z | x) for images [N, 3, H, W] in [0, 1] (resized to 64 px when needed)."""
        x = check_image_batch(images).to(self.latent_dtype)
        if tuple(x.shape[-2:]) != (RESOLUTION, RESOLUTION):
            x = F.interpolate(x, size=(RESOLUTION, RESOLUTION), mode="bilinear", align_corners=False, antialias=True)
        for i in range(1, 5):
            x = F.leaky_relu(getattr(self, f"bn{i}")(getattr(self, f"e{i}")(x)), LEAK)
        x = x.flatten(1)
        return self.fc1(x), self.fc2(x)

    def encoder_latents(self, images: torch.Tensor) -> torch.Tensor:
        """The posterior means μ(x) [N, 32]: the VAE's own inversion."""
        return self.encode(images)[0]

    # decoder -----------------------------------------------------------------------------------
    def first_latent_weight(self) -> torch.Tensor:
        """d1's weight [1024, 32]: the layer that reads z."""
        return self.d1.weight

    def _decode(self, x: torch.Tensor, start: int) -> torch.Tensor:
        """Decoder from stage ``start`` (0: z itself; k: the output of layer ``d{k}``) to images in [0, 1]."""
        if start == 0:
            x = F.relu(self.d1(x)).reshape(-1, 64, 4, 4)
        for conv, norm in _DECODER[max(start - 1, 0):]:
            x = F.leaky_relu(getattr(self, norm)(getattr(self, conv)(x)), LEAK)
        return torch.sigmoid(self.d5(x))

    def _features(self, z: torch.Tensor, depth: int) -> torch.Tensor:
        """The output of layer ``d{depth + 1}``."""
        x = F.relu(self.d1(z)).reshape(-1, 64, 4, 4)
        for conv, norm in _DECODER[:depth]:
            x = F.leaky_relu(getattr(self, norm)(getattr(self, conv)(x)), LEAK)
        return x

    def synthesize(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        return self._decode(z, 0)

    # splitting ---------------------------------------------------------------------------------
    def layer_names(self) -> list[str]:
        return ["d1"] + [conv for conv, _ in _DECODER]

    def split(self, layer: str = "d2") -> SplitGenerator:
        """Cut after ``layer``: f(z) → its feature map, h(features, z) → images in [0, 1] (y must be None)."""
        depth = self._check_layer(layer)

        def f(z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
            z = coerce_latents(z, self.latent_dim, self.latent_dtype)
            self._check_classes(z, y)
            return self._features(z, depth)

        def h(features: torch.Tensor, z: torch.Tensor | None = None, y: torch.Tensor | None = None) -> torch.Tensor:
            return self._decode(features, depth + 1)

        return SplitGenerator(layer, f, h)


__all__ = ["FaceVAE"]
