"""``latentlab sample``, ``train``, ``evolve`` and ``paint``: images from a generator, retraining, search by text."""

from __future__ import annotations

import argparse
import importlib
import inspect
from pathlib import Path

from latentlab.errors import check_positive_int, check_truncation

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
OTHER_IMAGE_SUFFIXES = (".gif", ".bmp", ".webp", ".tif", ".tiff", ".ppm", ".svg", ".pdf", ".eps")


def sample(args: argparse.Namespace) -> list[Path]:
    """`latentlab sample`: grids of a generator's images, one file or one per class; returns the files written."""
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
    images = generator.generate(n, seed=args.seed, truncation=truncation, classes=class_arg(args.class_name))
    path = out if out.suffix.lower() in IMAGE_SUFFIXES else out / "grid.png"
    return [save_image(images, path, nrow=args.nrow, upscale_to=128)]



def train(args: argparse.Namespace) -> Path:
    """`latentlab train`: rerun an embedded model's recipe into --out (resumes only the same recipe and seed)."""
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


def evolve(args: argparse.Namespace) -> list[Path]:
    """`latentlab evolve`: search latents toward a prompt into a resumable run folder; returns the files written."""
    import json

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from latentlab.files import figure_png
    from latentlab.images import image_file_bytes
    from latentlab.methods import evolve as evolve_latents
    from latentlab.runs import RunFolder
    from latentlab.runs.manifest import write_outputs
    from latentlab.zoo import load_generator

    generations = check_positive_int("--generations", args.generations)
    generator = load_generator(args.model, device=args.device)
    out = Path(args.out)
    with RunFolder(out):
        result = evolve_latents(args.prompt, generator, optimizer=args.optimizer, generations=generations,
                                population=args.population, seed=args.seed, clip=args.clip,
                                classes=class_arg(args.class_name), space=args.space, state_path=out / STATE_NAME,
                                restart=args.restart)
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


def class_arg(name: str | None) -> int | str | None:
    """A --class value: an index when it is all digits, else a name."""
    return None if name is None else int(name) if name.isdigit() else name


def rect_mask_arg(rect: list[int], size: int, flag: str):
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
        return rect_mask_arg(args.mask_rect, size, "--mask-rect")
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


def paint(args: argparse.Namespace) -> list[Path]:
    """`latentlab paint`: repaint a region of a generated image toward a text; returns the files written."""
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

    generator = load_generator(args.model, device=args.device)
    mask = _load_mask(args, generator.resolution)
    z = generator.sample_latents(1, seed=args.seed, truncation=check_truncation(args.truncation))
    classes = None
    if generator.conditional:
        classes = (generator.class_index(class_arg(args.class_name)) if args.class_name is not None
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

