"""Recipe for ``shapes-stylegan``: a compact StyleGAN2-style generator trained on the Shapes world.

    latentlab train shapes-stylegan --out runs/shapes-stylegan                # 9,500 steps, about 0.5 s each on 2 CPU cores (80 min)
    latentlab train shapes-stylegan --out runs/sg --device cuda --steps 3500   # how the shipped weights were made

The generator (mapping network, modulated/demodulated convolutions, noise inputs, style-mixing
regularisation, running w̄ for truncation) is trained with the same loop as ``shapes-biggan``:
hinge loss against the spectrally normalised projection discriminator, Adam (β1 = 0), EMA of
G's weights. The run is resumable (run the same command again) and Ctrl-C keeps its state.

The shipped weights are the first 3,512 steps of this recipe, run on one GPU (the file's
metadata records the step count); a full 9,500-step CPU run has not been made yet.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import torch

from latentlab.data import SHAPES
from latentlab.generators.compact_stylegan import CompactStyleGAN, CompactStyleGANConfig
from latentlab.training.discriminator import ProjectionDiscriminator
from latentlab.training.gan import GANTrainConfig, train_gan
from latentlab.zoo.checkpoints import save_generator
from latentlab.zoo.recipes.shapes_biggan import real_batches, sample_grid

ARCHITECTURE = CompactStyleGANConfig(class_names=SHAPES)
TRAINING = GANTrainConfig(steps=9500, lr_g=1e-3, lr_d=4e-4, mixed_precision="off")


def export(generator: CompactStyleGAN, path: str | Path, *, steps: int, seed: int = 0) -> Path:
    """Save the (EMA) generator as safetensors with its recipe in the metadata."""
    plain = CompactStyleGAN(generator.config)
    plain.load_state_dict({k: v.detach().cpu() for k, v in generator.state_dict().items()})
    return save_generator(plain.eval(), path, metadata={"recipe": "latentlab.zoo.recipes.shapes_stylegan",
                                                        "steps": str(steps), "seed": str(seed)})


def train(out_dir: str | Path, *, steps: int | None = None, seed: int = 0, weights_path: str | Path | None = None,
          device: str = "cpu") -> Path:
    """Run the recipe; writes samples, logs and a resumable state under ``out_dir`` and the weights file."""
    out = Path(out_dir)
    config = replace(TRAINING, seed=seed, **({"steps": steps} if steps else {}))
    torch.manual_seed(seed)
    generator = CompactStyleGAN(ARCHITECTURE)
    discriminator = ProjectionDiscriminator(len(SHAPES))
    ema = train_gan(generator, discriminator, lambda start: real_batches(config.batch_size, seed, start), config, out,
                    n_classes=len(SHAPES), sample=sample_grid, device=device)
    return export(ema.shadow, weights_path or out / "shapes-stylegan.safetensors", steps=config.steps, seed=seed)
