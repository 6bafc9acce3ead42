import math

import pytest
import torch

from latentlab.generators.compact_biggan import CompactBigGAN, CompactBigGANConfig
from latentlab.generators.placement import Placement, rotation_grid
from latentlab.recipes.shapes_biggan import fold_spectral_norm


def _contract(g):
    z = g.sample_latents(6, seed=3)
    y = g.sample_classes(6, seed=3)
    images = g(z, y)
    assert images.shape == (6, 3, g.resolution, g.resolution)
    assert images.min() >= 0 and images.max() <= 1
    assert torch.equal(z, g.sample_latents(6, seed=3)) and not torch.equal(z, g.sample_latents(6, seed=4))
    assert torch.equal(g.generate(6, seed=3), g.generate(6, seed=3))
    assert g.sample_latents(500, seed=1, truncation=0.5).abs().max() <= 0.5


def test_tiny_generator_contract(tiny_generator):
    _contract(tiny_generator)
    assert tiny_generator.resolution == 32 and tiny_generator.latent_dim == 12


def test_shipped_generator_contract(shipped_generator):
    _contract(shipped_generator)
    assert shipped_generator.resolution == 64
    assert shipped_generator.class_names == ("circle", "square", "triangle", "star", "heart")


def test_split_recombines_to_the_full_generator(tiny_generator):
    g = tiny_generator
    z, y = g.sample_latents(4, seed=0), g.classes("star", 4)
    for layer in g.layer_names():
        part = g.split(layer)
        w = part.f(z, y)
        assert w.dim() == 4
        assert torch.allclose(part.h(w, z, y), g(z, y), atol=1e-6)
    assert g.split("block1").f(z, y).shape[-1] == 8
    with pytest.raises(ValueError, match="block1"):
        g.split("blok1")


def test_soft_class_vectors_match_indices_and_mix(tiny_generator):
    g = tiny_generator
    z = g.sample_latents(2, seed=1)
    y = torch.tensor([1, 3])
    onehot = torch.nn.functional.one_hot(y, 5).float()
    assert torch.allclose(g(z, y), g(z, onehot), atol=1e-6)
    mixed = g(z, torch.full((2, 5), 0.2))
    assert not torch.allclose(mixed, g(z, y))


def test_spectral_norm_folds_into_plain_weights():
    torch.manual_seed(1)
    cfg = CompactBigGANConfig(latent_dim=12, embed_dim=8, channels=(32, 16, 8), spectral_norm=True)
    sn = CompactBigGAN(cfg)
    sn.train()
    for _ in range(3):  # power iterations update u, v and BN statistics
        sn(sn.sample_latents(8, seed=0), sn.sample_classes(8, seed=0))
    sn.eval()
    plain = fold_spectral_norm(sn)
    z, y = sn.sample_latents(4, seed=2), sn.sample_classes(4, seed=2)
    assert not plain.config.spectral_norm
    assert torch.allclose(plain(z, y), sn(z, y), atol=1e-5)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda g: g(torch.zeros(2, 11), torch.tensor([0, 1])), "shape"),
        (lambda g: g(torch.full((2, 12), math.nan), torch.tensor([0, 1])), "NaN"),
        (lambda g: g(torch.zeros(2, 12)), "class-conditional"),
        (lambda g: g(torch.zeros(2, 12), torch.tensor([0, 7])), "0..4"),
        (lambda g: g(torch.zeros(2, 12), torch.tensor([0])), "2 latents but 1"),
        (lambda g: g.classes("hart", 2), "heart"),
        (lambda g: g.sample_latents(0), "positive integer"),
        (lambda g: g.sample_latents(3, truncation=0), "truncation"),
        (lambda g: g.sample_latents(3, truncation=-0.5), "truncation"),
        (lambda g: g.generate(3, truncation=float("nan")), "truncation"),
        (lambda g: g.split("nope"), "layer"),
    ],
)
def test_bad_inputs_fail_clearly(tiny_generator, call, match):
    with pytest.raises(ValueError, match=match):
        call(tiny_generator)


def test_rgb_output_variant_and_unknown_output():
    torch.manual_seed(0)
    g = CompactBigGAN(CompactBigGANConfig(latent_dim=12, embed_dim=8, channels=(32, 16, 8, 8), output="rgb")).eval()
    _contract(g)
    assert not hasattr(g, "object_colour")
    with pytest.raises(ValueError, match="layered"):
        CompactBigGAN(CompactBigGANConfig(latent_dim=12, channels=(32, 16), output="rgba"))


def test_layered_output_composites_one_object_colour(tiny_generator):
    g = tiny_generator
    z, y = g.sample_latents(3, seed=5), g.classes("circle", 3)
    z0, conds = g._conditions(z, g.class_vectors(y))
    colour = torch.sigmoid(g.object_colour(torch.cat([z0, conds[-1]], dim=1)))[:, :, None, None]
    with torch.no_grad():
        g.out_conv.bias[3] = 60.0  # alpha = 1: the object covers everything
        assert torch.allclose(g(z, y), colour.expand(3, 3, 32, 32), atol=1e-5)
        g.out_conv.bias[3] = -60.0  # alpha = 0: only the background, whatever the object colour
        background = g(z, y)
        g.object_colour.bias += 1.0
        assert torch.allclose(g(z, y), background, atol=1e-5)


def test_layers_composite_to_the_image_with_class_in_stem_and_colour_mlp():
    torch.manual_seed(0)
    cfg = CompactBigGANConfig(latent_dim=12, embed_dim=8, channels=(32, 16, 8, 8), class_in_stem=True, colour_hidden=8)
    g = CompactBigGAN(cfg).eval()
    _contract(g)
    z, y = g.sample_latents(4, seed=1), g.sample_classes(4, seed=1)
    background, alpha, colour = g.layers(z, y)
    assert background.shape == (4, 3, 32, 32) and alpha.shape == (4, 1, 32, 32) and colour.shape == (4, 3, 1, 1)
    assert torch.allclose(g(z, y), background + alpha * (colour - background), atol=1e-6)
    # the stem sees the class: same z, another class, other stem features
    assert not torch.allclose(g.split("stem").f(z, y), g.split("stem").f(z, (y + 1) % 5))
    assert CompactBigGANConfig.from_json(cfg.to_json()) == cfg


def test_layers_need_a_layered_generator():
    g = CompactBigGAN(CompactBigGANConfig(latent_dim=12, embed_dim=8, channels=(32, 16, 8), output="rgb"))
    with pytest.raises(ValueError, match="output='layered'"):
        g.layers(g.sample_latents(2, seed=0), g.sample_classes(2, seed=0))


def test_shipped_generator_renders_what_its_latents_stand_for(shipped_generator):
    """shapes-biggan was trained to render the factors LATENT_FACTORS reads off each latent."""
    from latentlab.data import render
    from latentlab.recipes.shapes_biggan import LATENT_FACTORS

    g = shipped_generator
    z, y = g.sample_latents(64, seed=11), g.sample_classes(64, seed=11)
    with torch.no_grad():
        images = g(z, y)
    target, mask = render(LATENT_FACTORS(z, y))
    error = (images - target).abs().mean().item()
    assert error < 0.03, error
    # and another latent's render is much further away: the pairing is specific
    assert (images - target.roll(1, 0)).abs().mean().item() > 3 * error


def test_rotation_grid_turns_an_upright_render_into_the_rotated_one():
    import torch.nn.functional as F

    from latentlab.data import render_layers, sample_factors

    factors = sample_factors(8, seed=3)
    _, alpha, _ = render_layers(factors)
    _, upright, _ = render_layers(sample_factors(8, seed=3, rotation=0.0))
    centre = torch.stack([factors.x, factors.y], 1)
    rotation = torch.stack([torch.cos(factors.rotation), torch.sin(factors.rotation)], 1)
    turned = F.grid_sample(upright, rotation_grid(centre, rotation, 64), align_corners=False)
    assert (turned - alpha).abs().mean() < 0.2 * (upright - alpha).abs().mean()
    backwards = F.grid_sample(upright, rotation_grid(centre, rotation * torch.tensor([1.0, -1.0]), 64),
                              align_corners=False)
    assert (turned - alpha).abs().mean() < 0.2 * (backwards - alpha).abs().mean()


def test_placement_grid_moves_turns_and_scales_a_centred_render():
    import torch.nn.functional as F

    from latentlab.data import render_layers, sample_factors

    factors = sample_factors(8, seed=5)
    _, alpha, _ = render_layers(factors)
    _, centred, _ = render_layers(sample_factors(8, seed=5, rotation=0.0, scale=0.5, x=0.5, y=0.5))
    centre = torch.stack([factors.x, factors.y], 1)
    rotation = torch.stack([torch.cos(factors.rotation), torch.sin(factors.rotation)], 1)
    g = CompactBigGAN(CompactBigGANConfig(latent_dim=12, embed_dim=8, channels=(32, 16, 8), rotate_object=True,
                                          scale_object=True, object_size=0.5))
    placed = F.grid_sample(centred, g._placement_grid(Placement(centre, rotation, factors.scale), 64), align_corners=False)
    unscaled = F.grid_sample(centred, g._placement_grid(Placement(centre, rotation, torch.full((8,), 0.5)), 64),
                             align_corners=False)
    assert (placed - alpha).abs().mean() < 0.2 * (unscaled - alpha).abs().mean()
    assert (placed - alpha).abs().mean() < 0.01


def _placing_generator(**options):
    """A tiny generator that places its object (and keeps the generator contract), with three latents."""
    torch.manual_seed(0)
    g = CompactBigGAN(CompactBigGANConfig(latent_dim=12, embed_dim=8, channels=(32, 16, 8, 8), rotate_object=True,
                                          **options)).eval()
    _contract(g)
    return g, g.sample_latents(3, seed=2), g.sample_classes(3, seed=2)


def test_rotate_object_turns_only_the_alpha_and_follows_region_edits():
    g, z, y = _placing_generator(class_in_stem=True)
    centre, rotation, size = g.placement(z, y)
    assert centre.shape == (3, 2) and torch.allclose(rotation.norm(dim=1), torch.ones(3), atol=1e-5) and size is None
    background, alpha, colour = g.layers(z, y)
    assert torch.allclose(g(z, y), background + alpha * (colour - background), atol=1e-6)
    with torch.no_grad():  # turning the placement by 90 degrees changes the image
        g.placement_head[2].bias[2:] += torch.tensor([50.0, 0.0])
        a0 = g.layers(z, y)[1]
        g.placement_head[2].bias[2:] += torch.tensor([-100.0, 100.0])
        a90 = g.layers(z, y)[1]
    assert not torch.allclose(a0, a90, atol=1e-3)
    # a region edit that covers everything gives the edit's own image, placement included
    z2 = g.sample_latents(3, seed=9)
    full = torch.ones(1, 1, 32, 32)
    edited = g.synthesize_edits((z, g.class_vectors(y)), [(z2, g.class_vectors(y), full)], "block1")
    assert torch.allclose(edited, g(z2, y), atol=1e-5)
    with pytest.raises(ValueError, match="rotate_object"):
        CompactBigGAN(CompactBigGANConfig(latent_dim=12, embed_dim=8, channels=(32, 16, 8), rotate_object=False)).placement(z, y)
    with pytest.raises(ValueError, match="layered"):
        CompactBigGAN(CompactBigGANConfig(latent_dim=12, channels=(32, 16), output="rgb", rotate_object=True))


def test_scale_object_sizes_the_object_by_the_placement_head():
    g, z, y = _placing_generator(scale_object=True)
    size = g.placement(z, y).size
    assert size.shape == (3,) and (size > 0).all()
    with torch.no_grad():  # a smaller predicted size shrinks the same drawing onto fewer pixels
        before = g.layers(z, y)[1].sum()
        g.placement_head[2].bias[4] -= 1.0
        after = g.layers(z, y)[1].sum()
        assert torch.allclose(g.placement(z, y).size, size / torch.e, rtol=1e-4)
    assert after < 0.3 * before
    with pytest.raises(ValueError, match="rotate_object"):
        CompactBigGAN(CompactBigGANConfig(latent_dim=12, embed_dim=8, channels=(32, 16), scale_object=True))
    with pytest.raises(ValueError, match="object_size"):
        CompactBigGAN(CompactBigGANConfig(latent_dim=12, embed_dim=8, channels=(32, 16), rotate_object=True,
                                          scale_object=True, object_size=1.5))


def test_chunk_knee_reads_each_latent_chunk_by_its_direction():
    g = CompactBigGAN(CompactBigGANConfig(latent_dim=12, embed_dim=8, channels=(32, 16, 8), chunk_knee=0.5)).eval()
    z, y = g.sample_latents(4, seed=0), g.sample_classes(4, seed=0)
    chunks = z.unflatten(1, (3, 4))
    z = (chunks / chunks.square().mean(-1, keepdim=True).sqrt()).flatten(1)  # every chunk at rms 1
    with torch.no_grad():
        assert torch.allclose(g(z, y), g(0.6 * z, y), atol=1e-5)  # only the direction counts above the knee
        assert not torch.allclose(g(z, y), g(z.roll(1, 1), y), atol=1e-3)
        mean, near = g(torch.zeros_like(z), y), g(0.01 * z, y)  # far below the knee: toward the mean latent
        assert (near - mean).abs().max() < 0.1 * (g(z, y) - mean).abs().max()
