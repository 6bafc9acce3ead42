"""Captions of Shapes images in varied templates and wording."""

from __future__ import annotations

import random

from latentlab.data.colours import nearest_colour
from latentlab.data.factors import ShapeFactors

_SHAPE_WORDS = {
    "circle": ["circle", "circle", "disc", "round circle"],
    "square": ["square", "square", "box", "square shape"],
    "triangle": ["triangle", "triangle", "triangular shape"],
    "star": ["star", "star", "five-pointed star"],
    "heart": ["heart", "heart", "heart shape"],
}
_SIZE_WORDS = {"small": ["small", "little", "tiny"], "medium": ["", "medium", "mid-sized"], "large": ["large", "big", "huge"]}
_TEMPLATES = [
    "a {size} {colour} {shape} in the {where} on a {tone}{bg} background",
    "{colour} {shape}",
    "a {size} {shape} near the {where}",
    "a {colour} {shape}",
    "a {colour} {shape} on {tone}{bg}",
    "there is a {size} {colour} {shape} in the {where}",
    "a picture of a {colour} {shape}",
    "{shape}, {colour}, {where}",
    "a {colour} {shape} in the {where}",
    "a {size} {colour} {shape}",
    "a {shape} on a {tone}{bg} background",
    "the {where} has a {colour} {shape}",
]


def size_word(scale: float) -> str:
    """'small', 'medium' or 'large' for a scale factor."""
    return "small" if scale < 0.42 else "large" if scale > 0.53 else "medium"


def position_words(x: float, y: float) -> str:
    """A region name such as 'top left', 'bottom' or 'centre'."""
    row = "top" if y < 0.42 else "bottom" if y > 0.58 else ""
    col = "left" if x < 0.42 else "right" if x > 0.58 else ""
    return f"{row} {col}".strip() or "centre"


def tone_word(brightness: float) -> str:
    """'dark ', 'light ' or '' for a background brightness."""
    return "dark " if brightness < 0.3 else "light " if brightness > 0.48 else ""


def captions(factors: ShapeFactors, seed: int | None = None) -> list[str]:
    """One caption per image, with templates and synonyms drawn reproducibly from ``seed``."""
    rng = random.Random(seed)
    colours, bgs = nearest_colour(factors.hue), nearest_colour(factors.bg_hue)
    out = []
    for i, shape in enumerate(factors.shape_names):
        words = {
            "shape": rng.choice(_SHAPE_WORDS[shape]),
            "colour": colours[i],
            "size": rng.choice(_SIZE_WORDS[size_word(float(factors.scale[i]))]),
            "where": position_words(float(factors.x[i]), float(factors.y[i])),
            "tone": tone_word(float(factors.bg_brightness[i])),
            "bg": bgs[i],
        }
        text = rng.choice(_TEMPLATES).format(**words)
        out.append(" ".join(text.split()))
    return out


# Compositional captions for contrastive training ---------------------------------------------
# Each caption names a random subset of the attributes, in varied order and wording, so that a
# text encoder learns every attribute on its own ("a small shape", "on a dark background") as
# well as in combination. Evaluation prompts use other framings (see ``HELD_OUT_PREFIXES``).

_PREFIXES = ["", "", "a picture of ", "an image of ", "a photo of ", "there is ", "a render of ", "this is "]
#: Framings never used in training, for zero-shot evaluation with unseen wordings.
HELD_OUT_PREFIXES = ["a drawing of ", "a sketch showing "]
_NOUNS = ["shape", "object", "thing"]
_X_WORDS = {"left": ["on the left", "at the left"], "centre": ["in the middle column", "horizontally centred"],
            "right": ["on the right", "at the right"]}
_Y_WORDS = {"top": ["at the top", "near the top"], "middle": ["at mid height", "halfway up"],
            "bottom": ["at the bottom", "near the bottom"]}
_BG_FORMS = ["on a {tone}{bg} background", "against a {tone}{bg} background", "on {tone}{bg}", "with a {tone}{bg} backdrop"]


def x_word(x: float) -> str:
    """'left', 'centre' or 'right' for a horizontal position (same thresholds as :func:`position_words`)."""
    return "left" if x < 0.42 else "right" if x > 0.58 else "centre"


def y_word(y: float) -> str:
    """'top', 'middle' or 'bottom' for a vertical position."""
    return "top" if y < 0.42 else "bottom" if y > 0.58 else "middle"


def _position_phrase(rng: random.Random, x: float, y: float) -> str:
    form = rng.random()
    if form < 0.4:
        where = position_words(x, y)
        if " " not in where:  # one word: "left", "top", "centre"
            return {"left": "on the left", "right": "on the right", "centre": "in the centre"}.get(where, f"at the {where}")
        return rng.choice([f"in the {where}", f"near the {where}", f"at the {where}"])
    if form < 0.7:
        return rng.choice(_X_WORDS[x_word(x)])
    return rng.choice(_Y_WORDS[y_word(y)])


def compositional_captions(factors: ShapeFactors, seed: int | None = None, *, region: bool = False,
                           detail: float = 0.0) -> list[str]:
    """One caption per image naming a random subset of its attributes.

    ``region=True`` describes only the object (shape, colour, and size) — for masked or cropped
    views where the position and background are not visible. ``detail`` in [0, 1] raises the
    chance that each attribute is named (1: shape, colour and position always).
    """
    rng = random.Random(seed)
    colours, bgs = nearest_colour(factors.hue), nearest_colour(factors.bg_hue)
    more = lambda p: p + (1 - p) * detail  # noqa: E731
    out = []
    for i, shape in enumerate(factors.shape_names):
        scale, x, y = float(factors.scale[i]), float(factors.x[i]), float(factors.y[i])
        use_shape = rng.random() < more(0.85)
        use_colour = rng.random() < (more(0.8) if use_shape else 1.0)
        size = size_word(scale)
        use_size = not region and size != "medium" and rng.random() < more(0.4) * (0.6 if detail else 1.0)
        noun = rng.choice(_SHAPE_WORDS[shape]) if use_shape else rng.choice(_NOUNS)
        words = [rng.choice(_SIZE_WORDS[size])] if use_size else []
        words += [colours[i]] if use_colour else []
        phrase = " ".join(words + [noun])
        phrase = ("an " if phrase[0] in "aeiou" else "a ") + phrase
        parts = [phrase]
        if not region and rng.random() < more(0.5):
            parts.append(_position_phrase(rng, x, y))
        if not region and rng.random() < 0.35:
            tone = tone_word(float(factors.bg_brightness[i]))
            bg = "" if tone and rng.random() < 0.3 else bgs[i]  # sometimes only "a dark background"
            parts.append(rng.choice(_BG_FORMS).format(tone=tone, bg=bg).replace("  ", " "))
        text = rng.choice(_PREFIXES) + " ".join(parts)
        out.append(" ".join(text.split()))
    return out
