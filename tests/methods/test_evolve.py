import pytest
import torch

from latentlab.assessors import Redness
from latentlab.methods import evolve
from latentlab.methods.evolve import _thumbnail


@pytest.mark.parametrize("optimizer", ["cma", "ga", "de", "adam"])
def test_evolve_returns_the_population_sorted_with_history_and_thumbnails(tiny_generator, optimizer):
    result = evolve("red things", tiny_generator, Redness(), optimizer=optimizer, generations=4, population=8,
                    progress=False)
    assert result.images.shape == (8, 3, 32, 32)  # the tiny generator makes 32 px images
    assert torch.all(result.fitness[:-1] >= result.fitness[1:])
    assert len(result.history) == 4 and len(result.thumbnails) == 4 and len(result.run.best_latents) == 4
    assert result.thumbnails[0].dtype == torch.uint8 and result.thumbnails[0].shape == (3, 32, 32)
    assert result.best_fitness >= float(result.fitness[0]) - 1e-6
    with torch.no_grad():  # the reported best image is what the generator makes from the best latents
        assert torch.isclose(Redness()(result.best_image[None])[0], torch.tensor(result.best_fitness), atol=1e-4)
    assert [h["generation"] for h in result.history] == [1, 2, 3, 4]
    with torch.no_grad():  # the last thumbnail shows that generation's best candidate
        z = result.run.best_latents[-1][None]
        again = tiny_generator(z[:, :tiny_generator.latent_dim], torch.softmax(z[:, tiny_generator.latent_dim:], dim=1))
    assert (_thumbnail(again).int() - result.thumbnails[-1].int()).abs().max() <= 1


def test_evolve_is_reproducible_from_a_seed(tiny_generator):
    runs = [evolve("red", tiny_generator, Redness(), optimizer="ga", generations=3, population=8, seed=5, progress=False)
            for _ in range(2)]
    assert torch.equal(runs[0].latents, runs[1].latents)
    other = evolve("red", tiny_generator, Redness(), optimizer="ga", generations=3, population=8, seed=6, progress=False)
    assert not torch.equal(runs[0].latents, other.latents)


def test_evolve_resumes_from_its_state_file(tiny_generator, tmp_path):
    state = tmp_path / "state.safetensors"
    straight = evolve("red", tiny_generator, Redness(), optimizer="cma", generations=4, population=8, progress=False)
    evolve("red", tiny_generator, Redness(), optimizer="cma", generations=2, population=8, state_path=state, progress=False)
    resumed = evolve("red", tiny_generator, Redness(), optimizer="cma", generations=4, population=8, state_path=state,
                     progress=False)
    assert len(resumed.history) == 4 and len(resumed.thumbnails) == 4
    assert resumed.history == straight.history
    assert torch.allclose(resumed.latents, straight.latents)


def test_interrupting_evolve_keeps_the_best_so_far(tiny_generator):
    def stop(generation, x, fitness, result):
        if generation == 2:
            raise KeyboardInterrupt

    result = evolve("red", tiny_generator, Redness(), optimizer="de", generations=10, population=8, callbacks=[stop],
                    progress=False)
    assert result.run.interrupted and len(result.history) == 2
    assert result.images.shape[0] == 8


def test_evolve_searches_the_class_of_a_conditional_generator(tiny_generator):
    result = evolve("red", tiny_generator, Redness(), generations=2, population=8, progress=False)
    assert result.latents.shape[1] == tiny_generator.latent_dim + len(tiny_generator.class_names)
    fixed = evolve("red", tiny_generator, Redness(), generations=2, population=8, classes="star", space="z", progress=False)
    assert fixed.latents.shape[1] == tiny_generator.latent_dim


@pytest.mark.parametrize("kwargs, match", [
    ({"prompt": "  "}, "prompt"),
    ({"optimizer": "cmaes"}, "Did you mean 'cma'"),
    ({"population": 2, "optimizer": "de"}, "at least"),
    ({"generations": 0}, "positive"),
    ({"options": {"sigma": -1.0}}, "sigma"),
])
def test_bad_evolve_settings_fail_clearly(tiny_generator, kwargs, match):
    args = {"prompt": "red", "generations": 2, "population": 8, **kwargs}
    with pytest.raises(ValueError, match=match):
        evolve(args.pop("prompt"), tiny_generator, Redness(), progress=False, **args)
