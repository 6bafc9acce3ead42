"""FID with torch-fidelity, in the feature space of latentlab's ``shapes-probe``.

Inception features say little about 64-pixel synthetic shapes; the probe's penultimate
layer is trained on exactly this world. It is registered with torch-fidelity as the
feature extractor ``"shapes-probe"`` so torch-fidelity computes the statistics and the
Fréchet distance itself.

Any other model's layer works too: ``fid(a, b, feature_extractor=LayerFeatures(net, "fc.relu6"))``
runs torch-fidelity with the registered generic extractor ``"module-layer"``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
import torch_fidelity
from torch_fidelity.feature_extractor_base import FeatureExtractorBase
from torch_fidelity.metric_fid import KEY_METRIC_FID, fid_features_to_statistics, fid_statistics_to_metric
from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY

from latentlab.assessors.features import LayerFeatures

EXTRACTOR_NAME = "shapes-probe"
LAYER_EXTRACTOR_NAME = "module-layer"


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


class ModuleFeatureExtractor(FeatureExtractorBase):
    """torch-fidelity feature extractor: uint8 images [N, 3, H, W] → the features of a :class:`LayerFeatures`.

    torch-fidelity builds it from ``layer_features=`` (passed through ``calculate_metrics``). The
    wrapped model is kept unregistered, so torch-fidelity's ``eval()`` / ``requires_grad_(False)``
    leave the caller's model untouched.
    """

    def __init__(self, name, features_list, layer_features: LayerFeatures | None = None, **kwargs):
        super().__init__(name, features_list)
        if not isinstance(layer_features, LayerFeatures):
            raise ValueError(f"the {LAYER_EXTRACTOR_NAME!r} extractor needs layer_features=LayerFeatures(module, layer), "
                             f"got {type(layer_features).__name__}")
        self.layer_features = layer_features  # a plain object, so its model is not a registered submodule

    @staticmethod
    def get_provided_features_list():
        return ("features",)

    @staticmethod
    def get_default_feature_layer_for_metric(metric):
        return "features"

    @staticmethod
    def can_be_compiled():
        return False

    @staticmethod
    def get_dummy_input_for_compile():
        return torch.zeros(1, 3, 32, 32, dtype=torch.uint8)

    def forward(self, images: torch.Tensor):
        if images.dtype != torch.uint8:
            raise ValueError(f"expected uint8 images, got {images.dtype}")
        return (self.layer_features(images.float() / 255.0),)


def register() -> None:
    """Register the probe and the generic layer extractors with torch-fidelity (idempotent)."""
    if EXTRACTOR_NAME not in FEATURE_EXTRACTORS_REGISTRY:
        torch_fidelity.register_feature_extractor(EXTRACTOR_NAME, ProbeFeatureExtractor)
    if LAYER_EXTRACTOR_NAME not in FEATURE_EXTRACTORS_REGISTRY:
        torch_fidelity.register_feature_extractor(LAYER_EXTRACTOR_NAME, ModuleFeatureExtractor)


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


def _check_extractor(feature_extractor: LayerFeatures | None, probe_weights: str | None) -> None:
    if feature_extractor is None:
        return
    if not isinstance(feature_extractor, LayerFeatures):
        raise ValueError(f"feature_extractor must be None (the shapes probe) or a LayerFeatures(module, layer), "
                         f"got {type(feature_extractor).__name__}")
    if probe_weights is not None:
        raise ValueError("pass either probe_weights (for the shapes probe) or feature_extractor, not both")


def fid_statistics(images: torch.Tensor, *, batch_size: int = 500, probe_weights: str | None = None,
                   feature_extractor: LayerFeatures | None = None) -> dict[str, np.ndarray]:
    """Mean and covariance of an image set's probe features (torch-fidelity's statistics), for reuse.

    ``feature_extractor`` (a :class:`LayerFeatures`) replaces the probe by any model's layer.
    """
    _check_set("images", images)
    _check_extractor(feature_extractor, probe_weights)
    extractor = _extractor(probe_weights) if feature_extractor is None else \
        ModuleFeatureExtractor(LAYER_EXTRACTOR_NAME, ["features"], layer_features=feature_extractor)
    pixels = to_uint8(images)
    features = torch.cat([extractor(pixels[i:i + batch_size])[0] for i in range(0, pixels.shape[0], batch_size)])
    return fid_features_to_statistics(features)


def fid_from_statistics(stats_a: dict[str, np.ndarray], stats_b: dict[str, np.ndarray]) -> float:
    """Fréchet distance between two sets of statistics from :func:`fid_statistics` (torch-fidelity's formula)."""
    return float(fid_statistics_to_metric(stats_a, stats_b, verbose=False)[KEY_METRIC_FID])


def fid(images_a: torch.Tensor, images_b: torch.Tensor, *, batch_size: int = 250, probe_weights: str | None = None,
        feature_extractor: LayerFeatures | None = None) -> float:
    """Fréchet distance between two image sets ([N, 3, 64, 64] in [0, 1]) in probe-feature space.

    Runs torch-fidelity's ``calculate_metrics`` end to end; to compare many sets against one
    reference, compute the reference's :func:`fid_statistics` once and use :func:`fid_from_statistics`.
    ``feature_extractor`` (a :class:`LayerFeatures`) measures in any model's layer instead,
    for images of whatever size its preprocessing accepts.
    """
    register()
    for name, images in (("images_a", images_a), ("images_b", images_b)):
        _check_set(name, images)
    _check_extractor(feature_extractor, probe_weights)
    if feature_extractor is None:
        extractor = {"feature_extractor": EXTRACTOR_NAME, "feature_layer_fid": "penultimate", "probe_weights": probe_weights}
    else:
        extractor = {"feature_extractor": LAYER_EXTRACTOR_NAME, "feature_layer_fid": "features", "layer_features": feature_extractor}
    metrics = torch_fidelity.calculate_metrics(
        input1=_Uint8Images(images_a), input2=_Uint8Images(images_b), fid=True, cuda=False, batch_size=batch_size,
        cache=False, verbose=False, save_cpu_ram=True, **extractor,
    )
    return float(metrics[KEY_METRIC_FID])
