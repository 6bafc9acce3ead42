"""Directions of ``shapes-stylegan`` in each of its latent spaces, and how entangled each one is.

Part of ``python -m benchmarks.directions`` (section ``spaces``). For Z, W, W+ and StyleSpace the
methods that apply there:

============  =====================================================================================
space         methods
============  =====================================================================================
z             PCA of the first block's features (regressed onto z; PCA of the isotropic prior itself
              finds nothing), SeFa (refused for a style generator: the message is recorded), GANalyze,
              InterFaceGAN boundaries and one conditional boundary, Plumerault's continuous factor
              (shift_x)
w             GANSpace (PCA of w), SeFa on the style affines, GANalyze, InterFaceGAN (+ conditional);
              the full run adds the continuous factor here too
w+            GANSpace components meant for the coarse layers (the full run adds the fine layers),
              moved in W+ so only those layers change
stylespace    PCA of the style channels, single channels picked by the pilot gradient of each target
              (StyleSpace analysis), GANalyze, InterFaceGAN
============  =====================================================================================

Every direction is read with :mod:`benchmarks._entanglement` (t in units of the samples' spread
along it). Component methods report every component's signed change of every assessor and, per
target, the component that moves it most.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch

from benchmarks._entanglement import (
    evaluate_components,
    evaluate_targets,
    guarded,
    strip_name,
    write_strip,
)
from latentlab.assessors import Brightness, Centeredness, Colorfulness, ObjectSize
from latentlab.assessors.properties import _MaskProperty, probe_mask
from latentlab.methods.boundaries import conditional_direction, linear_boundary
from latentlab.methods.factors import fit_factor
from latentlab.methods.ganalyze import ganalyze
from latentlab.methods.pca import pca_directions
from latentlab.methods.sefa import sefa_directions, style_sefa_directions
from latentlab.methods.trajectories import estimate_trajectories
from latentlab.spaces import Direction, resolve_space
from latentlab.zoo import load_generator

MODEL = "shapes-stylegan"
PILOT_SEED, TRAIN_SEED = 50_000, 3
#: the targets every method is asked for; the walks also read centeredness and colourfulness
TARGETS = ("brightness", "object size", "x position")
#: the targets GANalyze and InterFaceGAN learn (x position is the continuous factor's)
LEARNED = ("brightness", "object size")
#: GANalyze's α range: ± this many spreads of the target over the pilot samples
ALPHA_SPREADS = 1.5
#: InterFaceGAN's conditional direction: (target, held fixed)
CONDITIONAL = ("object size", "brightness")
SETTINGS = {
    "smoke": {"latents": 6, "ts": 3, "reach": 2.0, "strip_rows": 1, "components": 2, "pca_samples": 64, "pilot": 6,
              "ganalyze_steps": 2, "ganalyze_batch": 4, "boundary_samples": 40, "trajectories": 4, "trajectory_steps": 1,
              "iterations": 2, "factor_steps": 10, "spaces": ("z", "w", "w+", "stylespace"), "wplus_layers": ("coarse",),
              "factor_spaces": ("z",)},
    "quick": {"latents": 64, "ts": 5, "reach": 2.0, "strip_rows": 2, "components": 4, "pca_samples": 1000, "pilot": 32,
              "ganalyze_steps": 40, "ganalyze_batch": 8, "boundary_samples": 400, "trajectories": 16, "trajectory_steps": 3,
              "iterations": 10, "factor_steps": 150, "spaces": ("z", "w", "w+", "stylespace"), "wplus_layers": ("coarse",),
              "factor_spaces": ("z",)},
    "full": {"latents": 96, "ts": 7, "reach": 2.0, "strip_rows": 2, "components": 6, "pca_samples": 3000, "pilot": 64,
             "ganalyze_steps": 100, "ganalyze_batch": 8, "boundary_samples": 1000, "trajectories": 32, "trajectory_steps": 4,
             "iterations": 15, "factor_steps": 300, "spaces": ("z", "w", "w+", "stylespace"),
             "wplus_layers": ("coarse", "fine"), "factor_spaces": ("z", "w")},
}


class SharedMask:
    """The ``shapes-probe`` object mask of the last image batch, computed once for every mask assessor that reads it."""

    def __init__(self, mask_fn: Callable[[torch.Tensor], torch.Tensor] = probe_mask):
        self.mask_fn = mask_fn
        self._images: torch.Tensor | None = None
        self._version = -1
        self._mask: torch.Tensor | None = None

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        if images is not self._images or images._version != self._version:
            self._images, self._version, self._mask = images, images._version, self.mask_fn(images)
        return self._mask

    def clear(self) -> None:
        self._images = self._mask = None


class XPosition(_MaskProperty):
    """Horizontal position of the object's mask centroid, as a fraction of the image width (0 left, 1 right)."""

    name, unit = "x position", "fraction of the width"

    def score(self, images: torch.Tensor) -> torch.Tensor:
        return self.moments(images)[4]


def walk_assessors() -> dict:
    """What every walk reads (the mask is shared by the three mask assessors)."""
    shared = SharedMask()
    return {"brightness": Brightness(), "object size": ObjectSize(mask_fn=shared), "x position": XPosition(shared),
            "centeredness": Centeredness(shared), "colorfulness": Colorfulness()}


def learned_assessors() -> dict:
    """The targets GANalyze and InterFaceGAN learn, each with its own (unshared, differentiable) mask."""
    return {"brightness": Brightness(), "object size": ObjectSize()}


@torch.no_grad()
def pilot_spreads(space, assessors: dict, n: int) -> dict[str, float]:
    """Std of each assessor over ``n`` pilot vectors of ``space``."""
    x, y = space.draw(n, seed=PILOT_SEED)
    images = space.render_with(x, y).clamp(0, 1)
    return {name: max(float(a(images).std()), 1e-4) for name, a in assessors.items()}


def ganalyze_directions(g, space, s: dict) -> dict[str, Direction]:
    out = {}
    learned = learned_assessors()
    spreads = pilot_spreads(space, learned, s["pilot"])
    for target, assessor in learned.items():
        half = ALPHA_SPREADS * spreads[target]
        result = ganalyze(g, assessor, space=space.name, steps=s["ganalyze_steps"], batch_size=s["ganalyze_batch"],
                          alpha_range=(-half, half), seed=TRAIN_SEED, progress=False)
        d = result.direction()
        d.info.update(final_loss=round(sum(result.history[-10:]) / len(result.history[-10:]), 6),
                      alpha_half_width=round(half, 5))
        out[target] = d
    return out


def boundary_directions(g, space, s: dict) -> dict[str, Direction]:
    return {target: linear_boundary(g, assessor, space=space.name, n=s["boundary_samples"], fraction=0.3, seed=TRAIN_SEED)
            for target, assessor in learned_assessors().items()}


def continuous_factor(g, space, s: dict) -> Direction:
    trajectories = estimate_trajectories(g, "shift_x", space=space.name, n=s["trajectories"], steps=s["trajectory_steps"],
                                         iterations=s["iterations"], t_max=0.2, lr=0.05, seed=1, progress=False)
    fitted = fit_factor(trajectories, steps=s["factor_steps"], refine_steps=s["factor_steps"])
    d = fitted.direction
    d.info.update(kept_records=len(trajectories), threshold=round(trajectories.threshold, 6),
                  validation_mse=round(float(fitted.info["validation_mse"]), 6))
    return d


def channel_directions(space, s: dict) -> dict[str, Direction]:
    """Per target, the single StyleSpace channel whose pilot gradient × spread changes it most (signed to raise it)."""
    _, std = space.statistics()
    x, _ = space.draw(s["pilot"], seed=PILOT_SEED)
    out = {}
    for target, assessor in {**learned_assessors(), "x position": XPosition()}.items():
        xg = x.detach().clone().requires_grad_(True)
        assessor(space.render(xg).clamp(0, 1)).sum().backward()
        effect = xg.grad.mean(dim=0) * std.to(xg.device)
        i = int(effect.abs().argmax())
        layer, channel = space.layer_of(i)
        vector = torch.zeros(space.dim)
        vector[i] = 1.0 if float(effect[i]) >= 0 else -1.0
        out[target] = Direction(vector, f"channel {layer}:{channel}", "stylespace-channel", space=space.name,
                                info={"layer": layer, "channel": channel, "coordinate": i,
                                      "pilot_effect": round(float(effect[i]) / s["pilot"], 6)})
    return out


def _refusal(work: Callable) -> tuple[dict, list]:
    """A method expected to refuse: its message, or (should it run) a note that it did not."""
    try:
        work()
    except ValueError as error:
        return {"refused": str(error)}, []
    return {"error": "expected a refusal, but the method ran"}, []


def methods_for(g, name: str, s: dict) -> dict[str, Callable[[], tuple[dict, list]]]:
    """The methods of space ``name``: method → work() returning (report, strip blocks)."""
    space = resolve_space(name, g)
    walks = walk_assessors()
    k = s["components"]

    def components(directions):
        return lambda: evaluate_components(space, directions(), walks, TARGETS, s)

    def targets(directions):
        return lambda: evaluate_targets(space, directions(), walks, s)

    fitted: dict[str, dict] = {}

    def boundaries() -> dict[str, Direction]:  # fitted once, shared by the plain and the conditional boundary
        if "boundaries" not in fitted:
            fitted["boundaries"] = boundary_directions(g, space, s)
        return fitted["boundaries"]

    def conditional():
        target, fixed = CONDITIONAL
        return {target: conditional_direction(boundaries()[target], boundaries()[fixed])}

    methods: dict[str, Callable] = {}
    if name == "z":
        methods["pca"] = components(lambda: pca_directions(g, layer=g.layer_names()[0], k=k, n_samples=s["pca_samples"]))
        methods["sefa"] = lambda: _refusal(lambda: sefa_directions(g, k=k))
    elif name == "w":
        methods["pca"] = components(lambda: pca_directions(g, space="w", k=k, n_samples=s["pca_samples"]))
        methods["sefa"] = components(lambda: style_sefa_directions(g, k=k))
    elif name == "w+":
        for layers in s["wplus_layers"]:
            methods[f"pca_{layers}"] = components(lambda layers=layers: pca_directions(g, space="w", k=k, layers=layers,
                                                                                        n_samples=s["pca_samples"]))
        return methods
    elif name == "stylespace":
        methods["pca"] = components(lambda: pca_directions(g, space="stylespace", k=k, n_samples=s["pca_samples"]))
        methods["channel"] = targets(lambda: channel_directions(space, s))
    methods["ganalyze"] = targets(lambda: ganalyze_directions(g, space, s))
    methods["interfacegan"] = targets(boundaries)
    if name != "stylespace":
        methods["interfacegan_conditional"] = targets(conditional)
    if name in s["factor_spaces"]:
        methods["plumerault"] = targets(lambda: {"x position": continuous_factor(g, space, s)})
    return methods


def spaces_section(s: dict, out_dir: Path, log=print) -> dict:
    """{"shapes-stylegan": {space: {method: report}}, "settings", "assessors", "seconds"}; strips go to ``out_dir``."""
    import time

    began = time.perf_counter()
    g = load_generator(MODEL).eval()
    tree: dict[str, dict] = {}
    for name in s["spaces"]:
        tree[name] = {}
        for method, work in methods_for(g, name, s).items():
            def run(work=work, method=method, name=name) -> dict:
                report, blocks = work()
                path = write_strip(out_dir / strip_name(MODEL, name, method), blocks)
                return {**report, "strip": None if path is None else path.name}

            tree[name][method] = guarded(f"{MODEL} {name} {method}", run)
            log(f"  {MODEL} {name:10s} {method:26s} {tree[name][method]['seconds']:6.1f} s"
                + (f"  ({next(iter(k for k in ('refused', 'error') if k in tree[name][method]))})"
                   if {"refused", "error"} & set(tree[name][method]) else ""))
    units = {name: a.unit for name, a in walk_assessors().items()}
    return {MODEL: tree, "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in s.items()},
            "assessors": units, "targets": list(TARGETS), "seconds": round(time.perf_counter() - began, 1)}
