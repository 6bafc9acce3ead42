"""Generators: the base contract and one module per family."""

from latentlab.generators.base import Generator, SplitGenerator
from latentlab.generators.compact_biggan import CompactBigGAN, CompactBigGANConfig

__all__ = ["CompactBigGAN", "CompactBigGANConfig", "Generator", "SplitGenerator"]
