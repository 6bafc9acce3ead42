"""Invert a generator by optimisation: find vectors of a latent space whose images match target images.

Two recipes:

- ``"seed002"`` (Z; seed 002 §4.2): minimise a reconstruction loss between G(z) and the target
  (eq. 4.1) with z kept in the ball ‖z‖ ≤ √d (eq. 4.2), from random starts, at a constant rate;
  the default loss is the blurred MSE (eq. 4.5), which forgives out-of-phase texture.
- ``"projector"`` (W, W+, StyleSpace of style-based generators; stylegan2-ada-pytorch's
  ``projector.py``): start at the mean style w̄ (of the class, for a conditional generator), work in
  units of the space's spread, ramp the learning rate up over the first 5 % of the steps and down
  with a cosine over the last 25 %, perturb the vector with noise that fades out by 75 %, optimise
  the per-layer noise inputs too under the projector's multi-scale autocorrelation penalty, and
  for W+ first find one w for every layer, then refine each layer's style on its own (W → W+).

A conditional generator's class is searched when not given: every class starts side by side
(``restarts`` starts each), and after ``search_steps`` only the best candidate per target goes on.
``mask`` (alias ``valid``) [N or 1, 1, H, W] restricts the loss to part of the image. A run can be
interrupted with Ctrl-C (the best vectors so far are returned, ``interrupted=True``) and resumed
from its result (``resume=result``) with the same target and settings.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from latentlab.assessors.base import check_images
from latentlab.errors import InvalidInputError, RunMismatchError, check_positive_int, unknown_name_error
from latentlab.latents import project_to_ball
from latentlab.methods.inversion_losses import LOSS_TERMS, LossFn, loss_name, resolve_loss
from latentlab.methods.inversion_result import InversionResult, InversionState
from latentlab.methods.inversion_starts import starting_points
from latentlab.methods.projector import NOISE_WEIGHT, W_NOISE, W_NOISE_END, lr_ramp, noise_matters, noise_penalty
from latentlab.spaces import LatentSpace, WPlusSpace, WSpace, resolve_space
from latentlab.spaces.z import class_input

LOSSES = LOSS_TERMS
RECIPES = ("seed002", "projector")
#: "adam": per-coordinate step sizes; "isotropic": Adam with one second-moment estimate per latent, so each
#: step follows the gradient's direction and coordinates the loss ignores stay put
OPTIMIZERS = ("adam", "isotropic")
BETAS, EPS = (0.9, 0.999), 1e-8


@dataclass
class InversionProgress:
    """What a ``callback`` sees after each step."""

    step: int
    steps: int
    loss: float  # mean over targets of the best candidate's loss at this step
    stage: str  # the space being optimised in this stage ('w' during the W stage of a W+ projection)
    images: torch.Tensor  # [N, 3, H, W] the first candidate's current images, detached


class _LatentAdam:
    """Adam on a batch of vectors [N, D]; ``isotropic`` shares the second moment across each row's coordinates."""

    def __init__(self, x: torch.Tensor, isotropic: bool, m=None, v=None, t: int = 0):
        self.x, self.isotropic, self.t = x, isotropic, t
        self.m = torch.zeros_like(x) if m is None else m.to(x)
        self.v = (torch.zeros_like(x[:, :1]) if isotropic else torch.zeros_like(x)) if v is None else v.to(x)

    @torch.no_grad()
    def step(self, grad: torch.Tensor, lr: float) -> None:
        self.t += 1
        b1, b2 = BETAS
        self.m.mul_(b1).add_(grad, alpha=1 - b1)
        square = (grad**2).mean(dim=1, keepdim=True) if self.isotropic else grad**2
        self.v.mul_(b2).add_(square, alpha=1 - b2)
        m_hat, v_hat = self.m / (1 - b1**self.t), self.v / (1 - b2**self.t)
        self.x.sub_(lr * m_hat / (v_hat.sqrt() + EPS))

    def select(self, rows: torch.Tensor) -> None:
        self.x, self.m, self.v = self.x[rows].clone(), self.m[rows].clone(), self.v[rows].clone()


@dataclass
class _Stage:
    space: LatentSpace
    steps: int
    mean: torch.Tensor  # [D] the units: x = mean + scale · u
    scale: torch.Tensor  # [D]

    def x(self, u: torch.Tensor) -> torch.Tensor:
        return self.mean + self.scale * u

    def u(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.scale


def invert(generator, target: torch.Tensor, *, space: str | LatentSpace = "z", loss: str | Mapping | LossFn | None = None,
           sigma: float = 3.0, mask: torch.Tensor | None = None, valid: torch.Tensor | None = None, classes=None,
           steps: int = 200, lr: float | None = None, restarts: int = 1, z_init: torch.Tensor | None = None,
           radius: float | None = None, optimizer: str = "adam", recipe: str | None = None, noise: bool | None = None,
           init: str | None = None,
           w_steps: int | None = None, search_steps: int | None = None, seed: int = 0, progress: bool = False,
           callback: Callable[[InversionProgress], None] | None = None,
           resume: InversionResult | InversionState | None = None) -> InversionResult:
    """Vectors x [N, D] of ``space`` whose images match ``target`` [N, 3, H, W] (the generator's resolution).

    ``recipe`` defaults to "seed002" in Z and "projector" in the spaces of a style-based generator
    (see the module docstring); ``loss`` to the blurred MSE for "seed002" and the pixel MSE for
    "projector" (names: mse, blurred_mse, lpips, probe; sums such as "mse+0.1*probe"). ``lr``
    defaults to 0.1 (in units of the space's spread for "projector"). ``classes`` (names, indices or
    soft vectors) hold a conditional generator's class; None searches it. ``z_init`` [N, D] starts
    from given vectors of the space instead (the recursive trajectories of seed 002 eq. 4.9);
    ``init="encoder"`` starts from the generator's own encoder (``encoder_latents``: a VAE's or an
    AVAE's one-pass inversion), mapped into the space, and refines it. ``radius`` bounds Z (default √d); ``optimizer`` "adam" or "isotropic"; ``noise`` optimises the
    noise inputs (default: with "projector", where they change the image by a grey level or more);
    ``w_steps`` is the W stage of a W+ projection (default half the steps); ``search_steps`` is when
    the candidates (classes × restarts) are pruned to one per target (default half the steps in Z, a
    quarter with "projector"). ``callback(progress)`` sees every step (an :class:`InversionProgress`).
    The starts and the noise on w are drawn for the whole batch from ``seed``: the same batch and
    seed give the same result.
    """
    started = time.perf_counter()
    target = check_images(target).detach().to(generator.device).float()
    n, steps, restarts = target.shape[0], check_positive_int("steps", steps), check_positive_int("restarts", restarts)
    if tuple(target.shape[-2:]) != (generator.resolution, generator.resolution):
        raise InvalidInputError(f"target images are {tuple(target.shape[-2:])} but the generator makes "
                                f"{generator.resolution}×{generator.resolution}: load them with "
                                f"latentlab.load_image(path, size={generator.resolution})")
    if optimizer not in OPTIMIZERS:
        raise unknown_name_error("optimizer", optimizer, OPTIMIZERS)
    searched = resolve_space(space, generator)
    style = isinstance(searched, LatentSpace) and searched.statistics() is not None
    recipe = ("projector" if style else "seed002") if recipe is None else recipe
    if recipe not in RECIPES:
        raise unknown_name_error("recipe", recipe, RECIPES)
    if recipe == "projector" and not style:
        raise InvalidInputError(f"the 'projector' recipe works in the spaces of a style-based generator (W, W+, "
                                f"StyleSpace); {searched.describe()} takes recipe='seed002'")
    projector = recipe == "projector"
    loss_fn = resolve_loss(("mse" if projector else "blurred_mse") if loss is None else loss, sigma, generator.device)
    lr = 0.1 if lr is None else lr
    if not (isinstance(lr, (int, float)) and lr > 0 and math.isfinite(lr)):
        raise InvalidInputError(f"lr must be a positive number, got {lr!r}")
    mask = _check_mask(valid if mask is None else mask, target)
    if init is not None:
        z_init = _encoder_start(generator, searched, target, init, z_init, classes)

    # candidates: every class (when searched) × every restart; row k·N + i is candidate k of target i
    g = generator
    search_classes = g.conditional and classes is None
    if search_classes:
        cand = torch.arange(len(g.class_names), device=g.device).repeat_interleave(restarts)  # [K]
        y_rows = cand.repeat_interleave(n)  # [K·N]
    else:
        y = class_input(g, classes, n) if g.conditional else None
        y_rows = None if y is None else y.repeat(restarts, *([1] * (y.dim() - 1)))
    k = y_rows.shape[0] // n if y_rows is not None else restarts
    default_search = steps // 4 if projector else steps // 2  # Z needs longer to tell the classes apart
    search_steps = max(1, default_search) if search_steps is None else check_positive_int("search_steps", search_steps)

    stages = _stages(searched, projector, steps, w_steps)
    use_noise = projector and bool(g.noise_layers()) and (noise or (noise is None and noise_matters(searched)))
    if noise and not use_noise:
        raise InvalidInputError("noise=True optimises the noise inputs of a style-based generator with the 'projector' "
                                f"recipe; {type(g).__name__} in {searched.name!r} with recipe {recipe!r} has none to optimise")
    settings = {"space": searched.name, "dim": searched.dim, "recipe": recipe, "loss": loss_name(loss_fn),
                "restarts": restarts, "classes_searched": search_classes, "noise": use_noise, "seed": seed,
                "stages": [s.steps for s in stages], "target": _digest(target), "mask": None if mask is None else _digest(mask)}

    state = resume.state if isinstance(resume, InversionResult) else resume
    if state is not None:
        _check_resume(state, settings, steps)
        t = {name: v.to(g.device) for name, v in state.tensors.items()}
        stage_index, step = state.stage, state.step
        stage = stages[stage_index]
        y_rows = t.get("classes", y_rows)
        opt = _LatentAdam(t["u"], optimizer == "isotropic", t["m"], t["v"], state.adam_t)
        best_x, best_loss = t["best_x"], t["best_loss"]
        maps = [t[f"noise.{i}"] for i in range(len(g.noise_layers()))] if use_noise else None
        best_maps = [t[f"best_noise.{i}"] for i in range(len(maps))] if use_noise else None
        noise_opt = _noise_optimizer(maps, t, state.noise_t) if use_noise else None
        history = list(resume.history) if isinstance(resume, InversionResult) else []
    else:
        stage_index, step, stage = 0, 0, stages[0]
        x0 = starting_points(stage.space, searched, z_init, n, k, restarts, y_rows, seed, projector)
        opt = _LatentAdam(stage.u(_project(stage.space, x0, radius)), optimizer == "isotropic")
        best_x, best_loss = opt.x.detach().clone(), torch.full((opt.x.shape[0],), math.inf, device=g.device)
        best_x = stage.x(best_x)
        maps = [m.repeat(k, 1, 1, 1) for m in g.noise_maps(n, seed=seed)] if use_noise else None
        best_maps = [m.clone() for m in maps] if use_noise else None
        noise_opt = _noise_optimizer(maps, {}, 0) if use_noise else None
        history = []

    targets, masks = target.repeat(k, 1, 1, 1), None if mask is None else mask.repeat(k, 1, 1, 1)
    rows = opt.x.shape[0]
    if rows != targets.shape[0]:  # a resumed run past its pruning holds one candidate per target
        targets, masks = target, mask
    interrupted = False
    rendering = _rendering(stages[stage_index].space, y_rows)  # rebuilt only when the stage or the rows change
    bar = tqdm(total=steps, initial=step, desc=f"invert {searched.name}", disable=not progress, leave=False)
    try:
        while step < steps:
            stage = stages[stage_index]
            begin = sum(s.steps for s in stages[:stage_index])
            if step >= begin + stage.steps:  # next stage: W → W+, the best W as the start of every layer's style
                stage_index += 1
                best_x, opt = _lift(stages[stage_index], best_x, optimizer)
                best_loss = torch.full_like(best_loss, math.inf)
                rendering = _rendering(stages[stage_index].space, y_rows)
                continue
            frac = (step - begin) / stage.steps
            rate = lr * (lr_ramp(frac) if projector else 1.0)
            leaf = opt.x.detach().requires_grad_(True)
            x = stage.x(leaf)
            clean = True
            if projector and stage_index == 0:  # the W+ refinement starts from a good point: no noise there
                fade = W_NOISE * max(0.0, 1 - frac / W_NOISE_END) ** 2 * math.sqrt(g.w_dim)
                if fade > 0:
                    gen = torch.Generator().manual_seed(seed * 100003 + step)
                    x = x + stage.scale * fade * torch.randn(x.shape, generator=gen).to(x.device)
                    clean = False
            noise_leaves = [m.detach().requires_grad_(True) for m in maps] if use_noise else None
            with g.noise_inputs(noise_leaves):
                images = rendering.render(x).clamp(0, 1)
            per_image = loss_fn(images, targets, masks)  # [rows]
            objective = per_image.sum()
            if use_noise:
                objective = objective + NOISE_WEIGHT * noise_penalty(noise_leaves).sum()
            with torch.no_grad():
                if clean:  # keep the best vector seen for each candidate (noisy steps are not where x is)
                    better = per_image.detach() < best_loss
                    best_loss = torch.where(better, per_image.detach(), best_loss)
                    best_x[better] = x.detach()[better]
                    if use_noise:
                        for b, m in zip(best_maps, maps):
                            b[better] = m[better]
                history.append(float(per_image.detach().view(-1, n).min(dim=0).values.mean()))
            grads = torch.autograd.grad(objective, [leaf, *(noise_leaves or [])])
            opt.step(grads[0], rate)
            with torch.no_grad():
                opt.x.copy_(stage.u(_project(stage.space, stage.x(opt.x), radius)))
                if use_noise:
                    noise_opt.step(torch.cat([gr.flatten(1) for gr in grads[1:]], dim=1), rate)
                    _unpack(noise_opt.x, maps)
                    for m in maps:  # the projector keeps every map standard normal
                        m.sub_(m.mean(dim=(1, 2, 3), keepdim=True)).div_(m.std(dim=(1, 2, 3), keepdim=True) + 1e-8)
                    noise_opt.x = torch.cat([m.flatten(1) for m in maps], dim=1)
            step += 1
            bar.update(1)
            bar.set_postfix(loss=f"{history[-1]:.4g}", refresh=False)
            if opt.x.shape[0] > n and step == min(search_steps, stages[0].steps):
                keep = _prune(stage, rendering, opt, best_x, best_loss, maps, targets, masks, loss_fn, g, n)
                opt.select(keep)
                best_x, best_loss = best_x[keep].clone(), best_loss[keep].clone()
                y_rows = None if y_rows is None else y_rows[keep]
                rendering = _rendering(stage.space, y_rows)
                if use_noise:
                    maps[:] = [m[keep].clone() for m in maps]
                    best_maps[:] = [m[keep].clone() for m in best_maps]
                    noise_opt.select(keep)
                targets, masks = target, mask
            if callback is not None:
                callback(InversionProgress(step, steps, history[-1], stage.space.name, images.detach()[:n]))
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()

    # the current vectors are evaluated once more, then the best candidate per target is chosen
    stage = stages[stage_index]
    rendering = _rendering(stage.space, y_rows)
    with torch.no_grad():
        x_now = stage.x(opt.x)
        with g.noise_inputs(maps):
            last = loss_fn(rendering.render(x_now).clamp(0, 1), targets, masks)
        better = last < best_loss
        best_loss = torch.where(better, last, best_loss)
        best_x[better] = x_now[better]
        if use_noise:
            for b, m in zip(best_maps, maps):
                b[better] = m[better]
        pick = best_loss.view(-1, n).argmin(dim=0)
        chosen = pick * n + torch.arange(n, device=pick.device)
        x_best, y_best = best_x[chosen], None if y_rows is None else y_rows[chosen]
        final_maps = [m[chosen] for m in best_maps] if use_noise else None
        if stage.space is not searched:  # interrupted during the W stage of a W+ projection
            x_best = searched.flatten(g.broadcast(x_best))
        with g.noise_inputs(final_maps):
            images = _rendering(searched, y_best).render(x_best).clamp(0, 1)
    tensors = {"u": opt.x, "m": opt.m, "v": opt.v, "best_x": best_x, "best_loss": best_loss}
    if y_rows is not None:
        tensors["classes"] = y_rows
    if use_noise:
        tensors.update({f"noise.{i}": m for i, m in enumerate(maps)})
        tensors.update({f"best_noise.{i}": m for i, m in enumerate(best_maps)})
        tensors.update({"noise_m": noise_opt.m, "noise_v": noise_opt.v})
    state = InversionState(step, stage_index, {name: v.detach().clone() for name, v in tensors.items()}, opt.t,
                           noise_opt.t if use_noise else 0, settings)
    classes_out = None if y_best is None else (y_best if y_best.dim() == 1 else y_best.argmax(dim=1))
    info = {"recipe": recipe, "stages": [[s.space.name, s.steps] for s in stages], "steps": step, "lr": lr,
            "restarts": restarts, "classes_searched": search_classes, "noise": use_noise}
    return InversionResult(x_best.detach(), images.detach(), best_loss[chosen].detach(), classes_out, history,
                           searched.name, loss_name(loss_fn), final_maps, state, interrupted,
                           time.perf_counter() - started, target.detach().cpu(), info)


# --- pieces ----------------------------------------------------------------------------------------
def _encoder_start(generator, space: LatentSpace, target: torch.Tensor, init: str, z_init, classes) -> torch.Tensor:
    """The encoder's latents of the targets as vectors of ``space`` (``init="encoder"``)."""
    if init != "encoder":
        raise unknown_name_error("init", init, ("encoder",))
    if z_init is not None:
        raise InvalidInputError("give either z_init= (vectors of the space) or init='encoder', not both")
    with torch.no_grad():
        z = generator.encoder_latents(target)
        if z is None:
            raise InvalidInputError(f"{type(generator).__name__} has no encoder (encoder_latents returns None): leave "
                                    "init unset to start from random or mean vectors")
        return space.encode(z.detach(), None if classes is None else class_input(generator, classes, z.shape[0]))


def _check_mask(mask: torch.Tensor | None, target: torch.Tensor) -> torch.Tensor | None:
    if mask is None:
        return None
    if not isinstance(mask, torch.Tensor):
        raise InvalidInputError(f"mask must be a tensor [N or 1, 1, H, W] with values in [0, 1], got {type(mask).__name__}")
    mask = mask.to(target.device, target.dtype)
    n = target.shape[0]
    if mask.dim() != 4 or mask.shape[1] != 1 or mask.shape[-2:] != target.shape[-2:] or mask.shape[0] not in (1, n):
        raise InvalidInputError(f"mask (valid) must be [N or 1, 1, H, W] matching the targets {tuple(target.shape)}, got "
                                f"{tuple(mask.shape)}")
    if float(mask.sum()) <= 0:
        raise InvalidInputError("mask selects no pixel: nothing would be compared")
    return mask.expand(n, -1, -1, -1)


def _stages(space: LatentSpace, projector: bool, steps: int, w_steps: int | None) -> list[_Stage]:
    """The run's stages: a W+ projection first runs in W (``w_steps``), then refines per layer."""
    full_wplus = isinstance(space, WPlusSpace) and not space.partial
    if projector and full_wplus and steps >= 2:
        first = steps // 2 if w_steps is None else w_steps
        if not (isinstance(first, int) and 0 <= first < steps):
            raise InvalidInputError(f"w_steps must be an integer in 0..{steps - 1} (steps in W before W+), got {w_steps!r}")
        if first > 0:
            w = WSpace(space.generator, space.classes)
            return [_units(w, first, projector), _units(space, steps - first, projector)]
    return [_units(space, steps, projector)]


def _units(space: LatentSpace, steps: int, projector: bool) -> _Stage:
    stats = space.statistics() if projector else None
    if stats is None:
        zeros = torch.zeros(space.dim, device=space.device)
        return _Stage(space, steps, zeros, torch.ones_like(zeros))
    return _Stage(space, steps, stats[0].to(space.device), stats[1].to(space.device))


def _lift(stage: _Stage, best_w: torch.Tensor, optimizer: str) -> tuple[torch.Tensor, _LatentAdam]:
    """The W stage's best vectors as W+ vectors of ``stage`` and a fresh optimiser on them."""
    g = stage.space.generator
    x = stage.space.flatten(g.broadcast(best_w))
    return x.clone(), _LatentAdam(stage.u(x), optimizer == "isotropic")


def _project(space: LatentSpace, x: torch.Tensor, radius: float | None) -> torch.Tensor:
    if radius is not None and not space.class_in_coordinates:
        return project_to_ball(x, float(radius))
    return space.project(x)


def _rendering(space: LatentSpace, y_rows: torch.Tensor | None) -> LatentSpace:
    """The space that renders the rows: Z holds each row's class; W-like vectors carry their own."""
    return space if y_rows is None or space.class_in_coordinates else space.with_classes(y_rows)


def _noise_optimizer(maps: list[torch.Tensor], t: dict, steps_taken: int) -> _LatentAdam:
    flat = torch.cat([m.flatten(1) for m in maps], dim=1)
    return _LatentAdam(flat, False, t.get("noise_m"), t.get("noise_v"), steps_taken)


def _unpack(flat: torch.Tensor, maps: list[torch.Tensor]) -> None:
    offset = 0
    for m in maps:
        size = m[0].numel()
        m.copy_(flat[:, offset:offset + size].view_as(m))
        offset += size


@torch.no_grad()
def _prune(stage, rendering, opt, best_x, best_loss, maps, targets, masks, loss_fn, g, n) -> torch.Tensor:
    """Rows of the best candidate per target (by the current vectors and the best seen)."""
    with g.noise_inputs(maps):
        now = loss_fn(rendering.render(stage.x(opt.x)).clamp(0, 1), targets, masks)
    score = torch.minimum(now, best_loss).view(-1, n)
    return score.argmin(dim=0) * n + torch.arange(n, device=score.device)


def _digest(t: torch.Tensor) -> str:
    return hashlib.sha256(t.detach().cpu().float().numpy().tobytes()).hexdigest()[:16]


def _check_resume(state: InversionState, settings: dict, steps: int) -> None:
    if not isinstance(state, InversionState):
        raise InvalidInputError(f"resume= takes an InversionResult or its state, got {type(state).__name__}")
    differ = [key for key in settings if key != "stages" and state.settings.get(key) != settings[key]]
    if state.settings.get("stages") != settings["stages"]:
        differ.append("steps (and w_steps)")
    if differ:
        raise RunMismatchError(f"cannot resume: this inversion was started with other settings ({', '.join(differ)}); "
                               f"resume with the target, space, loss and steps it was started with")
    if steps < state.step:
        raise RunMismatchError(f"cannot resume: the run already took {state.step} steps, more than steps={steps}")
