"""Generator benchmark: speed, and the truncation trade-off measured with the probe.

    python -m benchmarks.generators [--quick]

For each ψ: class consistency (the probe's class equals the conditioning class), FID
between generated and real renders computed by torch-fidelity in the probe's feature
space, the real-vs-real floor at the same sample size, and 1-D Wasserstein distances of
x, y, scale and hue (generated vs real) so that lost variety shows. Both embedded generators
are measured: ``shapes-biggan`` (its figures also at the top level) and ``shapes-stylegan``
(under its own key with ``fid`` and ``fid_floor`` at ψ = 1; its truncation is toward w̄ in W).
For Z-space generators, whose ψ resamples every entry of z beyond ±ψ (a third of them at
ψ = 1), ``untruncated`` measures the prior itself as well. For a generator trained to render
the factors a :class:`~latentlab.data.LatentFactorMap` reads off its latents, ``pairing_fid``
is the FID of the renderer itself at those factors, for the same latents: how far from the
real distribution the pairing puts that ψ, apart from any error of the generator.
``--quick`` (5,000 samples per set, about 4.5 minutes on 2 cores) measures a style-based
generator at ψ = 1 only and leaves out the untruncated row.
"""

from __future__ import annotations

import torch

from benchmarks._report import best_rate, parse_args, print_table, write_results
from latentlab.data import render, sample_factors
from latentlab.generators.style import StyleGenerator
from latentlab.metrics import class_consistency, factor_spread, fid_from_statistics, fid_statistics, read_factors
from latentlab.zoo import load_generator, load_probe

PSIS = (0.25, 0.5, 0.75, 1.0, 1.5)
REAL_SEEDS = (424_242, 535_353)


def real_images(n: int, seed: int, chunk: int = 1000) -> torch.Tensor:
    return torch.cat([render(sample_factors(min(chunk, n - i), seed * 1000 + i))[0] for i in range(0, n, chunk)])


def pairings() -> dict:
    """Generator name → the LatentFactorMap its recipe trains it to render."""
    from latentlab.recipes import shapes_biggan, shapes_stylegan

    return {"shapes-biggan": shapes_biggan.LATENT_FACTORS, "shapes-stylegan": shapes_stylegan.LATENT_FACTORS}


def sample(generator, psi: float, classes: torch.Tensor, seed: int, pairing=None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Images at truncation ψ (a truncated normal in Z, or for style-based generators w̄ + ψ (w − w̄)
    in W), and with a ``pairing`` the renders of the factors the same latents stand for (for a
    style-based generator only untruncated: its pairing is defined on z, not on w)."""
    if isinstance(generator, StyleGenerator):
        z = generator.sample_latents(len(classes), seed=seed)
        images = generator.from_w(generator.to_w(z, classes, truncation=psi))
        return images, None if pairing is None or psi != 1.0 else render(pairing(z, classes))[0]
    z = generator.sample_latents(len(classes), seed=seed, truncation=psi)
    return generator(z, classes), None if pairing is None else render(pairing(z, classes))[0]


def evaluate(name: str, n: int, quick: bool) -> dict:
    generator, probe = load_generator(name), load_probe()
    z64, y64 = generator.sample_latents(64, seed=0), generator.sample_classes(64, seed=0)
    with torch.no_grad():
        speed = best_rate(lambda: generator(z64, y64).shape[0], repeats=3 if quick else 10)

    real_a, real_b = real_images(n, REAL_SEEDS[0]), real_images(n, REAL_SEEDS[1])
    reference = fid_statistics(real_a)  # torch-fidelity statistics of the real set, computed once
    floor = fid_from_statistics(reference, fid_statistics(real_b))
    real_readout = read_factors(probe, real_a)
    classes = torch.arange(n) % len(generator.class_names)  # balanced classes

    pairing = pairings().get(name)

    def measure(psi: float | None) -> tuple[dict, torch.Tensor]:
        offset = 9_999_000 if psi is None else int(psi * 1000) * 1000
        with torch.no_grad():  # small chunks run faster on CPU
            images, renders = zip(*(sample(generator, psi, classes[i:i + 100], seed=offset + i, pairing=pairing)
                                    for i in range(0, n, 100)))
        images = torch.cat(images)
        readout = read_factors(probe, images)
        entry = {"psi": psi, "class_consistency": round(class_consistency(readout, classes), 4),
                 "fid": round(fid_from_statistics(fid_statistics(images), reference), 4), "fid_floor": round(floor, 4),
                 "wasserstein": {k: round(v, 4) for k, v in factor_spread(readout, real_readout).items()}}
        if renders[0] is not None:
            entry["pairing_fid"] = round(fid_from_statistics(fid_statistics(torch.cat(renders)), reference), 4)
        return entry, images

    def row(label, entry: dict) -> tuple:
        w = entry["wasserstein"]
        return (label, entry["class_consistency"], entry["fid"], entry["fid_floor"], round(entry["fid"] / floor, 2),
                entry.get("pairing_fid", "-"), w["x"], w["y"], w["scale"], w["hue"])

    rows, entries, grids = [], [], []
    style = isinstance(generator, StyleGenerator)
    for psi in (1.0,) if quick and style else PSIS:  # --quick: a style-based generator's bar (ψ = 1) only
        entry, images = measure(psi)
        grids.append(images[:10])
        entries.append(entry)
        rows.append(row(psi, entry))
    # a truncated normal at ψ = 1 still resamples a third of z's entries; the prior itself, for comparison
    untruncated = None if style or quick else measure(None)[0]
    if untruncated:
        rows.append(row("none", untruncated))
    print(f"\n{name}: {speed:.0f} images/s at batch 64, {n} samples per set")
    print_table(rows, ("psi", "class_cons", "fid", "fid_floor", "fid/floor", "pairing_fid", "W_x", "W_y", "W_scale",
                       "W_hue"))
    at1 = next(e for e in entries if e["psi"] == 1.0)
    bars = {"class_consistency_at_psi1>=0.90": at1["class_consistency"] >= 0.90,
            "fid_at_psi1<=5*floor": at1["fid"] <= 5 * at1["fid_floor"]}
    for bar, ok in bars.items():
        print(f"{'PASS' if ok else 'FAIL'}  {bar}")
    plot(name, entries, grids)
    result = {"images_per_s_batch64": round(speed, 1), "samples": n, "truncation": entries, "bars": bars}
    return {**result, "untruncated": untruncated} if untruncated else result


def plot(name: str, entries: list[dict], grids: list[torch.Tensor]) -> None:
    """Truncation curve (class consistency, FID / floor, factor spread) and sample rows per ψ."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from benchmarks._report import RESULTS
    from latentlab.images import make_grid

    psis = [e["psi"] for e in entries]
    fig, ax = plt.subplots(1, 4, figsize=(16, 3.4), gridspec_kw={"width_ratios": [1, 1, 1, 1.6]})
    ax[0].plot(psis, [e["class_consistency"] for e in entries], "o-")
    ax[0].axhline(0.9, ls=":", c="gray")
    ax[0].set(xlabel="truncation ψ", ylabel="class consistency", title="fidelity")
    ax[1].plot(psis, [e["fid"] / e["fid_floor"] for e in entries], "o-", label="generator")
    paired = [e for e in entries if "pairing_fid" in e]
    if paired:
        ax[1].plot([e["psi"] for e in paired], [e["pairing_fid"] / e["fid_floor"] for e in paired], "s--",
                   label="renderer at the pairing")
        ax[1].legend()
    ax[1].axhline(5, ls=":", c="gray")
    ax[1].set(xlabel="truncation ψ", ylabel="FID / real-vs-real floor", title="distance to real", yscale="log")
    for key in ("x", "y", "scale", "hue"):
        ax[2].plot(psis, [e["wasserstein"][key] for e in entries], "o-", label=key)
    ax[2].set(xlabel="truncation ψ", ylabel="1-D Wasserstein to real", title="lost variety")
    ax[2].legend()
    ax[3].imshow(make_grid(torch.cat(grids), nrow=grids[0].shape[0]).permute(1, 2, 0))
    ax[3].set(title="rows: ψ = " + ", ".join(map(str, psis)))
    ax[3].axis("off")
    fig.suptitle(f"{name}: the truncation trade-off")
    fig.tight_layout()
    fig.savefig(RESULTS / f"generators_{name}_truncation.png", dpi=110)
    plt.close(fig)


def main() -> dict:
    args = parse_args(__doc__)
    n = 5000 if args.quick else 10000
    results = {"quick": args.quick, "shapes-biggan": evaluate("shapes-biggan", n, args.quick)}
    # the default generator's figures also sit at the top level
    results.update({k: results["shapes-biggan"][k] for k in ("images_per_s_batch64", "truncation")})
    style = evaluate("shapes-stylegan", n, args.quick)
    at1 = next(e for e in style["truncation"] if e["psi"] == 1.0)  # ψ = 1: no truncation
    results["shapes-stylegan"] = {**{k: at1[k] for k in ("fid", "fid_floor", "class_consistency", "wasserstein")},
                                  "fid_bar_met": at1["fid"] <= 5 * at1["fid_floor"], **style}
    write_results("generators", results)
    return results


if __name__ == "__main__":
    main()
