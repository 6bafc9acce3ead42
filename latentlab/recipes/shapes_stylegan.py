"""Recipe for ``shapes-stylegan``: a compact StyleGAN2-style generator trained on the Shapes world.

    latentlab train shapes-stylegan --out runs/shapes-stylegan   # 7,600 steps, 62 minutes on 2 CPU cores

Paired, then adversarial, as ``shapes-biggan``: every latent stands for the factors a
:class:`LatentFactorMap` reads off it. The generator's last modulated convolution draws a
background and the object's alpha upright, centred and at one size; a placement head reading the
first style moves, turns and scales it, and a colour head reading the last style colours it.
For the first 7,000 steps the generator learns to render its factors
(:func:`latentlab.training.paired.drawn_frame_loss`): background and colour by L1, the alpha
where it is drawn (before placing) by cross-entropy and L1, the placement against the object's
centre, rotation and size. Then a projection discriminator joins with the hinge loss, at a small
weight, through the placed composite.

Two choices made the difference on this architecture:

- **The alpha is compared where it is drawn.** Compared after placing, as ``shapes-biggan``'s is,
  every early misplacement averages the outline into a blob; the style generator's heads read w
  through the whole mapping network and stay imprecise for longer, and 600 steps gave
  class-agnostic blobs.
- **The mapping network learns at the full rate** (``mapping_lr`` = 1, not StyleGAN's 0.01): w
  must carry the object's exact place, turn and size to the placement head. Before training the
  mapping and heads are fitted to the factors for 1,500 steps (seconds); the class embedding is
  left out of that fit, which would otherwise collapse it (placement and colour do not depend on
  the class).

Style mixing is off while training (the factors a mixed latent stands for are undefined); styles
mix at inference as in any style generator. On export the placement and colour heads are refitted
alone to the EMA mapping's w. The shipped weights are this recipe's run: probe-feature FID at ψ = 1 is
1.9 × the real-vs-real floor (``python -m benchmarks.generators``). The run is resumable (run the same command again) and Ctrl-C keeps
its state.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import torch

from latentlab.data import SHAPES, LatentFactorMap
from latentlab.generators.compact_stylegan import CompactStyleGAN, CompactStyleGANConfig
from latentlab.recipes.shapes_biggan import real_batches, sample_grid
from latentlab.training import paired
from latentlab.training.discriminator import ProjectionDiscriminator
from latentlab.training.gan import GANTrainConfig, train_gan
from latentlab.zoo.checkpoints import save_generator

ARCHITECTURE = CompactStyleGANConfig(class_names=SHAPES, output="layered", input_from_w=True, mapping_lr=1.0,
                                     style_mixing=0.0)
TRAINING = GANTrainConfig(steps=7600, lr_g=1e-3, beta2=0.99, adversarial_start=7000, adversarial_weight=0.02,
                          batch_size=64, mixed_precision="off")
HEAD_PREFIT_STEPS = 1500  # the mapping network and heads fitted to the factors before training
HEAD_REFIT_STEPS = 3000  # each head refitted alone on export

#: What each latent of ``shapes-stylegan`` stands for (the two halves of z).
LATENT_FACTORS = LatentFactorMap(ARCHITECTURE.latent_dim, ARCHITECTURE.latent_dim // 2, seed=0, knee=0.5)


def paired_loss(generator: CompactStyleGAN, z: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The drawn-frame paired loss for the factors z stands for."""
    return paired.drawn_frame_loss(generator, z, y, LATENT_FACTORS(z, y))


def export(generator: CompactStyleGAN, path: str | Path, *, steps: int, seed: int = 0,
           head_steps: int = HEAD_REFIT_STEPS) -> Path:
    """Refit the heads alone to the (EMA) generator's w, then save it as safetensors with its recipe in the metadata."""
    plain = CompactStyleGAN(generator.config)
    plain.load_state_dict({k: v.detach().cpu() for k, v in generator.state_dict().items()})
    if head_steps:
        paired.fit_placement_head(plain.eval(), LATENT_FACTORS, steps=head_steps, seed=seed + 1, lr=1e-3)
        paired.fit_colour_head(plain.eval(), LATENT_FACTORS, steps=head_steps, seed=seed + 2, lr=1e-3)
    return save_generator(plain.eval(), path, metadata={"recipe": "latentlab.recipes.shapes_stylegan",
                                                        "steps": str(steps), "seed": str(seed)})


def train(out_dir: str | Path, *, steps: int | None = None, seed: int = 0, weights_path: str | Path | None = None,
          device: str = "cpu") -> Path:
    """Run the recipe; writes samples, logs and a resumable state under ``out_dir`` and the weights file."""
    out = Path(out_dir)
    config = replace(TRAINING, seed=seed, **({"steps": steps} if steps else {}))
    if steps and steps <= TRAINING.adversarial_start:  # a shortened run keeps its last tenth adversarial
        config = replace(config, adversarial_start=max(1, steps * 9 // 10))
    torch.manual_seed(seed)
    generator = CompactStyleGAN(ARCHITECTURE).to(device)
    if not (out / "state.pt").exists():  # a resumed run keeps its fitted mapping
        paired.fit_heads(generator.train(), LATENT_FACTORS, [generator.mapping_net], steps=HEAD_PREFIT_STEPS, seed=seed)
    discriminator = ProjectionDiscriminator(len(SHAPES))
    ema = train_gan(generator, discriminator, lambda start: real_batches(config.batch_size, seed, start), config, out,
                    n_classes=len(SHAPES), sample=sample_grid, device=device, reconstruction=paired_loss)
    return export(ema.shadow, weights_path or out / "shapes-stylegan.safetensors", steps=config.steps, seed=seed)
