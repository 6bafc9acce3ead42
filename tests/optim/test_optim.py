import math

import pytest
import torch

from latentlab.optim import OPTIMIZERS, LatentObjective, make_optimizer, run_optimizer

TARGET = torch.linspace(-1, 1, 8)


def sphere(x: torch.Tensor) -> torch.Tensor:
    """Maximum 0 at TARGET; differentiable."""
    return -((x - TARGET) ** 2).sum(dim=1)


OPTIONS = {"cma": {}, "ga": {}, "de": {}, "adam": {"lr": 0.1}, "cma+adam": {"switch_after": 10}}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_optimizer_improves_and_is_reproducible(name):
    runs = [run_optimizer(make_optimizer(name, 8, 16, seed=3, **OPTIONS[name]), sphere, 30, progress=False) for _ in range(2)]
    first = runs[0].history[0]["best"]
    assert runs[0].best_fitness > first + 0.5 * abs(first)
    assert runs[0].best_fitness == runs[1].best_fitness and torch.equal(runs[0].best_x, runs[1].best_x)
    assert [h["best_so_far"] for h in runs[0].history] == sorted(h["best_so_far"] for h in runs[0].history)
    assert (runs[0].fitness[:-1] >= runs[0].fitness[1:]).all()  # last population sorted best first


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_resume_continues_exactly(name, tmp_path):
    full = run_optimizer(make_optimizer(name, 8, 16, seed=1, **OPTIONS[name]), sphere, 16, progress=False)
    path = tmp_path / "state.safetensors"
    run_optimizer(make_optimizer(name, 8, 16, seed=1, **OPTIONS[name]), sphere, 7, state_path=path, progress=False)
    resumed = run_optimizer(make_optimizer(name, 8, 16, seed=1, **OPTIONS[name]), sphere, 16, state_path=path, progress=False)
    assert len(resumed.history) == 16
    assert resumed.best_fitness == pytest.approx(full.best_fitness, rel=1e-5, abs=1e-6)
    assert [h["best"] for h in resumed.history] == pytest.approx([h["best"] for h in full.history], rel=1e-4, abs=1e-5)


def test_state_from_another_run_is_refused(tmp_path):
    path = tmp_path / "s.safetensors"
    run_optimizer(make_optimizer("ga", 8, 16, seed=1), sphere, 2, state_path=path, progress=False)
    with pytest.raises(ValueError, match="holds another run"):
        run_optimizer(make_optimizer("de", 8, 16, seed=1), sphere, 4, state_path=path, progress=False)


def test_keyboard_interrupt_returns_the_best_so_far(tmp_path):
    calls = {"n": 0}

    def objective(x):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        return sphere(x)

    result = run_optimizer(make_optimizer("cma", 8, 12, seed=0), objective, 50, state_path=tmp_path / "s.safetensors", progress=False)
    assert result.interrupted and len(result.history) == 4
    assert result.best_fitness == pytest.approx(max(h["best"] for h in result.history), abs=1e-5)
    assert (tmp_path / "s.safetensors").exists()


def test_early_stopping():
    result = run_optimizer(make_optimizer("ga", 4, 8, seed=0), lambda x: torch.zeros(x.shape[0]), 100, patience=3, progress=False)
    assert result.stopped_early and len(result.history) == 4


@pytest.mark.parametrize("name", ["cma", "ga", "de"])
def test_non_finite_fitness_is_penalised_counted_and_survived(name):
    def objective(x):
        f = sphere(x)
        f[::4] = math.nan
        f[1] = math.inf
        return f

    result = run_optimizer(make_optimizer(name, 8, 16, seed=0), objective, 5, progress=False)
    assert result.history[-1]["invalid"] == 5 * 5
    assert math.isfinite(result.best_fitness) and torch.isfinite(result.fitness).all()


def test_bounds_and_ball_constraints_hold():
    ga = run_optimizer(make_optimizer("ga", 8, 16, seed=0, bounds=(-0.5, 0.5)), sphere, 10, progress=False)
    assert ga.population.abs().max() <= 0.5
    cma = run_optimizer(make_optimizer("cma", 8, 16, seed=0, bounds=(-0.5, 0.5)), sphere, 10, progress=False)
    assert cma.population.abs().max() <= 0.5 + 1e-9
    far = lambda x: -((x - 10.0) ** 2).sum(dim=1)  # noqa: E731  optimum outside the ball
    adam = run_optimizer(make_optimizer("adam", 8, 4, seed=0, lr=0.5), far, 40, progress=False)
    assert adam.population.norm(dim=1).max() <= math.sqrt(8) + 1e-4


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: make_optimizer("de", 8, 3), "at least 4"),
        (lambda: make_optimizer("ga", 8, 2), "at least 4"),
        (lambda: make_optimizer("cma", 8, 1), "at least 2"),
        (lambda: make_optimizer("cma", 8, 8, sigma=0), "sigma"),
        (lambda: make_optimizer("cma", 8, 8, sigma=-1), "sigma"),
        (lambda: make_optimizer("cma", 8, 8, options={"popsiz": 3}), "popsize"),
        (lambda: make_optimizer("cma", 8, 8, x0=torch.zeros(5)), "size 8"),
        (lambda: make_optimizer("gaa", 8, 8), "Did you mean 'ga'"),
        (lambda: make_optimizer("ga", 8, 8, crossover="two_point"), "one_point"),
        (lambda: make_optimizer("de", 8, 8, variant="rand/2/bin"), "rand/1/bin"),
        (lambda: make_optimizer("adam", 8, 8, lr=0), "lr"),
        (lambda: run_optimizer(make_optimizer("ga", 8, 8), sphere, 0, progress=False), "generations"),
    ],
)
def test_bad_settings_fail_clearly(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_latent_objective_batches_a_real_generator(tiny_generator):
    redness = lambda images: images[:, 0].mean(dim=(1, 2)) - images[:, 1:].mean(dim=(1, 2, 3))  # noqa: E731
    objective = LatentObjective(tiny_generator, redness, classes="star", chunk_size=5)
    x = torch.randn(12, objective.dim)
    scores = objective(x)
    assert scores.shape == (12,) and objective.evaluations == 12
    z, y = objective.decode(x)
    assert torch.allclose(scores, redness(tiny_generator(z, y)), atol=1e-6)
    mixed = LatentObjective(tiny_generator, redness, space="z+class")
    assert mixed.dim == tiny_generator.latent_dim + 5
    result = run_optimizer(make_optimizer("cma", mixed.dim, 8, seed=0), mixed, 5, progress=False)
    assert result.best_fitness >= result.history[0]["best"]
    with pytest.raises(ValueError, match=r"\[P, 17\]"):
        mixed(torch.randn(3, 4))
    with pytest.raises(ValueError, match="classes="):
        LatentObjective(tiny_generator, redness)


def test_cma_runs_numpy_blas_on_one_thread(monkeypatch):
    """Multi-threaded BLAS spinning after cma's NumPy work would compete with torch's threads."""
    import cma
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas_threads() -> set[int]:
        return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}

    seen = []
    for method in ("ask", "tell"):
        real = getattr(cma.CMAEvolutionStrategy, method)

        def spy(self, *args, _real=real, **kwargs):
            seen.append(blas_threads())
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(cma.CMAEvolutionStrategy, method, spy)
    with threadpool_limits(limits=2, user_api="blas"):  # as on a two-core machine, whatever this one has
        optimizer = make_optimizer("cma", 8, 4, seed=0)
        x = optimizer.ask()
        optimizer.tell(x, -x.pow(2).sum(dim=1))
        assert blas_threads() == {2}  # restored afterwards
    assert seen == [{1}, {1}]


def test_cma_gets_its_own_solutions_back(monkeypatch):
    """Told the population it proposed, cma receives its own float64 arrays (no float32 rounding, no repair)."""
    import cma
    import numpy as np

    told = []
    real = cma.CMAEvolutionStrategy.tell

    def spy(self, solutions, values, *args, **kwargs):
        told.append(solutions)
        return real(self, solutions, values, *args, **kwargs)

    monkeypatch.setattr(cma.CMAEvolutionStrategy, "tell", spy)
    optimizer = make_optimizer("cma", 8, 4, seed=0)
    x = optimizer.ask()
    asked = optimizer._asked
    optimizer.tell(x, -x.pow(2).sum(dim=1))
    assert told[-1] is asked and told[-1][0].dtype.name == "float64"
    x = optimizer.ask() + 0.01  # another population: told as given
    optimizer.tell(x, -x.pow(2).sum(dim=1))
    assert told[-1] is not optimizer._asked and torch.allclose(torch.from_numpy(np.stack(told[-1])).float(), x)
