"""Latent optimizers behind one interface, and the run loop that drives them."""

from latentlab.errors import unknown_name_error
from latentlab.optim.adam import Adam
from latentlab.optim.base import EvolutionaryOptimizer, Optimizer
from latentlab.optim.cmaes import CMAES
from latentlab.optim.de import DifferentialEvolution
from latentlab.optim.ga import GeneticAlgorithm
from latentlab.optim.hybrid import CMAThenAdam
from latentlab.optim.objective import LatentObjective
from latentlab.optim.run import RunResult, run_optimizer

#: optimizer name -> class
OPTIMIZERS: dict[str, type[Optimizer]] = {cls.name: cls for cls in (CMAES, GeneticAlgorithm, DifferentialEvolution, Adam, CMAThenAdam)}


def make_optimizer(name: str, dim: int, population: int, **options) -> Optimizer:
    """Build a registered optimizer by name ('cma', 'ga', 'de', 'adam', 'cma+adam')."""
    if name not in OPTIMIZERS:
        raise unknown_name_error("optimizer", name, tuple(OPTIMIZERS))
    return OPTIMIZERS[name](dim, population, **options)


__all__ = ["CMAES", "OPTIMIZERS", "Adam", "CMAThenAdam", "DifferentialEvolution", "EvolutionaryOptimizer", "GeneticAlgorithm",
           "LatentObjective", "Optimizer", "RunResult", "make_optimizer", "run_optimizer"]
