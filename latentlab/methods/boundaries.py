"""Linear boundaries from labelled samples, InterFaceGAN-style (Shen et al. 2020).

Sample latents of any space, label them with any assessor (the top and bottom ``fraction`` of
its scores become positives and negatives, as InterFaceGAN keeps the clear cases), fit a linear
classifier on the latents, and take the unit normal of its hyperplane as the direction of the
attribute. :func:`conditional_direction` projects out other attributes' normals so that moving
along the result keeps them fixed (InterFaceGAN's conditional manipulation).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from tqdm.auto import tqdm

from latentlab.errors import InvalidInputError, check_float, check_positive_int
from latentlab.spaces import Direction, LatentSpace, resolve_space

Assessor = Callable[[torch.Tensor], torch.Tensor]


def fit_logistic(x: torch.Tensor, labels: torch.Tensor, *, l2: float = 1e-3, steps: int = 100) -> tuple[torch.Tensor, float]:
    """L2-regularised logistic regression on standardised rows x [N, D] with labels {0, 1} [N]: (weights [D], bias),
    fitted by L-BFGS in float64."""
    x, labels = x.double(), labels.double()
    w = torch.zeros(x.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], lr=1.0, max_iter=steps, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(x @ w + b, labels) + l2 * (w @ w)
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach(), float(b.detach())


@torch.no_grad()
def linear_boundary(generator, assessor: Assessor, *, space: str | LatentSpace = "z", n: int = 2000, fraction: float = 0.3,
                    validation: float = 0.25, seed: int = 0, truncation: float | None = None, classes=None,
                    name: str | None = None, batch_size: int = 100, progress: bool = False) -> Direction:
    """The unit normal [D] of a linear boundary separating high from low ``assessor`` scores among ``n`` vectors of
    ``space``, pointing towards higher scores.

    The top and bottom ``fraction`` of the scores are the two classes; a held-out ``validation``
    share measures the boundary's accuracy (``info['accuracy']``; 0.5 is chance). The
    direction is additive: ``move(x, t)`` steps t along the normal in the space's own units.
    """
    n = check_positive_int("n", n)
    fraction = check_float("fraction", fraction, minimum=1e-3, maximum=0.5)
    validation = check_float("validation", validation, minimum=0.0, maximum=0.9)
    sampled = resolve_space(space, generator, classes=classes)
    x, y = sampled.draw(n, seed=seed, truncation=sampled.sampling_truncation(truncation), classes=classes)
    scores = torch.cat([assessor(sampled.render_with(x[i:i + batch_size], None if y is None else y[i:i + batch_size])
                                 .clamp(0, 1)).reshape(-1).float().cpu()
                        for i in tqdm(range(0, n, batch_size), desc="label", disable=not progress, leave=False)])
    # the clear cases: bottom and top `fraction` of the scores
    order = scores.argsort()
    count = max(2, int(fraction * n))
    low, high = order[:count], order[-count:]
    chosen = torch.cat([low, high])
    labels = torch.cat([torch.zeros(count), torch.ones(count)])
    shuffle = torch.randperm(chosen.numel(), generator=torch.Generator().manual_seed(seed))
    chosen, labels = chosen[shuffle], labels[shuffle]
    held = int(validation * chosen.numel())
    points = x.cpu()[chosen]
    mean, std = points[held:].mean(dim=0), points[held:].std(dim=0).clamp_min(1e-6)
    w, b = fit_logistic((points[held:] - mean) / std, labels[held:])
    accuracy = float("nan")
    if held:
        predicted = ((((points[:held] - mean) / std).double() @ w + b) > 0).float()
        accuracy = float((predicted == labels[:held]).float().mean())
    normal = (w / std.double()).float()  # the hyperplane's normal in the space's own coordinates
    if float(normal.norm()) < 1e-12:
        raise InvalidInputError(f"the assessor's scores do not depend linearly on the {sampled.name!r} vectors (the fitted "
                                "boundary has zero normal); try more samples or another space")
    label = name or f"boundary {getattr(assessor, 'name', 'score')}"
    return Direction(normal / normal.norm(), label, "interfacegan", space=sampled.name,
                     info={"accuracy": round(accuracy, 4), "fraction": fraction, "samples": n,
                           "score_gap": round(float(scores[high].mean() - scores[low].mean()), 5)})


def conditional_direction(primary: Direction, others: Sequence[Direction] | Direction) -> Direction:
    """``primary`` with the components along ``others`` removed (Gram–Schmidt over them), unit length: moving along it
    leaves the others' linear scores unchanged (InterFaceGAN's conditional manipulation)."""
    others = [others] if isinstance(others, Direction) else list(others)
    if not others:
        raise InvalidInputError("pass at least one direction to hold fixed")
    for d in others:
        primary.check_same_space(d)
    basis: list[torch.Tensor] = []
    for d in others:
        v = d.unit.double()
        for b in basis:
            v = v - (v @ b) * b
        if float(v.norm()) > 1e-8:
            basis.append(v / v.norm())
    v = primary.unit.double()
    for b in basis:
        v = v - (v @ b) * b
    if float(v.norm()) < 1e-8:
        raise InvalidInputError(f"{primary.name!r} lies in the span of the directions to hold fixed: nothing is left")
    names = ", ".join(d.name for d in others)
    return Direction(v.float() / v.norm().float(), f"{primary.name} | {names} fixed", primary.method, space=primary.space,
                     layers=primary.layers, info={**primary.info, "held_fixed": [d.name for d in others],
                                                  "kept": round(float(v.norm()), 5)})
