"""``ShapesAVAE``: the AVAE's parts at 64 px as a latentlab generator with an encoder, and its resumable recipe."""

from __future__ import annotations

import pytest
import torch

from latentlab import invert, render_shapes
from latentlab.errors import InvalidInputError
from latentlab.generators.avae import ShapesAVAE, ShapesAVAEConfig
from latentlab.recipes.shapes_avae import train


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return ShapesAVAE(ShapesAVAEConfig(latent_dim=8, width=4))


def test_it_generates_encodes_and_decodes(model):
    z = model.sample_latents(3, seed=1)
    with torch.no_grad():
        images = model(z)
    assert images.shape == (3, 3, 64, 64) and 0 <= float(images.min()) and float(images.max()) <= 1
    mean, std = model.encode(images)
    assert mean.shape == std.shape == (3, 8) and bool((std > 0).all() and (std < 1).all())
    assert torch.allclose(std[0], std[1])  # the posterior spread does not depend on the image
    latents = model.encoder_latents(images)
    assert torch.allclose(latents, mean / (1 - std**2).sqrt())
    assert model.decode(z).shape == (3, 3, 64, 64)
    with pytest.raises(InvalidInputError, match="load_image"):
        model.encode(torch.rand(1, 3, 32, 32))


def test_the_split_reproduces_the_generator(model):
    z = model.sample_latents(2, seed=2)
    for layer in model.layer_names():
        split = model.split(layer)
        assert torch.allclose(split.h(split.f(z)), model(z), atol=1e-5)


def test_inversion_can_start_from_the_encoder(model):
    target = render_shapes(2, seed=3).images
    found = invert(model, target, init="encoder", loss="mse", steps=3)
    assert found.z.shape == (2, 8)
    with pytest.raises(InvalidInputError, match="no encoder"):
        from latentlab import load_generator

        invert(load_generator("shapes-biggan"), target, classes="star", init="encoder", steps=1)
    with pytest.raises(ValueError, match="unknown init"):
        invert(model, target, init="encodr", steps=1)


def test_the_recipe_resumes_to_the_same_weights(tmp_path, monkeypatch):
    import latentlab.recipes.shapes_avae as recipe

    monkeypatch.setattr(recipe, "ARCHITECTURE", ShapesAVAEConfig(latent_dim=8, width=4))
    monkeypatch.setattr(recipe, "CHECKPOINT_EVERY", 2)
    straight = train(tmp_path / "a", steps=4, progress=False)
    train(tmp_path / "b", steps=2, progress=False)
    resumed = train(tmp_path / "b", steps=4, progress=False)
    from safetensors.torch import load_file

    a, b = load_file(straight), load_file(resumed)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert (tmp_path / "b" / "samples" / "step_000004.png").is_file()
    with pytest.raises(ValueError, match="unknown variant"):
        train(tmp_path / "c", steps=1, variant="vea", progress=False)
