"""GANalyze (seed 000 ch. 3): learn a latent direction θ that moves an assessor's score by α.

Minimises E_{z,y,α}[(A(G(z + αθ, y)) − (A(G(z, y)) + α))²] (eqs. 3.1–3.2) over θ with Adam,
z from a normal truncated to [−2, 2] and α ~ U(α_min, α_max). The class-dependent variant
learns one θ_y per class; ``rescale`` puts each moved latent back at its original norm.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import torch
from tqdm.auto import tqdm

from latentlab.assessors.base import Assessor
from latentlab.errors import check_positive_int
from latentlab.latents import seeded_generator
from latentlab.methods.validation import Sweep, sweep_direction
from latentlab.spaces import Direction, LatentSpace, check_t_values, resolve_space

DEFAULT_ALPHAS = (-0.2, -0.1, 0.0, 0.1, 0.2)  # the paper's test set α values


@dataclass
class GANalyzeResult:
    """A learned θ [D] (or θ_y [C, D] per class) and the training loss per step."""

    theta: torch.Tensor  # [D] or [C, D]
    assessor: str
    alpha_range: tuple[float, float]
    rescale: bool = False
    history: list[float] = field(default_factory=list)
    space: str = "z"  # the space θ lives in

    @property
    def class_dependent(self) -> bool:
        return self.theta.dim() == 2

    def direction(self, y: int | None = None) -> Direction:
        """θ (or θ_y for class ``y``) as a :class:`Direction`; move(z, α) is T(z, α)."""
        if self.class_dependent:
            if y is None:
                raise ValueError(f"this θ depends on the class; pass y (0..{self.theta.shape[0] - 1})")
            if not 0 <= int(y) < self.theta.shape[0]:
                raise ValueError(f"class {y!r} is out of range 0..{self.theta.shape[0] - 1}")
            vector, name = self.theta[int(y)], f"ganalyze {self.assessor} (class {int(y)})"
        else:
            vector, name = self.theta, f"ganalyze {self.assessor}"
        return Direction(vector, name, "ganalyze", keep_norm=self.rescale,
                         info={"assessor": self.assessor, "alpha_range": list(self.alpha_range)}, space=self.space)

    def transform(self, z: torch.Tensor, alpha: float | torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """T(z, α) = z + α θ_(y) [N, D], rescaled to ‖z‖ when ``rescale``."""
        theta = _theta_for(self.theta.to(z.device), y, z.shape[0])  # [N, D]
        alpha = torch.as_tensor(alpha, dtype=z.dtype, device=z.device).reshape(-1, 1)
        return _move(z, alpha, theta, self.rescale)

    @torch.no_grad()
    def visual_definition(self, generator, z: torch.Tensor | None = None, y: torch.Tensor | None = None, *, n: int = 4,
                          alphas: Sequence[float] = DEFAULT_ALPHAS, seed: int = 0, truncation: float | None = 2.0) -> torch.Tensor:
        """Rows of images over α [n, A, 3, H, W]: how each seed image changes as the score moves."""
        alphas = check_t_values(alphas, "α")
        space = resolve_space(self.space, generator)
        if z is None:
            z, drawn = space.draw(check_positive_int("n", n), seed=seed, truncation=space.sampling_truncation(truncation))
            y = drawn if y is None else y
        elif y is None and generator.conditional and not space.class_in_coordinates:
            y = generator.sample_classes(z.shape[0], seed)
        rows = [space.render_with(self.transform(z, float(a), y), y).clamp(0, 1) for a in alphas]
        return torch.stack(rows, dim=1)

    def visual_definition_grid(self, generator, **kwargs) -> torch.Tensor:
        """:meth:`visual_definition` as one image [3, H', W']: a row per seed image, α left to right."""
        from latentlab.images import make_grid

        strips = self.visual_definition(generator, **kwargs)  # [n, A, 3, H, W]
        return make_grid(strips.flatten(0, 1), nrow=strips.shape[1])

    def sweep(self, generator, assessors: Assessor | Mapping[str, Assessor], *, alphas: Sequence[float] = DEFAULT_ALPHAS,
              n: int = 200, seed: int = 1, classes=None, progress: bool = False) -> dict[str, Sweep]:
        """Scores of ``n`` held-out latents at each α for every assessor (validation and emerging factors)."""
        if self.class_dependent:
            raise ValueError("sweep a class-dependent θ per class: result.direction(y) with sweep_direction(..., classes=y)")
        space = resolve_space(self.space, generator)
        return sweep_direction(generator, self.direction(), assessors, alphas, n=n, seed=seed,
                               truncation=space.sampling_truncation(2.0), classes=classes, progress=progress)

    def validation(self, generator, assessor: Assessor, **kwargs) -> Sweep:
        """Mean assessor score vs α with its slope and 95% CI (seed 000 Fig. 3-2A): ``.fit()``, ``.plot()``."""
        return next(iter(self.sweep(generator, assessor, **kwargs).values()))

    def to_json(self) -> dict:
        return {"theta": self.theta.tolist(), "assessor": self.assessor, "alpha_range": list(self.alpha_range),
                "rescale": self.rescale, "history": self.history, "space": self.space}

    @classmethod
    def from_json(cls, d: dict) -> GANalyzeResult:
        return cls(torch.tensor(d["theta"]), d["assessor"], tuple(d["alpha_range"]), d["rescale"], d.get("history", []),
                   d.get("space", "z"))


def _theta_for(theta: torch.Tensor, y: torch.Tensor | None, n: int) -> torch.Tensor:
    """θ per latent [N, D]: the shared θ, or θ_y picked by class indices / mixed by soft class vectors."""
    if theta.dim() == 1:
        return theta.expand(n, -1)
    if y is None:
        raise ValueError("a class-dependent θ needs the classes y")
    y = y.to(theta.device)
    return theta[y] if y.dtype in (torch.int64, torch.int32) else y.float() @ theta


def _move(z: torch.Tensor, alpha: torch.Tensor, theta: torch.Tensor, rescale: bool) -> torch.Tensor:
    moved = z + alpha * theta  # [N, D]
    if rescale:
        moved = moved * (z.norm(dim=1, keepdim=True) / moved.norm(dim=1, keepdim=True).clamp(min=1e-12))
    return moved


def ganalyze(generator, assessor: Assessor, *, steps: int = 300, batch_size: int = 8, lr: float = 0.05,
             alpha_range: tuple[float, float] = (-0.5, 0.5), class_dependent: bool = False, rescale: bool = False,
             samples: int | None = None, truncation: float = 2.0, classes=None, init_scale: float = 0.1,
             space: str | LatentSpace = "z", seed: int = 0, progress: bool = True) -> GANalyzeResult:
    """Learn θ so that A(G(z + αθ, y)) ≈ A(G(z, y)) + α for any differentiable ``assessor``.

    As in the paper, a training set of ``samples`` triples (z, y, α) is drawn first (default:
    one per training example, steps × batch_size) and A(G(z, y)) is scored once, in large
    batches. ``class_dependent`` learns θ_y [C, D] (conditional generators); ``classes`` fixes
    the training classes (default: uniformly random). ``space`` is where θ lives: Z (latents
    truncated to ±``truncation``), or W, W+, StyleSpace of a style-based generator (there
    truncation pulls towards w̄, so a ``truncation`` above 1 means none). Reproducible from ``seed``.
    """
    steps, batch_size = check_positive_int("steps", steps), check_positive_int("batch_size", batch_size)
    samples = steps * batch_size if samples is None else check_positive_int("samples", samples)
    lo, hi = (float(a) for a in alpha_range)
    if not lo < hi:
        raise ValueError(f"alpha_range is empty: need low < high, got {tuple(alpha_range)!r}")
    if not isinstance(assessor, Assessor):
        raise ValueError(f"assessor must be a latentlab Assessor, got {type(assessor).__name__}")
    space = resolve_space(space, generator)
    if class_dependent and (not generator.conditional or space.class_in_coordinates):
        raise ValueError("class_dependent=True needs a class-conditional generator searched in a space that leaves the "
                         f"class open (Z); {space.describe()} carries the class in its vectors")
    device, dim = generator.device, space.dim
    gen = seeded_generator(seed)

    # the training set: z [S, D] truncated to ±2 (in Z), y [S], α [S, 1] and the targets A(G(z, y)) + α [S]
    z_all, y_all = space.draw(samples, seed=seed, truncation=space.sampling_truncation(truncation), classes=classes)
    z_all = z_all.to(device)
    alpha_all = (lo + (hi - lo) * torch.rand(samples, 1, generator=gen)).to(device)
    with torch.no_grad():
        base = torch.cat([assessor(space.render_with(z_all[i:i + 100], None if y_all is None else y_all[i:i + 100]).clamp(0, 1))
                          for i in range(0, samples, 100)])
    target_all = base.float() + alpha_all[:, 0]

    shape = (len(generator.class_names), dim) if class_dependent else (dim,)
    theta = (init_scale * torch.randn(*shape, generator=gen)).to(device).requires_grad_(True)
    opt = torch.optim.Adam([theta], lr=lr)
    history: list[float] = []
    order = torch.randperm(samples, generator=gen)
    for step in tqdm(range(steps), desc=f"ganalyze {assessor.name}", disable=not progress, leave=False):
        idx = order[(step * batch_size + torch.arange(batch_size)) % samples].to(device)  # [B] epochs over the set
        z, alpha, y = z_all[idx], alpha_all[idx], None if y_all is None else y_all[idx]
        scores = assessor(space.render_with(_move(z, alpha, _theta_for(theta, y, batch_size), rescale), y).clamp(0, 1))
        if not scores.requires_grad:
            raise ValueError(f"assessor {assessor.name!r} returned scores without a gradient; GANalyze needs a "
                             "differentiable assessor (e.g. ObjectSize, Brightness, ProbeFactor, CLIPAssessor)")
        loss = ((scores - target_all[idx]) ** 2).mean()  # eq. 3.1 on the batch
        opt.zero_grad(set_to_none=True)
        loss.backward(inputs=[theta])  # θ only: generator and assessor weights get no gradients
        opt.step()
        history.append(float(loss.detach()))
    return GANalyzeResult(theta.detach().cpu(), assessor.name, (lo, hi), rescale, history, space.name)
