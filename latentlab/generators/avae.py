"""The Adversarial Variational Auto-Encoder of seed 002 ch. 3, and ``shapes-avae``: one on the Shapes world.

:class:`AVAE` holds the four parts around one latent size: an encoder E (x → μ_e(x); its posterior
spread σ_e does not depend on x and is learnt directly, kept in (0, 1) by a sigmoid), the VAE's
decoder D, a generator G (z → x) and a critic C (x → the logit of "generated"). Their losses and
training step are :mod:`latentlab.training.avae`.

:class:`ShapesAVAE` is the convolutional one at 64 px (DCGAN-style stages, §3.4's Fig. 3.5 at a
width a CPU trains): as a latentlab :class:`~latentlab.generators.Generator` it is G, with
:meth:`~ShapesAVAE.encode` reading images back (μ_e and σ_e), :meth:`~ShapesAVAE.latents_of` the
prior latents of images (the encoder's inversion in one forward pass) and
:meth:`~ShapesAVAE.decode` the plain VAE's images.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from latentlab.errors import InvalidInputError, coerce_latents
from latentlab.generators.base import Generator, SplitGenerator, check_image_batch


class AVAE(nn.Module):
    """The four parts around one latent size; ``encoder`` returns μ_e(x) [N, d], the others are plain modules."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module, generator: nn.Module, critic: nn.Module, latent_dim: int,
                 sigma_init: float = 0.5):
        super().__init__()
        if not 0 < sigma_init < 1:
            raise ValueError(f"sigma_init must lie in (0, 1) (the posterior spread), got {sigma_init!r}")
        self.encoder, self.decoder, self.generator, self.critic = encoder, decoder, generator, critic
        self.latent_dim = int(latent_dim)
        self.sigma_logit = nn.Parameter(torch.full((self.latent_dim,), float(torch.logit(torch.tensor(sigma_init)))))

    @property
    def sigma(self) -> torch.Tensor:
        """The posterior spread σ_e [d], the same for every image, in (0, 1)."""
        return torch.sigmoid(self.sigma_logit)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(μ_e(x) [N, d], σ_e [N, d])."""
        mean = self.encoder(x)
        return mean, self.sigma.expand_as(mean)

    def code_to_latent(self, mean: torch.Tensor) -> torch.Tensor:
        """The prior latent z whose image G(z) the encoder reads as ``mean``: eq. 3.12 trains μ_e(G(z)) = √(1 − σ²) z,
        so z = μ / √(1 − σ²) (data codes are N(0, I − Σ), G's latents N(0, I))."""
        return mean / (1 - self.sigma.pow(2)).sqrt()

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """G(z) for the latent z of the encoder's code μ_e(x): the AVAE's reconstruction."""
        return self.generator(self.code_to_latent(self.encoder(x)))

    def vae_reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """D(μ_e(x)): the plain VAE's reconstruction through the same encoder."""
        return self.decoder(self.encoder(x))

    def encoder_parameters(self) -> list[nn.Parameter]:
        return [*self.encoder.parameters(), self.sigma_logit]


@dataclass(frozen=True)
class ShapesAVAEConfig:
    latent_dim: int = 32
    width: int = 16  # channels of the first encoder stage; the stages double it (×2, ×4, ×8)
    resolution: int = 64

    def __post_init__(self):
        if self.resolution != 64:
            raise InvalidInputError(f"ShapesAVAE makes 64 px images (4 stages from 4 px), got resolution={self.resolution}")
        for name in ("latent_dim", "width"):
            if not (isinstance(getattr(self, name), int) and getattr(self, name) > 0):
                raise InvalidInputError(f"{name} must be a positive integer, got {getattr(self, name)!r}")

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> ShapesAVAEConfig:
        return cls(**d)


def _down(cin: int, cout: int, norm: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, 4, 2, 1, bias=not norm)]
    if norm:
        layers.append(nn.BatchNorm2d(cout))
    return nn.Sequential(*layers, nn.LeakyReLU(0.2))


class ConvEncoder(nn.Module):
    """64 px image → ``out`` values: four stride-2 convolutions (w, 2w, 4w, 8w channels), then a linear layer."""

    def __init__(self, width: int, out: int):
        super().__init__()
        w = width
        self.stages = nn.Sequential(_down(3, w, norm=False), _down(w, 2 * w), _down(2 * w, 4 * w), _down(4 * w, 8 * w))
        self.head = nn.Linear(8 * w * 16, out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.stages(x).flatten(1))


class Critic(nn.Module):
    """The encoder's shape with one output: the logit of "this image was generated"."""

    def __init__(self, width: int):
        super().__init__()
        self.net = ConvEncoder(width, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)[:, 0]


class ConvDecoder(nn.Module):
    """z → 64 px image: a linear layer to 8w × 4 × 4, three up-stages (4w, 2w, w) and a transposed convolution to RGB.

    ``stages[i]`` makes the feature map named ``STAGES[i]`` (g4: 4 px … g32: 32 px); ``rgb`` the image.
    """

    STAGES = ("g4", "g8", "g16", "g32")

    def __init__(self, latent_dim: int, width: int):
        super().__init__()
        w = width
        self.stages = nn.ModuleList([
            nn.Sequential(nn.Linear(latent_dim, 8 * w * 16), nn.Unflatten(1, (8 * w, 4, 4)), nn.BatchNorm2d(8 * w), nn.ReLU()),
            *(nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())
              for cin, cout in ((8 * w, 4 * w), (4 * w, 2 * w), (2 * w, w)))])
        self.rgb = nn.Sequential(nn.ConvTranspose2d(w, 3, 4, 2, 1), nn.Sigmoid())

    def run(self, x: torch.Tensor, start: int = 0, stop: int | None = None) -> torch.Tensor:
        """Stages ``start`` .. ``stop`` − 1 on ``x`` (``stop=None``: to the image)."""
        for stage in self.stages[start:stop]:
            x = stage(x)
        return self.rgb(x) if stop is None else x

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.run(z)


class ShapesAVAE(Generator):
    """``shapes-avae``: G of an AVAE trained on the Shapes world, with its encoder, decoder and critic."""

    def __init__(self, config: ShapesAVAEConfig | None = None):
        super().__init__()
        self.config = config or ShapesAVAEConfig()
        c = self.config
        self.latent_dim, self.resolution = c.latent_dim, c.resolution
        self.parts = AVAE(ConvEncoder(c.width, c.latent_dim), ConvDecoder(c.latent_dim, c.width),
                          ConvDecoder(c.latent_dim, c.width), Critic(c.width), c.latent_dim)
        self.eval()

    # reading images back -------------------------------------------------------------------
    def encode(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(μ_e(x), σ_e) [N, latent_dim] for images [N, 3, 64, 64] in [0, 1]."""
        images = check_image_batch(images)
        if tuple(images.shape[-2:]) != (self.resolution, self.resolution):
            raise InvalidInputError(f"images must be {self.resolution}×{self.resolution}, got {tuple(images.shape[-2:])}: "
                                    f"load them with latentlab.load_image(path, size={self.resolution})")
        return self.parts.encode(images.to(self.device))

    def latents_of(self, images: torch.Tensor) -> torch.Tensor:
        """The prior latents z [N, latent_dim] whose images G(z) the encoder reads as these images' codes."""
        return self.parts.code_to_latent(self.encode(images)[0])

    def encoder_latents(self, images: torch.Tensor) -> torch.Tensor:
        return self.latents_of(images)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """The plain VAE's images D(z) [N, 3, 64, 64] (the same encoder, trained with a pixel loss)."""
        return self.parts.decoder(coerce_latents(z, self.latent_dim, self.latent_dtype))

    def first_latent_weight(self) -> torch.Tensor:
        """G's first linear layer [8w·16, latent_dim], the one that reads z (SeFa's A)."""
        return self.parts.generator.stages[0][0].weight

    # the Generator contract ------------------------------------------------------------------
    def synthesize(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        return self.parts.generator(z)

    def layer_names(self) -> list[str]:
        return list(ConvDecoder.STAGES)

    def split(self, layer: str = "g8") -> SplitGenerator:
        """Cut G after ``layer``: f(z) → its feature map, h(features) → images."""
        depth = self._check_layer(layer) + 1
        g = self.parts.generator

        def f(z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
            z = coerce_latents(z, self.latent_dim, self.latent_dtype)
            self._check_classes(z, y)
            return g.run(z, 0, depth)

        def h(features: torch.Tensor, z: torch.Tensor | None = None, y: torch.Tensor | None = None) -> torch.Tensor:
            return g.run(features, depth)

        return SplitGenerator(layer, f, h)


__all__ = ["AVAE", "ShapesAVAE", "ShapesAVAEConfig"]
