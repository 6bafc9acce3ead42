"""Class-conditional hinge-loss GAN training, BigGAN style, resumable and interruptible.

One step: ``d_steps`` discriminator updates (hinge loss on real vs generated), then one
generator update (−D(G(z, y))), each optionally accumulated over several batches; then the
EMA copy of G is updated. With ``aux_class_weight`` > 0 the discriminator also classifies
real images (cross-entropy) and the generator is asked to make images it classifies as their
conditioning class — the auxiliary classifier of AC-GAN (Odena et al., 2017), which makes
class conditioning take hold early in short runs. With a ``reconstruction`` loss the generator
is also asked to render a known target for each latent (paired training, as in
pix2pix's L1 + GAN); ``adversarial_start`` steps of it alone may come before the discriminator
joins. State is saved atomically every ``checkpoint_every`` steps, so an
interrupted run resumes where it stopped.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from latentlab.images import atomic_write_bytes, save_image
from latentlab.training.ema import EMA
from latentlab.training.precision import autocast_dtype


@dataclass
class GANTrainConfig:
    """Hyper-parameters of :func:`train_gan`. The defaults train a GAN from scratch by the adversarial loss alone (two
    time-scale rates, hinge loss); the shipped ``shapes-biggan`` recipe is :data:`latentlab.recipes.shapes_biggan.TRAINING`
    (mostly paired steps, then the discriminator at a small weight)."""

    steps: int = 6500
    batch_size: int = 32
    lr_g: float = 2e-4
    lr_d: float = 4e-4  # two time-scale update rule: D learns faster than G
    beta1: float = 0.0
    beta2: float = 0.999
    d_steps: int = 1  # discriminator updates per generator update
    accumulate: int = 1  # batches accumulated per update (effective batch = batch_size × accumulate)
    ema_decay: float = 0.999
    ema_start: int = 1000  # EMA copies G exactly before this step
    aux_class_weight: float = 0.0  # weight of the auxiliary classification losses (needs a D with a class head)
    adversarial_weight: float = 1.0  # weight of G's adversarial loss (with a reconstruction loss)
    adversarial_start: int = 0  # steps of reconstruction alone (no discriminator) before the adversarial game
    seed: int = 0
    threads: int = 2
    mixed_precision: str = "auto"  # "auto" (bf16 where the device runs it natively), "bf16" or "off"
    log_every: int = 50
    sample_every: int = 500
    checkpoint_every: int = 250


def _save_state(path: Path, state: dict) -> None:
    import io

    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def train_gan(
    generator: nn.Module,
    discriminator: nn.Module,
    data: Callable[[int], Iterator[tuple[torch.Tensor, torch.Tensor]]],
    config: GANTrainConfig,
    out_dir: str | Path,
    *,
    n_classes: int,
    sample: Callable[[nn.Module, int], torch.Tensor] | None = None,
    on_log: Callable[[dict, nn.Module], None] | None = None,
    reconstruction: Callable[[nn.Module, torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]] | None = None,
    progress: bool = True,
    device: str | torch.device = "cpu",
) -> EMA:
    """Train ``generator`` against ``discriminator`` on ``(images, class_index)`` batches.

    ``data(start)`` returns the stream of real batches beginning at batch number ``start``, so
    a resumed run sees the same batches as an uninterrupted one.

    Writes ``state.pt`` (resumable), ``log.jsonl`` (losses) and ``samples/step_*.png`` under
    ``out_dir``; returns the EMA of the generator. Ctrl-C saves the state and returns.
    ``on_log(record, ema_generator)`` is called with every logged record (live plots);
    ``reconstruction(generator, z, y)`` (class indices ``y``) returns a paired loss and the
    images it generated (they also go to the discriminator);
    ``progress=False`` hides the progress bar; ``device`` runs the models there (the real
    batches are moved to it).
    """
    out = Path(out_dir)
    (out / "samples").mkdir(parents=True, exist_ok=True)
    device = torch.device(device)
    if config.adversarial_start > 0 and reconstruction is None:
        raise ValueError(f"adversarial_start={config.adversarial_start} needs a reconstruction loss to train on first")
    if config.aux_class_weight > 0 and not getattr(discriminator, "n_aux_classes", 0):
        raise ValueError(f"aux_class_weight={config.aux_class_weight} needs a discriminator with a class head "
                         "(ProjectionDiscriminator(..., aux_classifier=True))")
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    generator.to(device, memory_format=torch.channels_last)
    discriminator.to(device, memory_format=torch.channels_last)
    betas = (config.beta1, config.beta2)
    opt_g = torch.optim.Adam(generator.parameters(), lr=config.lr_g, betas=betas, eps=1e-6)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=config.lr_d, betas=betas, eps=1e-6)
    ema = EMA(generator, config.ema_decay, config.ema_start)
    state_path, step = out / "state.pt", 0
    if state_path.exists():  # resume
        state = torch.load(state_path, map_location=device, weights_only=True)
        generator.load_state_dict(state["G"])
        discriminator.load_state_dict(state["D"])
        ema.shadow.load_state_dict(state["G_ema"])
        opt_g.load_state_dict(state["opt_G"])
        opt_d.load_state_dict(state["opt_D"])
        torch.set_rng_state(state["rng"].cpu())
        step = int(state["step"])

    batches = data(step * config.d_steps * config.accumulate)

    def noise(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        z = torch.randn(n, generator.latent_dim)  # drawn on the CPU: the same run on any device
        y = torch.randint(n_classes, (n,))
        return z.to(device), y.to(device)

    def score(images: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """D's scores and, when the auxiliary loss is on, its cross-entropy against classes ``y``."""
        one_hot = F.one_hot(y, n_classes).float()
        if config.aux_class_weight <= 0:
            return discriminator(images, one_hot).float(), None
        scores, logits = discriminator(images, one_hot, return_logits=True)
        return scores.float(), F.cross_entropy(logits.float(), y)

    def checkpoint() -> None:
        _save_state(state_path, {
            "G": generator.state_dict(), "D": discriminator.state_dict(), "G_ema": ema.shadow.state_dict(),
            "opt_G": opt_g.state_dict(), "opt_D": opt_d.state_dict(), "rng": torch.get_rng_state(),
            "step": step, "config": json.dumps(asdict(config)),
        })

    dtype = autocast_dtype(config.mixed_precision, device)

    def autocast():
        return torch.autocast(device.type, dtype=dtype or torch.bfloat16, enabled=dtype is not None)

    bar = tqdm(total=config.steps, initial=step, desc="train GAN", unit="step", disable=not progress)
    started = time.perf_counter()
    try:
        with open(out / "log.jsonl", "a") as log:
            while step < config.steps:
                adversarial = step >= config.adversarial_start
                # 1. discriminator: hinge loss, real vs generated
                for _ in range(config.d_steps if adversarial else 0):
                    opt_d.zero_grad(set_to_none=True)
                    for _ in range(config.accumulate):
                        real, y_real = next(batches)
                        real = real.to(device, non_blocking=True).contiguous(memory_format=torch.channels_last)
                        y_real = y_real.to(device)
                        z, y_fake = noise(real.shape[0])
                        with autocast():
                            with torch.no_grad():
                                fake = generator(z, F.one_hot(y_fake, n_classes).float())
                            d_real, aux_real = score(real, y_real)
                            d_fake, _ = score(fake, y_fake)
                        loss_d = F.relu(1.0 - d_real).mean() + F.relu(1.0 + d_fake).mean()
                        if aux_real is not None:  # the class head learns from real images only
                            loss_d = loss_d + config.aux_class_weight * aux_real
                        (loss_d / config.accumulate).backward()
                    opt_d.step()
                # 2. generator: raise D's score of its samples
                opt_g.zero_grad(set_to_none=True)
                for _ in range(config.accumulate):
                    z, y = noise(config.batch_size)
                    with autocast():
                        if reconstruction is None:
                            loss_rec, images = None, generator(z, F.one_hot(y, n_classes).float())
                        else:
                            loss_rec, images = reconstruction(generator, z, y)
                        loss_g = torch.zeros((), device=device) if loss_rec is None else loss_rec.float()
                        if adversarial:
                            d_gen, aux_gen = score(images, y)
                            loss_g = loss_g - config.adversarial_weight * d_gen.mean()
                            if aux_gen is not None:
                                loss_g = loss_g + config.aux_class_weight * aux_gen
                    (loss_g / config.accumulate).backward()
                opt_g.step()
                step += 1
                ema.update(generator, step)
                bar.update(1)
                if step % config.log_every == 0:
                    record = {"step": step, "loss_g": round(loss_g.item(), 4)}
                    if adversarial:
                        record.update(loss_d=round(loss_d.item(), 4), d_real=round(d_real.mean().item(), 4),
                                      d_fake=round(d_fake.mean().item(), 4))
                    if loss_rec is not None:
                        record["loss_rec"] = round(loss_rec.item(), 4)
                    record["seconds"] = round(time.perf_counter() - started, 1)
                    log.write(json.dumps(record) + "\n")
                    log.flush()
                    bar.set_postfix({k: v for k, v in record.items() if k.startswith("loss")})
                    if on_log is not None:
                        on_log(record, ema.shadow)
                if sample is not None and (step % config.sample_every == 0 or step == config.steps):
                    save_image(sample(ema.shadow, step), out / "samples" / f"step_{step:06d}.png", nrow=8)
                if step % config.checkpoint_every == 0 or step == config.steps:
                    checkpoint()
    except KeyboardInterrupt:
        checkpoint()
        bar.write(f"interrupted at step {step}; state saved to {state_path} (run again to resume)")
    finally:
        bar.close()
    return ema
