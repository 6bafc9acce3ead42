"""Explorers: interactive views over latentlab's methods, each a state object plus an ipywidgets ``VBox``.

An explorer is a widget: show it with ``display(explorer)`` (or as a cell's last value) or put it
inside other widgets; drive it headless through ``explorer.state`` and its child widgets.
"""

from latentlab.widgets.class_mixer import ClassMixer, MixState
from latentlab.widgets.common import (
    ErrorCapture,
    Explorer,
    LatestValueThrottle,
    enable_colab_widgets,
    figure_to_png,
    image_bytes,
    new_figure,
    show_image,
)
from latentlab.widgets.direction_explorer import DirectionExplorer, DirectionState
from latentlab.widgets.evolution_gallery import EvolutionGallery, GalleryState
from latentlab.widgets.image_editor import ImageEditor
from latentlab.widgets.image_editor_state import ImageEditorState
from latentlab.widgets.latent_walk import LatentWalk, WalkState
from latentlab.widgets.paint_canvas import PaintCanvas, PaintSession
from latentlab.widgets.style_mixer import StyleMixer, StyleMixState
from latentlab.widgets.truncation import PixelReadout, ShapesReadout, TruncationExplorer, TruncationState
from latentlab.widgets.units_explorer import UnitsExplorer, UnitsState
from latentlab.widgets.video import save_gif, save_mp4

__all__ = [
    "ClassMixer", "DirectionExplorer", "DirectionState", "ErrorCapture", "EvolutionGallery", "Explorer", "GalleryState", "ImageEditor", "ImageEditorState", "LatentWalk", "LatestValueThrottle", "MixState",
    "PaintCanvas", "PaintSession", "PixelReadout", "ShapesReadout", "StyleMixState", "StyleMixer", "TruncationExplorer", "TruncationState", "UnitsExplorer", "UnitsState", "WalkState", "enable_colab_widgets", "figure_to_png",
    "image_bytes", "new_figure", "save_gif", "save_mp4", "show_image",
]
