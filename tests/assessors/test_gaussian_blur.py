"""gaussian_blur: torchvision's blur with the kernel sized from σ, the same as a direct convolution."""

import pytest
import torch
import torch.nn.functional as F

from latentlab.assessors import blurred_mse, gaussian_blur


def direct_blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """The blur written out: a normalised Gaussian of radius ⌊3σ + ½⌋, reflect padding, two 1-D convolutions."""
    radius = max(1, int(3 * sigma + 0.5))
    x = torch.arange(-radius, radius + 1, dtype=images.dtype)
    kernel = torch.exp(-0.5 * (x / sigma) ** 2)
    kernel = kernel / kernel.sum()
    c = images.shape[1]
    padded = F.pad(images, (radius, radius, radius, radius), mode="reflect")
    rows = F.conv2d(padded, kernel.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(rows, kernel.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


@pytest.mark.parametrize("sigma", [0.3, 1.0, 2.0, 3.0, 4.5])
def test_blur_matches_a_direct_convolution_with_the_same_kernel(sigma):
    images = torch.rand(3, 3, 40, 36)
    blurred = gaussian_blur(images, sigma)
    assert blurred.shape == images.shape
    assert torch.allclose(blurred, direct_blur(images, sigma), atol=1e-6)
    grey = torch.rand(2, 1, 24, 24, dtype=torch.float64)
    assert torch.allclose(gaussian_blur(grey, sigma), direct_blur(grey, sigma), atol=1e-12)


def test_blur_is_batched_over_leading_dimensions_and_keeps_a_constant():
    images = torch.rand(2, 4, 3, 20, 20)
    together = gaussian_blur(images, 1.5)
    assert torch.allclose(together, gaussian_blur(images.flatten(0, 1), 1.5).unflatten(0, (2, 4)), atol=1e-7)
    assert torch.allclose(gaussian_blur(images[0, 0], 1.5), together[0, 0], atol=1e-7)  # one image [C, H, W]
    assert torch.allclose(gaussian_blur(torch.full((1, 3, 16, 16), 0.25), 2.0), torch.tensor(0.25))


def test_blur_is_differentiable():
    images = torch.rand(2, 3, 9, 9, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: gaussian_blur(x, 1.2), (images,))
    target = torch.rand(2, 3, 9, 9, dtype=torch.float64)
    loss = blurred_mse(images, target, sigma=1.2).sum()
    loss.backward()
    assert images.grad is not None and images.grad.abs().sum() > 0


def test_sigma_zero_is_no_blur():
    images = torch.rand(1, 3, 8, 8)
    assert gaussian_blur(images, 0) is images and gaussian_blur(images, 0.0) is images


@pytest.mark.parametrize("sigma", [-1.0, float("nan"), float("inf"), "2", True, None])
def test_bad_sigma_fails_clearly(sigma):
    with pytest.raises(ValueError, match="sigma must be a finite number"):
        gaussian_blur(torch.rand(1, 3, 8, 8), sigma)


def test_a_blur_wider_than_the_image_fails_clearly():
    with pytest.raises(ValueError, match=r"sigma=3.0 blurs over 9 pixels.*\(1, 3, 8, 8\)"):
        gaussian_blur(torch.rand(1, 3, 8, 8), 3.0)
