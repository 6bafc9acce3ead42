"""Recipe for ``shapes-stylegan``: a compact StyleGAN2-style generator trained on the Shapes world.

    latentlab train shapes-stylegan --out runs/shapes-stylegan   # 2,400 steps on 2 CPU cores

Trained as ``shapes-biggan`` is: paired, then adversarial. Every latent stands for the factors
a :class:`LatentFactorMap` reads off it (after the mapping network's own normalisation of z),
and for the first 2,000 steps the generator learns to render them — its background, object
alpha and object colour layers toward the renderer's own, its placement head toward the
object's centre, rotation and size. Then the projection discriminator joins with the hinge
loss at a small weight. The generator's layered output draws the object's alpha upright and
centred and places it with a spatial transformer driven by the first (coarsest) style, and
colours it from the last (finest) style. The mapping network learns at the full rate (StyleGAN
slows it a hundredfold for adversarial stability; here the heads must read the factors
through it) and is fitted with the heads before training (seconds). Style mixing applies in
the adversarial phase. Adam (β1 = 0), EMA of G's weights; resumable (run the same command
again) and Ctrl-C keeps its state.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import torch

from latentlab.data import SHAPES, LatentFactorMap, ShapeFactors
from latentlab.generators.compact_stylegan import CompactStyleGAN, CompactStyleGANConfig
from latentlab.training import paired
from latentlab.training.discriminator import ProjectionDiscriminator
from latentlab.training.gan import GANTrainConfig, train_gan
from latentlab.zoo.checkpoints import save_generator
from latentlab.zoo.recipes.shapes_biggan import real_batches, sample_grid

ARCHITECTURE = CompactStyleGANConfig(class_names=SHAPES, output="layered", mapping_lr=1.0)
TRAINING = GANTrainConfig(steps=2400, lr_g=1e-3, lr_d=4e-4, beta2=0.99, adversarial_start=2000, adversarial_weight=0.02,
                          batch_size=32, mixed_precision="off")
HEAD_FIT_STEPS = 2000  # steps fitting the mapping network and the heads to the factors before training

#: The map from (normalised) latents of ``shapes-stylegan`` to factors; see :func:`latent_factors`.
LATENT_FACTOR_MAP = LatentFactorMap(ARCHITECTURE.latent_dim, ARCHITECTURE.latent_dim // 2, seed=0)


def latent_factors(z: torch.Tensor, y: torch.Tensor) -> ShapeFactors:
    """What each latent of ``shapes-stylegan`` stands for: the factor map read on z scaled to norm √d,
    as the mapping network sees it."""
    return LATENT_FACTOR_MAP(z * (z.shape[1] / z.square().sum(1, keepdim=True).clamp_min(1e-12)).sqrt(), y)


def paired_loss(generator: CompactStyleGAN, z: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The paired loss (:func:`latentlab.training.paired.paired_loss`) for the factors z stands for."""
    return paired.paired_loss(generator, z, y, latent_factors(z, y))


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
    if generator.config.output == "layered":  # seconds; outlines are then learnt in the right place
        paired.fit_heads(generator, latent_factors, [generator.mapping_net, generator.embed], steps=HEAD_FIT_STEPS, seed=seed)
    ema = train_gan(generator, discriminator, lambda start: real_batches(config.batch_size, seed, start), config, out,
                    n_classes=len(SHAPES), sample=sample_grid, device=device,
                    reconstruction=paired_loss if generator.config.output == "layered" else None)
    return export(ema.shadow, weights_path or out / "shapes-stylegan.safetensors", steps=config.steps, seed=seed)
