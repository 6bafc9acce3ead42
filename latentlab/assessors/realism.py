"""Realism as a GAN discriminator sees it: its logit that an image is a real training image.

``DiscriminatorAssessor.load()`` scores with the CelebA face DCGAN's own discriminator
(``celeba-dcgan32-d``); any discriminator module images → logits works the same way.
"""

from __future__ import annotations

import torch
from torch import nn

from latentlab.assessors.base import Assessor
from latentlab.assessors.classifier import ImagePreprocess
from latentlab.errors import check_int
from latentlab.generators.dcgan import check_statistics


class DiscriminatorAssessor(Assessor):
    """A discriminator's logit per image: higher = more realistic to it.

    Images [N, 3, H, W] in [0, 1] are resized to ``input_size`` (bilinear, antialiased) and mapped
    to [-1, 1] (``2x - 1``), the range GAN discriminators are trained on. ``discriminator`` maps
    such a batch to logits [N] or [N, 1]; it is put in eval mode. Differentiable.

    ``statistics`` (for a discriminator whose forward takes ``statistics=``, such as
    :class:`~latentlab.generators.dcgan.DCGANDiscriminator`) is passed on every call: ``"image"``
    scores each image on its own, whatever else is in the batch; None leaves the discriminator's
    own setting.
    """

    unit = "logit"

    def __init__(self, discriminator: nn.Module, *, input_size: int = 32, statistics: str | None = None,
                 name: str = "realism"):
        super().__init__()
        if not isinstance(discriminator, nn.Module):
            raise ValueError(f"discriminator must be a torch.nn.Module, got {type(discriminator).__name__}")
        if not isinstance(name, str) or not name:
            raise ValueError(f"name must be a non-empty string, got {name!r}")
        if statistics is not None:
            if not hasattr(discriminator, "statistics"):
                raise ValueError(f"statistics={statistics!r} needs a discriminator with BatchNorm statistics settings "
                                 f"(forward(x, statistics=...)); {type(discriminator).__name__} has none: pass statistics=None")
            statistics = check_statistics(statistics)
        self.discriminator = discriminator.eval()
        self.input_size = check_int("input_size", input_size, minimum=1, hint="the discriminator's image side in pixels")
        self.preprocess = ImagePreprocess(input_size=self.input_size, mean=0.5, std=0.5)
        self.statistics, self.name = statistics, name

    @classmethod
    def load(cls, name: str = "celeba-dcgan32-d", device: str | torch.device = "cpu",
             statistics: str = "image") -> DiscriminatorAssessor:
        """The assessor around a registered discriminator (by default the CelebA face DCGAN's, 32 px)."""
        from latentlab.zoo.loader import load_model

        return cls(load_model(name, "metric", device), input_size=32, statistics=statistics, name=f"realism ({name})")

    def score(self, images: torch.Tensor) -> torch.Tensor:
        x = self.preprocess(images)
        logits = self.discriminator(x) if self.statistics is None else self.discriminator(x, statistics=self.statistics)
        if logits.dim() == 2 and logits.shape[1] == 1:
            logits = logits[:, 0]
        if logits.dim() != 1 or logits.shape[0] != images.shape[0]:
            raise ValueError(f"the discriminator must return one logit per image ([{images.shape[0]}] or "
                             f"[{images.shape[0]}, 1]), got {tuple(logits.shape)}")
        return logits


__all__ = ["DiscriminatorAssessor"]
