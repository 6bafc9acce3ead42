"""Every public call that took a space name still takes it (the README's examples), and takes a LatentSpace too."""

import pytest
import torch

from latentlab import load_generator
from latentlab.assessors import Brightness
from latentlab.masks import rect_mask
from latentlab.methods import evolve, invert, paint_by_word
from latentlab.optim import LatentObjective
from latentlab.spaces import resolve_space
from latentlab.widgets import LatentWalk, StyleMixer


@pytest.fixture(scope="module")
def g():
    return load_generator("shapes-stylegan")


@pytest.mark.parametrize("space", ["w", "W+", resolve_space])
def test_evolve_takes_names_and_spaces(g, space):
    space = space("stylespace", g) if callable(space) else space
    result = evolve("a red star", g, Brightness(), generations=2, population=4, space=space, classes="star", progress=False)
    assert result.best_image.shape == (3, 64, 64) and len(result.history) == 2


def test_paint_by_word_in_wplus(g):
    z = g.sample_latents(1, seed=0)
    result = paint_by_word(g, z, rect_mask(64, 8, 8, 40, 40), "a blue star", classes="star", space="w+", generations=2,
                           population=4, perceptual="none", progress=False)
    assert result.edits[-1].styles.shape == (g.num_ws, g.w_dim)


@pytest.mark.parametrize("space", ["z", "w", "w+", "stylespace"])
def test_latent_walk_in_every_space(g, space):
    walk = LatentWalk(g, 0, 1, classes="star", steps=3, space=space, throttle_s=0)
    frames = walk.state.frames()
    with torch.no_grad():
        start = g(g.sample_latents(1, seed=0), g.classes("star", 1))
    assert frames.shape == (3, 3, 64, 64) and torch.allclose(frames[0], start[0], atol=2e-5)


def test_objective_mixer_and_inversion_keep_their_names(g):
    biggan = load_generator("shapes-biggan")
    assert LatentObjective(biggan, Brightness(), space="z+class").dim == biggan.latent_dim + 5
    assert StyleMixer(g, rows=1, columns=1).state.grid().shape[0] == 4
    target = g(g.sample_latents(1, seed=2), g.classes("star", 1)).detach()
    for space in ("z", "w"):
        found = invert(g, target, classes="star", steps=3, space=space)
        assert found.space == space and found.z.shape == (1, resolve_space(space, g).dim)


def test_the_cli_takes_a_space(tmp_path):
    from latentlab.cli import main

    assert main(["evolve", "a red star", "--model", "shapes-stylegan", "--space", "w", "--class", "star", "--generations", "1",
                 "--population", "4", "--out", str(tmp_path / "run")]) in (0, None)
    assert (tmp_path / "run" / "best.png").exists()
