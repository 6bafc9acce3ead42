"""Named models: registries, loading, cache and embedded weights.

Importing the package registers the built-in models (:mod:`latentlab.zoo.builtin`), with the
same :func:`register_model` / :func:`register_architecture` calls users make, so the
registries are never empty. The embedded models' training recipes live in :mod:`latentlab.recipes`.
"""

import latentlab.zoo.builtin  # noqa: F401  (registers the built-in architectures and models)
from latentlab.zoo import face_models  # noqa: F401  (registers the CelebA face models by name)
from latentlab.zoo.cache import cache_dir
from latentlab.zoo.loader import load_generator, load_model, load_probe
from latentlab.zoo.registry import MODELS, ModelEntry, get_model_entry, list_models, register_architecture, register_model

__all__ = ["MODELS", "ModelEntry", "cache_dir", "get_model_entry", "list_models", "load_generator", "load_model",
           "load_probe", "register_architecture", "register_model"]
