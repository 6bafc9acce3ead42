"""Zero-shot evaluation of a CLIP model on the Shapes world, with wordings held out of training."""

from __future__ import annotations

import random

import torch

from latentlab.data.captions import HELD_OUT_PREFIXES, size_word, tone_word, x_word, y_word
from latentlab.data.colours import COLOUR_NAMES, nearest_colour
from latentlab.data.sdf import SHAPES
from latentlab.data.shapes import ShapeFactors, render_shapes
from latentlab.zoo.open_clip_models import CLIPBundle, load_clip

#: Prompt templates for evaluation: framings never used in training captions.
HELD_OUT_TEMPLATES = tuple(prefix + "{}" for prefix in HELD_OUT_PREFIXES)


def _labels(task: str, f: ShapeFactors) -> list[str | None]:
    """Ground-truth label per image for ``task`` (None: the image is ambiguous for a binary task)."""
    if task == "shape":
        return f.shape_names
    if task == "color":
        return nearest_colour(f.hue)
    if task == "x_position":
        return [x_word(float(v)) for v in f.x]
    if task == "y_position":
        return [y_word(float(v)) for v in f.y]
    if task == "size":
        return [s if s != "medium" else None for s in (size_word(float(v)) for v in f.scale)]
    if task == "background":
        return [{"dark ": "dark", "light ": "light"}.get(tone_word(float(v))) for v in f.bg_brightness]
    raise ValueError(f"unknown task {task!r}")


#: task -> label -> prompt (put into each held-out template).
TASK_PROMPTS: dict[str, dict[str, str]] = {
    "shape": {s: f"a {s}" for s in SHAPES},
    "color": {c: f"{'an' if c[0] in 'aeiou' else 'a'} {c} object" for c in COLOUR_NAMES},
    "x_position": {"left": "an object on the left", "centre": "an object in the middle column", "right": "an object on the right"},
    "y_position": {"top": "an object at the top", "middle": "an object at mid height", "bottom": "an object at the bottom"},
    "size": {"small": "a small object", "large": "a large object"},
    "background": {"dark": "an object on a dark background", "light": "an object on a light background"},
}


def zero_shot_accuracy(model: str | CLIPBundle = "shapes-clip", n: int = 2000, seed: int = 12345,
                       templates: tuple[str, ...] = HELD_OUT_TEMPLATES) -> dict[str, float]:
    """Accuracy of choosing the right prompt among each task's alternatives on ``n`` fresh renders.

    Binary tasks (size small/large, background dark/light) use only the images that are clearly
    one or the other (the medium band is left out).
    """
    clip = load_clip(model)
    batch = render_shapes(n, seed=seed)
    with torch.no_grad():
        image = torch.cat([clip.encode_images(chunk) for chunk in batch.images.split(256)])
    out = {}
    for task, prompts in TASK_PROMPTS.items():
        names = list(prompts)
        truth = _labels(task, batch.factors)
        keep = [i for i, t in enumerate(truth) if t is not None]
        with torch.no_grad():
            text = torch.stack([torch.nn.functional.normalize(
                clip.encode_text([t.format(prompts[k]) for t in templates]).mean(dim=0), dim=0) for k in names])
        predicted = (image[keep] @ text.T).argmax(dim=1).tolist()
        out[task] = sum(names[p] == truth[i] for p, i in zip(predicted, keep)) / len(keep)
    return out


def masked_pair_accuracy(model: str | CLIPBundle = "shapes-clip", n: int = 1000, seed: int = 54321) -> float:
    """With the mask on the object, how often 'a {colour} {shape}' beats the caption with one attribute swapped."""
    from latentlab.assessors.base import apply_region

    clip = load_clip(model)
    batch = render_shapes(n, seed=seed)
    rng = random.Random(seed)
    colours, shapes = nearest_colour(batch.factors.hue), batch.factors.shape_names
    masks = (torch.nn.functional.max_pool2d(batch.masks, 3, stride=1, padding=1) > 0.5).float()
    true_texts, swapped = [], []
    for colour, shape in zip(colours, shapes):
        true_texts.append(f"a {colour} {shape}")
        if rng.random() < 0.5:
            swapped.append(f"a {rng.choice([c for c in COLOUR_NAMES if c != colour])} {shape}")
        else:
            swapped.append(f"a {colour} {rng.choice([s for s in SHAPES if s != shape])}")
    with torch.no_grad():
        regions = apply_region(batch.images, masks, "multiply")
        image = torch.cat([clip.encode_images(chunk) for chunk in regions.split(256)])
        wins = (image * clip.encode_text(true_texts)).sum(dim=1) > (image * clip.encode_text(swapped)).sum(dim=1)
    return float(wins.float().mean())
