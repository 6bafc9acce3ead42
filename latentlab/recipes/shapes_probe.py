"""Recipe for ``shapes-probe``: supervised training on fresh Shapes renders.

    latentlab train shapes-probe --out runs/shapes-probe   # about 10 minutes on 2 CPU cores

Every batch is new (the world is procedural), so there is no overfitting to a data set.
Loss: cross-entropy on the class, MSE on (cos, sin) of the hue and on x, y, scale, and
binary cross-entropy on the mask. Light pixel noise makes it robust to generated images.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from latentlab.data import SHAPES, ShapesDataset
from latentlab.images import atomic_write_bytes
from latentlab.probes.shapes_probe import ShapesProbe, ShapesProbeConfig

STEPS, BATCH_SIZE, LEARNING_RATE, NOISE = 3000, 64, 2e-3, 0.03


def probe_loss(probe: ShapesProbe, batch) -> torch.Tensor:
    f = batch.factors
    out = probe(batch.images)
    angle = 2 * math.pi * f.hue
    hue_target = torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)
    geometry_target = torch.stack([f.x, f.y, f.scale], dim=1)
    return (
        F.cross_entropy(out.logits, f.shape)
        + 4.0 * F.mse_loss(out.hue_vector, hue_target)
        + 40.0 * F.mse_loss(out.geometry, geometry_target)
        + F.binary_cross_entropy_with_logits(out.mask_logits, batch.masks)
    )


def train(out_dir: str | Path, *, steps: int = STEPS, seed: int = 0, threads: int = 2, weights_path: str | Path | None = None) -> Path:
    """Train the probe and save it as safetensors; returns the weights path."""
    import json

    from safetensors.torch import save

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    probe = ShapesProbe(ShapesProbeConfig(class_names=SHAPES)).to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(probe.parameters(), lr=LEARNING_RATE, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LEARNING_RATE, total_steps=steps, pct_start=0.1)
    noise_gen = torch.Generator().manual_seed(seed)
    bar = tqdm(ShapesDataset(batch_size=BATCH_SIZE, seed=1000 + seed, batches=steps), total=steps, desc="train probe")
    probe.train()
    for step, batch in enumerate(bar):
        sigma = NOISE * torch.rand(batch.images.shape[0], 1, 1, 1, generator=noise_gen)
        batch.images = (batch.images + sigma * torch.randn(batch.images.shape, generator=noise_gen)).clamp(0, 1)
        batch.images = batch.images.contiguous(memory_format=torch.channels_last)
        loss = probe_loss(probe, batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if step % 50 == 0:
            bar.set_postfix(loss=round(loss.item(), 4))
    probe.eval().to(memory_format=torch.contiguous_format)
    path = Path(weights_path or Path(out_dir) / "shapes-probe.safetensors")
    meta = {"architecture": "ShapesProbe", "config": json.dumps(probe.config.to_json()), "recipe": __name__, "steps": str(steps), "seed": str(seed)}
    atomic_write_bytes(path, save({k: v.contiguous() for k, v in probe.state_dict().items()}, metadata=meta))
    return path
