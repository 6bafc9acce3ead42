"""The AVAE of seed 002 ch. 3 against the plain VAE: the chapter's 2-D toy experiment (Fig. 3.7).

    python -m benchmarks.avae [--quick]   →  benchmarks/results/avae.json, results/avae_toy.png

==========  ================================================================================================
key         what
==========  ================================================================================================
toy         data x = (3 z₁ + 0.1 ε₁, cos(3 z₁ + tanh(3 z₂)) + 0.1 ε₂), z, ε ~ N(0, 1): two cosine bands;
            a 1-D latent, MLPs of two hidden layers of 128 (§3.4.1). A VAE and an AVAE (same encoder and
            decoder recipe; the AVAE adds G and C) train for the same number of iterations; for 2,000
            held-out points: ``recon_mse`` of the VAE's D(μ(x)) and the AVAE's G(μ(x)), and
            ``off_manifold`` — the mean distance from each reconstruction to the nearest of 20,000 data
            points (the chapter: VAE reconstructions average the two bands and land between them, in
            low-density regions; AVAE reconstructions pick a band) and ``log_density``, the mean log
            density of the reconstructions under a kernel density estimate of the data (bandwidth 0.15).
            The figure is data, VAE and AVAE reconstructions, coloured by the latent.
shapes      the convolutional AVAE, a VAE and a VAE-GAN of the same size, each trained by
            ``latentlab.recipes.shapes_avae`` for the same steps (into ``runs/benchmark-avae/<variant>-<steps>``;
            a finished run is reused; ``--quick``: 1,000 steps): ``recon_mse`` and ``recon_probe_distance`` on 1,000 held-out renders
            (VAE and VAE-GAN: D(μ(x)); AVAE: G(μ(x)/√(1−σ²))), ``fid`` of 1,000 samples against 1,000 renders
            in probe features with ``fid_floor`` (renders against renders); ``encoder_inversion``: PSNR and
            seconds per image of the AVAE's encoder alone, encoder + 100 refining steps, and 200 steps of
            optimisation alone.
==========  ================================================================================================
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import torch
from torch import nn
from tqdm.auto import tqdm

from benchmarks._report import RESULTS, parse_args, print_table, write_results
from latentlab.files import atomic_write_bytes, figure_png
from latentlab.training.avae import AVAE, AVAEOptimizers, avae_step

SETTINGS = {"quick": {"steps": 3000, "batch": 256, "shapes_steps": 1000, "shapes_n": 500, "invert_n": 16},
            "full": {"steps": 10000, "batch": 256, "shapes_steps": 4000, "shapes_n": 1000, "invert_n": 50}}
HIDDEN, BETA, LR = 128, 1.0, 2e-4  # DCGAN's Adam rate, which the chapter follows


def toy_data(n: int, seed: int) -> torch.Tensor:
    """[n, 2] points of the two cosine bands (independent noise on each coordinate)."""
    g = torch.Generator().manual_seed(seed)
    z1, z2, e1, e2 = torch.randn(4, n, generator=g)
    return torch.stack([3 * z1 + 0.1 * e1, torch.cos(3 * z1 + torch.tanh(3 * z2)) + 0.1 * e2], dim=1)


def mlp(fan_in: int, fan_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(fan_in, HIDDEN), nn.LeakyReLU(0.2), nn.Linear(HIDDEN, HIDDEN), nn.LeakyReLU(0.2),
                         nn.Linear(HIDDEN, fan_out))


class Squeeze(nn.Module):
    def __init__(self, module: nn.Module):
        super().__init__()
        self.module = module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.module(x)[:, 0]


def toy_model(seed: int) -> AVAE:
    torch.manual_seed(seed)
    return AVAE(mlp(2, 1), mlp(1, 2), mlp(1, 2), Squeeze(mlp(2, 1)), latent_dim=1)


def train_toy(adversarial: bool, steps: int, batch: int, seed: int = 0) -> AVAE:
    model = toy_model(seed)
    optimizers = AVAEOptimizers.adam(model, lr=LR)
    data = toy_data(200_000, seed=seed + 1)
    g = torch.Generator().manual_seed(seed + 2)
    for _ in tqdm(range(steps), desc=f"toy {'AVAE' if adversarial else 'VAE'}", leave=False):
        rows = torch.randint(data.shape[0], (batch,), generator=g)
        avae_step(model, data[rows], optimizers, beta=BETA, generator=g, adversarial=adversarial)
    return model.eval()


def nearest_distance(points: torch.Tensor, data: torch.Tensor) -> torch.Tensor:
    return torch.cdist(points, data).min(dim=1).values


def log_density(points: torch.Tensor, data: torch.Tensor, bandwidth: float = 0.15) -> torch.Tensor:
    """log p(point) under a Gaussian kernel density estimate of ``data`` (how likely each point is as data)."""
    d2 = torch.cdist(points, data).pow(2)
    return torch.logsumexp(-d2 / (2 * bandwidth**2), dim=1) - math.log(data.shape[0] * 2 * math.pi * bandwidth**2)


def toy_section(s: dict) -> dict:
    held_out, reference = toy_data(2000, seed=101), toy_data(20_000, seed=202)
    out, models = {}, {}
    for name, adversarial in (("vae", False), ("avae", True)):
        start = time.perf_counter()
        model = train_toy(adversarial, s["steps"], s["batch"])
        seconds = time.perf_counter() - start
        with torch.no_grad():
            recon = model.vae_reconstruct(held_out) if name == "vae" else model.reconstruct(held_out)
        models[name] = (model, recon)
        out[name] = {"recon_mse": round(float((recon - held_out).pow(2).sum(dim=1).mean()), 4),
                     "off_manifold": round(float(nearest_distance(recon, reference).mean()), 4),
                     "log_density": round(float(log_density(recon, reference).mean()), 3),
                     "sigma": round(model.sigma[0].item(), 4), "train_seconds": round(seconds, 1)}
        print(f"  toy {name}: {out[name]}", flush=True)
    fresh = toy_data(2000, seed=303)
    out["data_off_manifold"] = round(float(nearest_distance(fresh, reference).mean()), 4)
    out["data_log_density"] = round(float(log_density(fresh, reference).mean()), 3)
    out["steps"], out["batch"] = s["steps"], s["batch"]
    out["figure"] = "benchmarks/results/avae_toy.png"
    _toy_figure(held_out, models)
    return out


def _toy_figure(held_out: torch.Tensor, models: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(12, 3.4), sharex=True, sharey=True)
    axes[0].scatter(held_out[:, 0], held_out[:, 1], s=2, c="grey")
    axes[0].set_title("data (held out)")
    for ax, name in zip(axes[1:], ("vae", "avae")):
        model, recon = models[name]
        with torch.no_grad():
            code = model.encoder(held_out)[:, 0]
        ax.scatter(held_out[:, 0], held_out[:, 1], s=1, c="lightgrey")
        ax.scatter(recon[:, 0], recon[:, 1], s=2, c=code, cmap="viridis")
        ax.set_title(f"{name.upper()} reconstructions (colour: μ(x))")
    for ax in axes:
        ax.set_xlim(-9, 9)
        ax.set_ylim(-1.6, 1.6)
        ax.set_xlabel("x₁")
    axes[0].set_ylabel("x₂")
    figure.tight_layout()
    atomic_write_bytes(RESULTS / "avae_toy.png", figure_png(figure))
    plt.close(figure)


RUNS = Path(__file__).resolve().parents[1] / "runs" / "benchmark-avae"
HELD_OUT_SEED, SAMPLE_SEED, REAL_SEEDS = 77_000, 78_000, (79_000, 80_000)


def shapes_section(s: dict) -> dict:
    from latentlab import invert, render_shapes
    from latentlab.assessors.distances import probe_feature_distance
    from latentlab.generators.avae import ShapesAVAE
    from latentlab.metrics.fidelity import fid_from_statistics, fid_statistics
    from latentlab.recipes import shapes_avae
    from latentlab.zoo.checkpoints import load_state

    n = s["shapes_n"]
    held_out = render_shapes(n, seed=HELD_OUT_SEED).images
    reference = fid_statistics(render_shapes(n, seed=REAL_SEEDS[0]).images)
    out = {"fid_floor": round(fid_from_statistics(reference, fid_statistics(render_shapes(n, seed=REAL_SEEDS[1]).images)), 4),
           "steps": s["shapes_steps"]}
    models = {}
    for variant in shapes_avae.VARIANTS:
        start = time.perf_counter()
        path = shapes_avae.train(RUNS / f"{variant}-{s['shapes_steps']}", steps=s["shapes_steps"], variant=variant,
                                progress=True)
        model = ShapesAVAE(shapes_avae.ARCHITECTURE)
        model.load_state_dict(load_state(path))
        model.eval()
        models[variant] = model
        with torch.no_grad():
            z = model.sample_latents(n, seed=SAMPLE_SEED)
            samples = model(z) if variant == "avae" else model.decode(z)
            recon = torch.cat([(model.parts.reconstruct if variant == "avae" else model.parts.vae_reconstruct)(
                held_out[i:i + 250]).clamp(0, 1) for i in range(0, n, 250)])
        out[variant] = {"recon_mse": round(float((recon - held_out).pow(2).mean()), 5),
                        "recon_probe_distance": round(float(probe_feature_distance(recon, held_out).mean()), 4),
                        "fid": round(fid_from_statistics(fid_statistics(samples), reference), 4),
                        "seconds_to_train_or_load": round(time.perf_counter() - start, 1)}
        out[variant]["fid_over_floor"] = round(out[variant]["fid"] / out["fid_floor"], 2)
        print(f"  shapes {variant}: {out[variant]}", flush=True)

    avae, targets = models["avae"], held_out[:s["invert_n"]]
    rows = {}
    for label, kwargs in (("encoder_only", None), ("encoder_refine", {"init": "encoder", "steps": 100}),
                          ("optimisation_only", {"steps": 200})):
        start = time.perf_counter()
        if kwargs is None:
            with torch.no_grad():
                images = avae(avae.encoder_latents(targets)).clamp(0, 1)
        else:
            images = invert(avae, targets, loss="mse", lr=0.05, **kwargs).images
        seconds = (time.perf_counter() - start) / targets.shape[0]
        psnr = float((-10 * torch.log10(((images.cpu() - targets) ** 2).mean(dim=(1, 2, 3)))).mean())
        rows[label] = {"psnr": round(psnr, 2), "seconds_per_image": round(seconds, 5)}
    rows["speedup_encoder_vs_optimisation"] = round(rows["optimisation_only"]["seconds_per_image"]
                                                    / rows["encoder_only"]["seconds_per_image"], 1)
    out["encoder_inversion"] = rows
    print(f"  encoder inversion: {rows}", flush=True)
    return out


def main() -> None:
    args = parse_args(__doc__)
    s = SETTINGS["quick" if args.quick else "full"]
    results = {"toy": toy_section(s), "shapes": shapes_section(s)}
    t = results["toy"]
    print_table([(name, t[name]["recon_mse"], t[name]["off_manifold"], t[name]["log_density"], t[name]["sigma"])
                 for name in ("vae", "avae")], ("model", "recon MSE", "off-manifold distance", "log density", "σ"))
    print(f"fresh data points: off-manifold distance {t['data_off_manifold']}, log density {t['data_log_density']}")
    sh = results["shapes"]
    print_table([(v, sh[v]["recon_mse"], sh[v]["recon_probe_distance"], sh[v]["fid"], sh[v]["fid_over_floor"])
                 for v in ("vae", "vae_gan", "avae")], ("model", "recon MSE", "recon probe dist", "FID", "FID / floor"))
    print(f"real-vs-real floor {sh['fid_floor']}; encoder inversion {sh['encoder_inversion']}")
    results["settings"] = {**s, "quick": args.quick, "beta": BETA, "lr": LR}
    write_results("avae", results)


if __name__ == "__main__":
    main()
