"""The version of latentlab (the `latentlab-kit` distribution), importable without importing anything else."""

__version__ = "0.2.0"
