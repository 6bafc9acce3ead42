"""FID with torch-fidelity, in the feature space of latentlab's ``shapes-probe``.

Inception features say little about 64-pixel synthetic shapes; the probe's penultimate
layer is trained on exactly this world. It is registered with torch-fidelity as the
feature extractor ``"shapes-probe"`` so torch-fidelity computes the statistics and the
Fréchet distance itself.
"""

from __future__ import annotations

import torch
import torch_fidelity
from torch_fidelity.feature_extractor_base import FeatureExtractorBase
from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY

EXTRACTOR_NAME = "shapes-probe"


class ProbeFeatureExtractor(FeatureExtractorBase):
    """torch-fidelity feature extractor: uint8 images [N, 3, 64, 64] → probe penultimate features."""

    def __init__(self, name, features_list, probe_weights: str | None = None, **kwargs):
        super().__init__(name, features_list)
        from latentlab.zoo.loader import load_probe

        self.probe = load_probe(probe_weights or "shapes-probe").float()

    @staticmethod
    def get_provided_features_list():
        return ("penultimate",)

    @staticmethod
    def get_default_feature_layer_for_metric(metric):
        return "penultimate"

    @staticmethod
    def can_be_compiled():
        return False

    @staticmethod
    def get_dummy_input_for_compile():
        return torch.zeros(1, 3, 64, 64, dtype=torch.uint8)

    def forward(self, images: torch.Tensor):
        if images.dtype != torch.uint8:
            raise ValueError(f"expected uint8 images, got {images.dtype}")
        with torch.no_grad():
            return (self.probe.features(images.float() / 255.0).double(),)


def register() -> None:
    """Register the probe extractor with torch-fidelity (idempotent)."""
    if EXTRACTOR_NAME not in FEATURE_EXTRACTORS_REGISTRY:
        torch_fidelity.register_feature_extractor(EXTRACTOR_NAME, ProbeFeatureExtractor)


class _Uint8Images(torch.utils.data.Dataset):
    def __init__(self, images: torch.Tensor):
        self.images = (images.detach().float().clamp(0, 1) * 255).round().to(torch.uint8).cpu()

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.images[i]


def fid(images_a: torch.Tensor, images_b: torch.Tensor, *, batch_size: int = 250, probe_weights: str | None = None) -> float:
    """Fréchet distance between two image sets ([N, 3, 64, 64] in [0, 1]) in probe-feature space."""
    register()
    for name, images in (("images_a", images_a), ("images_b", images_b)):
        if images.dim() != 4 or images.shape[1] != 3 or images.shape[0] < 2:
            raise ValueError(f"{name} must be [N >= 2, 3, H, W], got {tuple(images.shape)}")
    metrics = torch_fidelity.calculate_metrics(
        input1=_Uint8Images(images_a), input2=_Uint8Images(images_b), fid=True,
        feature_extractor=EXTRACTOR_NAME, feature_layer_fid="penultimate", cuda=False, batch_size=batch_size,
        cache=False, verbose=False, save_cpu_ram=True, probe_weights=probe_weights,
    )
    return float(metrics["frechet_inception_distance"])
