"""Differential evolution: DE/rand/1/bin and DE/best/1/bin (seed 001 Algorithm 2)."""

from __future__ import annotations

import torch

from latentlab.errors import unknown_name_error
from latentlab.optim.base import PopulationOptimizer, check_positive_float

VARIANTS = ("rand/1/bin", "best/1/bin")


def _distinct_indices(n: int, k: int, rng: torch.Generator) -> torch.Tensor:
    """For each i in 0..n-1, k distinct indices in 0..n-1 all different from i: [n, k]."""
    scores = torch.rand(n, n, generator=rng)
    scores[torch.arange(n), torch.arange(n)] = 2.0  # never pick i itself
    return scores.argsort(dim=1)[:, :k]


class DifferentialEvolution(PopulationOptimizer):
    """DE with population ``Np``, differential weight ``F`` and crossover rate ``CR``.

    Donor v = x_r1 + F (x_r2 − x_r3) (``rand/1``) or x_best + F (x_r1 − x_r2) (``best/1``);
    binomial crossover takes each gene from the donor with probability CR (and at least one);
    the trial replaces its target when it is at least as fit.
    """

    name = "de"
    min_population = 4

    def __init__(self, dim: int, population: int = 32, *, seed: int = 0, x0=None, bounds=None,
                 variant: str = "rand/1/bin", F: float = 0.8, CR: float = 0.9):
        super().__init__(dim, population, seed=seed, x0=x0, bounds=bounds)
        if variant not in VARIANTS:
            raise unknown_name_error("DE variant", variant, VARIANTS)
        if not 0 <= CR <= 1:
            raise ValueError(f"CR must lie in [0, 1], got {CR}")
        self.variant, self.F, self.CR = variant, check_positive_float("F", F), float(CR)
        self.x = self.fitness = None

    def ask(self) -> torch.Tensor:
        if self.x is None:
            return self.initial_population()
        n, d, rng = self.population, self.dim, self.rng
        r = _distinct_indices(n, 3, rng)
        if self.variant == "rand/1/bin":
            donor = self.x[r[:, 0]] + self.F * (self.x[r[:, 1]] - self.x[r[:, 2]])
        else:
            donor = self.x[self.fitness.argmax()][None] + self.F * (self.x[r[:, 0]] - self.x[r[:, 1]])
        cross = torch.rand(n, d, generator=rng) < self.CR
        cross[torch.arange(n), torch.randint(d, (n,), generator=rng)] = True  # at least one gene from the donor
        return self.clip(torch.where(cross, donor, self.x))

    def tell(self, x: torch.Tensor, fitness: torch.Tensor) -> None:
        if self.x is None:
            self.x, self.fitness = x.clone(), fitness.clone()
            return
        better = fitness >= self.fitness
        self.x = torch.where(better[:, None], x, self.x)
        self.fitness = torch.where(better, fitness, self.fitness)
