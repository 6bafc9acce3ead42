"""Metrics: FID through torch-fidelity (probe or any model's layer), class consistency, factor spreads."""

from latentlab.metrics.factors import FactorReadout, class_consistency, factor_errors, factor_spread, read_factors
from latentlab.metrics.fidelity import LayerFeatures, fid, fid_from_statistics, fid_statistics

__all__ = ["FactorReadout", "LayerFeatures", "class_consistency", "factor_errors", "factor_spread", "fid", "fid_from_statistics", "fid_statistics", "read_factors"]
