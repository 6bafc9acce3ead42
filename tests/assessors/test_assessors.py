import pytest
import torch
from scipy.stats import spearmanr

from latentlab.assessors import (
    Brightness,
    Centeredness,
    ClassProbability,
    Colorfulness,
    HueCloseness,
    IntensityEntropy,
    LPIPSDistance,
    ObjectSize,
    ProbeFactor,
    Redness,
    Squareness,
    blurred_mse,
    probe_feature_distance,
)
from latentlab.data import render, sample_factors


@pytest.fixture(scope="module")
def world():
    f = sample_factors(300, seed=77)
    images, masks = render(f)
    return f, images, masks


def _rho(a, b):
    return spearmanr(a.detach().numpy(), b.detach().numpy()).correlation


@pytest.mark.parametrize("make", [Brightness, Colorfulness, Redness, IntensityEntropy, ObjectSize, Centeredness, Squareness,
                                  lambda: ClassProbability("star"), lambda: ProbeFactor("x"), lambda: HueCloseness("red")])
def test_assessors_score_each_image_and_pass_gradients(make, world):
    assessor = make()
    images = world[1][:6].clone().requires_grad_(True)
    scores = assessor(images)
    assert scores.shape == (6,) and torch.isfinite(scores).all()
    scores.sum().backward()
    assert images.grad is not None and images.grad.abs().sum() > 0
    assert assessor.name and assessor.unit


def test_property_assessors_track_their_ground_truth(world):
    f, images, masks = world
    with torch.no_grad():
        size = ObjectSize()(images)
        assert _rho(size, masks.mean(dim=(1, 2, 3))) > 0.95
        stars = f.shape == 3
        assert _rho(size[stars], f.scale[stars]) > 0.9
        assert _rho(ProbeFactor("x")(images), f.x) > 0.95
        assert _rho(ProbeFactor("scale")(images), f.scale) > 0.95
        assert _rho(Centeredness()(images), -torch.hypot(f.x - 0.5, f.y - 0.5)) > 0.9
        # background dominates brightness when the object is fixed
        same = sample_factors(200, seed=3, shape="circle", hue=0.6, scale=0.35)
        assert _rho(Brightness()(render(same)[0]), same.bg_brightness) > 0.9
        red = render(sample_factors(50, seed=1, hue="red", bg_hue="cyan"))[0]
        blue = render(sample_factors(50, seed=1, hue="blue", bg_hue="cyan"))[0]
        assert (Redness()(red) > Redness()(blue)).float().mean() > 0.95
        assert HueCloseness("red")(red).mean() > 0.95 and HueCloseness("red")(blue).mean() < 0
        stars = render(sample_factors(50, seed=2, shape="star"))[0]
        assert ClassProbability("star")(stars).mean() > 0.95 and ClassProbability("heart")(stars).mean() < 0.05


def test_colour_and_entropy_properties_on_constructed_images():
    gray = torch.full((1, 3, 32, 32), 0.5)
    vivid = torch.zeros(1, 3, 32, 32)
    vivid[:, 0, :, :16], vivid[:, 2, :, 16:] = 1.0, 1.0
    assert Colorfulness()(gray) < 1 and Colorfulness()(vivid) > 50
    ramp = torch.linspace(0, 1, 32).view(1, 1, 1, 32).expand(1, 3, 32, 32)
    assert IntensityEntropy()(gray) < 1.5 < IntensityEntropy()(ramp)


def test_squareness_is_the_axis_ratio_of_the_mask():
    def rect(h, w):
        mask = torch.zeros(1, 1, 64, 64)
        mask[..., 32 - h // 2:32 + h // 2, 32 - w // 2:32 + w // 2] = 1
        return lambda images: mask.expand(images.shape[0], -1, -1, -1)

    image = torch.rand(1, 3, 64, 64)
    assert Squareness(rect(20, 20))(image).item() == pytest.approx(1.0, abs=1e-3)
    assert Squareness(rect(10, 40))(image).item() == pytest.approx(0.25, abs=0.02)


def test_composition_and_masking(world):
    images = world[1][:4]
    a, b = Brightness(), Redness()
    combo = 2.0 * a - b
    assert torch.allclose(combo(images), 2 * a(images) - b(images))
    assert "brightness" in combo.name and "redness" in combo.name
    assert torch.allclose((-a)(images), -a(images))
    box = torch.zeros(64, 64)
    box[10:30, 20:50] = 1
    assert torch.allclose(a.masked(box)(images), a(images * box))
    crop = a.masked(box, mode="crop")(images)
    assert torch.allclose(crop, a(torch.nn.functional.interpolate(images[:, :, 10:30, 20:50], size=(64, 64), mode="bilinear")), atol=1e-5)


@pytest.mark.parametrize(
    "images, match",
    [(torch.rand(2, 3, 8, 8) * 2, r"\[0, 1\]"), (torch.rand(3, 8, 8), r"\[N, 3, H, W\]"), (torch.rand(2, 1, 8, 8), r"\[N, 3, H, W\]"),
     (torch.zeros(2, 3, 8, 8, dtype=torch.uint8), "floating point"), (torch.rand(0, 3, 8, 8), "N >= 1")],
)
def test_bad_images_fail_clearly(images, match):
    with pytest.raises(ValueError, match=match):
        Brightness()(images)


@pytest.mark.parametrize(
    "mask, match",
    [(torch.zeros(64, 64), "empty"), (torch.ones(64, 64), "whole image"), (torch.full((64, 64), 0.5), "binary-like"),
     (torch.ones(32, 32) * (torch.rand(32, 32) > 0.5), r"\(32, 32\) but the images are \(64, 64\)"), (torch.full((64, 64), 2.0), r"\[0, 1\]")],
)
def test_bad_masks_fail_clearly(mask, match):
    with pytest.raises(ValueError, match=match):
        Brightness().masked(mask)(torch.rand(2, 3, 64, 64))


def test_blurred_mse_and_feature_distance(world):
    images = world[1][:4]
    assert torch.allclose(blurred_mse(images, images), torch.zeros(4))
    noise = (images + 0.2 * torch.randn_like(images)).clamp(0, 1)
    assert (blurred_mse(images, noise, sigma=2.0) < blurred_mse(images, noise, sigma=0.0)).all()
    edited = images.clone()
    edited[..., :8] = 0.0  # an undefined strip, as after shifting a target
    valid = torch.zeros(1, 1, 64, 64)
    valid[..., 16:] = 1  # beyond the strip plus the blur's reach
    assert (blurred_mse(images, edited) > 1e-4).all()
    assert torch.allclose(blurred_mse(images, edited, valid=valid), torch.zeros(4), atol=1e-10)
    assert torch.allclose(probe_feature_distance(images, images), torch.zeros(4))
    assert (probe_feature_distance(images, images.flip(0)) > 0).all()


def test_lpips_with_the_real_architecture_and_random_backbone():
    torch.manual_seed(0)
    lpips = LPIPSDistance("alex", random_backbone=True)
    a, b = torch.rand(2, 3, 64, 64), torch.rand(2, 3, 64, 64)
    assert torch.allclose(lpips(a, a), torch.zeros(2), atol=1e-6) and (lpips(a, b) > 0).all()
    with pytest.raises(ValueError, match="Did you mean 'vgg'"):
        LPIPSDistance("vgj")
