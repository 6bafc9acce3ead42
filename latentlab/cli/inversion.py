"""``latentlab invert`` and ``latentlab edit``: your own picture into a latent space, then edited."""

from __future__ import annotations

import argparse
from pathlib import Path

from latentlab.cli.generate import class_arg, rect_mask_arg
from latentlab.errors import check_positive_int

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


def invert(args: argparse.Namespace) -> list[Path]:
    """`latentlab invert`: fit the picture, invert it into --out (resumable); returns the files written."""
    from latentlab.errors import RunMismatchError
    from latentlab.image_loading import load_image
    from latentlab.methods.inversion_result import LATENTS_FILE, InversionResult
    from latentlab.methods.invert import invert as invert_image
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
        result = invert_image(generator, target, space=space, loss=args.loss or None, steps=args.steps, lr=args.lr,
                        restarts=args.restarts, classes=class_arg(args.class_name), seed=args.seed, progress=True,
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


def edit(args: argparse.Namespace) -> list[Path]:
    """`latentlab edit`: move an inverted image along a direction and/or repaint a rectangle; returns the files written."""
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
    mask = None if args.paint_rect is None else rect_mask_arg(args.paint_rect, generator.resolution, "--paint-rect")
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

