"""Network dissection (GAN dissection, Bau et al. 2019): units that match a concept, and their causal effect.

A generator cut at a spatial layer, G = h(f(z, y)), has feature maps w = f(z, y) [N, U, h, w];
each channel u is a *unit*. Dissection has three steps:

1. **Record** the units' feature maps over many samples (:func:`record_units`).
2. **Rank** the units by how well they match a concept measured on the generated images
   (:func:`rank_units`). For a spatial concept (a mask per pixel, e.g. the object) the score is
   the IoU between the unit's upsampled activation map thresholded at its top ``quantile``
   (over all recorded locations) and the concept mask; for a per-image concept (object size,
   background brightness, a colour) it is the rank correlation between the unit's mean
   activation and the concept's value.
3. **Intervene** (:func:`intervene`): ablate units (set them to 0, or to a low quantile of their
   activations) or insert them (set them to a high quantile inside a region) and regenerate with h. :func:`causal_effect` measures the concept
   after ablating the top-k units against ablating k random units of the same layer.

The package follows those steps: :mod:`~latentlab.methods.dissection.concepts` (what is measured
on the images), :mod:`~latentlab.methods.dissection.recording`, :mod:`~latentlab.methods.dissection.ranking`,
:mod:`~latentlab.methods.dissection.intervention` and :mod:`~latentlab.methods.dissection.causal`.

Everything goes through ``generator.split(layer)``, so any generator with spatial layers works;
concepts are read by ``shapes-probe`` (built for the Shapes world) and from pixels.
"""

from latentlab.methods.dissection.causal import PRESENT_FRACTION, READOUTS, CausalSweep, causal_effect, causal_sweep
from latentlab.methods.dissection.concepts import CONCEPTS, Concept, ProbeReading, get_concept, measure_concept, read_probe
from latentlab.methods.dissection.intervention import INSERT_QUANTILE, MODES, edit_features, intervene
from latentlab.methods.dissection.ranking import UnitRanking, rank_units, unit_iou
from latentlab.methods.dissection.recording import UnitRecording, check_units, place_maps, record_units

__all__ = [
    "CONCEPTS", "INSERT_QUANTILE", "MODES", "PRESENT_FRACTION", "READOUTS", "CausalSweep", "Concept", "ProbeReading",
    "UnitRanking", "UnitRecording", "causal_effect", "causal_sweep", "check_units", "edit_features", "get_concept",
    "intervene", "measure_concept", "place_maps", "rank_units", "read_probe", "record_units", "unit_iou",
]
