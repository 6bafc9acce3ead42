"""Captions of Shapes images in varied templates and wording."""

from __future__ import annotations

import random

from latentlab.data.colours import nearest_colour
from latentlab.data.shapes import ShapeFactors

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
