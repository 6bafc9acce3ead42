"""The optimizer contract: maximise a batched fitness over flat latent vectors.

Every optimizer takes one *generation* per :meth:`Optimizer.step`: it proposes a population
``x`` [P, D], evaluates it with one call of the objective (so the generator and the
assessor each run once over the whole population) and updates itself. Evolutionary
optimizers also expose ``ask``/``tell``. Fitness that is NaN or infinite is replaced by a
penalty below the worst valid value and counted in ``invalid_count``; the run goes on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import ClassVar

import torch

from latentlab.errors import check_positive_int

Objective = Callable[[torch.Tensor], torch.Tensor]


def check_population(name: str, population: int, minimum: int) -> int:
    population = check_positive_int("population", population)
    if population < minimum:
        raise ValueError(f"{name} needs a population of at least {minimum}, got {population}")
    return population


def check_positive_float(name: str, value: float) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number, got {value!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return value


def check_bounds(bounds: tuple[float, float] | None) -> tuple[float, float] | None:
    if bounds is None:
        return None
    lo, hi = (float(b) for b in bounds)
    if not lo < hi:
        raise ValueError(f"bounds must be (low, high) with low < high, got {bounds!r}")
    return lo, hi


class Optimizer:
    """Base class: maximises fitness; subclasses implement :meth:`step` (or ask/tell)."""

    name: ClassVar[str] = "optimizer"
    min_population: ClassVar[int] = 1

    def __init__(self, dim: int, population: int, *, seed: int = 0, x0: torch.Tensor | None = None,
                 bounds: tuple[float, float] | None = None):
        self.dim = check_positive_int("dim", dim)
        self.population = check_population(self.name, population, self.min_population)
        self.seed = int(seed)
        self.bounds = check_bounds(bounds)
        self.rng = torch.Generator().manual_seed(self.seed)
        if x0 is not None:
            x0 = torch.as_tensor(x0, dtype=torch.float32).flatten()
            if x0.numel() != self.dim or not torch.isfinite(x0).all():
                raise ValueError(f"x0 must be a finite vector of size {self.dim}, got {tuple(x0.shape)}")
        self.x0 = x0
        self.generation = 0
        self.invalid_count = 0

    def initial_population(self) -> torch.Tensor:
        """x0 plus unit noise (or the standard normal prior), clipped to the bounds."""
        x = torch.randn(self.population, self.dim, generator=self.rng)
        if self.x0 is not None:
            x = self.x0 + x
        return self.clip(x)

    def clip(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.bounds is None else x.clamp(*self.bounds)

    def sanitize(self, fitness: torch.Tensor) -> torch.Tensor:
        """Replace non-finite fitness by a penalty below the worst finite value; count them."""
        fitness = fitness.detach().float().cpu().flatten()
        if fitness.numel() != self.population:
            raise ValueError(f"objective returned {fitness.numel()} values for a population of {self.population}")
        bad = ~torch.isfinite(fitness)
        if bad.any():
            self.invalid_count += int(bad.sum())
            good = fitness[~bad]
            penalty = (good.min() - (good.max() - good.min()) - 1.0) if good.numel() else torch.tensor(-1e9)
            fitness = torch.where(bad, penalty, fitness)
        return fitness

    def step(self, objective: Objective) -> tuple[torch.Tensor, torch.Tensor]:
        """One generation; returns the evaluated candidates [P, D] and their fitness [P]."""
        raise NotImplementedError

    # state for save/resume: tensors plus JSON-able metadata
    def state_dict(self) -> dict[str, torch.Tensor]:
        return {"generation": torch.tensor(self.generation), "invalid_count": torch.tensor(self.invalid_count),
                "rng": self.rng.get_state()}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.generation = int(state["generation"])
        self.invalid_count = int(state["invalid_count"])
        self.rng.set_state(state["rng"])


class EvolutionaryOptimizer(Optimizer):
    """Gradient-free optimizers driven by ask/tell."""

    def ask(self) -> torch.Tensor:
        raise NotImplementedError

    def tell(self, x: torch.Tensor, fitness: torch.Tensor) -> None:
        raise NotImplementedError

    def step(self, objective: Objective) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.ask()
        with torch.no_grad():
            fitness = self.sanitize(objective(x))
        self.tell(x, fitness)
        self.generation += 1
        return x, fitness


class PopulationOptimizer(EvolutionaryOptimizer):
    """Evolutionary optimizers that keep an explicit population ``x`` with its ``fitness``."""

    x: torch.Tensor | None = None
    fitness: torch.Tensor | None = None

    def state_dict(self) -> dict[str, torch.Tensor]:
        state = super().state_dict()
        if self.x is not None:
            state.update(x=self.x, fitness=self.fitness)
        return state

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        super().load_state_dict(state)
        self.x, self.fitness = state.get("x"), state.get("fitness")
