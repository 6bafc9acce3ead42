"""The ``latentlab`` command: a thin layer over the public API.

    latentlab sample --model shapes-biggan --class star --truncation 0.5 -n 16 --seed 0 --out grid.png
    latentlab models
    latentlab train shapes-biggan --out runs/shapes-biggan [--install]
    latentlab evolve "a red star in the top left" --optimizer ga --generations 50 --out run/
    latentlab paint --model shapes-biggan --seed 3 --mask-rect 8 8 40 40 --text "a blue star" --out edit/
    latentlab invert me.png --model shapes-stylegan --space w+ --steps 200 --out me/
    latentlab edit me/ --direction sefa:0 --amount 1.5 --layers coarse [--paint-rect 8 8 40 40 --text "a blue star"]
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import signal
import sys
from pathlib import Path

from latentlab.errors import check_positive_int, check_truncation

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
OTHER_IMAGE_SUFFIXES = (".gif", ".bmp", ".webp", ".tif", ".tiff", ".ppm", ".svg", ".pdf", ".eps")


def _sample(args: argparse.Namespace) -> list[Path]:
    from latentlab.images import save_image
    from latentlab.zoo import load_generator

    n = check_positive_int("-n", args.n)
    check_positive_int("--nrow", args.nrow)
    truncation = check_truncation(args.truncation)
    out = Path(args.out)
    if out.suffix.lower() in OTHER_IMAGE_SUFFIXES:
        raise ValueError(f"--out {args.out!r}: latentlab writes grids as .png or .jpg; give one of those, or a folder")
    generator = load_generator(args.model, device=args.device)
    written: list[Path] = []
    if args.class_name is None and generator.conditional and out.suffix.lower() not in IMAGE_SUFFIXES:
        # a folder: one grid per class plus a mixed grid
        for name in generator.class_names:
            images = generator.generate(n, seed=args.seed, truncation=truncation, classes=name)
            written.append(save_image(images, out / f"{name}.png", nrow=args.nrow, upscale_to=128))
        images = generator.generate(n, seed=args.seed, truncation=truncation)
        written.append(save_image(images, out / "mixed.png", nrow=args.nrow, upscale_to=128))
        return written
    images = generator.generate(n, seed=args.seed, truncation=truncation, classes=_class_arg(args.class_name))
    path = out if out.suffix.lower() in IMAGE_SUFFIXES else out / "grid.png"
    return [save_image(images, path, nrow=args.nrow, upscale_to=128)]


def _models(args: argparse.Namespace) -> None:
    from latentlab.zoo.loader import embedded_path
    from latentlab.zoo.registry import MODELS

    rows = [("name", "kind", "size", "source", "licence", "status")]
    for entry in MODELS.values():
        if entry.embedded:
            path = embedded_path(entry)
            size = f"{path.stat().st_size / 1e6:.1f} MB" if path.exists() else "missing"
            status = "embedded"
        else:
            size = f"{entry.size_mb:.0f} MB" if entry.size_mb else "-"
            status = ("known (no loader yet)" if not entry.loadable else
                      "file by hand into the cache" if entry.manual else "download to cache")
        rows.append((entry.name, entry.kind, size, entry.source, entry.licence, status))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


def _train(args: argparse.Namespace) -> Path:
    from latentlab.zoo.registry import get_model_entry

    entry = get_model_entry(args.model)
    if not entry.recipe:
        raise ValueError(f"{args.model!r} has no training recipe in latentlab")
    recipe = importlib.import_module(entry.recipe)
    kwargs = {"seed": args.seed}
    if args.steps is not None:
        kwargs["steps"] = check_positive_int("--steps", args.steps)
    if args.device != "cpu":
        if "device" not in inspect.signature(recipe.train).parameters:
            raise ValueError(f"the {args.model!r} recipe runs on the CPU only; drop --device {args.device}")
        kwargs["device"] = args.device
    from latentlab.runs import RunFolder

    with RunFolder(args.out):
        _check_training_run(Path(args.out), {"model": entry.name, "seed": args.seed}, args.restart)
        path = recipe.train(args.out, **kwargs)
    print(f"weights written to {path}")
    if args.install:
        from latentlab.zoo.install import install_weights

        installed = install_weights(path, entry)
        print(f"installed as {installed}")
    return path


STATE_NAME = "state.safetensors"
TRAINING_RUN_NAME = "run.json"


def _check_training_run(out: Path, identity: dict, restart: bool) -> None:
    """A training folder resumes only the recipe and seed that started it (recorded in ``run.json``)."""
    import json
    import shutil

    from latentlab.errors import RunMismatchError
    from latentlab.files import atomic_write_bytes
    from latentlab.runs.identity import differences

    record = out / TRAINING_RUN_NAME
    saved = json.loads(record.read_text()) if record.exists() else None
    started = saved is not None or any(p.name.startswith("state") for p in out.iterdir())
    if started and saved is None and not restart:
        raise RunMismatchError(f"{str(out)!r} holds a training run without a {TRAINING_RUN_NAME} (an older latentlab), so it "
                               f"cannot be resumed safely; write to another --out, or use --restart to start over there")
    diff = differences(saved, identity) if saved is not None else []
    if diff and not restart:
        raise RunMismatchError(f"{str(out)!r} holds another training run; these settings differ:\n  " + "\n  ".join(diff)
                               + "\nTo keep it, write to another --out; to start over there, use --restart.")
    if restart and started:
        for path in out.iterdir():
            if path.name != ".latentlab.lock":
                shutil.rmtree(path) if path.is_dir() else path.unlink()
    atomic_write_bytes(record, (json.dumps(identity) + "\n").encode())


def _written(out: Path, outputs: list[Path]) -> list[Path]:
    state = out / STATE_NAME
    return [*outputs, state] if state.exists() else outputs


def _evolve(args: argparse.Namespace) -> list[Path]:
    import json

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from latentlab.files import figure_png
    from latentlab.images import image_file_bytes
    from latentlab.methods import evolve
    from latentlab.runs import RunFolder
    from latentlab.runs.manifest import write_outputs

    out = Path(args.out)
    with RunFolder(out):
        result = evolve(args.prompt, args.model, optimizer=args.optimizer, generations=check_positive_int("--generations", args.generations),
                        population=args.population, seed=args.seed, clip=args.clip, classes=_class_arg(args.class_name),
                        space=args.space, state_path=out / STATE_NAME, restart=args.restart)
        ax = result.plot_fitness()
        ax.figure.tight_layout()
        fitness_png = figure_png(ax.figure)
        plt.close(ax.figure)
        summary = {"prompt": args.prompt, "optimizer": args.optimizer, "best_fitness": round(result.best_fitness, 6),
                   "generations": len(result.history), "interrupted": result.run.interrupted, "history": result.history}
        files = {"grid.png": image_file_bytes(result.images, nrow=8, upscale_to=128),
                 "best.png": image_file_bytes(result.best_image[None], upscale_to=256),
                 "fitness.png": fitness_png,
                 "history.json": (json.dumps(summary, indent=1) + "\n").encode()}
        written = write_outputs(out, files, len(result.history), interrupted=result.run.interrupted)
    print(f"best fitness {result.best_fitness:.4f} after {len(result.history)} generations"
          + (" (interrupted; run the same command again to resume)" if result.run.interrupted else ""))
    return _written(out, written)


def _class_arg(name: str | None):
    """A --class value: an index when it is all digits, else a name."""
    return None if name is None else int(name) if name.isdigit() else name


def _rect_mask(rect, size: int, flag: str):
    """The mask [size, size] of a LEFT TOP RIGHT BOTTOM rectangle given as ``flag`` (right/bottom exclusive)."""
    from latentlab.masks import rect_mask

    left, top, right, bottom = rect
    if not (0 <= left < right <= size and 0 <= top < bottom <= size):
        raise ValueError(f"{flag} {left} {top} {right} {bottom} is not a rectangle inside the {size}x{size} image: "
                         f"need 0 <= LEFT < RIGHT <= {size} and 0 <= TOP < BOTTOM <= {size}")
    return rect_mask(size, *rect)


def _load_mask(args: argparse.Namespace, size: int):
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    if (args.mask_rect is None) == (args.mask is None):
        raise ValueError("give the region as --mask-rect LEFT TOP RIGHT BOTTOM or as --mask FILE.png (one of them)")
    if args.mask_rect is not None:
        return _rect_mask(args.mask_rect, size, "--mask-rect")
    try:
        picture = Image.open(args.mask)
        picture.load()
    except UnidentifiedImageError as error:
        raise ValueError(f"--mask {args.mask!r} is not an image file PIL can read ({error})") from None
    if picture.size != (size, size):
        raise ValueError(f"mask {args.mask} is {picture.size[0]}x{picture.size[1]} but the generator makes {size}x{size} images")
    if picture.mode in ("RGBA", "LA", "PA") or (picture.mode == "P" and "transparency" in picture.info):
        # transparent pixels are not painted: composite onto black before reading white as the region
        rgba = picture.convert("RGBA")
        black = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        picture = Image.alpha_composite(black, rgba)
    import torch

    return torch.from_numpy((np.asarray(picture.convert("L")) > 127).astype("float32"))


def _paint(args: argparse.Namespace) -> list[Path]:
    import json

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from latentlab.files import figure_png
    from latentlab.images import image_file_bytes
    from latentlab.methods.paint import paint_by_word
    from latentlab.runs import RunFolder
    from latentlab.runs.manifest import write_outputs
    from latentlab.zoo import load_generator

    generator = load_generator(args.model)
    mask = _load_mask(args, generator.resolution)
    z = generator.sample_latents(1, seed=args.seed, truncation=check_truncation(args.truncation))
    classes = None
    if generator.conditional:
        classes = (generator.class_index(_class_arg(args.class_name)) if args.class_name is not None
                   else int(generator.sample_classes(1, seed=args.seed)[0]))
    out = Path(args.out)
    with RunFolder(out):
        result = paint_by_word(generator, z, mask, args.text, classes=classes, layer=args.layer, split=not args.no_split,
                               optimizer=args.optimizer, generations=check_positive_int("--generations", args.generations),
                               population=args.population, space=args.space, lambda_img=args.lambda_img, clip=args.clip,
                               seed=args.seed, state_path=out / STATE_NAME, restart=args.restart)
        axes = result.plot()
        axes[0].figure.tight_layout()
        comparison_png = figure_png(axes[0].figure)
        plt.close(axes[0].figure)
        summary = {"text": result.text, "model": args.model, "seed": args.seed, "class": classes, "split": result.split,
                   "optimizer": result.optimizer, "scores": {k: round(v, 6) for k, v in result.scores.items()},
                   "outside_change": {k: round(v, 6) for k, v in result.outside_change.items()}, "perceptual": result.perceptual,
                   "latents": [round(v, 6) for v in result.latents.flatten().tolist()],
                   "class_vector": None if result.classes is None else [round(v, 6) for v in result.classes.tolist()],
                   "interrupted": result.run.interrupted, "history": result.history}
        files = {"before.png": image_file_bytes(result.before[None], upscale_to=256),
                 "after.png": image_file_bytes(result.image[None], upscale_to=256),
                 "mask.png": image_file_bytes(result.mask.expand(3, -1, -1)[None]),
                 "comparison.png": comparison_png,
                 "result.json": (json.dumps(summary, indent=1) + "\n").encode()}
        written = write_outputs(out, files, len(result.history), interrupted=result.run.interrupted)
    print(f"masked CLIP score {result.scores['inside_before']:.4f} -> {result.scores['inside_after']:.4f}; "
          f"outside L2 change {result.outside_change['l2']:.5f}"
          + (" (interrupted; run the same command again to resume)" if result.run.interrupted else ""))
    return _written(out, written)


INVERSION_OUTPUTS = ("latents.safetensors", "target.png", "reconstruction.png", "loss.png", "result.json")
DIRECTION_FORMS = ("sefa:K (the K-th SeFa direction of the image's space, K = 0, 1, …), pca:K (the K-th principal "
                   "direction of the image's space; GANSpace's W components for a W+ image), or the path of a "
                   "direction file saved with Direction.save (.safetensors)")


def _inversion_identity(args: argparse.Namespace, generator, space: str, target) -> dict:
    """What decides an inversion the command line starts: a folder resumes only the same one."""
    from latentlab.runs.identity import tensor_digest, weights_digest

    return {"model": args.model, "generator": weights_digest(generator), "image": tensor_digest(target), "fit": args.fit,
            "space": space, "loss": args.loss, "steps": args.steps, "restarts": args.restarts, "class": args.class_name,
            "seed": args.seed, "lr": args.lr, **({"init": args.init} if args.init else {})}


def _loss_png(result) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from latentlab.files import figure_png

    figure, ax = plt.subplots(figsize=(6, 3.5))
    history = result.history
    if history:
        ax.plot(range(1, len(history) + 1), history, lw=1.2)
        if min(history) > 0:
            ax.set_yscale("log")
    else:
        ax.text(0.5, 0.5, "no step finished yet", ha="center", va="center", transform=ax.transAxes)
    stages = result.info.get("stages") or []
    end = 0
    for (name, length), (following, _) in zip(stages, stages[1:]):  # a W+ projection runs in W first
        end += length
        ax.axvline(end + 0.5, color="grey", ls="--", lw=0.8)
        ax.text(end + 0.5, 0.98, f" {name} → {following}", transform=ax.get_xaxis_transform(), va="top", fontsize=8,
                color="grey")
    ax.set_xlabel("step")
    ax.set_ylabel(f"{result.loss_name} loss (best candidate)")
    ax.set_title(f"inversion into {result.space}, {result.loss_name} loss"
                 + (" (interrupted)" if result.interrupted else ""))
    figure.tight_layout()
    data = figure_png(figure)
    plt.close(figure)
    return data


def _write_inversion(out: Path, result, generator, args: argparse.Namespace, identity: dict) -> list[Path]:
    """Save an inversion's folder: latents.safetensors, target.png, reconstruction.png, then loss.png and result.json."""
    import json

    from latentlab.errors import looks_like_path
    from latentlab.files import atomic_write_bytes

    result.info = {**result.info, "cli": identity}
    latents = result.save(out)
    classes = None
    if result.classes is not None:
        classes = [generator.class_names[int(c)] if generator.conditional else int(c) for c in result.classes.tolist()]
    info = {k: v for k, v in result.info.items() if k != "cli"}
    model = str(Path(args.model).expanduser().absolute()) if looks_like_path(args.model) else args.model  # `edit` loads it
    summary = {"model": model, "image": str(Path(args.image).absolute()), "fit": args.fit, "space": result.space,
               "loss": result.loss_name, "steps": args.steps, "steps_taken": info.get("steps", len(result.history)),
               "psnr": round(float(result.psnr()[0]), 4), "final_loss": round(float(result.loss[0]), 8), "classes": classes,
               "seconds": round(result.seconds, 3), "interrupted": result.interrupted, "info": info,
               "history": result.history}
    loss_png = atomic_write_bytes(out / "loss.png", _loss_png(result))
    record = atomic_write_bytes(out / "result.json", (json.dumps(summary, indent=1) + "\n").encode())
    return [out / "target.png", out / "reconstruction.png", latents, loss_png, record]


def _invert(args: argparse.Namespace) -> list[Path]:
    from latentlab.errors import RunMismatchError
    from latentlab.image_loading import load_image
    from latentlab.methods.inversion_result import LATENTS_FILE, InversionResult
    from latentlab.methods.invert import invert
    from latentlab.runs import RunFolder
    from latentlab.runs.identity import differences
    from latentlab.spaces import resolve_space
    from latentlab.zoo import load_generator

    check_positive_int("--steps", args.steps)
    check_positive_int("--restarts", args.restarts)
    generator = load_generator(args.model, device=args.device)
    space = resolve_space(args.space, generator).name  # unknown or unoffered spaces are refused before any work
    target = load_image(args.image, size=generator.resolution, fit=args.fit)
    if args.init == "encoder" and generator.encoder_latents(target) is None:
        raise ValueError(f"--init encoder: {args.model!r} has no encoder; leave --init out to start from random or mean "
                         "vectors")
    identity = _inversion_identity(args, generator, space, target)
    out = Path(args.out)
    with RunFolder(out):
        saved = None
        if (out / LATENTS_FILE).exists() and args.restart:
            for name in INVERSION_OUTPUTS:
                (out / name).unlink(missing_ok=True)
        elif (out / LATENTS_FILE).exists():
            saved = InversionResult.load(out)
            before = saved.info.get("cli")
            if before is None:
                raise RunMismatchError(f"{str(out)!r} holds an inversion that `latentlab invert` did not start, so it cannot "
                                       f"be resumed safely; write to another --out, or use --restart to start over there")
            diff = differences(before, identity)
            if diff:
                raise RunMismatchError(f"{str(out)!r} holds another inversion; these settings differ:\n  " + "\n  ".join(diff)
                                       + "\nTo keep it, write to another --out; to start over there, use --restart.")
            if not saved.interrupted:
                psnr = float(saved.psnr()[0])
                missing = [name for name in INVERSION_OUTPUTS if not (out / name).exists()]
                if not missing:
                    print(f"{out} already holds this inversion, finished after {len(saved.history)} steps "
                          f"(PSNR {psnr:.2f} dB); nothing to do (--restart runs it again)")
                    return []
                print(f"{out} holds this inversion, finished; rewriting {', '.join(missing)}")
                return _write_inversion(out, saved, generator, args, identity)
            print(f"resuming step {saved.state.step + 1} of {args.steps} from {out / LATENTS_FILE}")
        result = invert(generator, target, space=space, loss=args.loss or None, steps=args.steps, lr=args.lr,
                        restarts=args.restarts, classes=_class_arg(args.class_name), seed=args.seed, progress=True,
                        init=None if saved is not None else args.init, resume=saved)
        if saved is not None:
            result.seconds += saved.seconds
        written = _write_inversion(out, result, generator, args, identity)
    classes = ""
    if result.classes is not None and generator.conditional:
        classes = ", class " + ", ".join(generator.class_names[int(c)] for c in result.classes.tolist())
    print(f"PSNR {float(result.psnr()[0]):.2f} dB after {len(result.history)} of {args.steps} steps in {result.space} "
          f"({result.loss_name} loss {float(result.loss[0]):.5g}{classes})"
          + (" (interrupted; run the same command again to resume)" if result.interrupted else ""))
    return written


def _layers_arg(text: str | None):
    """A --layers value: a named range (coarse, middle, fine), an index, LOW-HIGH (inclusive) or a comma list of those."""
    import re

    if text is None:
        return None
    value = text.strip().lower()
    if not re.fullmatch(r"\d+(-\d+)?(,\d+(-\d+)?)*", value.replace(" ", "")):
        return value  # a named range: the generator names the valid ones
    layers: list[int] = []
    for part in value.replace(" ", "").split(","):
        low, _, high = part.partition("-")
        if int(high or low) < int(low):
            raise ValueError(f"--layers {text!r}: the range {part} runs backwards; write LOW-HIGH, e.g. 0-3")
        layers.extend(range(int(low), int(high or low) + 1))
    return layers


def _direction_arg(name: str, generator, space: str, seed: int):
    """A --direction value: sefa:K, pca:K or a saved Direction file (see DIRECTION_FORMS)."""
    import re

    from latentlab.errors import InvalidInputError
    from latentlab.generators.style import StyleGenerator
    from latentlab.methods import pca_directions, sefa_directions, style_sefa_directions
    from latentlab.spaces import Direction, WPlusSpace, WSpace, resolve_space

    found = re.fullmatch(r"(sefa|pca):(\d+)", name.strip().lower())
    if found:
        kind, k = found.group(1), int(found.group(2))
        kind_of_space = resolve_space(space, generator)
        if kind == "pca":  # a W+ image is moved by W directions (over all its layers, or --layers)
            searched = "w" if isinstance(kind_of_space, WPlusSpace) else space
            return pca_directions(generator, space=searched, k=k + 1, seed=seed)[k]
        if isinstance(kind_of_space, (WSpace, WPlusSpace)):
            return style_sefa_directions(generator, k=k + 1)[k]
        if isinstance(generator, StyleGenerator):
            raise InvalidInputError(f"--direction {name}: SeFa of a style-based generator gives directions in W, and this "
                                    f"image is in {space!r}; invert it with --space w+ (or w), or use pca:{k}")
        return sefa_directions(generator, k=k + 1)[k]
    path = Path(name).expanduser()
    if path.is_file():
        return Direction.load(path)
    if path.suffix == ".safetensors" or path.parent != Path("."):
        raise InvalidInputError(f"--direction {name!r}: no such direction file; give {DIRECTION_FORMS}")
    raise InvalidInputError(f"--direction {name!r} is not a direction latentlab knows; give {DIRECTION_FORMS}")


def _edit_start(folder: Path, model: str | None):
    """The image to edit from ``folder``: an earlier edit (edit.safetensors) or an inversion; and the model's name."""
    import json

    from latentlab.errors import InvalidInputError
    from latentlab.methods.edit import EDIT_FILE, EditedImage
    from latentlab.methods.inversion_result import LATENTS_FILE, InversionResult

    if not folder.exists():
        raise InvalidInputError(f"{str(folder)!r} does not exist: give a folder written by `latentlab invert` or `latentlab edit`")
    if not folder.is_dir():
        raise InvalidInputError(f"{str(folder)!r} is a file: give the folder `latentlab invert` or `latentlab edit` wrote")
    if (folder / EDIT_FILE).exists():
        start, label = EditedImage.load(folder), "before"
        recorded = start.model
    elif (folder / LATENTS_FILE).exists():
        result = InversionResult.load(folder)
        record = folder / "result.json"
        recorded = json.loads(record.read_text()).get("model") if record.exists() else result.info.get("cli", {}).get("model")
        if result.interrupted:
            print(f"note: the inversion in {folder} was interrupted after {len(result.history)} steps; editing its best "
                  f"so far (run the same `latentlab invert` again to finish it)")
        start, label = EditedImage.from_inversion(result, model=recorded or model), "reconstruction"
    else:
        raise InvalidInputError(f"{str(folder)!r} holds no inversion ({LATENTS_FILE}) and no edit ({EDIT_FILE}); invert an "
                                f"image into it first: latentlab invert IMAGE --out {folder}")
    if recorded is not None and model is not None and model != recorded:
        raise InvalidInputError(f"{str(folder)!r} was made with --model {recorded}, not {model}; drop --model")
    if recorded is None and model is None:
        raise InvalidInputError(f"{str(folder)!r} does not record its generator; name it with --model")
    if start.model is None:
        start.model = recorded or model
    return start, recorded or model, label


def _edit(args: argparse.Namespace) -> list[Path]:
    import json
    import math

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from latentlab.errors import InvalidInputError
    from latentlab.files import atomic_write_bytes, figure_png
    from latentlab.runs import RunFolder
    from latentlab.spaces import WPlusSpace
    from latentlab.zoo import load_generator

    if args.direction is None and args.paint_rect is None and args.text is None:
        raise ValueError("say what to change: --direction NAME --amount A, and/or --paint-rect LEFT TOP RIGHT BOTTOM --text TEXT")
    if (args.paint_rect is None) != (args.text is None):
        raise ValueError("--paint-rect and --text go together: the rectangle to repaint and what it should show")
    if args.direction is None and (args.layers is not None or args.amount is not None):
        raise ValueError("--amount and --layers say how far and in which W+ layers --direction moves; give --direction too")
    amount = 1.0 if args.amount is None else args.amount
    if not math.isfinite(amount):
        raise ValueError(f"--amount must be a finite number, got {amount}")
    if args.paint_rect is not None:
        check_positive_int("--generations", args.generations)
        check_positive_int("--population", args.population)
    folder = Path(args.folder)
    start, model, label = _edit_start(folder, args.model)
    generator = load_generator(model, device=args.device)
    if args.layers is not None and not isinstance(start.space_in(generator), WPlusSpace):
        raise InvalidInputError(f"--layers moves some layers only in W+, and this image is in {start.space!r}: invert it "
                                f"with --space w+ to edit by layer")
    mask = None if args.paint_rect is None else _rect_mask(args.paint_rect, generator.resolution, "--paint-rect")
    before = start.render(generator)
    edit = start
    if args.direction is not None:
        direction = _direction_arg(args.direction, generator, start.space, args.seed)
        edit = edit.moved(generator, direction, amount, layers=_layers_arg(args.layers))
    if mask is not None:
        edit = edit.repainted(generator, mask, args.text, generations=args.generations, population=args.population,
                              seed=args.seed, progress=True)
    after = edit.render(generator)
    out = folder / "edit" if args.out is None else Path(args.out)
    panels = [("target", start.target), (label, before), ("edited", after)]
    panels = [(title, image) for title, image in panels if image is not None]
    figure, axes = plt.subplots(1, len(panels), figsize=(2.6 * len(panels), 2.9))
    for ax, (title, image) in zip(axes, panels):
        ax.imshow(image[0].detach().float().cpu().clamp(0, 1).permute(1, 2, 0).numpy(), interpolation="nearest")
        ax.set_title(title)
        ax.axis("off")
    done = edit.steps[len(start.steps):]
    figure.suptitle("; ".join(_step_label(s) for s in done), fontsize=9)
    figure.tight_layout()
    strip = figure_png(figure)
    plt.close(figure)
    change = float((after - before).abs().mean())
    summary = {"model": model, "source": str(folder.absolute()), "space": edit.space, "mean_change": round(change, 6),
               "steps": edit.steps}
    with RunFolder(out):
        edit.save(out, generator)
        written = [out / "edited.png", out / "edit.safetensors",
                   atomic_write_bytes(out / "before_after.png", strip),
                   atomic_write_bytes(out / "edit.json", (json.dumps(summary, indent=1) + "\n").encode())]
    print(f"edited: {'; '.join(_step_label(s) for s in done)}; mean pixel change {change:.4f}")
    return written


def _step_label(step: dict) -> str:
    """One edit step in words, for the summary line and the strip's title."""
    if step.get("op") == "direction":
        layers = step.get("layers")
        return f"{step['name']} × {step['amount']:g}" + ("" if layers is None else f" (layers {layers})")
    if step.get("op") == "paint":
        scores = step.get("scores") or {}
        score = (f" (masked CLIP score {scores['inside_before']:.3f} → {scores['inside_after']:.3f})"
                 if "inside_before" in scores else "")
        cut = " — interrupted: the best repaint found before Ctrl-C" if step.get("interrupted") else ""
        return f"painted {step['text']!r}{score}{cut}"
    return str(step.get("op"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="latentlab", description="Steer the latent spaces of image generators.",
                                     epilog="--debug anywhere on the line shows the full traceback of an error.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("sample", help="sample images from a generator and save them as grids")
    p.add_argument("--model", default="shapes-biggan", help="generator name or .safetensors path (default: shapes-biggan)")
    p.add_argument("--class", dest="class_name", default=None, help="class name or index (default: one grid per class)")
    p.add_argument("--truncation", type=float, default=None, help="truncation threshold psi > 0 (default: none)")
    p.add_argument("-n", type=int, default=16, help="images per grid (default: 16)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--nrow", type=int, default=8, help="images per grid row")
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", default="samples", help="a .png/.jpg file, or a folder for one grid per class")
    p.set_defaults(run=_sample)

    p = sub.add_parser("models", help="list embedded and known models")
    p.set_defaults(run=_models)

    p = sub.add_parser("train", help="retrain an embedded model with its recipe")
    p.add_argument("model", help="embedded model name, e.g. shapes-biggan or shapes-probe")
    p.add_argument("--out", required=True, help="run folder (samples, logs, resumable state)")
    p.add_argument("--steps", type=int, default=None, help="override the recipe's number of steps")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--install", action="store_true", help="replace the package's embedded weights with the result")
    p.add_argument("--device", default="cpu", help="train on this torch device (GAN recipes), e.g. cuda")
    p.add_argument("--restart", action="store_true", help="delete a different training run in --out and start over there")
    p.set_defaults(run=_train)

    p = sub.add_parser("evolve", help="text-to-image: evolve latents toward a prompt with CLIP as the fitness")
    p.add_argument("prompt", help='what the image should show, e.g. "a red star in the top left"')
    p.add_argument("--optimizer", default="cma", help="cma, ga, de, adam or cma+adam (default: cma)")
    p.add_argument("--generations", type=int, default=30)
    p.add_argument("--population", type=int, default=32)
    p.add_argument("--model", default="shapes-biggan", help="generator name or .safetensors path")
    p.add_argument("--clip", default="shapes-clip", help="CLIP model: shapes-clip or an open_clip ARCH/TAG")
    p.add_argument("--class", dest="class_name", default=None, help="fix the class instead of searching it")
    p.add_argument("--space", default=None, help="latent space searched: z, z+class (default for conditional models without "
                   "--class), or w / w+ / stylespace for a style-based generator")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="run folder: grid.png, best.png, fitness.png, history.json, manifest.json, state.safetensors")
    p.add_argument("--restart", action="store_true", help="discard a different run saved in --out and start over there")
    p.set_defaults(run=_evolve)

    p = sub.add_parser("paint", help="paint by word: make a region of a generated image match a text")
    p.add_argument("--text", required=True, help='what the region should show, e.g. "a blue star"')
    p.add_argument("--mask-rect", type=int, nargs=4, metavar=("LEFT", "TOP", "RIGHT", "BOTTOM"), default=None,
                   help="the region as a rectangle in pixels (right/bottom exclusive)")
    p.add_argument("--mask", default=None, help="the region as a black-and-white image file (white = paint)")
    p.add_argument("--model", default="shapes-biggan", help="generator name or .safetensors path")
    p.add_argument("--seed", type=int, default=0, help="seed of the image to edit (and of the search)")
    p.add_argument("--class", dest="class_name", default=None, help="class of the image to edit (default: drawn from --seed)")
    p.add_argument("--truncation", type=float, default=None, help="truncation of the image's latent (default: none)")
    p.add_argument("--optimizer", default="cma", help="cma (default), adam, cma+adam, ga or de")
    p.add_argument("--generations", type=int, default=30)
    p.add_argument("--population", type=int, default=16)
    p.add_argument("--layer", default=None, help="where to split the generator (default: the model's edit layer, e.g. block1 of shapes-biggan, b8 of shapes-stylegan)")
    p.add_argument("--space", default="z", help="z (keep the class), z+class (let the region change class), or w / w+ (a style-based generator's styles)")
    p.add_argument("--lambda-img", type=float, default=5.0, help="weight of the consistency outside the mask")
    p.add_argument("--no-split", action="store_true", help="search the whole latent instead of the split generator")
    p.add_argument("--clip", default="shapes-clip", help="CLIP model: shapes-clip or an open_clip ARCH/TAG")
    p.add_argument("--out", required=True, help="folder: before.png, after.png, mask.png, comparison.png, result.json, manifest.json, state")
    p.add_argument("--restart", action="store_true", help="discard a different edit saved in --out and start over there")
    p.set_defaults(run=_paint)

    p = sub.add_parser("invert", help="find a generator's latents for your own image (resumable; Ctrl-C keeps the best)")
    p.add_argument("image", help="the picture: PNG, JPEG or any format Pillow reads; fitted to the generator's size")
    p.add_argument("--model", default="shapes-stylegan", help="generator name or .safetensors path (default: shapes-stylegan)")
    p.add_argument("--space", default="w+", help="latent space searched: w+ (default), w, stylespace, z or z+class")
    p.add_argument("--out", required=True, help="folder: target.png, reconstruction.png, latents.safetensors, loss.png, result.json")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--loss", default=None, help="mse, blurred_mse, lpips, probe or a sum such as mse+0.1*probe "
                   "(default: mse in W/W+, blurred_mse in Z)")
    p.add_argument("--restarts", type=int, default=1, help="starts per class (default: 1)")
    p.add_argument("--class", dest="class_name", default=None, help="hold the class (default: searched)")
    p.add_argument("--fit", default="crop", help="how the picture fills the square: crop (default), pad or resize")
    p.add_argument("--lr", type=float, default=None, help="learning rate (default: 0.1, in units of the space's spread in W/W+)")
    p.add_argument("--init", choices=("encoder",), default=None,
                   help="start from the model's own encoder (a VAE's or an AVAE's one-pass inversion) and refine it")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--restart", action="store_true", help="discard a different or finished inversion in --out and start over")
    p.set_defaults(run=_invert)

    p = sub.add_parser("edit", help="edit an inverted image: move it along a direction and/or repaint a rectangle")
    p.add_argument("folder", help="a folder written by `latentlab invert`, or by an earlier `latentlab edit` (edits chain)")
    p.add_argument("--direction", default=None, help="sefa:K, pca:K or a saved direction .safetensors file")
    p.add_argument("--amount", type=float, default=None, help="how far to move along --direction (default: 1)")
    p.add_argument("--layers", default=None, help="the W+ layers a W direction moves: coarse, middle, fine, 3 or 0-3 "
                   "(a W+ inversion only; default: the direction's own)")
    p.add_argument("--paint-rect", type=int, nargs=4, metavar=("LEFT", "TOP", "RIGHT", "BOTTOM"), default=None,
                   help="repaint this rectangle in pixels (right/bottom exclusive) toward --text")
    p.add_argument("--text", default=None, help='what the rectangle should show, e.g. "a blue star"')
    p.add_argument("--generations", type=int, default=20, help="search generations of the repaint (default: 20)")
    p.add_argument("--population", type=int, default=16, help="search population of the repaint (default: 16)")
    p.add_argument("--model", default=None, help="the generator, when the folder does not record it")
    p.add_argument("--seed", type=int, default=0, help="seed of the repaint search and of pca:K's samples")
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", default=None, help="folder: edited.png, edit.safetensors, before_after.png, edit.json "
                   "(default: FOLDER/edit)")
    p.set_defaults(run=_edit)
    return parser


def _clean_errors() -> tuple[type[BaseException], ...]:
    """Errors that are the user's input or environment, printed as a message: latentlab's own, bad values,
    missing or unreadable files, refused pickles and damaged safetensors files."""
    import pickle

    from latentlab.errors import LatentlabError

    errors: list[type[BaseException]] = [LatentlabError, ValueError, OSError, pickle.UnpicklingError]
    try:
        from safetensors import SafetensorError

        errors.append(SafetensorError)
    except ImportError:  # pragma: no cover - older safetensors
        pass
    return tuple(errors)


def _die_interrupted() -> None:
    """End the process as an uncaught Ctrl-C does: killed by SIGINT, which a shell reads as status 130 and a
    calling script as an interruption. Python's own exit status after a caught Ctrl-C depends on where the signal
    landed, so the program path never relies on it; stdio is flushed first."""
    sys.stdout.flush()
    sys.stderr.flush()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGINT)


def main(argv: list[str] | None = None) -> int:
    """Run one command. As a program (``argv`` None) a Ctrl-C ends the process by SIGINT after its message;
    called with ``argv`` it returns 130 instead."""
    program = argv is None
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    args = build_parser().parse_args([a for a in argv if a != "--debug"])
    try:
        result = args.run(args)
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"latentlab {args.command}: interrupted before anything was finished; nothing was written "
              f"(a run folder keeps what an earlier generation saved)", file=sys.stderr)
        if program:
            _die_interrupted()
        return 130
    except _clean_errors() as error:  # bad input, missing files, offline downloads, damaged files
        if debug:
            raise
        print(f"latentlab {args.command}: error: {error}", file=sys.stderr)
        return 2
    except Exception as error:
        if debug:
            raise
        print(f"latentlab {args.command}: internal error ({type(error).__name__}: {error}); "
              f"run again with --debug to see where", file=sys.stderr)
        return 1
    if args.command in ("sample", "evolve", "paint", "invert", "edit"):
        for path in result:
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
