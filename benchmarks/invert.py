"""Inversion of images no generator made, in every space, then edits of the inverted images.

    python -m benchmarks.invert [--quick]   →  benchmarks/results/invert.json

=================  ==========================================================================================
key                what
=================  ==========================================================================================
shapes-stylegan    fresh ``render_shapes`` scenes (seeds no model was trained on) inverted into Z, W and W+:
                   ``psnr``, ``probe_distance`` (squared distance of shapes-probe features: the offline
                   perceptual distance), ``class_agreement`` (the probe reads the target's shape in the
                   reconstruction), ``seconds_per_image`` (batched) — and ``single_image_seconds`` for one W+
                   inversion of one 64 px image with the default settings
shapes-biggan      the same scenes into Z
editing            each W / W+ inversion moved along the probe-x boundary (fitted in W, amounts in units of
                   the prior's spread along it), and generated images moved the same way for reference: the
                   mean probe x per amount, the share of images whose x rises monotonically, the x slope, and
                   the entanglement report (the mean change of y, scale and hue per unit of mean x change,
                   and the share of shape flips)
mnist              real MNIST test digits into the MNIST GAN (Z) and VAE (encoder mean, then refined in Z):
                   ``lenet_class_agreement`` of the reconstruction with the true label, ``psnr``
photo              the astronaut portrait, face-cropped, into the CelebA DCGAN (32 px, Z) and the CelebA VAE
                   (64 px, encoded then refined), then moved ±2 prior spreads along the model's first SeFa direction;
                   ``psnr``, ``seconds``; the strip is ``results/invert_photo_strip.png``
=================  ==========================================================================================

Without ``shared/realdata`` (or ``$LATENTLAB_REALDATA``) the ``mnist`` and ``photo`` keys hold
``{"skipped": reason}``. Targets: W+ PSNR ≥ 28 dB with class agreement ≥ 0.95; the VAE keeps the
class of ≥ 0.90 of the digits; the face VAE reaches ≥ 20 dB; one 64 px inversion takes ≤ 10 s.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import torch

from benchmarks._report import RESULTS, parse_args, print_table, write_results
from latentlab import load_generator, render_shapes
from latentlab.assessors.distances import probe_feature_distance
from latentlab.assessors.probe import ProbeFactor
from latentlab.assessors.probe_reader import as_reader
from latentlab.images import make_grid, save_image, upscale
from latentlab.methods import EditedImage, invert, linear_boundary, sefa_directions
from latentlab.spaces import resolve_space

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # a site-packages 'tests' may shadow ours
import real_models as rm  # noqa: E402

SEED = 900_000  # scene seeds far from any training or test seed
SETTINGS = {"quick": {"n": 24, "steps": 150, "batch": 24, "edit_n": 12, "digits": 50, "digit_steps": 150},
            "full": {"n": 200, "steps": 200, "batch": 25, "edit_n": 40, "digits": 200, "digit_steps": 200}}
AMOUNTS = (-2.0, -1.0, 0.0, 1.0, 2.0)
#: the portrait's face: (left, top, right, bottom) in the 512 px photo, about as tight as CelebA's crops
FACE_BOX = (140, 20, 310, 190)


def psnr(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return -10 * torch.log10(((a.cpu() - b.cpu()) ** 2).mean(dim=(1, 2, 3)).clamp_min(1e-10))


def shapes_section(s: dict) -> tuple[dict, dict]:
    """PSNR, probe distance, class agreement and time per space; the W and W+ inversions for the edits."""
    scenes = render_shapes(s["n"], seed=SEED)
    targets, truth = scenes.images, scenes.factors.shape
    reader = as_reader(None)
    results, kept = {}, {}
    for model, spaces in (("shapes-stylegan", ("z", "w", "w+")), ("shapes-biggan", ("z",))):
        g = load_generator(model)
        results[model] = {}
        for space in spaces:
            images, seconds = [], 0.0
            for i in range(0, s["n"], s["batch"]):
                start = time.perf_counter()
                found = invert(g, targets[i:i + s["batch"]], space=space, loss="mse", lr=0.05 if space == "z" else None,
                               steps=s["steps"], seed=i)
                seconds += time.perf_counter() - start
                images.append(found.images.cpu())
                if space in ("w", "w+") and i == 0:
                    kept[space] = found
            images = torch.cat(images)
            with torch.no_grad():
                agreement = float((reader.read(images).shape.cpu() == truth).float().mean())
                distance = float(probe_feature_distance(images, targets).mean())
            results[model][space] = {"psnr": round(float(psnr(images, targets).mean()), 2),
                                     "probe_distance": round(distance, 4), "class_agreement": round(agreement, 3),
                                     "seconds_per_image": round(seconds / s["n"], 3), "n": s["n"], "steps": s["steps"],
                                     "loss": "mse"}
            print(f"  {model} {space}: {results[model][space]}", flush=True)
    g = load_generator("shapes-stylegan")
    start = time.perf_counter()
    invert(g, targets[:1], space="w+")  # the defaults: 200 steps, the projector recipe, the class searched
    results["shapes-stylegan"]["single_image_seconds"] = round(time.perf_counter() - start, 2)
    return results, kept


def first_batch(s: dict) -> dict:
    """The W and W+ inversions of the first batch of scenes, as :func:`shapes_section` keeps them."""
    g, targets = load_generator("shapes-stylegan"), render_shapes(s["n"], seed=SEED).images[:s["batch"]]
    return {space: invert(g, targets, space=space, loss="mse", steps=s["steps"], seed=0) for space in ("w", "w+")}


def editing_section(kept: dict, s: dict) -> dict:
    """Move each W / W+ inversion along the probe-x boundary and read what changes."""
    g = load_generator("shapes-stylegan")
    reader = as_reader(None)
    direction = linear_boundary(g, ProbeFactor("x"), space="w", n=1000, seed=0)
    w = resolve_space("w", g)
    with torch.no_grad():
        spread = float((w.sample(1000, seed=1) @ direction.unit).std())
    out = {"direction": {"method": direction.method, "accuracy": round(direction.info.get("accuracy", float("nan")), 3),
                         "spread": round(spread, 4)}, "amounts": list(AMOUNTS)}
    with torch.no_grad():  # the reference: images the generator made, moved the same way
        made = w.sample(s["edit_n"], seed=2)
    starts = {space: [EditedImage.from_inversion(found, i) for i in range(min(s["edit_n"], found.z.shape[0]))]
              for space, found in kept.items()}
    starts["generated (W)"] = [EditedImage(made[i], "w") for i in range(made.shape[0])]
    for space, edits in starts.items():
        n = len(edits)
        readings = []
        for edit in edits:
            with torch.no_grad():
                frames = edit.walk(g, direction, [a * spread for a in AMOUNTS])
                readings.append(reader.read(frames))
        x = torch.stack([r.x.cpu() for r in readings])  # [n, T]
        monotonic = float(((x[:, 1:] - x[:, :-1]) > 0).all(dim=1).float().mean())
        dx = float((x[:, -1] - x[:, 0]).mean())  # the mean x change over the walk
        report = {}  # each factor's mean absolute change over the walk per unit of mean x change
        for factor in ("y", "scale"):
            v = torch.stack([getattr(r, factor).cpu() for r in readings])
            report[f"{factor}_change_per_x"] = round(float((v[:, -1] - v[:, 0]).abs().mean()) / dx, 4)
        hue = torch.stack([r.hue.cpu() for r in readings])
        turn = (hue[:, -1] - hue[:, 0]).abs()
        report["hue_change_per_x"] = round(float(torch.minimum(turn, 1 - turn).mean()) / dx, 4)
        shapes = torch.stack([r.shape.cpu() for r in readings])
        report["shape_flip_share"] = round(float((shapes != shapes[:, AMOUNTS.index(0.0)][:, None]).float().mean()), 4)
        mean_x = x.mean(dim=0)
        out[space] = {"mean_x": [round(float(v), 4) for v in mean_x],
                      "mean_monotonic": bool(((mean_x[1:] - mean_x[:-1]) > 0).all()),
                      "monotonic_share": round(monotonic, 3), "x_slope": round(dx / (AMOUNTS[-1] - AMOUNTS[0]), 4),
                      "x_range": round(float((x[:, -1] - x[:, 0]).mean()), 4), "entanglement": report, "n": n}
        print(f"  editing {space}: {out[space]}", flush=True)
    return out


def mnist_section(root: Path, s: dict) -> dict:
    images, labels = rm.load_mnist_test(root)
    images, labels = images[:s["digits"]], labels[:s["digits"]]
    lenet = rm.lenet_assessor(None, root)
    out = {}
    for name in ("gan", "vae"):
        g = rm.mnist_gan_generator(root) if name == "gan" else rm.mnist_vae_generator(root)
        start = time.perf_counter()
        z_init = None
        if name == "vae":
            with torch.no_grad():
                z_init = g.encode(images)[0]
        found = invert(g, images, loss="mse", steps=s["digit_steps"], lr=0.05, z_init=z_init,
                       restarts=1 if name == "vae" else 4, radius=1e3 if name == "vae" else None)
        seconds = time.perf_counter() - start
        with torch.no_grad():
            predicted = lenet.predict(found.images).cpu()
        out[name] = {"lenet_class_agreement": round(float((predicted == labels).float().mean()), 3),
                     "psnr": round(float(psnr(found.images, images).mean()), 2), "n": int(labels.shape[0]),
                     "seconds_per_image": round(seconds / labels.shape[0], 3),
                     "start": "encoder mean, then refined" if name == "vae" else "4 random restarts"}
        print(f"  mnist {name}: {out[name]}", flush=True)
    return out


def photo_section(root: Path) -> dict:
    from PIL import Image

    from latentlab import load_image
    from latentlab.generators.dcgan import DCGANGenerator
    from latentlab.generators.face_vae import FaceVAE
    from latentlab.zoo.face_models import read_state

    face = Image.open(root / "samples" / "photo_astronaut_portrait.png").convert("RGB").crop(FACE_BOX)
    out, rows = {}, []
    for name, steps in (("celeba_dcgan", 300), ("celeba_vae", 200)):
        if name == "celeba_dcgan":
            g = DCGANGenerator.from_state_dict(read_state(root / "pretrained" / "celeba_dcgan32_G.pt")).eval()
        else:
            g = FaceVAE.from_state_dict(read_state(root / "pretrained" / "celeba_vae64.pth")).eval()
        target = load_image(face, size=g.resolution)
        start = time.perf_counter()
        z_init, encoded = None, None
        if name == "celeba_vae":
            with torch.no_grad():
                z_init = g.encode(target)[0]
                encoded = g(z_init).clamp(0, 1)
        # the encoder's mean of a real photo lies outside the prior's √d ball: the VAE's refinement is unbounded
        found = invert(g, target, loss="mse", steps=steps, lr=0.1 if encoded is not None else 0.05, z_init=z_init,
                       restarts=1 if encoded is not None else 8, radius=1e3 if encoded is not None else None)
        seconds = time.perf_counter() - start
        direction = sefa_directions(g, k=1)[0]
        edit = EditedImage.from_inversion(found)
        with torch.no_grad():  # ±2 spreads of the prior along the direction (a uniform prior is narrower than N(0, I))
            spread = float((g.sample_latents(2000, seed=5) @ direction.unit).std())
            moved = edit.walk(g, direction, [-2 * spread, 2 * spread])
        out[name] = {"psnr": round(float(found.psnr()[0]), 2), "seconds": round(seconds, 2), "steps": steps,
                     "start": "encoder mean, then refined" if encoded is not None else "8 random restarts"}
        if encoded is not None:
            out[name]["psnr_encoder_only"] = round(float(psnr(encoded, target)[0]), 2)
            out[name]["psnr_features_after_d1"] = round(feature_refinement(g, found.z, target, "d1", steps), 2)
        print(f"  photo {name}: {out[name]}", flush=True)
        row = [target, *([] if encoded is None else [encoded]), found.images.cpu(), moved[:1], moved[1:]]
        rows.append(torch.cat([upscale(r.cpu(), 128 // g.resolution) for r in row]))
    path = RESULTS / "invert_photo_strip.png"
    strips = [make_grid(r, nrow=r.shape[0]) for r in rows]
    width = max(t.shape[-1] for t in strips)
    padded = [torch.nn.functional.pad(t, (0, width - t.shape[-1]), value=1.0) for t in strips]
    save_image(torch.cat(padded, dim=1)[None], path)
    out["strip"] = str(path.relative_to(RESULTS.parent.parent))
    out["strip_columns"] = {"celeba_dcgan": ["target", "inverted", "sefa 0 −2σ", "sefa 0 +2σ"],
                            "celeba_vae": ["target", "encoder", "refined", "sefa 0 −2σ", "sefa 0 +2σ"]}
    return out


def feature_refinement(g, z: torch.Tensor, target: torch.Tensor, layer: str, steps: int) -> float:
    """PSNR when the features after ``layer`` are optimised too (GAN Seeing's layer inversion): how much of the miss
    is the decoder's reach from z. Not a latent of the model, so not an edit path; reported as a diagnostic."""
    split = g.split(layer)
    with torch.no_grad():
        features = split.f(z).clone()
    features.requires_grad_(True)
    opt = torch.optim.Adam([features], lr=0.01)
    for _ in range(steps):
        loss = ((split.h(features).clamp(0, 1) - target) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        return float(psnr(split.h(features).clamp(0, 1), target)[0])


def targets_report(r: dict) -> list[tuple]:
    rows = []
    wp = r["shapes-stylegan"]["w+"]
    rows.append(("W+ PSNR (dB)", wp["psnr"], "≥ 28", wp["psnr"] >= 28))
    rows.append(("W+ class agreement", wp["class_agreement"], "≥ 0.95", wp["class_agreement"] >= 0.95))
    single = r["shapes-stylegan"]["single_image_seconds"]
    rows.append(("one 64 px W+ inversion (s)", single, "≤ 10", single <= 10))
    for space in ("w", "w+"):
        e = r["editing"][space]
        rows.append((f"x edit in {space.upper()}: mean probe x rises (share of images)",
                     f"{e['mean_monotonic']} ({e['monotonic_share']})", "monotonic", e["mean_monotonic"]))
    if "vae" in r.get("mnist", {}):
        v = r["mnist"]["vae"]["lenet_class_agreement"]
        rows.append(("MNIST VAE class kept", v, "≥ 0.90", v >= 0.90))
    if "celeba_vae" in r.get("photo", {}):
        p = r["photo"]["celeba_vae"]["psnr"]
        rows.append(("face VAE PSNR (dB)", p, "≥ 20", p >= 20))
    return [(a, b, c, "pass" if ok else "MISS") for a, b, c, ok in rows]


def main() -> None:
    args = parse_args(__doc__, [("--photo-only", "rerun only the photo section, keeping the other keys of invert.json"),
                                ("--editing-only", "rerun only the editing section (on a fresh first batch of W and W+ "
                                                   "inversions), keeping the other keys")])
    s = SETTINGS["quick" if args.quick else "full"]
    root = rm.realdata_dir()
    if args.photo_only or args.editing_only:
        results = json.loads((RESULTS / "invert.json").read_text())
        if args.photo_only:
            results["photo"] = photo_section(root)
        if args.editing_only:
            results["editing"] = editing_section(first_batch(s), s)
        print_table(targets_report(results), ("target", "measured", "wanted", ""))
        results["targets"] = {row[0]: {"measured": row[1], "wanted": row[2], "result": row[3]} for row in targets_report(results)}
        write_results("invert", results)
        return
    print(f"inverting {s['n']} fresh scenes per space ({'quick' if args.quick else 'full'}), {torch.get_num_threads()} threads")
    results, kept = shapes_section(s)
    results["editing"] = editing_section(kept, s)
    have_real = (root / "pretrained").is_dir() and (root / "mnist").is_dir()
    reason = {"skipped": f"no real data folder at {root}"}
    results["mnist"] = mnist_section(root, s) if have_real else reason
    results["photo"] = photo_section(root) if have_real else reason
    rows = []
    for model in ("shapes-stylegan", "shapes-biggan"):
        for space, m in results[model].items():
            if isinstance(m, dict):
                rows.append((model, space, m["psnr"], m["probe_distance"], m["class_agreement"], m["seconds_per_image"]))
    print()
    print_table(rows, ("model", "space", "PSNR dB", "probe dist", "class agree", "s / image"))
    print()
    print_table(targets_report(results), ("target", "measured", "wanted", ""))
    results["targets"] = {row[0]: {"measured": row[1], "wanted": row[2], "result": row[3]} for row in targets_report(results)}
    results["settings"] = {**s, "quick": args.quick, "scene_seed": SEED}
    write_results("invert", results)


if __name__ == "__main__":
    main()
