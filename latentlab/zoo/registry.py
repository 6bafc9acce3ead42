"""Registries of architectures and of weights, as plain dicts with validating ``register_*`` calls."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from latentlab.errors import unknown_name_error

#: architecture name -> callable(config_json: dict) -> nn.Module
ARCHITECTURES: dict[str, Callable] = {}
#: weights name -> ModelEntry
MODELS: dict[str, ModelEntry] = {}

KINDS = ("generator", "probe", "clip", "perceptual", "metric")


@dataclass(frozen=True)
class ModelEntry:
    """A named model: where its weights come from and what it is."""

    name: str
    kind: str  # one of KINDS
    architecture: str
    source: str  # "package:<file>" for embedded weights, else a URL or hub id
    licence: str
    description: str
    recipe: str | None = None  # module whose train() reproduces embedded weights
    loadable: bool = True  # False: known model whose loader this version does not provide
    size_mb: float | None = None  # download size of external weights, when known
    manual: bool = False  # its file is obtained by hand and put in the cache (no direct download)

    @property
    def embedded(self) -> bool:
        return self.source.startswith("package:")


def register_architecture(name: str, build: Callable) -> None:
    """Register a builder ``build(config: dict) -> nn.Module`` under ``name``."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"architecture name must be a non-empty string, got {name!r}")
    if not callable(build):
        raise ValueError(f"architecture {name!r}: builder must be callable, got {type(build).__name__}")
    ARCHITECTURES[name] = build


def register_model(entry: ModelEntry) -> None:
    """Register a named model; its kind must be known."""
    if entry.kind not in KINDS:
        raise unknown_name_error("model kind", entry.kind, KINDS)
    MODELS[entry.name] = entry


def get_model_entry(name: str, kind: str | None = None) -> ModelEntry:
    """The registered entry for ``name`` (optionally of one kind); unknown names suggest close ones."""
    candidates = [n for n, e in MODELS.items() if kind is None or e.kind == kind]
    if name not in candidates:
        raise unknown_name_error(f"{kind or 'model'}", name, candidates)
    return MODELS[name]
