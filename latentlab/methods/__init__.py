"""Methods of the source papers, composed from a generator, an assessor and an optimizer."""

from latentlab.methods.boundaries import conditional_direction, linear_boundary
from latentlab.methods.directions import Direction, t_grid
from latentlab.methods.dissection import (
    CONCEPTS,
    CausalSweep,
    Concept,
    UnitRanking,
    UnitRecording,
    causal_effect,
    causal_sweep,
    get_concept,
    intervene,
    measure_concept,
    rank_units,
    record_units,
)
from latentlab.methods.edit import EditedImage
from latentlab.methods.evolve import EvolutionResult, evolve
from latentlab.methods.factors import ContinuousFactor, continuous_factor, fit_factor
from latentlab.methods.ganalyze import GANalyzeResult, ganalyze
from latentlab.methods.inversion_result import InversionResult, InversionState
from latentlab.methods.invert import InversionProgress, invert
from latentlab.methods.paint import PaintResult, paint_by_word
from latentlab.methods.pca import pca_directions
from latentlab.methods.sefa import sefa_directions, style_sefa_directions
from latentlab.methods.trajectories import Trajectories, estimate_trajectories
from latentlab.methods.transforms import TRANSFORMATIONS, Transformation, get_transformation
from latentlab.methods.validation import SlopeFit, Sweep, fit_slope, plot_sweeps, sweep_direction

__all__ = [
    "CONCEPTS", "CausalSweep", "Concept", "UnitRanking", "UnitRecording", "causal_effect", "causal_sweep", "get_concept", "intervene",
    "measure_concept", "rank_units", "record_units",
    "TRANSFORMATIONS", "ContinuousFactor", "Direction", "EditedImage", "EvolutionResult", "GANalyzeResult", "InversionProgress", "InversionResult", "InversionState", "PaintResult", "SlopeFit", "Sweep",
    "Trajectories", "Transformation", "continuous_factor", "estimate_trajectories", "evolve", "fit_factor", "fit_slope", "ganalyze",
    "get_transformation", "invert", "linear_boundary", "conditional_direction", "paint_by_word", "pca_directions", "plot_sweeps", "sefa_directions", "style_sefa_directions", "sweep_direction", "t_grid",
]
