"""Recipe for ``shapes-biggan``: a compact BigGAN trained on the Shapes world.

    latentlab train shapes-biggan --out runs/shapes-biggan   # 4,200 steps, about 50 minutes on 2 CPU cores

Paired, then adversarial: every latent stands for the factors a :class:`LatentFactorMap`
reads off it, and for the first 3,500 steps the generator learns to render them — its
background, object alpha and object colour layers and their composite are pulled toward the
renderer's own (L1; the alpha map by cross-entropy), and its placement head toward the
object's centre and rotation. Then a projection discriminator joins with the hinge loss, at
a small weight next to the paired loss, to sharpen what L1 leaves soft. A pure GAN of this
size reaches only coloured blobs in the same time. Paired training alone draws the right
shapes within a thousand steps when objects are upright, but not when they are turned: the
generator draws its object's alpha upright and turns it about a predicted centre
(``rotate_object``), which is what makes shapes come out at every rotation. On export, with
spectral norm folded, the object-colour head is refitted to the renderer's colours (seconds).

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
import torch.nn.functional as F

from latentlab.data import SHAPES, LatentFactorMap, ShapesDataset, render_layers
from latentlab.generators.compact_biggan import CompactBigGAN, CompactBigGANConfig
from latentlab.training.discriminator import ProjectionDiscriminator
from latentlab.training.ema import standing_stats
from latentlab.training.gan import GANTrainConfig, train_gan
from latentlab.zoo.checkpoints import save_generator

ARCHITECTURE = CompactBigGANConfig(class_names=SHAPES, class_in_stem=True, colour_hidden=64, rotate_object=True)
TRAINING = GANTrainConfig(steps=4200, lr_g=1e-3, beta2=0.99, adversarial_start=3500, adversarial_weight=0.02, batch_size=64,
                          mixed_precision="off")
COLOUR_FIT_STEPS = 3000  # steps of the colour head's refit after spectral norm is folded

#: What each latent of ``shapes-biggan`` stands for (its stem chunk and its last chunk).
LATENT_FACTORS = LatentFactorMap(ARCHITECTURE.latent_dim, ARCHITECTURE.latent_dim // len(ARCHITECTURE.channels), seed=0)


def paired_loss(generator: CompactBigGAN, z: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """L1 between the generator's layers (and their composite) and the renderer's for the factors z stands for."""
    factors = LATENT_FACTORS(z, y)
    background, alpha, colour = (t.to(z.device) for t in render_layers(factors))
    g_background, g_alpha, g_colour = generator.layers(z, y)
    images = g_background + g_alpha * (g_colour - g_background)
    target = background + alpha * (colour - background)
    loss = sum((a - b).abs().mean() for a, b in ((images, target), (g_background, background), (g_colour, colour)))
    # cross-entropy for the alpha map: an L1 gradient through a saturated sigmoid vanishes, so the
    # parts a blob is missing (a star's arms) would never grow; this one does not
    loss = loss + F.binary_cross_entropy(g_alpha.float(), alpha)
    # where the object sits and how it is turned, read off the same latent
    centre, rotation = generator.placement(z, y)
    true_centre = torch.stack([factors.x, factors.y], dim=1).to(z.device)
    true_rotation = torch.stack([torch.cos(factors.rotation), torch.sin(factors.rotation)], dim=1).to(z.device)
    loss = loss + (centre - true_centre).square().sum(1).mean() + (rotation - true_rotation).square().sum(1).mean()
    return loss, images


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


def fit_colour_head(generator: CompactBigGAN, *, steps: int = COLOUR_FIT_STEPS, batch_size: int = 512,
                    seed: int = 0, lr: float = 3e-3) -> float:
    """Refit the object-colour head of a plain (spectral norm folded) generator to the renderer's colours.

    Under spectral norm the two-layer head cannot turn as steeply as the hue circle does, so its colours
    come out washed; freed from it, the head fits them in seconds (nothing else reads its weights).
    Returns the final mean absolute colour error.
    """
    head = generator.object_colour
    optimizer = torch.optim.Adam(head.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    rng = torch.Generator().manual_seed(seed)
    error = float("nan")
    for _ in range(steps):
        z = torch.randn(batch_size, generator.latent_dim, generator=rng)
        y = torch.randint(len(generator.class_names), (batch_size,), generator=rng)
        target = render_layers(LATENT_FACTORS(z, y), size=4)[2]
        with torch.no_grad():
            z0, conds = generator._conditions(z, F.one_hot(y, len(generator.class_names)).float())
        loss = (generator._object_colour(z0, conds) - target).abs().mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        error = loss.item()
    return error


def export(generator: CompactBigGAN, path: str | Path, *, steps: int, seed: int = 0) -> Path:
    """Fold spectral norm into the weights, refit the colour head, recompute BN standing stats, save as safetensors."""
    plain = fold_spectral_norm(generator)
    if plain.config.output == "layered" and plain.config.colour_hidden:
        fit_colour_head(plain, seed=seed)

    def forward(i: int) -> None:
        z = plain.sample_latents(256, seed=10_000 + i)
        plain(z, plain.sample_classes(256, seed=10_000 + i))

    standing_stats(plain, forward, batches=16)
    return save_generator(plain, path, metadata={"recipe": "latentlab.zoo.recipes.shapes_biggan", "steps": str(steps), "seed": str(seed)})


def train(out_dir: str | Path, *, steps: int | None = None, seed: int = 0, weights_path: str | Path | None = None) -> Path:
    """Run the recipe; writes samples, logs and a resumable state under ``out_dir`` and the weights file."""
    out = Path(out_dir)
    config = replace(TRAINING, seed=seed, **({"steps": steps} if steps else {}))
    torch.manual_seed(seed)
    generator = CompactBigGAN(replace(ARCHITECTURE, spectral_norm=True))
    discriminator = ProjectionDiscriminator(len(SHAPES))
    ema = train_gan(generator, discriminator, lambda start: real_batches(config.batch_size, seed, start), config, out,
                    n_classes=len(SHAPES), sample=sample_grid, reconstruction=paired_loss)
    return export(ema.shadow, weights_path or out / "shapes-biggan.safetensors", steps=config.steps, seed=seed)
