"""FID with torch-fidelity, in the feature space of latentlab's ``shapes-probe``.

Inception features say little about 64-pixel synthetic shapes; the probe's penultimate
layer is trained on exactly this world. It is registered with torch-fidelity as the
feature extractor ``"shapes-probe"`` so torch-fidelity computes the statistics and the
Fréchet distance itself.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
import torch_fidelity
from torch_fidelity.feature_extractor_base import FeatureExtractorBase
from torch_fidelity.metric_fid import KEY_METRIC_FID, fid_features_to_statistics, fid_statistics_to_metric
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


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """Quantise images in [0, 1] to uint8, as torch-fidelity expects them."""
    return (images.detach().float().clamp(0, 1) * 255).round().to(torch.uint8).cpu()


class _Uint8Images(torch.utils.data.Dataset):
    def __init__(self, images: torch.Tensor):
        self.images = to_uint8(images)

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.images[i]


def _check_set(name: str, images: torch.Tensor) -> None:
    if images.dim() != 4 or images.shape[1] != 3 or images.shape[0] < 2:
        raise ValueError(f"{name} must be [N >= 2, 3, H, W], got {tuple(images.shape)}")


@lru_cache(maxsize=4)
def _extractor(probe_weights: str | None) -> ProbeFeatureExtractor:
    return ProbeFeatureExtractor(EXTRACTOR_NAME, ["penultimate"], probe_weights=probe_weights).eval()


def fid_statistics(images: torch.Tensor, *, batch_size: int = 500, probe_weights: str | None = None) -> dict[str, np.ndarray]:
    """Mean and covariance of an image set's probe features (torch-fidelity's statistics), for reuse."""
    _check_set("images", images)
    extractor, pixels = _extractor(probe_weights), to_uint8(images)
    features = torch.cat([extractor(pixels[i:i + batch_size])[0] for i in range(0, pixels.shape[0], batch_size)])
    return fid_features_to_statistics(features)


def fid_from_statistics(stats_a: dict[str, np.ndarray], stats_b: dict[str, np.ndarray]) -> float:
    """Fréchet distance between two sets of statistics from :func:`fid_statistics` (torch-fidelity's formula)."""
    return float(fid_statistics_to_metric(stats_a, stats_b, verbose=False)[KEY_METRIC_FID])


def fid(images_a: torch.Tensor, images_b: torch.Tensor, *, batch_size: int = 250, probe_weights: str | None = None) -> float:
    """Fréchet distance between two image sets ([N, 3, 64, 64] in [0, 1]) in probe-feature space.

    Runs torch-fidelity's ``calculate_metrics`` end to end; to compare many sets against one
    reference, compute the reference's :func:`fid_statistics` once and use :func:`fid_from_statistics`.
    """
    register()
    for name, images in (("images_a", images_a), ("images_b", images_b)):
        _check_set(name, images)
    metrics = torch_fidelity.calculate_metrics(
        input1=_Uint8Images(images_a), input2=_Uint8Images(images_b), fid=True,
        feature_extractor=EXTRACTOR_NAME, feature_layer_fid="penultimate", cuda=False, batch_size=batch_size,
        cache=False, verbose=False, save_cpu_ram=True, probe_weights=probe_weights,
    )
    return float(metrics[KEY_METRIC_FID])
