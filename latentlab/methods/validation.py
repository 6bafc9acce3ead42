"""Assessor scores along a direction: the slope with its 95% CI and the plots of seed 000 Fig. 3-2.

Every latent is seen at every α (a balanced design), so a regression with one intercept per
latent gives the same slope as the paper's random-intercept mixed model; its standard error
comes from the within-latent residuals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from latentlab.assessors.base import Assessor
from latentlab.spaces import Direction, LatentSpace, check_t_values, resolve_space


@dataclass
class SlopeFit:
    """Least-squares slope of score on α with a per-latent intercept."""

    slope: float
    intercept: float  # mean score at α = 0
    ci_low: float
    ci_high: float
    stderr: float

    def as_dict(self, digits: int = 5) -> dict[str, float]:
        return {k: round(float(v), digits) for k, v in vars(self).items()}


def fit_slope(alphas: torch.Tensor, scores: torch.Tensor, confidence: float = 0.95) -> SlopeFit:
    """Slope of ``scores`` [N, A] on ``alphas`` [A] with one intercept per row, and its CI."""
    from scipy.stats import t as student_t

    alphas, scores = alphas.double().cpu(), scores.double().cpu()
    n, a = scores.shape
    if a < 2 or alphas.unique().numel() < 2:
        raise ValueError(f"a slope needs at least two distinct α values, got {alphas.tolist()}")
    da = alphas - alphas.mean()  # [A]
    centred = scores - scores.mean(dim=1, keepdim=True)  # [N, A] within-latent deviations
    sxx = float((da**2).sum()) * n
    slope = float((centred * da).sum()) / sxx
    residual = centred - slope * da
    dof = n * a - n - 1
    if dof < 1:
        raise ValueError(f"too few scores for a confidence interval: {n} latents × {a} α values")
    stderr = float(((residual**2).sum() / dof / sxx) ** 0.5)
    q = float(student_t.ppf(0.5 + confidence / 2, dof))
    intercept = float(scores.mean() - slope * alphas.mean())
    return SlopeFit(slope, intercept, slope - q * stderr, slope + q * stderr, stderr)


@dataclass
class Sweep:
    """Scores [N, A] of one assessor for N latents moved to A values of α (or t)."""

    name: str
    alphas: torch.Tensor  # [A]
    scores: torch.Tensor  # [N, A]

    @property
    def means(self) -> torch.Tensor:
        return self.scores.mean(dim=0)

    @property
    def stds(self) -> torch.Tensor:
        return self.scores.std(dim=0)

    def fit(self) -> SlopeFit:
        return fit_slope(self.alphas, self.scores)

    def plot(self, ax=None, label: str | None = None):
        """Mean score ± standard error vs α with the fitted line (seed 000 Fig. 3-2A)."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(3.5, 3))
        fit = self.fit()
        sem = self.stds / self.scores.shape[0] ** 0.5
        ax.errorbar(self.alphas.tolist(), self.means.tolist(), yerr=sem.tolist(), fmt="o", capsize=3, label=label)
        line = fit.intercept + fit.slope * self.alphas
        ax.plot(self.alphas.tolist(), line.tolist(), "--", color="gray",
                label=f"slope {fit.slope:.3g} [{fit.ci_low:.3g}, {fit.ci_high:.3g}]")
        ax.set_xlabel("α")
        ax.set_ylabel(self.name)
        ax.legend(fontsize=7)
        return ax


@torch.no_grad()
def sweep_direction(generator, direction: Direction, assessors: Assessor | Mapping[str, Assessor],
                    alphas: Sequence[float] | torch.Tensor, *, n: int = 200, seed: int = 0, truncation: float | None = None,
                    classes=None, space: str | LatentSpace | None = None, batch_size: int = 100,
                    progress: bool = False) -> dict[str, Sweep]:
    """Score ``n`` seeded latents moved along ``direction`` to every α, with every assessor.

    The latents are drawn in ``space`` (default: the direction's own; a W direction also sweeps
    in ``"w+"`` over its layers). Images are made once per (latent, α) and shared by the
    assessors; returns name → Sweep.
    """
    if isinstance(assessors, Assessor):
        assessors = {assessors.name: assessors}
    if not assessors:
        raise ValueError("pass at least one assessor")
    alphas = check_t_values(alphas, "α")
    swept = resolve_space(direction.space if space is None else space, generator)
    direction = swept.adopt(direction)
    z, y = swept.draw(n, seed=seed, truncation=truncation, classes=classes)
    scores = {name: torch.empty(n, len(alphas)) for name in assessors}
    for j, alpha in enumerate(tqdm(alphas.tolist(), desc="sweep", disable=not progress, leave=False)):
        moved = direction.move(z, alpha)
        for i in range(0, n, batch_size):
            images = swept.render_with(moved[i:i + batch_size], None if y is None else y[i:i + batch_size]).clamp(0, 1)
            for name, assessor in assessors.items():
                scores[name][i:i + batch_size, j] = assessor(images).float().cpu()
    return {name: Sweep(name, alphas.clone(), s) for name, s in scores.items()}


def plot_sweeps(sweeps: Mapping[str, Sweep], ncols: int = 4, size: float = 2.6):
    """Small multiples of mean score vs α, one per assessor (seed 000 Fig. 3-2B, emerging factors)."""
    import matplotlib.pyplot as plt

    names = list(sweeps)
    if not names:
        raise ValueError("no sweeps to plot")
    ncols = min(ncols, len(names))
    nrows = (len(names) + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for ax, name in zip(axes.flat, names):
        s = sweeps[name]
        sem = s.stds / s.scores.shape[0] ** 0.5
        ax.errorbar(s.alphas.tolist(), s.means.tolist(), yerr=sem.tolist(), fmt="o-", capsize=2, ms=3)
        ax.set_title(f"{name} (slope {s.fit().slope:.2g})", fontsize=8)
        ax.set_xlabel("α", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    fig.tight_layout()
    return fig
