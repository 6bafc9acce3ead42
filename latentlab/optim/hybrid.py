"""CMA-ES followed by Adam (seed 000 §4.4.1): explore without gradients, then refine."""

from __future__ import annotations

import torch

from latentlab.errors import check_positive_int
from latentlab.optim.adam import Adam
from latentlab.optim.base import Objective, Optimizer
from latentlab.optim.cmaes import CMAES


class CMAThenAdam(Optimizer):
    """Runs CMA-ES for ``switch_after`` generations, then Adam from its best candidates."""

    name = "cma+adam"
    min_population = 2

    def __init__(self, dim: int, population: int = 32, *, seed: int = 0, x0=None, bounds=None, switch_after: int = 20,
                 sigma: float = 1.0, lr: float = 0.03, adam_population: int | None = None, cma_options: dict | None = None,
                 constraint: str = "ball"):
        super().__init__(dim, population, seed=seed, x0=x0, bounds=bounds)
        self.switch_after = check_positive_int("switch_after", switch_after)
        self.cma = CMAES(dim, population, seed=seed, x0=x0, bounds=bounds, sigma=sigma, options=cma_options)
        self.adam = Adam(dim, adam_population or max(1, population // 4), seed=seed, bounds=bounds, lr=lr, constraint=constraint)
        self.best_x = self.best_f = None

    @property
    def phase(self) -> str:
        return "cma" if self.generation < self.switch_after else "adam"

    def step(self, objective: Objective) -> tuple[torch.Tensor, torch.Tensor]:
        if self.phase == "cma":
            x, fitness = self.cma.step(objective)
            pool_x = x if self.best_x is None else torch.cat([self.best_x, x])
            pool_f = fitness if self.best_f is None else torch.cat([self.best_f, fitness])
            keep = pool_f.argsort(descending=True)[: self.adam.population]
            self.best_x, self.best_f = pool_x[keep], pool_f[keep]
            if self.generation + 1 == self.switch_after:
                self.adam.start(self.best_x)
        else:
            x, fitness = self.adam.step(objective)
        self.generation += 1
        self.invalid_count = self.cma.invalid_count + self.adam.invalid_count
        return x, fitness

    def state_dict(self) -> dict[str, torch.Tensor]:
        state = {**super().state_dict(), **{f"cma.{k}": v for k, v in self.cma.state_dict().items()},
                 **{f"adam.{k}": v for k, v in self.adam.state_dict().items()}}
        if self.best_x is not None:
            state.update(best_x=self.best_x, best_f=self.best_f)
        return state

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        super().load_state_dict(state)
        self.cma.load_state_dict({k[4:]: v for k, v in state.items() if k.startswith("cma.")})
        self.adam.load_state_dict({k[5:]: v for k, v in state.items() if k.startswith("adam.")})
        self.best_x, self.best_f = state.get("best_x"), state.get("best_f")
