"""Runs that cannot go silently wrong: their identity, their saved state, and the folder they own."""

from latentlab.runs.folder import RunFolder
from latentlab.runs.identity import run_identity, tensor_digest, weights_digest
from latentlab.runs.state import load_state, save_state

__all__ = ["RunFolder", "load_state", "run_identity", "save_state", "tensor_digest", "weights_digest"]
