"""Train a β-VAE on the dSprites-style world (seed 002 §4.4.3: Adam, learning rate 5e-4)."""

from __future__ import annotations

import torch
from tqdm.auto import tqdm

from latentlab.data.sprites import render_sprites
from latentlab.errors import check_positive_int
from latentlab.generators.vae import ConvVAE, ConvVAEConfig
from latentlab.latents import seeded_generator

#: sprite size range (bounding diameter / width): smaller than the Shapes world, as in dSprites
SPRITE_SCALE_RANGE = (0.2, 0.45)


def sprite_dataset(n: int, seed: int = 0, size: int = 64, chunk: int = 2000) -> torch.Tensor:
    """``n`` white-on-black sprites [n, 1, size, size] with scales in :data:`SPRITE_SCALE_RANGE`."""
    n = check_positive_int("n", n)
    lo, hi = SPRITE_SCALE_RANGE
    parts = []
    for i, start in enumerate(range(0, n, chunk)):
        m = min(chunk, n - start)
        scale = lo + (hi - lo) * torch.rand(m, generator=seeded_generator(seed * 7919 + i))
        parts.append(render_sprites(m, seed * 7919 + i, size=size, scale=scale)[0])
    return torch.cat(parts)


def train_vae(beta: float, *, steps: int = 3000, batch_size: int = 64, lr: float = 5e-4, data: torch.Tensor | None = None,
              config: ConvVAEConfig | None = None, seed: int = 0, device: str | torch.device = "cpu",
              progress: bool = True) -> tuple[ConvVAE, list[dict]]:
    """A β-VAE trained for ``steps`` Adam steps on ``data`` [N, 1, R, R] (default: 20 000 sprites); returns (model, history)."""
    if not (isinstance(beta, (int, float)) and beta >= 0):
        raise ValueError(f"beta must be a number >= 0, got {beta!r}")
    steps, batch_size = check_positive_int("steps", steps), check_positive_int("batch_size", batch_size)
    torch.manual_seed(seed)
    model = ConvVAE(config).to(device)
    data = sprite_dataset(20_000, seed, model.resolution) if data is None else data
    if data.dim() != 4 or data.shape[1] != 1 or data.shape[-1] != model.resolution:
        raise ValueError(f"data must be [N, 1, {model.resolution}, {model.resolution}], got {tuple(data.shape)}")
    gen = seeded_generator(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    model.train()
    for step in tqdm(range(steps), desc=f"β-VAE β={beta:g}", disable=not progress, leave=False):
        batch = data[torch.randint(data.shape[0], (batch_size,), generator=gen)].to(device)
        loss, parts = model.loss(batch, float(beta), generator=gen)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % 50 == 0 or step == steps - 1:
            history.append({"step": step, "loss": float(loss.detach()), **parts})
    return model.eval(), history
