"""Directions found in W, W+ and StyleSpace: GANSpace per layer, GANalyze, continuous factors, InterFaceGAN boundaries."""

import pytest
import torch

from latentlab import load_generator
from latentlab.assessors import Brightness, ObjectSize
from latentlab.methods import (
    conditional_direction,
    estimate_trajectories,
    fit_factor,
    ganalyze,
    invert,
    linear_boundary,
    pca_directions,
    sefa_directions,
    sweep_direction,
)
from latentlab.spaces import Direction, resolve_space


@pytest.fixture(scope="module")
def g():
    return load_generator("shapes-stylegan")


def test_ganspace_in_w_is_pca_of_mapped_styles_and_names_its_layers(g):
    directions = pca_directions(g, space="w", k=3, n_samples=600, layers="coarse")
    w = resolve_space("w", g).sample(600, seed=0)
    covariance = torch.cov((w - w.mean(0)).T)
    for d in directions:
        assert d.space == "w" and d.layers == tuple(g.mix_layers("coarse")) and abs(float(d.vector.norm()) - 1) < 1e-5
    top = directions[0].vector
    assert float(top @ covariance @ top) == pytest.approx(float(torch.linalg.eigvalsh(covariance)[-1]), rel=0.05)
    with pytest.raises(ValueError, match="is not W"):
        pca_directions(g, space="w+", k=2, n_samples=50, layers="coarse")


def test_ganalyze_learns_theta_in_w_that_raises_brightness(g):
    result = ganalyze(g, Brightness(), space="w", steps=40, alpha_range=(-0.1, 0.1), seed=0, progress=False)
    assert result.space == "w" and result.theta.shape == (g.w_dim,) and result.direction().space == "w"
    fit = result.validation(g, Brightness(), n=24).fit()
    assert fit.ci_low > 0  # moving along θ in W raises the score
    with pytest.raises(ValueError, match="leaves the class open"):
        ganalyze(g, Brightness(), space="w", class_dependent=True, steps=1)


def test_continuous_factor_in_w_moves_along_its_own_space(g):
    trajectories = estimate_trajectories(g, "shift_x", space="w", n=6, steps=2, iterations=8, t_max=0.2, seed=0, progress=False)
    factor = fit_factor(trajectories, steps=30, refine_steps=0)
    assert trajectories.space == "w" and trajectories.z0.shape[1] == g.w_dim
    assert factor.direction.space == "w" and factor.direction.projection


def test_invert_into_w_recovers_an_image_better_than_the_start(g):
    target = resolve_space("w", g).render(resolve_space("w", g).sample(2, seed=5)).detach()
    found = invert(g, target, space="w", steps=30, lr=0.05, seed=1)
    assert found.space == "w" and found.history[-1] < found.history[0]


def test_interfacegan_boundary_separates_large_from_small_objects_and_conditions(g):
    size = linear_boundary(g, ObjectSize(), space="w", n=300, seed=0)
    assert size.space == "w" and size.method == "interfacegan" and size.info["accuracy"] > 0.8
    sweep = sweep_direction(g, size, ObjectSize(), [-2.0, 0.0, 2.0], n=24)["object size"]
    assert sweep.fit().slope > 0  # the normal points towards bigger objects
    bright = linear_boundary(g, Brightness(), space="w", n=300, seed=1)
    kept = conditional_direction(size, bright)
    assert abs(float(kept.vector @ bright.unit)) < 1e-5 and float(kept.vector @ size.unit) > 0
    with pytest.raises(ValueError, match="not in the space"):
        conditional_direction(size, Direction(torch.ones(g.latent_dim)))
    with pytest.raises(ValueError, match="span"):
        conditional_direction(size, size)


def test_sefa_on_a_generator_without_a_linear_first_layer_says_so():
    from torch import nn

    from latentlab.generators.module_adapter import ModuleGenerator

    conv = ModuleGenerator(nn.Sequential(nn.Unflatten(1, (4, 1, 1)), nn.ConvTranspose2d(4, 3, 8), nn.Tanh()), latent_dim=4)
    with pytest.raises(ValueError, match="first_latent_weight"):
        sefa_directions(conv, k=2)
    mlp = ModuleGenerator(nn.Sequential(nn.Linear(4, 3 * 8 * 8), nn.Tanh()), latent_dim=4, output_shape=(3, 8, 8))
    assert len(sefa_directions(mlp, k=2)) == 2
