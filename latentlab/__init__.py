"""latentlab: steer the latent spaces of image generators from Jupyter.

The names below are imported on first use (PEP 562), so ``import latentlab`` and the command line's ``--help``
stay fast: ``latentlab.load_generator`` imports torch and the zoo the first time it is looked up.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from latentlab.version import __version__

#: public name → the module that defines it
_EXPORTS = {
    "SHAPES": "latentlab.data", "render": "latentlab.data", "render_shapes": "latentlab.data",
    "sample_factors": "latentlab.data",
    "Generator": "latentlab.generators", "SplitGenerator": "latentlab.generators",
    "load_image": "latentlab.image_loading",
    "make_grid": "latentlab.images", "save_image": "latentlab.images", "show_grid": "latentlab.images",
    "to_bytes": "latentlab.images", "to_pil": "latentlab.images",
    "lerp": "latentlab.latents", "slerp": "latentlab.latents", "truncated_normal": "latentlab.latents",
    "EditedImage": "latentlab.methods", "evolve": "latentlab.methods", "invert": "latentlab.methods",
    "paint_by_word": "latentlab.methods.paint",
    "ClassMixer": "latentlab.widgets", "EvolutionGallery": "latentlab.widgets", "LatentWalk": "latentlab.widgets",
    "PaintCanvas": "latentlab.widgets", "TruncationExplorer": "latentlab.widgets",
    "list_models": "latentlab.zoo", "load_generator": "latentlab.zoo", "load_probe": "latentlab.zoo",
    "load_clip": "latentlab.zoo.open_clip_models",
}

__all__ = [  # the same names as _EXPORTS, and the version
    "ClassMixer", "EditedImage", "EvolutionGallery", "Generator", "LatentWalk", "PaintCanvas", "SHAPES",
    "SplitGenerator", "TruncationExplorer", "__version__", "evolve", "invert", "lerp", "list_models", "load_clip",
    "load_generator", "load_image", "load_probe", "make_grid", "paint_by_word", "render", "render_shapes",
    "sample_factors", "save_image", "show_grid", "slerp", "to_bytes", "to_pil", "truncated_normal",
]


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'latentlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


if TYPE_CHECKING:  # what type checkers and editors see
    from latentlab.data import SHAPES, render, render_shapes, sample_factors
    from latentlab.generators import Generator, SplitGenerator
    from latentlab.image_loading import load_image
    from latentlab.images import make_grid, save_image, show_grid, to_bytes, to_pil
    from latentlab.latents import lerp, slerp, truncated_normal
    from latentlab.methods import EditedImage, evolve, invert
    from latentlab.methods.paint import paint_by_word
    from latentlab.widgets import ClassMixer, EvolutionGallery, LatentWalk, PaintCanvas, TruncationExplorer
    from latentlab.zoo import list_models, load_generator, load_probe
    from latentlab.zoo.open_clip_models import load_clip
