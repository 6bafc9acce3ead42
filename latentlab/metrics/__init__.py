"""Metrics: probe-feature FID through torch-fidelity, class consistency, factor spreads."""

from latentlab.metrics.factors import FactorReadout, class_consistency, factor_errors, factor_spread, read_factors
from latentlab.metrics.fidelity import fid

__all__ = ["FactorReadout", "class_consistency", "factor_errors", "factor_spread", "fid", "read_factors"]
