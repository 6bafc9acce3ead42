"""Directions of generators nobody on the project trained, and how entangled each one is.

Part of ``python -m benchmarks.directions`` (section ``real``). Reads the published files in
``shared/realdata/pretrained`` (or ``$LATENTLAB_REALDATA``) directly:

===============  =========================================================================================
key              generator and assessors
===============  =========================================================================================
celeba_dcgan     the 32 px CelebA DCGAN; realism = its own discriminator's logit, brightness, background
                 brightness (mean of a border band), colourfulness
celeba_vae       the 64 px CelebA VAE's decoder; brightness, background brightness, colourfulness
mnist_gan        the MNIST MLP GAN; LeNet-5's p(digit), ink (mean intensity), border ink, intensity entropy
mnist_vae        the MNIST MLP VAE's decoder; the same as the MNIST GAN
===============  =========================================================================================

Each, in Z: PCA of the first layer's features (regressed onto z) — for the VAEs also PCA of the
encoder's latent means —, SeFa on the first linear layer, GANalyze and InterFaceGAN per target, and
one conditional boundary; every direction read by :mod:`benchmarks._entanglement` with a sample
strip per method. Without the real data folder every key holds ``{"skipped": reason}``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

from benchmarks._entanglement import evaluate_components, evaluate_targets, guarded, strip_name, write_strip
from latentlab.assessors import Assessor, Brightness, Colorfulness, IntensityEntropy
from latentlab.assessors.classifier import ClassifierAssessor
from latentlab.assessors.properties import grayscale
from latentlab.assessors.realism import DiscriminatorAssessor
from latentlab.methods.boundaries import conditional_direction, linear_boundary
from latentlab.methods.ganalyze import ganalyze
from latentlab.methods.pca import pca_directions
from latentlab.methods.sefa import sefa_directions
from latentlab.spaces import resolve_space

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # a site-packages 'tests' may shadow ours
import real_models as rm  # noqa: E402

MODELS = ("celeba_dcgan", "celeba_vae", "mnist_gan", "mnist_vae")
FACE_FILES = {"celeba_dcgan": ("celeba_dcgan32_G.pt", "celeba_dcgan32_D.pt"), "celeba_vae": ("celeba_vae64.pth",)}
MNIST_FILES = {"mnist_gan": ("mnist_mlp_gan_G.ckpt", "mnist_lenet.pth"), "mnist_vae": ("mnist_vae.pth", "mnist_lenet.pth")}
#: the digit whose LeNet probability is the MNIST class assessor (common among both generators' samples)
DIGIT = "7"
PILOT_SEED, TRAIN_SEED = 60_000, 4
ALPHA_SPREADS = 1.5
SETTINGS = {
    "smoke": {"latents": 6, "ts": 3, "reach": 2.0, "strip_rows": 1, "components": 2, "pca_samples": 64, "pilot": 8,
              "ganalyze_steps": 2, "ganalyze_batch": 4, "boundary_samples": 40, "encoder_samples": 64},
    "quick": {"latents": 64, "ts": 5, "reach": 2.0, "strip_rows": 2, "components": 4, "pca_samples": 1000, "pilot": 64,
              "ganalyze_steps": 40, "ganalyze_batch": 8, "boundary_samples": 500, "encoder_samples": 1000},
    "full": {"latents": 160, "ts": 7, "reach": 2.0, "strip_rows": 2, "components": 6, "pca_samples": 3000, "pilot": 128,
             "ganalyze_steps": 150, "ganalyze_batch": 16, "boundary_samples": 2000, "encoder_samples": 3000},
}


class BorderBrightness(Assessor):
    """Mean grey level of the border band (``band`` of the side on every edge): the background of a centred face or
    the stray ink around a digit."""

    name, unit = "background brightness", "mean intensity [0, 1]"

    def __init__(self, band: float = 0.125, name: str | None = None):
        super().__init__()
        if not 0 < band < 0.5:
            raise ValueError(f"band must be a fraction of the side in (0, 0.5), got {band!r}")
        self.band = band
        if name:
            self.name = name

    def score(self, images: torch.Tensor) -> torch.Tensor:
        grey = grayscale(images)  # [N, H, W]
        h, w = grey.shape[-2:]
        bh, bw = max(1, round(self.band * h)), max(1, round(self.band * w))
        mask = torch.ones(h, w, dtype=grey.dtype, device=grey.device)
        mask[bh:h - bh, bw:w - bw] = 0
        return (grey * mask).sum(dim=(1, 2)) / mask.sum()


# --- models --------------------------------------------------------------------------------------------
def _pretrained(root: Path, files: tuple[str, ...]) -> str | None:
    missing = [f for f in files if not (root / "pretrained" / f).is_file()]
    return f"missing {', '.join(missing)} in {root / 'pretrained'}" if missing else None


def lenet_class(root: Path) -> ClassifierAssessor:
    return rm.lenet_assessor(DIGIT, root)


class Ink(Brightness):
    """Stroke mass of a white-on-black digit: its mean intensity."""

    name, unit = "ink", "mean intensity [0, 1]"


def mnist_assessors(root: Path) -> dict:
    return {f"p({DIGIT})": lenet_class(root), "ink": Ink(), "border ink": BorderBrightness(name="border ink"),
            "entropy": IntensityEntropy()}


def face_assessors() -> dict:
    return {"brightness": Brightness(), "background": BorderBrightness(name="background"), "colorfulness": Colorfulness()}


def build(model: str, root: Path) -> dict:
    """Generator, walk assessors, targets, conditional (target, held fixed), feature layer and PCA latents of a model."""
    from latentlab.generators.dcgan import DCGANDiscriminator, DCGANGenerator
    from latentlab.generators.face_vae import FaceVAE
    from latentlab.zoo.face_models import read_state

    pretrained = root / "pretrained"
    if model == "celeba_dcgan":
        g = DCGANGenerator.from_state_dict(read_state(pretrained / FACE_FILES[model][0])).eval()
        d = DCGANDiscriminator.from_state_dict(read_state(pretrained / FACE_FILES[model][1])).eval()
        realism = DiscriminatorAssessor(d, input_size=32, statistics="image", name="realism")
        return {"generator": g, "assessors": {"realism": realism, **face_assessors()},
                "targets": ("realism", "brightness", "background"), "conditional": ("brightness", "background"),
                "layer": "block0", "truncation": 1.0}  # a uniform prior: ψ = 1 is all of it
    if model == "celeba_vae":
        g = FaceVAE.from_state_dict(read_state(pretrained / FACE_FILES[model][0])).eval()
        return {"generator": g, "assessors": face_assessors(), "targets": ("brightness", "background", "colorfulness"),
                "conditional": ("brightness", "background"), "layer": "d1", "truncation": 2.0,
                "encoder_images": lambda n: g.generate(n, seed=PILOT_SEED)}
    if model == "mnist_gan":
        g = rm.MnistGANGenerator(rm.load_mnist_gan(root), 64, output_range=(-1, 1), output_shape=(1, 28, 28),
                                 split_layers=["1"])
        return {"generator": g, "assessors": mnist_assessors(root), "targets": (f"p({DIGIT})", "ink"),
                "conditional": (f"p({DIGIT})", "ink"), "layer": "1", "truncation": 2.0}
    if model == "mnist_vae":
        g = rm.mnist_vae_generator(root)
        return {"generator": g, "assessors": mnist_assessors(root), "targets": (f"p({DIGIT})", "ink"),
                "conditional": (f"p({DIGIT})", "ink"), "layer": "fc3", "truncation": 2.0,
                "encoder_images": lambda n: rm.load_mnist_test(root)[0][:n]}
    raise ValueError(f"unknown model {model!r}; expected one of {MODELS}")


# --- methods -------------------------------------------------------------------------------------------
@torch.no_grad()
def pilot_spreads(space, assessors: dict, n: int) -> dict[str, float]:
    x, y = space.draw(n, seed=PILOT_SEED)
    images = space.render_with(x, y).clamp(0, 1)
    return {name: max(float(a(images).std()), 1e-4) for name, a in assessors.items()}


@torch.no_grad()
def encoder_means(g, images: torch.Tensor, batch_size: int = 200) -> torch.Tensor:
    return torch.cat([g.encode(images[i:i + batch_size])[0] for i in range(0, images.shape[0], batch_size)])


def methods_for(spec: dict, s: dict) -> dict[str, Callable[[], tuple[dict, list]]]:
    g, walks, targets = spec["generator"], spec["assessors"], spec["targets"]
    space = resolve_space("z", g)
    k = s["components"]
    learned = {t: walks[t] for t in targets}

    def ganalyze_all():
        spreads = pilot_spreads(space, learned, s["pilot"])
        out = {}
        for target, assessor in learned.items():
            half = ALPHA_SPREADS * spreads[target]
            result = ganalyze(g, assessor, steps=s["ganalyze_steps"], batch_size=s["ganalyze_batch"], alpha_range=(-half, half),
                              truncation=spec["truncation"], seed=TRAIN_SEED, progress=False)
            d = result.direction()
            d.info.update(final_loss=round(sum(result.history[-10:]) / len(result.history[-10:]), 6),
                          alpha_half_width=round(half, 5))
            out[target] = d
        return out

    fitted: dict[str, dict] = {}

    def boundaries():  # fitted once, shared by the plain and the conditional boundary
        if "boundaries" not in fitted:
            fitted["boundaries"] = {t: linear_boundary(g, walks[t], n=s["boundary_samples"], fraction=0.3, seed=TRAIN_SEED)
                                    for t in dict.fromkeys((*targets, *spec["conditional"]))}
        return fitted["boundaries"]

    def conditional():
        target, fixed = spec["conditional"]
        return {target: conditional_direction(boundaries()[target], boundaries()[fixed])}

    methods = {"pca": lambda: evaluate_components(
        space, pca_directions(g, layer=spec["layer"], k=k, n_samples=s["pca_samples"]), walks, targets, s)}
    if "encoder_images" in spec:
        methods["pca_encoder"] = lambda: evaluate_components(
            space, pca_directions(g, latents=encoder_means(g, spec["encoder_images"](s["encoder_samples"])), k=k),
            walks, targets, s)
    methods["sefa"] = lambda: evaluate_components(space, sefa_directions(g, k=k), walks, targets, s)
    methods["ganalyze"] = lambda: evaluate_targets(space, ganalyze_all(), walks, s)
    methods["interfacegan"] = lambda: evaluate_targets(space, {t: boundaries()[t] for t in targets}, walks, s)
    methods["interfacegan_conditional"] = lambda: evaluate_targets(space, conditional(), walks, s)
    return methods


def model_section(model: str, s: dict, out_dir: Path, root: Path, log=print) -> dict:
    """{"space": "z", "assessors": {name: unit}, "targets": [...], "methods": {method: report}, "seconds"}."""
    began = time.perf_counter()
    spec = build(model, root)
    methods = {}
    for method, work in methods_for(spec, s).items():
        def run(work=work, method=method) -> dict:
            report, blocks = work()
            path = write_strip(out_dir / strip_name(model, "z", method), blocks)
            return {**report, "strip": None if path is None else path.name}

        methods[method] = guarded(f"{model} {method}", run)
        log(f"  {model:12s} z {method:26s} {methods[method]['seconds']:6.1f} s"
            + ("  (error)" if "error" in methods[method] else ""))
    return {"space": "z", "assessors": {name: a.unit for name, a in spec["assessors"].items()},
            "targets": list(spec["targets"]), "methods": methods, "seconds": round(time.perf_counter() - began, 1)}


def real_section(s: dict, out_dir: Path, log=print, root: Path | None = None) -> dict:
    """The four model keys; each ``{"skipped": reason}`` when its files are absent (the reason is printed)."""
    root = rm.realdata_dir() if root is None else Path(root)
    out = {}
    for model in MODELS:
        if not root.is_dir():
            reason = f"real data folder {root} is absent; set LATENTLAB_REALDATA to its path"
        else:
            reason = _pretrained(root, {**FACE_FILES, **MNIST_FILES}[model])
            if model == "mnist_vae" and reason is None and not (root / "mnist").is_dir():
                reason = f"missing the MNIST test digits in {root / 'mnist'} (for the encoder's PCA)"
        if reason:
            log(f"  {model}: skipped ({reason})")
            out[model] = {"skipped": reason}
            continue
        out[model] = guarded(model, lambda model=model: model_section(model, s, out_dir, root, log), seconds=False)
    return out
