"""latentlab: steer the latent spaces of image generators from Jupyter."""

from latentlab.data import SHAPES, render, render_shapes, sample_factors
from latentlab.generators import Generator, SplitGenerator
from latentlab.image_loading import load_image
from latentlab.images import make_grid, save_image, show_grid, to_bytes, to_pil
from latentlab.latents import lerp, slerp, truncated_normal
from latentlab.methods import EditedImage, evolve, invert
from latentlab.methods.paint import paint_by_word
from latentlab.widgets import ClassMixer, EvolutionGallery, LatentWalk, PaintCanvas, TruncationExplorer
from latentlab.zoo import load_generator, load_probe
from latentlab.zoo.open_clip_models import load_clip

__version__ = "0.1.0"

__all__ = [
    "SHAPES", "ClassMixer", "EditedImage", "EvolutionGallery", "Generator", "LatentWalk", "PaintCanvas", "SplitGenerator", "TruncationExplorer", "__version__", "evolve",
    "invert", "lerp", "load_clip", "load_generator", "load_image", "load_probe", "make_grid", "paint_by_word", "render", "render_shapes", "sample_factors", "save_image",
    "show_grid", "slerp", "to_bytes", "to_pil", "truncated_normal",
]
