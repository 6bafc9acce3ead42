"""Genetic algorithm with configurable selection, crossover, mutation and replacement."""

from __future__ import annotations

import torch

from latentlab.errors import unknown_name_error
from latentlab.optim.base import PopulationOptimizer, check_positive_float


def _tournament(fitness: torch.Tensor, n: int, k: int, rng: torch.Generator) -> torch.Tensor:
    entrants = torch.randint(fitness.numel(), (n, k), generator=rng)
    return entrants.gather(1, fitness[entrants].argmax(dim=1, keepdim=True)).squeeze(1)


def _truncation(fitness: torch.Tensor, n: int, k: int, rng: torch.Generator) -> torch.Tensor:
    top = fitness.argsort(descending=True)[: max(2, fitness.numel() // 2)]
    return top[torch.randint(top.numel(), (n,), generator=rng)]


def _uniform(a: torch.Tensor, b: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    return torch.where(torch.rand(a.shape, generator=rng) < 0.5, a, b)


def _one_point(a: torch.Tensor, b: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    cut = torch.randint(1, a.shape[1], (a.shape[0], 1), generator=rng)
    return torch.where(torch.arange(a.shape[1])[None] < cut, a, b)


def _blend(a: torch.Tensor, b: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    t = torch.rand(a.shape[0], 1, generator=rng)
    return a + t * (b - a)


SELECTIONS = {"tournament": _tournament, "truncation": _truncation}
CROSSOVERS = {"uniform": _uniform, "one_point": _one_point, "blend": _blend}
MUTATIONS = ("gaussian", "uniform")
REPLACEMENTS = ("elitist", "generational")


class GeneticAlgorithm(PopulationOptimizer):
    """GA (seed 001 §1.3.1): select parents, cross them over, mutate, and replace.

    ``replacement="elitist"`` keeps the best P of parents and children (μ + λ);
    ``"generational"`` replaces the population by the children but keeps ``elite`` parents.
    Gaussian mutation adds N(0, σ²) to a gene; uniform mutation redraws it within the bounds
    (or ±3 without bounds).
    """

    name = "ga"
    min_population = 4

    def __init__(self, dim: int, population: int = 32, *, seed: int = 0, x0=None, bounds=None,
                 selection: str = "tournament", tournament_size: int = 3, crossover: str = "uniform",
                 crossover_rate: float = 0.9, mutation: str = "gaussian", mutation_rate: float = 0.1,
                 mutation_sigma: float = 0.3, replacement: str = "elitist", elite: int = 1):
        super().__init__(dim, population, seed=seed, x0=x0, bounds=bounds)
        for kind, value, valid in (("selection", selection, SELECTIONS), ("crossover", crossover, CROSSOVERS),
                                   ("mutation", mutation, MUTATIONS), ("replacement", replacement, REPLACEMENTS)):
            if value not in valid:
                raise unknown_name_error(kind, value, tuple(valid))
        if not 0 <= crossover_rate <= 1 or not 0 <= mutation_rate <= 1:
            raise ValueError(f"crossover_rate and mutation_rate must lie in [0, 1], got {crossover_rate}, {mutation_rate}")
        if not 0 <= elite < population:
            raise ValueError(f"elite must be in 0..{population - 1}, got {elite}")
        self.selection, self.crossover, self.mutation, self.replacement = selection, crossover, mutation, replacement
        self.tournament_size = max(2, int(tournament_size))
        self.crossover_rate, self.mutation_rate = crossover_rate, mutation_rate
        self.mutation_sigma = check_positive_float("mutation_sigma", mutation_sigma)
        self.elite = elite
        self.x = self.fitness = None

    def ask(self) -> torch.Tensor:
        if self.x is None:
            return self.initial_population()
        n, rng = self.population, self.rng
        select = SELECTIONS[self.selection]
        a = self.x[select(self.fitness, n, self.tournament_size, rng)]
        b = self.x[select(self.fitness, n, self.tournament_size, rng)]
        children = CROSSOVERS[self.crossover](a, b, rng)
        keep = torch.rand(n, 1, generator=rng) >= self.crossover_rate
        children = torch.where(keep, a, children)
        genes = torch.rand(children.shape, generator=rng) < self.mutation_rate
        if self.mutation == "gaussian":
            children = children + genes * self.mutation_sigma * torch.randn(children.shape, generator=rng)
        else:
            lo, hi = self.bounds or (-3.0, 3.0)
            children = torch.where(genes, lo + (hi - lo) * torch.rand(children.shape, generator=rng), children)
        return self.clip(children)

    def tell(self, x: torch.Tensor, fitness: torch.Tensor) -> None:
        if self.x is None:
            self.x, self.fitness = x.clone(), fitness.clone()
            return
        if self.replacement == "elitist":
            pool_x, pool_f = torch.cat([self.x, x]), torch.cat([self.fitness, fitness])
            best = pool_f.argsort(descending=True)[: self.population]
            self.x, self.fitness = pool_x[best], pool_f[best]
        else:
            elite = self.fitness.argsort(descending=True)[: self.elite]
            worst = fitness.argsort()[: self.elite]
            new_x, new_f = x.clone(), fitness.clone()
            new_x[worst], new_f[worst] = self.x[elite], self.fitness[elite]
            self.x, self.fitness = new_x, new_f
