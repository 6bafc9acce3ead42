"""Recipe for ``shapes-biggan``: a compact BigGAN trained on the Shapes world.

    latentlab train shapes-biggan --out runs/shapes-biggan   # 3,600 steps, about 40 minutes on 2 CPU cores

Paired, then adversarial: every latent stands for the factors a :class:`LatentFactorMap`
reads off it, and for the first 3,000 steps the generator learns to render them — its
background, object alpha and object colour layers and their composite are pulled toward the
renderer's own (L1; the alpha map by cross-entropy), and its placement head toward the
object's centre, rotation and size. Then a projection discriminator joins with the hinge
loss, at a small weight next to the paired loss, to sharpen what L1 leaves soft. A pure GAN
of this size reaches only coloured blobs in the same time.

The object is drawn by a spatial transformer: the convolutions draw its alpha upright,
centred and at one size, and the placement head moves, turns and scales it
(``rotate_object``, ``scale_object``). Drawn in place by the convolutions, turned shapes came
out soft and squares were read as hearts; drawn this way, every class is recognisable within
a thousand steps. The placement head carries no spectral norm (a Lipschitz bound of one
keeps it from the slope of the centre's map), is fitted to the factors before training
(seconds), and its errors are weighted up: a centre off by two pixels blurs every outline.
On export, with spectral norm folded, the object-colour head is refitted to the renderer's
colours (seconds) and the output convolution to the paired loss (a minute or two): under
spectral norm neither could turn as steeply as hues and crisp edges need. The second refit
halved the untruncated probe-feature FID of the previous weights (2.3 → 1.2 on 5,000 samples).

The generator reads each latent chunk by its direction (``chunk_knee``): a chunk's length
matters only below half its typical length under the prior. Truncation at ψ ≥ 1 therefore
keeps the full spread of positions, sizes and brightnesses, and smaller ψ narrows it about
in proportion. Read by length as well, ψ = 1 would cut a third of every factor's range by
construction: even the renderer itself, given those factors, measures FID 8.7 × the
real-vs-real floor at ψ = 1 (0.44 × with the knee).

BigGAN's parts are all here: hierarchical latent chunks and a shared class embedding (also
fed to the stem, as in BigGAN-deep) setting conditional BatchNorms, spectral norm in G and D,
orthogonal init, hinge loss, Adam (β1 = 0), EMA of G's weights with BatchNorm standing
statistics, optional gradient accumulation (and optional bf16 autocast, off in this recipe:
the shipped weights were trained in full precision). The run is resumable (run the same
command again) and Ctrl-C keeps its state.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import torch

from latentlab.data import SHAPES, LatentFactorMap, ShapesDataset
from latentlab.generators.compact_biggan import CompactBigGAN, CompactBigGANConfig
from latentlab.training import paired
from latentlab.training.discriminator import ProjectionDiscriminator
from latentlab.training.ema import standing_stats
from latentlab.training.gan import GANTrainConfig, train_gan
from latentlab.zoo.checkpoints import save_generator

ARCHITECTURE = CompactBigGANConfig(class_names=SHAPES, class_in_stem=True, colour_hidden=64, rotate_object=True,
                                   scale_object=True, head_spectral_norm=False, placement_hidden=128,
                                   chunk_knee=0.5)
TRAINING = GANTrainConfig(steps=3600, lr_g=1e-3, beta2=0.99, adversarial_start=3000, adversarial_weight=0.02, batch_size=64,
                          mixed_precision="off")
COLOUR_FIT_STEPS = 3000  # steps of the colour head's refit after spectral norm is folded
OUTPUT_FIT_STEPS = 400  # steps of the output convolution's refit after spectral norm is folded

#: What each latent of ``shapes-biggan`` stands for (its stem chunk and its last chunk).
LATENT_FACTORS = LatentFactorMap(ARCHITECTURE.latent_dim, ARCHITECTURE.latent_dim // len(ARCHITECTURE.channels), seed=0,
                                 knee=ARCHITECTURE.chunk_knee)


def paired_loss(generator: CompactBigGAN, z: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The paired loss (:func:`latentlab.training.paired.paired_loss`) for the factors z stands for."""
    return paired.paired_loss(generator, z, y, LATENT_FACTORS(z, y))


def real_batches(batch_size: int, seed: int, start: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """(images, class indices) batches of the Shapes world from batch number ``start`` (any Shapes GAN recipe)."""
    dataset = ShapesDataset(batch_size=batch_size, seed=seed)
    index = start
    while True:
        batch = dataset.batch(index)
        yield batch.images, batch.factors.shape
        index += 1


def sample_grid(generator, step: int) -> torch.Tensor:
    """Eight fixed latents for every class, one class per row."""
    per_class = 8
    z = generator.sample_latents(per_class, seed=1234).repeat(len(SHAPES), 1)
    y = torch.arange(len(SHAPES)).repeat_interleave(per_class)
    with torch.no_grad():
        return generator(z, y)


def fold_spectral_norm(generator: CompactBigGAN) -> CompactBigGAN:
    """A plain copy of a spectrally normalised generator with W / σ(W) stored as its weights."""
    parametrize = torch.nn.utils.parametrize
    generator = generator.eval()
    state = {k: v for k, v in generator.state_dict().items() if ".parametrizations." not in k}
    with torch.no_grad():
        for name, module in generator.named_modules():
            if parametrize.is_parametrized(module, "weight"):
                state[f"{name}.weight"] = module.weight.detach().contiguous().clone()  # σ from the stored u, v
    plain = CompactBigGAN(replace(generator.config, spectral_norm=False))
    plain.load_state_dict({k: v.cpu().contiguous() for k, v in state.items()})
    return plain.eval()


def fit_colour_head(generator: CompactBigGAN, *, steps: int = COLOUR_FIT_STEPS, seed: int = 0) -> float:
    """Refit the object-colour head of a plain (spectral norm folded) generator to the renderer's colours.

    Under spectral norm the two-layer head cannot turn as steeply as the hue circle does, so its colours
    come out washed; freed from it, the head fits them in seconds (nothing else reads its weights).
    Returns the final mean absolute colour error.
    """
    return paired.fit_colour_head(generator, LATENT_FACTORS, steps=steps, seed=seed)


def export(generator: CompactBigGAN, path: str | Path, *, steps: int, seed: int = 0) -> Path:
    """Fold spectral norm into the weights, recompute BN standing stats, refit the colour head and
    the output convolution (freed from spectral norm, both turn as steeply as hues and crisp edges
    need), save as safetensors."""
    plain = fold_spectral_norm(generator)

    def forward(i: int) -> None:
        z = plain.sample_latents(256, seed=10_000 + i)
        plain(z, plain.sample_classes(256, seed=10_000 + i))

    standing_stats(plain, forward, batches=16)
    if plain.config.output == "layered" and plain.config.colour_hidden:
        fit_colour_head(plain, seed=seed)
    if plain.config.output == "layered":
        paired.fit_output_layer(plain, LATENT_FACTORS, steps=OUTPUT_FIT_STEPS, seed=seed)
    return save_generator(plain, path, metadata={"recipe": "latentlab.recipes.shapes_biggan", "steps": str(steps), "seed": str(seed)})


def train(out_dir: str | Path, *, steps: int | None = None, seed: int = 0, weights_path: str | Path | None = None) -> Path:
    """Run the recipe; writes samples, logs and a resumable state under ``out_dir`` and the weights file."""
    out = Path(out_dir)
    config = replace(TRAINING, seed=seed, **({"steps": steps} if steps else {}))
    torch.manual_seed(seed)
    generator = CompactBigGAN(replace(ARCHITECTURE, spectral_norm=True))
    discriminator = ProjectionDiscriminator(len(SHAPES))
    if generator.config.rotate_object:  # seconds; outlines are then learnt in the right place
        paired.fit_placement_head(generator, LATENT_FACTORS, seed=seed)
    ema = train_gan(generator, discriminator, lambda start: real_batches(config.batch_size, seed, start), config, out,
                    n_classes=len(SHAPES), sample=sample_grid, reconstruction=paired_loss)
    return export(ema.shadow, weights_path or out / "shapes-biggan.safetensors", steps=config.steps, seed=seed)
