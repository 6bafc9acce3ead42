"""Text-to-image by searching a generator's latent space with CLIP as the fitness (seed 001)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral
from pathlib import Path

import torch
import torch.nn.functional as F

from latentlab.assessors.base import Assessor
from latentlab.errors import InvalidInputError, check_population
from latentlab.generators import Generator
from latentlab.optim import OPTIMIZERS, LatentObjective, RunResult, make_optimizer, run_optimizer
from latentlab.optim.run import Callback
from latentlab.runs import run_identity
from latentlab.spaces import LatentSpace

THUMBNAIL_SIZE = 32


@dataclass
class EvolutionResult:
    """The final population sorted by fitness (best first) and the run's history."""

    prompt: str
    images: torch.Tensor  # [P, 3, H, W] final population, best first
    fitness: torch.Tensor  # [P], descending
    latents: torch.Tensor  # [P, D] flat search vectors, best first
    best_image: torch.Tensor  # [3, H, W] best individual ever seen
    best_fitness: float
    run: RunResult

    @property
    def history(self) -> list[dict]:
        return self.run.history

    @property
    def thumbnails(self) -> list[torch.Tensor]:
        """Best individual of each generation, uint8 [3, 32, 32]."""
        return self.run.thumbnails

    def plot_fitness(self, ax=None, label: str | None = None):
        """Best, mean ± std and best-so-far fitness per generation (matplotlib)."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3))
        gens = [h["generation"] for h in self.history]
        mean = torch.tensor([h["mean"] for h in self.history])
        std = torch.tensor([h["std"] for h in self.history])
        line, = ax.plot(gens, [h["best_so_far"] for h in self.history], label=label or "best so far")
        ax.plot(gens, mean, "--", color=line.get_color(), alpha=0.8, label=None if label else "population mean")
        ax.fill_between(gens, mean - std, mean + std, color=line.get_color(), alpha=0.15)
        ax.set_xlabel("generation")
        ax.set_ylabel("fitness")
        ax.set_title(self.prompt)
        ax.legend(loc="lower right", fontsize=8)
        return ax


def _short(value) -> str:
    return f"<{type(value).__name__}>" if isinstance(value, torch.nn.Module) else repr(value)


def model_from_generator_argument(function: str, model, generator):
    """``(model, randomness)`` from a method's ``model=`` and ``generator=``.

    ``generator=`` is the randomness (a :class:`torch.Generator` or an int seed). Given a model (a name, a
    path or a Generator) it is the earlier spelling of ``model=``: that still works, with a FutureWarning.
    """
    if generator is None or (isinstance(generator, (torch.Generator, Integral)) and not isinstance(generator, bool)):
        return model, generator
    if not isinstance(generator, (str, os.PathLike, torch.nn.Module)):
        raise InvalidInputError(f"{function}: generator= is the randomness, a torch.Generator or an int seed; got "
                                f"{type(generator).__name__} {generator!r}. Pass the image generator as model=")
    if model is not None:
        raise InvalidInputError(f"{function} got two models: model={_short(model)} and generator={_short(generator)} (the "
                                f"earlier name of model=); pass the model once, as model=")
    warnings.warn(f"{function}(generator=<model>) is deprecated: pass the model as model= (or positionally). In the next "
                  f"release generator= will only take the randomness (a torch.Generator or an int seed)",
                  FutureWarning, stacklevel=3)
    return generator, None


def check_model(model) -> None:
    """Refuse a ``model`` that is not a loaded generator, naming what is accepted."""
    if not isinstance(model, torch.nn.Module):
        raise InvalidInputError(f"model must be a latentlab Generator or a registered name such as 'shapes-biggan' (or a "
                                f"path to a weights file), got {type(model).__name__} {model!r}")


def seed_from(function: str, seed, generator, default: int = 0) -> int:
    """The int seed of a run from ``seed=`` or ``generator=`` (an int seed, or a torch.Generator: one draw from
    it, so its state decides the run and the generator moves on), not both."""
    if seed is not None and generator is not None:
        raise InvalidInputError(f"{function} takes its randomness once, as seed= or as generator=, got seed={seed!r} "
                                f"and generator={generator!r}")
    source = seed if generator is None else generator
    if source is None:
        return default
    if isinstance(source, torch.Generator):
        return int(torch.randint(0, 2**31 - 1, (), generator=source, device=source.device))
    if isinstance(source, bool) or not isinstance(source, Integral):
        raise InvalidInputError(f"{function}: {'seed' if generator is None else 'generator'} must be an int seed"
                                f"{'' if generator is None else ' or a torch.Generator'}, got "
                                f"{type(source).__name__} {source!r}")
    return int(source)


def _thumbnail(images: torch.Tensor) -> torch.Tensor:
    small = F.interpolate(images[:1], size=(THUMBNAIL_SIZE, THUMBNAIL_SIZE), mode="bilinear", antialias=True, align_corners=False)
    return (small[0].clamp(0, 1) * 255).round().to(torch.uint8).cpu()


def evolve(prompt: str, model: str | os.PathLike | Generator | None = None, assessor: Assessor | None = None, *,
           optimizer: str = "cma", generations: int = 30, population: int = 32, space: str | LatentSpace | None = None,
           classes=None, seed: int | None = None, generator: torch.Generator | int | None = None,
           clip: str = "shapes-clip", templates: str | Sequence[str] = "none", negatives: Sequence[str] | None = None,
           options: dict | None = None, state_path: str | Path | None = None, restart: bool = False,
           patience: int | None = None, callbacks: Sequence[Callback] = (), chunk_size: int = 64,
           start: torch.Tensor | None = None, progress: bool = True) -> EvolutionResult:
    """Search ``model``'s latents for images that ``assessor`` (default: CLIP similarity to ``prompt``) scores highly.

    ``model`` is a Generator or a registered name or path (default 'shapes-biggan').

    ``optimizer`` is one of 'cma', 'ga', 'de', 'adam', 'cma+adam' with its ``options``. For a
    class-conditional generator the search space defaults to z plus class logits ('z+class'),
    so the prompt may choose the class; pass ``classes=`` and ``space='z'`` to fix it. ``space`` may
    be any space the generator offers ('w', 'w+' and 'stylespace' for style-based generators) or a
    :class:`~latentlab.spaces.LatentSpace` built on it.
    ``start`` (a vector [D] of the space, e.g. an inverted image's) centres the first population there instead of
    at the prior's centre (pass a smaller step, e.g. ``options={"sigma": 0.3}``, to stay near it).
    ``state_path`` makes the run resumable: run again with the same settings to continue; a saved
    run with any other setting is refused (:class:`~latentlab.errors.RunMismatchError`) unless
    ``restart=True``. Ctrl-C returns the best so far. Reproducible from ``seed`` (default 0) or
    ``generator`` (an int seed, the same as ``seed``, or a :class:`torch.Generator` to draw the seed from).
    ``generator=`` given a model is the earlier name of ``model=`` and warns (FutureWarning).
    """
    from latentlab.assessors.clip import CLIPAssessor
    from latentlab.zoo import load_generator

    if not isinstance(prompt, str) or not prompt.strip():
        raise ValueError(f"prompt must be a non-empty description such as 'a red star', got {prompt!r}")
    if optimizer not in OPTIMIZERS:
        make_optimizer(optimizer, 1, 1)  # raises with close matches
    model, randomness = model_from_generator_argument("evolve", model, generator)
    seed = seed_from("evolve", seed, randomness)
    if model is None:
        model = "shapes-biggan"
    if isinstance(model, (str, os.PathLike)):
        model = load_generator(model)
    check_model(model)
    if assessor is not None and not callable(assessor):
        raise ValueError(f"assessor must be a latentlab Assessor (e.g. CLIPAssessor('a red star')) or a function of images, "
                         f"got {type(assessor).__name__} {assessor!r}")
    if assessor is None:
        assessor = CLIPAssessor(prompt, clip, templates=templates, negatives=negatives, device=model.device)
    if space is None:
        space = "z+class" if model.conditional and classes is None else "z"
    objective = LatentObjective(model, assessor, space=space, classes=classes, chunk_size=chunk_size)
    options = dict(options or {})
    if start is not None:
        if "x0" in options:
            raise InvalidInputError("give the start either as start= (a vector of the space) or as options['x0'], not both")
        with torch.no_grad():
            options["x0"] = objective.from_space(objective.space.check(start))[0].cpu()
    search = make_optimizer(optimizer, objective.dim, check_population(population), seed=seed, **options)
    identity = None if state_path is None else run_identity(  # digests of the weights: only for a saved run
        method="evolve", prompt=prompt, assessor=assessor, generator=model, space=objective.space.identity(),
        classes=classes, **({} if start is None else {"start": start}))

    def record_thumbnail(generation: int, x: torch.Tensor, fitness: torch.Tensor, result: RunResult) -> None:
        best = int(fitness.argmax())  # the objective kept the images it scored: no second generator pass
        result.thumbnails.append(_thumbnail(objective.last_images[best:best + 1]))

    run = run_optimizer(search, objective, generations, callbacks=[record_thumbnail, *callbacks], patience=patience,
                        state_path=state_path, identity=identity, restart=restart, progress=progress)
    with torch.no_grad():
        images = objective.images(run.population) if run.population.numel() else torch.zeros(0)
        best = objective.images(run.best_x[None])[0]
    return EvolutionResult(prompt, images, run.fitness, run.population, best, run.best_fitness, run)
