"""evolve and paint_by_word: model= names the image generator, seed= or generator= the randomness."""

import warnings

import pytest
import torch

from latentlab.assessors import Redness
from latentlab.masks import rect_mask
from latentlab.methods import evolve
from latentlab.methods.evolve import seed_from
from latentlab.methods.paint import paint_by_word

SETTINGS = {"optimizer": "ga", "generations": 2, "population": 6, "progress": False}


def run(tiny_generator, **kwargs):
    return evolve("red", assessor=Redness(), **{"model": tiny_generator, **SETTINGS, **kwargs})


def test_model_is_the_second_argument_or_model_keyword(tiny_generator):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # neither spelling warns
        by_keyword = run(tiny_generator, seed=3)
        by_position = evolve("red", tiny_generator, Redness(), seed=3, **SETTINGS)
    assert torch.equal(by_keyword.latents, by_position.latents)


def test_an_int_generator_is_the_seed(tiny_generator):
    assert torch.equal(run(tiny_generator, seed=3).latents, run(tiny_generator, generator=3).latents)
    assert not torch.equal(run(tiny_generator, generator=3).latents, run(tiny_generator, generator=4).latents)
    assert torch.equal(run(tiny_generator).latents, run(tiny_generator, seed=0).latents)  # the default seed is 0


def test_a_torch_generator_decides_the_run_and_moves_on(tiny_generator):
    first = run(tiny_generator, generator=torch.Generator().manual_seed(7))
    again = run(tiny_generator, generator=torch.Generator().manual_seed(7))
    assert torch.equal(first.latents, again.latents)
    source = torch.Generator().manual_seed(7)
    assert seed_from("evolve", None, source) == seed_from("evolve", None, torch.Generator().manual_seed(7))
    assert seed_from("evolve", None, source) != seed_from("evolve", None, torch.Generator().manual_seed(7))
    assert 0 <= seed_from("evolve", None, torch.Generator().manual_seed(1)) < 2**31


def test_generator_given_a_model_still_works_with_a_future_warning(tiny_generator):
    with pytest.warns(FutureWarning, match=r"evolve\(generator=<model>\) is deprecated: pass the model as model="):
        old = evolve("red", generator=tiny_generator, assessor=Redness(), seed=3, **SETTINGS)
    assert torch.equal(old.latents, run(tiny_generator, seed=3).latents)


def test_generator_given_a_model_name_warns_and_loads_it():
    with pytest.warns(FutureWarning, match="model="):
        result = evolve("red", generator="shapes-biggan", assessor=Redness(), space="z", classes="star", **SETTINGS)
    assert result.images.shape[-1] == 64


@pytest.mark.parametrize("kwargs, match", [
    ({"seed": 3, "generator": 3}, "randomness once, as seed= or as generator=, got seed=3 and generator=3"),
    ({"seed": 3, "generator": torch.Generator()}, "randomness once"),
    ({"generator": 2.5}, "generator= is the randomness, a torch.Generator or an int seed; got float 2.5"),
    ({"generator": True}, "generator= is the randomness"),
    ({"seed": "3"}, "seed must be an int seed, got str '3'"),
    ({"seed": 1.5}, "seed must be an int seed, got float 1.5"),
])
def test_bad_randomness_fails_clearly(tiny_generator, kwargs, match):
    with pytest.raises(ValueError, match=match):
        run(tiny_generator, **kwargs)


def test_a_model_given_twice_fails_clearly(tiny_generator):
    with pytest.raises(ValueError, match="evolve got two models: model=<CompactBigGAN> and generator='shapes-biggan'"):
        run(tiny_generator, generator="shapes-biggan")


def test_a_model_that_is_not_a_generator_fails_clearly():
    with pytest.raises(ValueError, match="model must be a latentlab Generator .* got float 2.5"):
        evolve("red", 2.5, Redness(), **SETTINGS)


BOX = rect_mask(64, 8, 8, 40, 40)
PAINT = {"classes": "star", "generations": 2, "population": 4, "perceptual": "none", "progress": False}


def test_paint_by_word_takes_model_and_randomness_the_same_way(shipped_generator):
    g = shipped_generator
    z = g.sample_latents(1, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        by_seed = paint_by_word(g, z, BOX, "a red star", seed=3, **PAINT)
        by_int = paint_by_word(model=g, latents=z, mask=BOX, text="a red star", generator=3, **PAINT)
    assert torch.equal(by_seed.latents, by_int.latents) and torch.equal(by_seed.image, by_int.image)
    with pytest.warns(FutureWarning, match=r"paint_by_word\(generator=<model>\) is deprecated"):
        old = paint_by_word(generator=g, latents=z, mask=BOX, text="a red star", seed=3, **PAINT)
    assert torch.equal(old.latents, by_seed.latents)
    torch_seeded = [paint_by_word(g, z, BOX, "a red star", generator=torch.Generator().manual_seed(5), **PAINT)
                    for _ in range(2)]
    assert torch.equal(torch_seeded[0].latents, torch_seeded[1].latents)


@pytest.mark.parametrize("kwargs, match", [
    ({"seed": 1, "generator": 1}, "paint_by_word takes its randomness once"),
    ({"generator": [1]}, "generator= is the randomness"),
    ({"mask": None}, "paint_by_word needs mask="),
    ({"model": None}, "paint_by_word needs the model"),
])
def test_paint_by_word_bad_arguments_fail_clearly(shipped_generator, kwargs, match):
    args = {"model": shipped_generator, "latents": shipped_generator.sample_latents(1, seed=3), "mask": BOX,
            "text": "a red star", **PAINT, **kwargs}
    with pytest.raises(ValueError, match=match):
        paint_by_word(**args)
