"""Named models: registries, loading, cache, embedded weights and training recipes."""

from latentlab.zoo.cache import cache_dir
from latentlab.zoo.loader import load_generator, load_model, load_probe
from latentlab.zoo.registry import MODELS, ModelEntry, get_model_entry, register_architecture, register_model

__all__ = ["MODELS", "ModelEntry", "cache_dir", "get_model_entry", "load_generator", "load_model", "load_probe",
           "register_architecture", "register_model"]
