"""Image consistency outside a region (seed 000 eq. 4.9): how little an edit changed the rest of the image."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch

from latentlab.assessors.base import Assessor, check_images, check_mask
from latentlab.errors import unknown_name_error

PERCEPTUAL = ("auto", "lpips", "lpips-vgg", "probe", "none")
Distance = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def lpips_backbone_cached(net: str = "alex") -> bool:
    """Whether torchvision's pretrained ``net`` backbone (which LPIPS needs) is already in the torch cache."""
    prefix = {"alex": "alexnet-", "vgg": "vgg16-"}[net]
    folder = Path(torch.hub.get_dir()) / "checkpoints"
    return folder.is_dir() and any(p.name.startswith(prefix) for p in folder.iterdir())


def perceptual_distance(kind: str | Distance | None, shapes_world: bool = False,
                        device: str | torch.device | None = None) -> tuple[str, Distance | None]:
    """Resolve a perceptual distance by name: 'lpips' (AlexNet), 'lpips-vgg', 'probe' (shapes-probe features), 'none'.

    'auto' is LPIPS when its backbone is already cached or the images are not from the Shapes
    world (``shapes_world``); for Shapes images without cached LPIPS weights it is the offline
    shapes-probe feature distance. A callable ``d(a, b) -> [N]`` is used as given. LPIPS is
    built on ``device`` (the CPU when None); the probe distance reads on the images' device.
    """
    if callable(kind):
        return getattr(kind, "__name__", "custom"), kind
    if kind is None:
        kind = "none"
    if kind not in PERCEPTUAL:
        raise unknown_name_error("perceptual distance", kind, PERCEPTUAL)
    if kind == "auto":
        kind = "lpips" if lpips_backbone_cached("alex") or not shapes_world else "probe"
    if kind == "none":
        return "none", None
    if kind == "probe":
        from latentlab.assessors.distances import probe_feature_distance

        return "probe", probe_feature_distance
    from latentlab.assessors.distances import LPIPSDistance

    distance = LPIPSDistance("vgg" if kind == "lpips-vgg" else "alex")
    return kind, distance if device is None else distance.to(device)


class OutsideConsistency(Assessor):
    """−[L2(x ⊙ (1−m), x₀ ⊙ (1−m)) + w · perceptual(…)]: 0 when nothing outside the mask changed.

    L2 is the mean squared pixel difference over the pixels outside the mask; the perceptual
    term compares the two images with the mask's inside blanked out. Higher is better, so it
    adds to a semantic score as λ · consistency (seed 000 eq. 4.10). ``perceptual`` and
    ``shapes_world`` choose the perceptual distance (see :func:`perceptual_distance`).
    """

    unit = "negative distance"

    def __init__(self, reference: torch.Tensor, mask: torch.Tensor, *, perceptual: str | Distance | None = "auto",
                 perceptual_weight: float = 1.0, shapes_world: bool = False):
        super().__init__()
        reference = check_images(reference if reference.dim() == 4 else reference[None]).detach()
        if reference.shape[0] != 1:
            raise ValueError(f"reference must be one image [1, 3, H, W], got {tuple(reference.shape)}")
        self.register_buffer("reference", reference)
        self.register_buffer("outside", 1.0 - check_mask(mask, tuple(reference.shape[-2:])))
        self.perceptual_name, self.perceptual = perceptual_distance(perceptual, shapes_world, device=reference.device)
        self.perceptual_weight = float(perceptual_weight)
        self.name = f"outside consistency (L2 + {self.perceptual_name})"

    def distances(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """Per-image ``l2`` and ``perceptual`` distances to the reference outside the mask."""
        images = check_images(images)
        outside = self.outside.to(images.device)
        diff = ((images - self.reference.to(images.device)) ** 2 * outside).sum(dim=(1, 2, 3))
        l2 = diff / (3 * outside.sum()).clamp(min=1)
        if self.perceptual is None:
            return {"l2": l2, "perceptual": torch.zeros_like(l2)}
        reference = self.reference.to(images.device) * outside  # [1, 3, H, W]: distances broadcast over the batch
        return {"l2": l2, "perceptual": self.perceptual(images * outside, reference).reshape(-1).expand(images.shape[0])}

    def score(self, images: torch.Tensor) -> torch.Tensor:
        d = self.distances(images)
        return -(d["l2"] + self.perceptual_weight * d["perceptual"])
