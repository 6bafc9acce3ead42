import math

import pytest
import torch

from latentlab.data import (
    SHAPES,
    LatentFactorMap,
    ShapesDataset,
    hue_distance,
    render,
    render_layers,
    render_shapes,
    sample_factors,
)
from latentlab.data.colours import COLOURS, rgb_to_hue
from latentlab.data.shapes import SCALE_RANGE
from latentlab.latents import truncated_normal


def test_same_seed_same_images_and_captions():
    a, b = render_shapes(12, seed=5), render_shapes(12, seed=5)
    assert torch.equal(a.images, b.images) and torch.equal(a.masks, b.masks)
    assert a.captions == b.captions
    assert not torch.equal(a.images, render_shapes(12, seed=6).images)


def test_images_and_masks_shapes_and_ranges():
    batch = render_shapes(10, seed=0)
    assert batch.images.shape == (10, 3, 64, 64) and batch.masks.shape == (10, 1, 64, 64)
    assert batch.images.min() >= 0 and batch.images.max() <= 1
    assert batch.masks.min() >= 0 and batch.masks.max() <= 1
    # anti-aliased: edges have partial coverage
    assert ((batch.masks > 0.05) & (batch.masks < 0.95)).any()


@pytest.mark.parametrize("shape", SHAPES)
def test_mask_centroid_is_the_requested_position(shape):
    xs, ys = torch.tensor([0.35, 0.5, 0.62]), torch.tensor([0.6, 0.45, 0.38])
    f = sample_factors(3, seed=1, shape=shape, x=xs, y=ys, scale=0.5)
    _, masks = render(f)
    grid = (torch.arange(64) + 0.5) / 64
    m = masks[:, 0]
    cx = (m * grid[None, None, :]).sum((1, 2)) / m.sum((1, 2))
    cy = (m * grid[None, :, None]).sum((1, 2)) / m.sum((1, 2))
    assert torch.allclose(cx, xs, atol=0.5 / 64) and torch.allclose(cy, ys, atol=0.5 / 64)


@pytest.mark.parametrize("shape", SHAPES)
def test_mask_area_grows_as_scale_squared(shape):
    scales = torch.tensor([0.3, 0.45, 0.6])
    f = sample_factors(3, seed=2, shape=shape, x=0.5, y=0.5, rotation=0.3, scale=scales)
    _, masks = render(f)
    area = masks.sum((1, 2, 3))
    ratio = area / scales**2
    assert (ratio.max() - ratio.min()) / ratio.mean() < 0.05


def test_objects_cover_a_readable_share_of_the_image():
    f = sample_factors(500, seed=3)
    _, masks = render(f)
    cols = (masks[:, 0] > 0.5).any(dim=1).float().sum(1) / 64  # object width fraction
    assert cols.min() > 0.15 and cols.max() < 0.75 and 0.25 < cols.mean() < 0.55


@pytest.mark.parametrize("colour", list(COLOURS))
def test_object_pixels_have_the_requested_hue(colour):
    batch = render_shapes(4, seed=4, hue=colour)
    inside = batch.masks[:, 0] > 0.99
    rgb = batch.images.permute(0, 2, 3, 1)[inside]
    hues = rgb_to_hue(rgb)
    assert hue_distance(hues, torch.tensor(COLOURS[colour])).max() < 0.01


def test_chosen_factors_are_returned_and_others_vary():
    f = sample_factors(50, seed=0, shape="star", hue=0.3)
    assert (f.shape == SHAPES.index("star")).all() and torch.allclose(f.hue, torch.tensor(0.3))
    assert f.x.std() > 0.05 and f.rotation.std() > 0.5
    # fixing one factor leaves the draws of the others unchanged
    g = sample_factors(50, seed=0)
    assert torch.equal(f.rotation, g.rotation) and torch.equal(f.bg_brightness, g.bg_brightness)


def test_object_stays_inside_the_image():
    f = sample_factors(1000, seed=9)
    assert ((f.x - f.scale / 2) >= 0).all() and ((f.x + f.scale / 2) <= 1).all()
    assert ((f.y - f.scale / 2) >= 0).all() and ((f.y + f.scale / 2) <= 1).all()


def test_background_is_not_flat():
    batch = render_shapes(8, seed=1)
    background = batch.images * (batch.masks < 0.01)
    per_image_std = torch.stack([background[i][:, batch.masks[i, 0] < 0.01].std(dim=1).mean() for i in range(8)])
    assert (per_image_std > 0.005).all()


def test_captions_name_shape_and_vary_their_templates():
    batch = render_shapes(200, seed=0, shape="heart", hue="blue")
    assert all("heart" in c for c in batch.captions)
    assert sum("blue" in c for c in batch.captions) > 150
    assert len({c.split()[0] for c in batch.captions}) >= 4  # several templates
    positional = render_shapes(1, seed=0, shape="star", x=0.3, y=0.3, scale=0.4, hue="red")
    assert "star" in positional.captions[0]


def test_dataset_streams_seeded_batches():
    ds = ShapesDataset(batch_size=8, seed=3, batches=2)
    batches = list(ds)
    assert len(batches) == 2 and batches[0].images.shape == (8, 3, 64, 64)
    assert torch.equal(batches[1].images, ShapesDataset(batch_size=8, seed=3).batch(1).images)


def test_other_sizes_render():
    assert render(sample_factors(2, seed=0), size=32)[0].shape == (2, 3, 32, 32)


@pytest.mark.parametrize(
    "kwargs, match",
    [({"shape": "stra"}, "star"), ({"hue": "redd"}, "red"), ({"colr": 1}, "factor"), ({"scale": 0.0}, "scale"),
     ({"x": math.nan}, "finite"), ({"shape": 9}, "out of range")],
)
def test_bad_factors_fail_clearly(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sample_factors(4, seed=0, **kwargs)


@pytest.mark.parametrize("n", [0, -3, 2.5, "4"])
def test_bad_sizes_fail_clearly(n):
    with pytest.raises(ValueError, match="positive integer"):
        render_shapes(n, seed=0)


def test_render_layers_composite_to_the_render():
    factors = sample_factors(6, seed=2)
    background, alpha, colour = render_layers(factors)
    images, masks = render(factors)
    assert torch.allclose(background + alpha * (colour - background), images, atol=1e-6)
    assert torch.equal(alpha, masks) and colour.shape == (6, 3, 1, 1)


def test_latent_factors_follow_the_world_distribution():
    """Factors read off Gaussian latents are distributed as sample_factors draws them."""
    factor_map = LatentFactorMap(120, 24, seed=0)
    z, shape = torch.randn(20000, 120, generator=torch.Generator().manual_seed(0)), torch.randint(5, (20000,))
    read, drawn = factor_map(z, shape), sample_factors(20000, seed=1)
    assert torch.equal(read.shape, shape)
    for name in ("hue", "x", "y", "scale", "rotation", "bg_hue", "bg_brightness", "bg_angle", "bg_phase"):
        a, b = getattr(read, name).sort().values, getattr(drawn, name).sort().values
        spread = (b[-1] - b[0]).item()
        assert (a - b).abs().mean().item() < 0.02 * spread, name  # 1-D Wasserstein distance, relative
    gap = hue_distance(read.hue, read.bg_hue)
    assert gap.min() >= 60 / 360 - 1e-4
    # deterministic, and different seeds rotate the latent differently
    assert torch.equal(factor_map(z[:5], shape[:5]).x, LatentFactorMap(120, 24, seed=0)(z[:5], shape[:5]).x)
    assert not torch.allclose(LatentFactorMap(120, 24, seed=1)(z[:5], shape[:5]).x, read.x[:5])


def test_truncated_latents_pull_bounded_factors_to_their_median_but_keep_hues():
    factor_map = LatentFactorMap(120, 24, seed=0)
    z = torch.randn(5000, 120, generator=torch.Generator().manual_seed(0))
    shape = torch.zeros(5000, dtype=torch.long)
    full, truncated = factor_map(z, shape), factor_map(z.clamp(-0.3, 0.3), shape)
    assert truncated.scale.std() < 0.5 * full.scale.std()
    assert (truncated.hue * 8).floor().unique().numel() == 8  # every eighth of the hue circle still occurs


def test_latent_factors_with_a_knee_read_direction_and_shrink_below_it():
    """With a knee, factors still follow the world's distribution under the prior; truncation at
    ψ = 1 keeps their spread, and stronger truncation narrows it about in proportion to ψ."""
    factor_map = LatentFactorMap(120, 24, seed=0, knee=0.5)
    z, shape = torch.randn(20000, 120, generator=torch.Generator().manual_seed(0)), torch.randint(5, (20000,))
    read, drawn = factor_map(z, shape), sample_factors(20000, seed=1)
    for name in ("hue", "x", "y", "scale", "rotation", "bg_hue", "bg_brightness"):
        a, b = getattr(read, name).sort().values, getattr(drawn, name).sort().values
        assert (a - b).abs().mean().item() < 0.02 * (b[-1] - b[0]).item(), name
    assert torch.allclose(factor_map(1.5 * z[:50], shape[:50]).x, read.x[:50], atol=1e-5)  # length above the knee
    u = (read.scale - SCALE_RANGE[0]) / (SCALE_RANGE[1] - SCALE_RANGE[0])
    for psi, low, high in ((1.0, 0.9, 1.1), (0.25, 0.15, 0.45)):
        narrowed = factor_map(truncated_normal(20000, 120, psi, seed=2), shape)
        ratio = ((narrowed.scale - SCALE_RANGE[0]) / (SCALE_RANGE[1] - SCALE_RANGE[0])).std() / u.std()
        assert low < ratio < high, (psi, ratio)
    median = factor_map(torch.zeros(1, 120), shape[:1])
    assert torch.allclose(median.scale, torch.tensor([sum(SCALE_RANGE) / 2]))
    with pytest.raises(ValueError, match="knee"):
        LatentFactorMap(120, 24, knee=1.5)


@pytest.mark.parametrize("z, shape, match", [
    (torch.zeros(2, 100), torch.zeros(2), r"\[N, 120\]"),
    (torch.zeros(2, 120), torch.tensor([0, 9]), "0..4"),
])
def test_latent_factor_map_bad_inputs(z, shape, match):
    with pytest.raises(ValueError, match=match):
        LatentFactorMap(120, 24)(z, shape)
    with pytest.raises(ValueError, match="at least 9"):
        LatentFactorMap(40, 4)
