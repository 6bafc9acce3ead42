"""Paint by word (seed 000 ch. 4): make a masked region of a generated image match a text.

The generator is split at a layer so that only the region changes (eq. 4.7); the fitness is
the masked CLIP score inside the region (eq. 4.8) plus λ times the image consistency outside
it (eqs. 4.9–4.10); CMA-ES searches by default (§4.3.3), Adam or CMA→Adam on request.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch

from latentlab.assessors.base import check_mask
from latentlab.assessors.consistency import Distance, OutsideConsistency
from latentlab.data import SHAPES
from latentlab.errors import InvalidInputError, check_population
from latentlab.generators import Generator
from latentlab.methods.evolve import check_model, model_from_generator_argument, seed_from
from latentlab.optim import OPTIMIZERS, LatentObjective, RunResult, make_optimizer, run_optimizer
from latentlab.optim.run import Callback
from latentlab.runs import run_identity
from latentlab.spaces import CLASS_LOGIT, LatentSpace, RegionEdit, RegionSpace

__all__ = ["CLASS_LOGIT", "PaintResult", "RegionEdit", "paint_by_word"]


@dataclass
class PaintResult:
    """An edit: the image before and after, the new latents, scores and the search history."""

    text: str
    mask: torch.Tensor  # [R, R] in {0, 1}
    before: torch.Tensor  # [3, R, R]
    image: torch.Tensor  # [3, R, R] the edited image
    latents: torch.Tensor  # [D] latents of the region (of the whole image when split=False); W+ styles [num_ws, w_dim] in W/W+
    classes: torch.Tensor | None  # [C] soft class vector used with them
    scores: dict[str, float]  # masked CLIP score inside / outside the mask, before and after
    outside_change: dict[str, float]  # l2 and perceptual distance outside the mask
    edits: list[RegionEdit] = field(default_factory=list)  # accepted edits including this one: pass as edits= to go on
    run: RunResult | None = None
    split: bool = True
    optimizer: str = "cma"
    perceptual: str = "none"

    @property
    def history(self) -> list[dict]:
        return self.run.history if self.run else []

    @property
    def inside_gain(self) -> float:
        """How much the masked CLIP score rose."""
        return self.scores["inside_after"] - self.scores["inside_before"]

    def plot(self, axes=None):
        """Before, the mask over it, and after, with the scores in the titles (matplotlib)."""
        import matplotlib.pyplot as plt

        if axes is None:
            _, axes = plt.subplots(1, 3, figsize=(7.5, 2.8))
        overlay = self.before.permute(1, 2, 0).clone()
        overlay[self.mask > 0.5] = 0.5 * overlay[self.mask > 0.5] + 0.5 * torch.tensor([1.0, 0.2, 0.6])
        panels = [(self.before.permute(1, 2, 0), f"before ({self.scores['inside_before']:.3f})"),
                  (overlay, "mask"), (self.image.permute(1, 2, 0), f"after ({self.scores['inside_after']:.3f})")]
        for ax, (picture, title) in zip(axes, panels):
            ax.imshow(picture.clamp(0, 1).cpu().numpy())
            ax.set_title(title, fontsize=9)
            ax.axis("off")
        axes[0].figure.suptitle(repr(self.text), fontsize=10)
        return axes


def _check_text(text) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"text must be a non-empty description such as 'a blue star', got {text!r}")
    return text.strip()


def _optimizer_options(name: str, options: dict | None, sigma: float) -> dict:
    defaults = {"cma": {"sigma": sigma}, "cma+adam": {"sigma": sigma}, "adam": {"spread": 0.3, "lr": 0.05},
                "ga": {}, "de": {}}[name]
    return {**defaults, **(options or {})}


def paint_by_word(model: str | os.PathLike | Generator | None = None, latents: torch.Tensor | None = None,
                  mask: torch.Tensor | None = None, text: str | None = None, *, classes=None,
                  styles: torch.Tensor | None = None,
                  edits: Sequence[RegionEdit] = (), layer: str | None = None, split: bool = True, optimizer: str = "cma",
                  generations: int = 30, population: int = 16, space: str | LatentSpace = "z", sigma: float = 0.7,
                  lambda_img: float = 5.0, perceptual: str | Distance | None = "auto", clip: str = "shapes-clip",
                  mask_mode: str = "multiply", templates: str | Sequence[str] = "none", seed: int | None = None,
                  generator: torch.Generator | int | None = None,
                  options: dict | None = None, state_path: str | Path | None = None, restart: bool = False,
                  patience: int | None = None, callbacks: Sequence[Callback] = (), progress: bool = True) -> PaintResult:
    """Edit the region ``mask`` of the image G(``latents``, ``classes``) of ``model`` (a Generator or a
    registered name or path) toward ``text``.

    ``split=True`` searches the spatially split generator G_{z,m} cut after ``layer`` (only the
    region gets new latents; ``layer=None`` takes the generator's ``edit_layer``, e.g. ``block1`` of
    shapes-biggan, ``b8`` of shapes-stylegan); ``split=False`` searches the whole latent, the ablation of seed 000
    Fig. 4-2. ``space`` is the base space searched inside the region: 'z' (the class stays), 'z+class'
    (the region may change class), 'w' or 'w+' (a style-based generator's styles), or a
    :class:`~latentlab.spaces.LatentSpace` of the generator. ``edits`` are earlier
    accepted edits (``result.edits``) so edits build on each other. ``lambda_img`` weighs the
    consistency outside the mask (L2 + ``perceptual``: 'lpips', 'lpips-vgg', 'probe', 'none', a
    callable, or 'auto': LPIPS, except for Shapes-world images when its weights are not cached). Ctrl-C returns the best edit so far; ``state_path`` resumes the same edit (any other
    setting is refused unless ``restart=True``). Reproducible from ``seed`` (default 0) or ``generator`` (an
    int seed, the same as ``seed``, or a :class:`torch.Generator` to draw the seed from); ``generator=`` given
    a model is the earlier name of ``model=`` and warns (FutureWarning).
    """
    from latentlab.assessors.clip import CLIPAssessor
    from latentlab.zoo import load_generator

    model, randomness = model_from_generator_argument("paint_by_word", model, generator)
    seed = seed_from("paint_by_word", seed, randomness)
    if model is None:
        raise InvalidInputError("paint_by_word needs the model whose image it edits: a Generator or a registered name such "
                                "as 'shapes-biggan'")
    if mask is None:
        raise InvalidInputError("paint_by_word needs mask=, the region to edit: [H, W] in {0, 1} at the model's resolution")
    text = _check_text(text)
    if optimizer not in OPTIMIZERS:
        make_optimizer(optimizer, 1, 1)  # raises with close matches
    if isinstance(lambda_img, bool) or not (isinstance(lambda_img, (int, float)) and math.isfinite(lambda_img) and lambda_img >= 0):
        raise ValueError(f"lambda_img must be a finite number >= 0 (the weight of the consistency outside the mask, "
                         f"e.g. 5), got {lambda_img!r}")
    population = check_population(population)
    if isinstance(model, (str, os.PathLike)):
        model = load_generator(model)
    check_model(model)
    if not split and edits:
        raise ValueError("earlier edits live in the split generator; use split=True to build on them")
    mask = check_mask(mask, (model.resolution, model.resolution))
    if mask.shape[0] != 1:
        raise ValueError(f"give one mask [H, W] for the edit, got {mask.shape[0]}")

    # the base space, its class fixed at the image's own unless the space searches it; G_{z,m} over it
    region = RegionSpace.for_image(model, space, latents, classes, mask, layer, edits, styles)
    base = region.base
    with torch.no_grad():
        before = region.current()  # [1, 3, R, R]

    # fitness = C(x ⊙ m, t) + λ · (−L_img): eqs. 4.8–4.10, to maximise
    inside = CLIPAssessor(text, clip, mask=mask, mask_mode=mask_mode, templates=templates, device=model.device)
    shapes_world = tuple(model.class_names) == SHAPES and model.resolution == 64
    consistency = OutsideConsistency(before, mask, perceptual=perceptual, shapes_world=shapes_world).to(model.device)
    fitness = inside + float(lambda_img) * consistency if lambda_img else inside
    objective = LatentObjective(model, fitness, space=region if split else base)
    with torch.no_grad():
        x0 = objective.from_space(region.start()[None])[0].cpu()  # the image's own latents, in search units
    search = make_optimizer(optimizer, objective.dim, population, seed=seed, x0=x0,
                            **_optimizer_options(optimizer, options, sigma))
    identity = None if state_path is None else run_identity(  # digests of the weights: only for a saved run
        method="paint_by_word", text=text, generator=model, latents=latents, styles=styles, classes=classes, mask=mask,
        edits=list(edits), layer=region.layer, split=split, space=base.identity(), fitness=fitness)
    run = run_optimizer(search, objective, generations, callbacks=callbacks, patience=patience, state_path=state_path,
                        identity=identity, restart=restart, progress=progress, label="paint")

    # the best edit, scored before and after
    with torch.no_grad():
        found = objective.to_space(run.best_x[None])  # [1, D] in the base space
        image = objective.space.render(found)
        edit = region.edit(found[0], text)
        outside_clip = CLIPAssessor(text, inside.clip, mask=1 - mask, mask_mode=mask_mode, templates=templates)
        pair = torch.cat([before, image])
        inside_scores, outside_scores = inside(pair), outside_clip(pair)
        change = consistency.distances(image)
    scores = {"inside_before": float(inside_scores[0]), "inside_after": float(inside_scores[1]),
              "outside_before": float(outside_scores[0]), "outside_after": float(outside_scores[1])}
    latents_found = edit.styles if edit.styles is not None else edit.z
    new_edits = [*edits, edit] if split else []
    return PaintResult(text, mask[0, 0].cpu(), before[0].cpu(), image[0].cpu(), latents_found, edit.y, scores,
                       {k: float(v[0]) for k, v in change.items()}, new_edits, run, split, optimizer, consistency.perceptual_name)

