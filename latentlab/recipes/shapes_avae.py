"""Recipe for ``shapes-avae`` (seed 002 ch. 3) and its two baselines, trained the same way on the Shapes world.

    latentlab train shapes-avae --out runs/shapes-avae     # 4,000 steps of 32 images on 2 CPU cores

``variant``: ``"avae"`` (E and D by the VAE loss, C by eq. 3.9, G by eqs. 3.11 + 3.12), ``"vae"``
(E and D only) or ``"vae_gan"`` (D is also the GAN's generator: the hybrid the chapter compares
against). DCGAN's Adam (2·10⁻⁴, β₁ = 0.5), which the chapter follows; β = 4 on the KL, the
smallest of §3.4's. Batch ``i`` is the Shapes world's batch ``i`` of the seed, so a resumed run sees
what an uninterrupted one would: the state (every part, the optimisers, the random state, the
step) is written every 250 steps and on Ctrl-C to ``state.pt``; sample and reconstruction grids go
to ``samples/``. The weights are exported as safetensors.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import torch
from tqdm.auto import tqdm

from latentlab.data import ShapesDataset, render_shapes
from latentlab.errors import unknown_name_error
from latentlab.files import atomic_write_bytes
from latentlab.generators.avae import ShapesAVAE, ShapesAVAEConfig
from latentlab.images import save_image
from latentlab.training.avae import AVAEOptimizers, avae_step, vae_gan_step

STEPS, BATCH_SIZE, LR, BETA, CHECKPOINT_EVERY, SAMPLE_EVERY = 4000, 32, 2e-4, 4.0, 250, 1000
VARIANTS = ("avae", "vae", "vae_gan")
ARCHITECTURE = ShapesAVAEConfig()


def _save_state(path: Path, state: dict) -> None:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def _grids(model: ShapesAVAE, variant: str, out: Path, step: int) -> None:
    """Samples (16 fixed latents) and reconstructions of 8 fixed renders, above their originals."""
    model.eval()
    with torch.no_grad():
        z = model.sample_latents(16, seed=1234)
        samples = model(z) if variant == "avae" else model.decode(z)
        real = render_shapes(8, seed=4321).images
        recon = model.parts.reconstruct(real) if variant == "avae" else model.parts.vae_reconstruct(real)
    model.train()
    save_image(torch.cat([samples, real, recon]), out / "samples" / f"step_{step:06d}.png", nrow=8)


def train(out_dir: str | Path, *, steps: int | None = None, seed: int = 0, threads: int = 2, variant: str = "avae",
          weights_path: str | Path | None = None, progress: bool = True) -> Path:
    """Train ``variant`` (resuming ``out_dir/state.pt`` when it is there); returns the weights path."""
    if variant not in VARIANTS:
        raise unknown_name_error("variant", variant, VARIANTS)
    from latentlab.zoo.checkpoints import save_generator

    steps = steps or STEPS
    out = Path(out_dir)
    (out / "samples").mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    model = ShapesAVAE(ARCHITECTURE).train()
    optimizers = AVAEOptimizers.adam(model.parts, lr=LR)
    noise = torch.Generator().manual_seed(seed + 1)
    state_path, step = out / "state.pt", 0
    if state_path.exists():
        state = torch.load(state_path, weights_only=True)
        model.load_state_dict(state["model"])
        for name in ("vae", "generator", "critic"):
            getattr(optimizers, name).load_state_dict(state[f"opt_{name}"])
        noise.set_state(state["noise"])
        step = int(state["step"])

    def checkpoint() -> None:
        _save_state(state_path, {"model": model.state_dict(), "noise": noise.get_state(), "step": step,
                                 **{f"opt_{n}": getattr(optimizers, n).state_dict() for n in ("vae", "generator", "critic")},
                                 "variant": variant, "seed": seed})

    data = ShapesDataset(batch_size=BATCH_SIZE, seed=seed)
    log = (out / "log.jsonl").open("a")
    bar = tqdm(total=steps, initial=step, desc=f"train shapes-{variant.replace('_', '-')}", disable=not progress)
    try:
        while step < steps:
            x = data.batch(step).images
            if variant == "vae_gan":
                losses = vae_gan_step(model.parts, x, optimizers, beta=BETA, generator=noise)
            else:
                losses = avae_step(model.parts, x, optimizers, beta=BETA, generator=noise, adversarial=variant == "avae")
            step += 1
            bar.update(1)
            if step % 50 == 0:
                bar.set_postfix({k: round(v, 2) for k, v in losses.items()})
                log.write(json.dumps({"step": step, **losses}) + "\n")
            if step % CHECKPOINT_EVERY == 0:
                checkpoint()
            if step % SAMPLE_EVERY == 0 or step == steps:
                _grids(model, variant, out, step)
    except KeyboardInterrupt:
        checkpoint()
        raise
    finally:
        bar.close()
        log.close()
    checkpoint()
    model.eval()
    path = Path(weights_path or out / f"shapes-{variant.replace('_', '-')}.safetensors")
    return save_generator(model, path, metadata={"recipe": __name__, "variant": variant, "steps": str(steps),
                                                 "seed": str(seed)})
