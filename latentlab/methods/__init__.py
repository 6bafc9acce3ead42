"""Methods of the source papers, composed from a generator, an assessor and an optimizer."""

from latentlab.methods.evolve import EvolutionResult, evolve

__all__ = ["EvolutionResult", "evolve"]
