"""Assessors: images → one score per image (higher = more of the property)."""

from latentlab.assessors.base import Assessor, MaskedAssessor, WeightedSum, check_images, check_mask
from latentlab.assessors.classifier import ClassifierAssessor, ImagePreprocess
from latentlab.assessors.distances import LPIPSDistance, blurred_mse, gaussian_blur, probe_feature_distance
from latentlab.assessors.probe import ClassProbability, HueCloseness, ProbeFactor
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
    "ImagePreprocess", "IntensityEntropy", "LPIPSDistance", "MaskedAssessor", "ObjectSize", "ProbeFactor", "Redness", "Squareness", "WeightedSum",
    "blurred_mse", "check_images", "check_mask", "gaussian_blur", "probe_feature_distance",
]
