"""Adam on the latents themselves, with a ball or box constraint after each step."""

from __future__ import annotations

import math

import torch

from latentlab.errors import unknown_name_error
from latentlab.latents import project_to_ball
from latentlab.optim.base import Objective, Optimizer, check_positive_float

CONSTRAINTS = ("ball", "bounds", "none")


class Adam(Optimizer):
    """Gradient ascent with Adam on ``population`` latents in parallel (multi-start).

    ``constraint="ball"`` projects each latent onto ‖z‖ ≤ √d after every step (seed 002
    eq. 4.2); ``"bounds"`` clamps to ``bounds`` (e.g. ±ψ for a truncated prior). With ``x0`` the
    starting points are x0 plus ``spread`` × standard normal noise.
    """

    name = "adam"
    min_population = 1

    def __init__(self, dim: int, population: int = 8, *, seed: int = 0, x0=None, bounds=None, lr: float = 0.05,
                 constraint: str = "ball", radius: float | None = None, spread: float = 1.0):
        super().__init__(dim, population, seed=seed, x0=x0, bounds=bounds)
        if constraint not in CONSTRAINTS:
            raise unknown_name_error("constraint", constraint, CONSTRAINTS)
        if constraint == "bounds" and self.bounds is None:
            raise ValueError("constraint='bounds' needs bounds=(low, high)")
        self.lr, self.constraint = check_positive_float("lr", lr), constraint
        self.radius = math.sqrt(dim) if radius is None else check_positive_float("radius", radius)
        x = self.initial_population()
        if self.x0 is not None:  # starting points x0 + spread · noise
            x = self.clip(self.x0 + float(spread) * (x - self.x0))
        self.start(x)

    def start(self, x: torch.Tensor) -> None:
        """(Re)start from the latents ``x`` [population, dim]."""
        self.x = self.project(x.detach().clone().float()).requires_grad_(True)
        self.opt = torch.optim.Adam([self.x], lr=self.lr)

    def project(self, x: torch.Tensor) -> torch.Tensor:
        if self.constraint == "ball":
            return project_to_ball(x, self.radius)
        return self.clip(x) if self.constraint == "bounds" else x

    def step(self, objective: Objective) -> tuple[torch.Tensor, torch.Tensor]:
        self.opt.zero_grad(set_to_none=True)
        fitness = objective(self.x)
        if not fitness.requires_grad:
            raise ValueError("Adam needs a differentiable objective (the assessor returned no gradient)")
        valid = torch.isfinite(fitness)
        (-fitness[valid].sum()).backward()
        evaluated = self.x.detach().clone()
        self.opt.step()
        with torch.no_grad():
            self.x.copy_(self.project(self.x))
        self.generation += 1
        return evaluated, self.sanitize(fitness)

    def state_dict(self) -> dict[str, torch.Tensor]:
        state = super().state_dict()
        state["x"] = self.x.detach().clone()
        inner = self.opt.state.get(self.x, {})
        for key in ("exp_avg", "exp_avg_sq", "step"):
            if key in inner:
                state[f"adam.{key}"] = torch.as_tensor(inner[key]).clone()
        return state

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        super().load_state_dict(state)
        self.start(state["x"])
        if "adam.step" in state:
            self.opt.state[self.x] = {k: state[f"adam.{k}"].clone() for k in ("exp_avg", "exp_avg_sq", "step")}
