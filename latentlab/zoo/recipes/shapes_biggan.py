"""Recipe for ``shapes-biggan``: a compact BigGAN trained on the Shapes world.

    latentlab train shapes-biggan --out runs/shapes-biggan   # 6,500 steps, about 80 minutes on 2 CPU cores

Hinge loss, spectral norm in G and D, orthogonal init, shared class embedding with
hierarchical latents and a layered (background + object) output, a projection
discriminator, Adam (β1 = 0) with the discriminator at twice the generator's learning
rate, EMA of G's weights with BatchNorm standing statistics, optional gradient accumulation
(and optional bf16 autocast, off in this recipe: the shipped weights were trained in full precision). The run is resumable
(run the same command again) and Ctrl-C keeps its state.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import torch

from latentlab.data import SHAPES, ShapesDataset
from latentlab.generators.compact_biggan import CompactBigGAN, CompactBigGANConfig
from latentlab.training.discriminator import ProjectionDiscriminator
from latentlab.training.ema import standing_stats
from latentlab.training.gan import GANTrainConfig, train_gan
from latentlab.zoo.checkpoints import save_generator

ARCHITECTURE = CompactBigGANConfig(class_names=SHAPES)
TRAINING = GANTrainConfig(mixed_precision="off")


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


def export(generator: CompactBigGAN, path: str | Path, *, steps: int, seed: int = 0) -> Path:
    """Fold spectral norm into the weights, recompute BN standing stats, save as safetensors."""
    plain = fold_spectral_norm(generator)

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
                    n_classes=len(SHAPES), sample=sample_grid)
    return export(ema.shadow, weights_path or out / "shapes-biggan.safetensors", steps=config.steps, seed=seed)
