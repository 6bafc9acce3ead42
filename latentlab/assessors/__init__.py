"""Assessors: images → one score per image (higher = more of the property)."""

from latentlab.assessors.base import Assessor, MaskedAssessor, WeightedSum, check_images, check_mask
from latentlab.assessors.classifier import ClassifierAssessor, ImagePreprocess
from latentlab.assessors.distances import LPIPSDistance, blurred_mse, gaussian_blur, probe_feature_distance
from latentlab.assessors.features import LayerFeatures
from latentlab.assessors.probe import ClassProbability, HueCloseness, ProbeAssessor, ProbeFactor
from latentlab.assessors.probe_reader import ProbeReader, ProbeReading, default_probe, object_mask, read_probe
from latentlab.assessors.properties import (
    PROPERTY_ASSESSORS,
    Brightness,
    Centeredness,
    Colorfulness,
    IntensityEntropy,
    ObjectSize,
    Redness,
    Squareness,
)

__all__ = [
    "PROPERTY_ASSESSORS", "Assessor", "Brightness", "Centeredness", "ClassProbability", "ClassifierAssessor", "Colorfulness", "HueCloseness",
    "ImagePreprocess", "IntensityEntropy", "LPIPSDistance", "LayerFeatures", "MaskedAssessor", "ObjectSize", "ProbeAssessor", "ProbeFactor",
    "ProbeReader", "ProbeReading", "Redness", "Squareness", "WeightedSum", "blurred_mse", "check_images", "check_mask", "default_probe",
    "gaussian_blur", "object_mask", "probe_feature_distance", "read_probe",
]
