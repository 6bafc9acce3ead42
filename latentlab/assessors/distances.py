"""Image distances: blurred MSE (seed 002 eq. 4.5), a probe-feature distance, and LPIPS."""

from __future__ import annotations

import math
from numbers import Real

import torch

from latentlab.assessors.base import check_images
from latentlab.assessors.probe_reader import as_reader
from latentlab.errors import unknown_name_error


def gaussian_blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gaussian blur of σ pixels: :func:`torchvision.transforms.v2.functional.gaussian_blur` with the kernel
    sized from σ (radius ⌊3σ + ½⌋, at least 1) and reflect padding; σ = 0 returns the input.

    Differentiable (it is a convolution) and batched over any leading dimensions [..., C, H, W].
    """
    if isinstance(sigma, bool) or not isinstance(sigma, Real) or not math.isfinite(sigma) or sigma < 0:
        raise ValueError(f"sigma must be a finite number of pixels >= 0 (0: no blur), got {sigma!r}")
    if sigma == 0:
        return images
    from torchvision.transforms.v2.functional import gaussian_blur as torchvision_gaussian_blur

    radius = max(1, int(3 * sigma + 0.5))
    if min(images.shape[-2:]) <= radius:
        raise ValueError(f"sigma={sigma} blurs over {radius} pixels, which needs images larger than {radius} × {radius} "
                         f"(reflect padding), got {tuple(images.shape)}")
    return torchvision_gaussian_blur(images, kernel_size=[2 * radius + 1] * 2, sigma=[float(sigma)] * 2)


def blurred_mse(a: torch.Tensor, b: torch.Tensor, sigma: float = 2.0, valid: torch.Tensor | None = None) -> torch.Tensor:
    """Per-image MSE between Gaussian-blurred images, optionally only where ``valid`` is 1.

    Seed 002 eq. 4.5: blurring widens the basin of attraction when inverting a generator;
    ``valid`` excludes the undefined regions of a transformed target (e.g. after a shift): the
    difference is zeroed there before blurring (‖((a − b)·valid) ∗ σ‖², so undefined pixels never
    leak into the defined region) and the result is averaged over the defined pixels.
    """
    a, b = check_images(a), check_images(b)
    if a.shape[1:] != b.shape[1:]:
        raise ValueError(f"images differ in shape: {tuple(a.shape)} vs {tuple(b.shape)}")
    if valid is None:
        return (gaussian_blur(a, sigma) - gaussian_blur(b, sigma)).pow(2).mean(dim=(1, 2, 3))
    valid = valid.to(a.dtype).expand_as(a[:, :1])
    diff = gaussian_blur((a - b) * valid, sigma) ** 2  # eq. 4.5 is the blurred difference: blur((a − b)·m)
    return diff.sum(dim=(1, 2, 3)) / (a.shape[1] * valid.sum(dim=(1, 2, 3))).clamp(min=1)


def probe_feature_distance(a: torch.Tensor, b: torch.Tensor, probe=None) -> torch.Tensor:
    """Offline perceptual distance: squared L2 between ``shapes-probe`` penultimate features, per image.

    Meaningful for Shapes-world images only (the probe knows nothing else); use LPIPS for photos.
    """
    reader = as_reader(probe)
    fa, fb = reader.features(check_images(a)), reader.features(check_images(b).to(a.device))
    return ((fa - fb) ** 2).mean(dim=1)


LPIPS_NETS = ("alex", "vgg", "squeeze")


class LPIPSDistance(torch.nn.Module):
    """LPIPS (Zhang et al.) through the ``lpips`` package; images in [0, 1].

    The linear heads ship with ``lpips``; the backbone comes from torchvision's download cache.
    Offline, pre-download it once (``python -c "import lpips; lpips.LPIPS(net='alex')"`` on a
    connected machine) or copy the torchvision checkpoint into ``$TORCH_HOME/hub/checkpoints``.
    ``random_backbone=True`` builds the real architecture with random weights (for tests).
    """

    def __init__(self, net: str = "alex", random_backbone: bool = False):
        super().__init__()
        if net not in LPIPS_NETS:
            raise unknown_name_error("LPIPS network", net, LPIPS_NETS)
        import lpips

        try:
            self.model = lpips.LPIPS(net=net, pnet_rand=random_backbone, verbose=False)
        except (OSError, RuntimeError) as error:  # URLError is an OSError
            hub = torch.hub.get_dir()
            raise RuntimeError(
                f"LPIPS({net!r}) needs torchvision's pretrained {net} backbone, which could not be loaded ({error}). "
                f"Run once with internet access, or place the checkpoint file in {hub}/checkpoints/."
            ) from None
        self.model.eval()

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        a, b = check_images(a), check_images(b)
        return self.model(a * 2 - 1, b * 2 - 1).flatten()
