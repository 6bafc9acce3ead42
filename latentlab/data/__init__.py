"""Procedural worlds with ground-truth factors."""

from latentlab.data.captions import captions
from latentlab.data.colours import COLOUR_NAMES, COLOURS, hsv_to_rgb, hue_distance, nearest_colour
from latentlab.data.dataset import ShapesDataset
from latentlab.data.latent_factors import LatentFactorMap
from latentlab.data.sdf import SHAPES
from latentlab.data.shapes import ShapeFactors, ShapesBatch, render, render_layers, render_shapes, sample_factors

__all__ = [
    "COLOURS", "COLOUR_NAMES", "LatentFactorMap", "SHAPES", "ShapeFactors", "ShapesBatch", "ShapesDataset",
    "captions", "hsv_to_rgb", "hue_distance", "nearest_colour", "render", "render_layers", "render_shapes", "sample_factors",
]
