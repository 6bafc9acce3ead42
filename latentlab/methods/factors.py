"""Continuous factors of variation (seed 002 §4.3): a direction u and a monotone g_θ with t = g_θ(⟨z, u⟩).

Only differences δt are observed, so u and θ minimise the MSE between δt and
g_θ(⟨z_δt, u⟩) − g_θ(⟨z_0, u⟩) with ‖u‖ = 1 and g_θ(0) = 0 (eqs. 4.12–4.13). g_θ is piecewise
linear on fixed knots with non-negative slopes (u's sign carries the orientation). Control
sets the coordinate, z − ⟨z, u⟩u + t·u; eq. 4.14 samples with a chosen factor distribution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from latentlab.errors import check_positive_int
from latentlab.methods.trajectories import Trajectories, estimate_trajectories
from latentlab.methods.transforms import get_transformation
from latentlab.spaces import Direction


def _interp(x: torch.Tensor, xs: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
    """Piecewise-linear interpolation of (xs, ys) at x, constant beyond the ends (xs increasing)."""
    x = x.clamp(xs[0], xs[-1])
    i = torch.searchsorted(xs, x.detach().contiguous(), right=True).clamp(1, len(xs) - 1)
    x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
    w = (x - x0) / (x1 - x0).clamp(min=1e-12)
    return y0 + w * (y1 - y0)


@dataclass
class ContinuousFactor:
    """A factor of variation: unit direction u [D] and g_θ on ``knots`` [K] (g(0) = 0, non-decreasing)."""

    transformation: str
    factor: str
    u: torch.Tensor  # [D], ‖u‖ = 1
    knots: torch.Tensor  # [K] latent coordinates, increasing, containing 0
    values: torch.Tensor  # [K] g_θ at the knots, in the transformation's units
    history: list[float] = field(default_factory=list)
    info: dict = field(default_factory=dict)
    space: str = "z"  # the space u lives in

    @property
    def direction(self) -> Direction:
        """u as a projection :class:`Direction`: move(z, t) = z − ⟨z, u⟩u + t·u."""
        return Direction(self.u, f"plumerault {self.factor}", "plumerault", projection=True,
                         info={"transformation": self.transformation}, space=self.space)

    def g(self, s: torch.Tensor) -> torch.Tensor:
        """Factor change g_θ(s) relative to coordinate 0, for coordinates s along u."""
        return _interp(torch.as_tensor(s, dtype=torch.float32), self.knots, self.values)

    def g_inverse(self, t: torch.Tensor) -> torch.Tensor:
        """The coordinate with g_θ(s) = t (clamped to the range g reaches)."""
        values = self.values + 1e-9 * torch.arange(len(self.values))  # strictly increasing for the inverse
        return _interp(torch.as_tensor(t, dtype=torch.float32), values, self.knots)

    def predict(self, z: torch.Tensor) -> torch.Tensor:
        """f(z) = g_θ(⟨z, u⟩) [N] (eq. 4.12): the factor up to an offset."""
        return self.g(z.float().cpu() @ self.u)

    def control(self, z: torch.Tensor, t: float | torch.Tensor) -> torch.Tensor:
        """Latents [N, D] with coordinate t along u (seed 002 §4.4.1, step 3)."""
        return self.direction.move(z, t)

    def change(self, z: torch.Tensor, delta: float | torch.Tensor) -> torch.Tensor:
        """Move each latent along u so that the predicted factor changes by ``delta``."""
        s = z.float().cpu() @ self.u
        target = self.g_inverse(self.g(s) + torch.as_tensor(delta, dtype=torch.float32))
        return self.direction.move(z, target.to(z.device, z.dtype))

    def sample(self, z: torch.Tensor, distribution: torch.distributions.Distribution) -> torch.Tensor:
        """Eq. 4.14: remap prior latents z [N, D] so g_θ(⟨z, u⟩) follows ``distribution``.

        z ← z − ⟨z,u⟩u + h_φ(ψ(⟨z,u⟩))·u with ψ the normal CDF and h_φ(q) = g⁻¹(F_φ⁻¹(q)), so
        the factor (relative to coordinate 0) is distributed as φ within g's range.
        """
        if not hasattr(distribution, "icdf"):
            raise ValueError(f"distribution must be a torch.distributions.Distribution with icdf, got {type(distribution).__name__}")
        s = z.float().cpu() @ self.u
        q = (0.5 * (1 + torch.erf(s / math.sqrt(2)))).clamp(1e-6, 1 - 1e-6)  # ψ(⟨z, u⟩)
        try:
            wanted = distribution.icdf(q)
        except NotImplementedError:
            raise ValueError(f"{type(distribution).__name__} has no inverse CDF; use e.g. Uniform or Normal") from None
        return self.direction.move(z, self.g_inverse(wanted).to(z.device, z.dtype))

    def to_json(self) -> dict:
        return {"transformation": self.transformation, "factor": self.factor, "u": self.u.tolist(),
                "knots": self.knots.tolist(), "values": self.values.tolist(), "history": self.history, "info": self.info,
                "space": self.space}

    @classmethod
    def from_json(cls, d: dict) -> ContinuousFactor:
        return cls(d["transformation"], d["factor"], torch.tensor(d["u"]), torch.tensor(d["knots"]), torch.tensor(d["values"]),
                   d.get("history", []), d.get("info", {}), d.get("space", "z"))


def fit_factor(trajectories: Trajectories, *, knots: int = 17, span: float = 4.0, steps: int = 300, refine_steps: int = 300,
               lr: float = 0.02, validation: float = 0.25, seed: int = 0, progress: bool = False) -> ContinuousFactor:
    """Fit u and g_θ on δt (eq. 4.13) by Adam, with early stopping on held-out trajectories.

    u starts as the δt-weighted mean latent difference Σ δt (z_δt − z_0) / Σ δt² normalised (the
    latent-difference estimate of §4.2); g_θ is first fitted with u fixed (``steps``), then u and
    g_θ are refined jointly (``refine_steps``), keeping whichever parameters give the lowest error
    on a held-out ``validation`` share of trajectories, since records outnumber latent
    dimensions only a few times. ``knots`` (odd, so 0 is one) span [−span, span], where
    ⟨z, u⟩ ~ N(0, 1) lives.
    """
    z0, z, dt, groups = trajectories.kept_records()  # [M, D], [M, D], [M], [M]
    if dt.numel() < 2 or not (dt != 0).any():
        raise ValueError(f"need at least 2 kept trajectory records with δt ≠ 0 to fit a factor, got {dt.numel()}")
    knots = check_positive_int("knots", knots)
    if knots < 3 or knots % 2 == 0:
        raise ValueError(f"knots must be an odd number >= 3 so that 0 is a knot, got {knots}")
    if not 0 <= validation < 1:
        raise ValueError(f"validation must be a share in [0, 1), got {validation!r}")
    # held-out trajectories for early stopping (all records of a trajectory on one side)
    ids = groups.unique()
    held = ids[torch.randperm(len(ids), generator=torch.Generator().manual_seed(seed))[: int(len(ids) * validation)]]
    is_val = torch.isin(groups, held)
    train = ~is_val
    if not is_val.any():
        is_val = train
    # start: u ∝ Σ δt (z_δt − z_0), and a linear g of the matching slope
    diff = z[train] - z0[train]  # [M', D]
    w = (dt[train, None] * diff).sum(dim=0) / (dt[train] ** 2).sum()
    u0 = w / w.norm().clamp(min=1e-12)
    spread = (diff @ u0).abs().mean() / dt[train].abs().mean().clamp(min=1e-12)  # latent units per unit of t
    # the knots span [−span, span] (where ⟨z, u⟩ ~ N(0, 1) lives in Z), widened to cover the data in other spaces
    reach = 1.1 * float(torch.cat([z0 @ u0, z @ u0]).abs().quantile(0.99))
    grid = torch.linspace(-max(span, reach), max(span, reach), knots)
    if float(spread) < 1e-6:
        raise ValueError(f"the trajectories barely move the latent (mean step {float(spread):.3g} per unit of t); "
                         "the transformation has no direction to fit here — estimate trajectories with larger δt or more iterations")
    slope_per_knot = max(float(grid[1] - grid[0]) / float(spread), 1e-6)
    v = u0.clone().requires_grad_(True)
    inverse_softplus = slope_per_knot if slope_per_knot > 20 else math.log(math.expm1(slope_per_knot))  # stable for large values
    raw = torch.full((knots - 1,), inverse_softplus).requires_grad_(True)
    mid = knots // 2

    def model() -> tuple[torch.Tensor, torch.Tensor]:
        rises = torch.cat([torch.zeros(1), torch.cumsum(F.softplus(raw), 0)])  # non-decreasing [K]
        return v / v.norm(), rises - rises[mid]  # ‖u‖ = 1, g(0) = 0

    def errors(u: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
        return (_interp(z @ u, grid, values) - _interp(z0 @ u, grid, values) - dt) ** 2  # eq. 4.13, per record

    history: list[float] = []
    best_u, best_values, best_val = u0, None, math.inf
    stages = [([raw], check_positive_int("steps", steps), False), ([v, raw], int(refine_steps), True)]
    bar = tqdm(total=steps + max(0, int(refine_steps)), desc="fit factor", disable=not progress, leave=False)
    for params, count, joint in stages:
        opt = torch.optim.Adam(params, lr=lr)
        for _ in range(count):
            u, values = model()
            err = errors(u, values)
            loss = err[train].mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            history.append(float(loss.detach()))
            val = float(err[is_val].detach().mean())
            if val < best_val or (not joint and best_values is None):
                best_val, best_u, best_values = val, u.detach().clone(), values.detach().clone()
            bar.update(1)
    bar.close()
    factor = get_transformation(trajectories.transformation).factor
    info = {"validation_mse": best_val, "records": int(dt.numel()), "refined": bool((best_u - u0).norm() > 1e-6)}
    return ContinuousFactor(trajectories.transformation, factor, best_u, grid, best_values, history, info, trajectories.space)


def continuous_factor(generator, transformation: str, *, fit: dict | None = None, **trajectory_options) -> ContinuousFactor:
    """Algorithm 1 then the fit of eq. 4.13: the direction of ``transformation``'s factor in one call."""
    trajectories = estimate_trajectories(generator, transformation, **trajectory_options)
    return fit_factor(trajectories, **(fit or {}))
