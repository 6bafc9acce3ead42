"""Probes: small networks that read the Shapes world's factors back from images."""

from latentlab.probes.shapes_probe import ProbeOutput, ShapesProbe, ShapesProbeConfig

__all__ = ["ProbeOutput", "ShapesProbe", "ShapesProbeConfig"]
