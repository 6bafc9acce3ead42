"""Directions benchmark: how precisely Plumerault, GANalyze, PCA and SeFa directions control Shapes factors.

    python -m benchmarks.directions [--quick] [--sections shapes,spaces,real]

Section ``shapes`` — seed 002 §4.4.1 with ``shapes-probe`` in place of the saliency model: move
≥ 200 latents of ``shapes-biggan`` along each direction to every t, read x, y, scale, hue, class
(probe) and brightness (mean grey level), and report the factor's mean and std per t, the largest
std, the range, monotonicity and what else moves (entanglement). Also GANalyze's object-size
slope with its 95% CI (seed 000 Fig. 3-2) and the β-VAE study of seed 002 §4.4.3.

Section ``spaces`` — ``shapes-stylegan`` in Z, W, W+ and StyleSpace with the methods that apply
in each (PCA/GANSpace, SeFa, GANalyze, InterFaceGAN, continuous factors, single style channels);
section ``real`` — the CelebA DCGAN and VAE and the MNIST GAN and VAE from ``shared/realdata``.
Both read every direction with the generic entanglement report of ``benchmarks/_entanglement.py``
(per assessor: slope, range, within-t std, Spearman monotonicity; per target: the selectivity,
its range over the largest other range, in units of each assessor's spread) and write a sample
strip per method (``results/directions_strip_*.png``). The JSON gains ``spaces`` and the keys
``celeba_dcgan``, ``celeba_vae``, ``mnist_gan``, ``mnist_vae``; a run of some sections keeps the
other sections' keys of the previous results file.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch

from benchmarks._betavae import betavae_study
from benchmarks._report import RESULTS, machine, print_table
from latentlab.assessors import (
    Brightness,
    Centeredness,
    Colorfulness,
    HueCloseness,
    IntensityEntropy,
    ObjectSize,
    ProbeFactor,
    Squareness,
)
from latentlab.methods.factors import fit_factor
from latentlab.methods.ganalyze import DEFAULT_ALPHAS, ganalyze
from latentlab.methods.pca import pca_directions
from latentlab.methods.sefa import sefa_directions
from latentlab.methods.trajectories import estimate_trajectories
from latentlab.methods.validation import plot_sweeps
from latentlab.metrics.control import CONTROL_FACTORS, control_report, read_along
from latentlab.zoo import load_generator, load_probe

EVAL_SEED, PILOT_SEED = 20_000, 30_000
MAX_STD_BAR = 0.10
#: the transformation behind each factor (Plumerault) — hue has none among shift, zoom and brightness
TRANSFORM_OF = {"x": "shift_x", "y": "shift_y", "scale": "zoom", "brightness": "brightness"}
T_MAX = {"shift_x": 0.2, "shift_y": 0.2, "zoom": 0.3, "brightness": 0.15}
HUE_TARGET = "cyan"
#: GANalyze's assessor per factor and its α range (± half-width, in the assessor's units)
GANALYZE_TARGETS = {"x": (lambda p: ProbeFactor("x", p), 0.25), "y": (lambda p: ProbeFactor("y", p), 0.25),
                    "scale": (lambda p: ProbeFactor("scale", p), 0.25), "brightness": (lambda p: Brightness(), 0.2),
                    "hue": (lambda p: HueCloseness(HUE_TARGET, p), 0.5)}
SETTINGS = {
    "quick": {"latents": 200, "ts": 5, "trajectories": 32, "trajectory_steps": 4, "iterations": 20, "ganalyze_steps": 60,
              "pca_samples": 1000, "pilot": 32, "size_latents": 100, "vae_steps": 1200, "vae_trajectories": 32},
    "full": {"latents": 250, "ts": 7, "trajectories": 64, "trajectory_steps": 4, "iterations": 20, "ganalyze_steps": 150,
             "pca_samples": 3000, "pilot": 64, "size_latents": 300, "vae_steps": 3000, "vae_trajectories": 64},
    # an end-to-end check of the code paths only (--smoke); its figures mean nothing
    "smoke": {"latents": 8, "ts": 3, "trajectories": 4, "trajectory_steps": 1, "iterations": 2, "ganalyze_steps": 2,
              "pca_samples": 64, "pilot": 4, "size_latents": 8, "vae_steps": 20, "vae_trajectories": 4},
}
SECTIONS = ("shapes", "spaces", "real")
#: the keys each section writes (a run of some sections keeps the others' from the previous file)
SECTION_KEYS = {"shapes": ("quick", "settings", "factors", "ganalyze_size_slope", "ganalyze_size_emerging", "betavae",
                           "stage_seconds"),
                "spaces": ("spaces",), "real": ("celeba_dcgan", "celeba_vae", "mnist_gan", "mnist_vae")}


def plumerault(generator, s: dict) -> dict:
    """Algorithm 1 and the eq. 4.13 fit for each transformation → {factor: Direction}."""
    out = {}
    for factor, name in TRANSFORM_OF.items():
        trajectories = estimate_trajectories(generator, name, n=s["trajectories"], steps=s["trajectory_steps"], iterations=s["iterations"],
                                             t_max=T_MAX[name], lr=0.05, seed=1)
        fitted = fit_factor(trajectories)
        out[factor] = fitted.direction
        out[factor].info.update(kept_records=len(trajectories), threshold=round(trajectories.threshold, 6), **fitted.info)
    return out


def ganalyze_directions(generator, probe, s: dict) -> dict:
    out = {}
    for factor, (make, half) in GANALYZE_TARGETS.items():
        result = ganalyze(generator, make(probe), steps=s["ganalyze_steps"], alpha_range=(-half, half), seed=2)
        out[factor] = result.direction()
        out[factor].info["final_loss"] = round(sum(result.history[-10:]) / len(result.history[-10:]), 6)
    return out


def pick_components(generator, probe, directions: list, s: dict) -> dict:
    """For each factor, the component (and sign) whose move changes it most on a pilot set of latents."""
    changes = []
    for direction in directions:
        readout = read_along(generator, direction, [-3.0, 3.0], probe, n=s["pilot"], seed=PILOT_SEED)
        row = {}
        for factor in CONTROL_FACTORS:
            v = readout.factors[factor]
            delta = v[:, 1] - v[:, 0]
            row[factor] = float(((delta + 0.5).remainder(1.0) - 0.5).mean() if factor == "hue" else delta.mean())
        changes.append(row)
    picked = {}
    for factor in CONTROL_FACTORS:
        best = max(range(len(directions)), key=lambda i: abs(changes[i][factor]))
        direction = directions[best] if changes[best][factor] >= 0 else directions[best].flipped()
        direction.info = {**direction.info, "pilot_change": round(changes[best][factor], 4)}
        picked[factor] = direction
    return picked


def ganalyze_size(generator, probe, s: dict, out_dir: Path = RESULTS) -> tuple[dict, dict]:
    """GANalyze with the object-size assessor: the validation slope and the emerging factors (Fig. 3-2)."""
    size = ObjectSize()
    result = ganalyze(generator, size, steps=s["ganalyze_steps"], alpha_range=(-0.2, 0.2), seed=3)
    properties = {"object size": size, "brightness": Brightness(), "centeredness": Centeredness(), "squareness": Squareness(),
                  "colorfulness": Colorfulness(), "entropy": IntensityEntropy()}
    sweeps = result.sweep(generator, properties, alphas=DEFAULT_ALPHAS, n=s["size_latents"], seed=EVAL_SEED)
    fit = sweeps["object size"].fit()
    fig = plot_sweeps(sweeps, ncols=3)
    fig.savefig(out_dir / "directions_ganalyze_size.png", dpi=80)
    emerging = {name: {"slope": round(sw.fit().slope, 5), "means": [round(float(m), 4) for m in sw.means]} for name, sw in sweeps.items()}
    return {**fit.as_dict(), "alphas": list(DEFAULT_ALPHAS), "latents": s["size_latents"]}, emerging


def evaluate(generator, probe, methods: dict, s: dict) -> dict:
    factors: dict = {}
    unit_ts = torch.linspace(-3.0, 3.0, s["ts"])
    for method, chosen in methods.items():
        factors[method] = {}
        for factor in CONTROL_FACTORS:
            direction = chosen.get(factor)
            if direction is None:
                factors[method][factor] = {"targetable": False,
                                           "reason": "no image transformation for hue among shift_x, shift_y, zoom and brightness"}
                continue
            half = GANALYZE_TARGETS[factor][1] if method == "ganalyze" else None
            ts = torch.linspace(-half, half, s["ts"]) if half else unit_ts
            readout = read_along(generator, direction, ts, probe, n=s["latents"], seed=EVAL_SEED, truncation=2.0 if half else None)
            report = control_report(readout, factor)
            info = {k: v for k, v in direction.info.items() if isinstance(v, (int, float, str, bool))}
            factors[method][factor] = {"targetable": True, "direction": direction.name, "move": "projection" if direction.projection else "additive",
                                       **report, "info": info}
    return factors


def parse_arguments() -> argparse.Namespace:
    """``--quick``, ``--threads``, ``--device`` as every suite, plus ``--sections`` (and the hidden ``--smoke``/``--out``)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sample sizes; finishes in a few minutes")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu", help="torch device for the suites that time models (cpu, cuda, …)")
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help=f"comma-separated sections to run, of {', '.join(SECTIONS)} (default: all)")
    parser.add_argument("--smoke", action="store_true", help=argparse.SUPPRESS)  # tiny sizes: checks the code runs
    parser.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)  # results folder (smoke: a temp one)
    args = parser.parse_args()
    sections = [name.strip() for name in args.sections.split(",") if name.strip()]
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown or not sections:
        parser.error(f"--sections takes a comma list of {', '.join(SECTIONS)}, got {args.sections!r}")
    args.sections = [name for name in SECTIONS if name in sections]
    if args.out is None:
        args.out = Path(tempfile.gettempdir()) / "latentlab-directions-smoke" if args.smoke else RESULTS
    torch.set_num_threads(args.threads)
    return args


def shapes_section(s: dict, seconds: dict, out_dir: Path = RESULTS) -> tuple[dict, dict]:
    """Today's study on ``shapes-biggan``: (its result keys, its bars)."""
    def timed(stage: str, work):
        began = time.perf_counter()
        out = work()
        seconds[stage] = round(time.perf_counter() - began, 1)
        return out

    generator, probe = load_generator("shapes-biggan").eval(), load_probe("shapes-probe").eval()
    methods = {"plumerault": timed("plumerault", lambda: plumerault(generator, s)),
               "ganalyze": timed("ganalyze", lambda: ganalyze_directions(generator, probe, s)),
               "pca": timed("pca", lambda: pick_components(generator, probe, pca_directions(generator, layer="stem", k=10,
                                                                                              n_samples=s["pca_samples"]), s)),
               "sefa": timed("sefa", lambda: pick_components(generator, probe, sefa_directions(generator, k=10), s))}
    factors = timed("evaluation", lambda: evaluate(generator, probe, methods, s))
    size_slope, emerging = timed("ganalyze_size", lambda: ganalyze_size(generator, probe, s, out_dir))
    betavae = timed("betavae", lambda: betavae_study(s["vae_steps"], s["vae_trajectories"], s["latents"], s["ts"]))

    rows = []
    for method, entries in factors.items():
        for factor, e in entries.items():
            if not e["targetable"]:
                rows.append((method, factor, "-", "-", "-", "-", "not targetable"))
                continue
            others = {k: v for k, v in e["entanglement"].items() if k != "class"}
            worst = max(others, key=others.get)
            rows.append((method, factor, e["max_std"], e["range"], e["monotonic"], e["entanglement"]["class"], f"{worst} {others[worst]}"))
    print_table(rows, ("method", "factor", "max_std", "range", "monotonic", "class moves", "most entangled"))
    print()
    print_table([(b["beta"], b["max_std"], b["range"], b["monotonic"], b["kl"]) for b in betavae], ("β", "max_std x", "range", "monotonic", "KL"))
    px = factors["plumerault"]["x"]
    bars = {"plumerault_x_monotonic_max_std<=0.10": bool(px["monotonic"] and px["max_std"] <= MAX_STD_BAR),
            "ganalyze_size_slope_ci_low>0": size_slope["ci_low"] > 0,
            "entanglement_rows_complete": all(set(e["entanglement"]) == (set(CONTROL_FACTORS) - {f}) | {"class"}
                                              for entries in factors.values() for f, e in entries.items() if e["targetable"])}
    print(f"\nganalyze size slope {size_slope['slope']:.4f} [{size_slope['ci_low']:.4f}, {size_slope['ci_high']:.4f}]")
    return ({"settings": s, "factors": factors, "ganalyze_size_slope": size_slope, "ganalyze_size_emerging": emerging,
             "betavae": betavae, "stage_seconds": seconds}, bars)


def _failed(methods: dict) -> list[str]:
    return [name for name, report in methods.items() if isinstance(report, dict) and "error" in report]


def direction_rows(results: dict) -> list[tuple]:
    """One table row per (model, space, method, target) of the ``spaces`` and real-model sections."""
    from benchmarks._entanglement import table_rows

    rows = []
    spaces = results.get("spaces") or {}
    for model, tree in spaces.items():
        if model in ("settings", "assessors", "targets", "seconds") or not isinstance(tree, dict):
            continue
        for space, methods in tree.items():
            rows += table_rows(model, space, methods)
    for model in SECTION_KEYS["real"]:
        entry = results.get(model)
        if not isinstance(entry, dict):
            continue
        if "skipped" in entry or "error" in entry:
            rows.append((model, "-", "-", "-", "-", "-", "-", "-", f"skipped: {entry.get('skipped', entry.get('error'))}"[:80]))
            continue
        rows += table_rows(model, entry.get("space", "z"), entry.get("methods", {}))
    return rows


def main() -> dict:
    from benchmarks._direction_spaces import SETTINGS as SPACE_SETTINGS
    from benchmarks._direction_spaces import spaces_section
    from benchmarks._entanglement import TABLE_HEADER
    from benchmarks._real_directions import SETTINGS as REAL_SETTINGS
    from benchmarks._real_directions import real_section
    from latentlab.images import atomic_write_bytes

    args = parse_arguments()
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "directions.json"
    start = time.perf_counter()
    results: dict = {}
    if set(args.sections) != set(SECTIONS) and path.is_file():  # keep the other sections' keys
        try:
            results = json.loads(path.read_text())
        except (OSError, ValueError):
            results = {}
    bars = dict(results.get("bars", {}))
    section_seconds = dict(results.get("section_seconds", {}))
    section_modes = {**results.get("section_modes", {}), **{name: mode for name in args.sections}}

    if "shapes" in args.sections:
        began = time.perf_counter()
        shaped, shape_bars = shapes_section(SETTINGS[mode], {}, out_dir)
        results.update(quick=args.quick, **shaped)
        bars.update(shape_bars)
        section_seconds["shapes"] = round(time.perf_counter() - began, 1)
    if "spaces" in args.sections:
        print("\nspaces: shapes-stylegan in Z, W, W+ and StyleSpace")
        results["spaces"] = spaces_section(SPACE_SETTINGS[mode], out_dir)
        section_seconds["spaces"] = results["spaces"]["seconds"]
        failed = [f"{space}/{m}" for space, methods in results["spaces"]["shapes-stylegan"].items() for m in _failed(methods)]
        bars["spaces_methods_ran"] = not failed
    if "real" in args.sections:
        print("\nreal: CelebA DCGAN and VAE, MNIST GAN and VAE")
        began = time.perf_counter()
        real = real_section(REAL_SETTINGS[mode], out_dir)
        results.update(real)
        section_seconds["real"] = round(time.perf_counter() - began, 1)
        ran = [entry for entry in real.values() if "methods" in entry]
        bars["real_methods_ran"] = all(not _failed(entry["methods"]) for entry in ran) and all(
            "error" not in entry for entry in real.values())
    if {"spaces", "real"} & set(args.sections):
        print()
        print_table(direction_rows(results), TABLE_HEADER)

    for name, ok in bars.items():
        print(f"{name}: {'PASS' if ok else 'FAIL'}")
    results.update(bars=bars, seconds=round(time.perf_counter() - start, 1), section_seconds=section_seconds,
                   sections=args.sections, section_modes=section_modes,
                   section_settings={**results.get("section_settings", {}),
                                     **{name: settings[mode] for name, settings in (("spaces", SPACE_SETTINGS), ("real", REAL_SETTINGS))
                                        if name in args.sections}},
                   machine=machine())
    atomic_write_bytes(path, (json.dumps(results, indent=2, default=list) + "\n").encode())
    print(f"\nwrote {path}")
    return results


if __name__ == "__main__":
    main()
