"""The disentanglement study of seed 002 §4.4.3: control precision of x along Plumerault directions of β-VAEs.

β-VAEs are trained on the dSprites-style world (white sprites on black, 32×32 to fit a CPU
budget) for several β; each gets a horizontal-shift direction from Algorithm 1 and the
eq. 4.13 fit, and x is read as the barycentre of the white pixels (seed 002 §4.4.1).
"""

from __future__ import annotations

import torch
from tqdm.auto import tqdm

from latentlab.data.sprites import barycentre
from latentlab.generators.vae import ConvVAEConfig
from latentlab.methods.factors import fit_factor
from latentlab.methods.trajectories import estimate_trajectories
from latentlab.training.vae import sprite_dataset, train_vae

BETAS = (1, 4, 10, 20)
RESOLUTION, CHANNELS, SIGMA = 32, 16, 1.5
LR = 1e-3  # the seed trains 1e5 steps at 5e-4; a few thousand CPU steps need a larger rate
EVAL_SEED = 40_000


@torch.no_grad()
def _x_along(model, direction, ts: torch.Tensor, n: int) -> torch.Tensor:
    """Barycentre x [n, T] of decoded images for n prior latents set to every t along ``direction``."""
    z = model.sample_latents(n, seed=EVAL_SEED)
    return torch.stack([barycentre(model(direction.move(z, float(t))))[0] for t in ts], dim=1)


def betavae_study(steps: int, trajectories: int, latents: int, n_ts: int, betas=BETAS, seed: int = 0) -> list[dict]:
    """One entry per β: max_std of x along the found direction, its range, monotonicity and the VAE's KL."""
    data = sprite_dataset(20_000, seed, size=RESOLUTION)
    ts = torch.linspace(-3.0, 3.0, n_ts)
    out = []
    for beta in tqdm(betas, desc="β-VAE study"):
        model, history = train_vae(beta, steps=steps, data=data, lr=LR,
                                   config=ConvVAEConfig(resolution=RESOLUTION, channels=CHANNELS), seed=seed, progress=False)
        for p in model.parameters():
            p.requires_grad_(False)
        found = estimate_trajectories(model, "shift_x", n=trajectories, steps=4, iterations=20, t_max=0.2, lr=0.05, sigma=SIGMA,
                                      seed=seed + 1, progress=False)
        factor = fit_factor(found)
        x = _x_along(model, factor.direction, ts, latents)  # [n, T]
        means, stds = x.mean(dim=0), x.std(dim=0)
        steps_x = means[1:] - means[:-1]
        with torch.no_grad():
            prior_x = barycentre(model(model.sample_latents(latents, seed=EVAL_SEED + 1)))[0]
        with torch.no_grad():
            mu, logvar = model.encode(data[:1000])
        kl_per_dim = (0.5 * (mu**2 + logvar.exp() - 1 - logvar)).mean(dim=0)
        out.append({
            "beta": beta, "max_std": round(float(stds.max()), 4), "range": round(float(means.max() - means.min()), 4),
            "monotonic": bool((steps_x > 0).all() or (steps_x < 0).all()),
            "t": [round(float(t), 3) for t in ts], "mean": [round(float(m), 4) for m in means], "std": [round(float(v), 4) for v in stds],
            "prior_x_std": round(float(prior_x.std()), 4),  # spread of x without control, for comparison
            "max_std_over_prior_std": round(float(stds.max() / prior_x.std().clamp(min=1e-6)), 4),
            "kl": round(history[-1]["kl"], 3), "recon": round(history[-1]["recon"], 2),
            "active_dims": int((kl_per_dim > 0.05).sum()), "kept_records": len(found), "train_steps": steps, "lr": LR,
            "resolution": RESOLUTION,
        })
    return out
