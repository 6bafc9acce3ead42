"""Registries of architectures and of weights, as plain dicts with validating ``register_*`` calls."""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from latentlab.errors import WEIGHT_SUFFIXES, InvalidInputError, looks_like_path, unknown_name_error

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


def register_architecture(name: str, build: Callable, *, replace: bool = False) -> None:
    """Register a builder ``build(config: dict) -> nn.Module`` under ``name``.

    A name is registered once: registering it again raises ValueError, unless ``replace=True``
    says the new builder deliberately takes the old one's place (e.g. when re-running a cell
    that defines it).
    """
    if not isinstance(name, str) or not name:
        raise InvalidInputError(f"architecture name must be a non-empty string, got {name!r}")
    if not callable(build):
        raise InvalidInputError(f"architecture {name!r}: builder must be callable, got {type(build).__name__}")
    if name in ARCHITECTURES and not replace:
        raise InvalidInputError(f"an architecture named {name!r} is already registered; choose another name, or pass "
                                f"replace=True to replace its builder deliberately")
    ARCHITECTURES[name] = build


def register_model(entry: ModelEntry, *, replace: bool = False) -> None:
    """Register a named model; its kind must be one of :data:`KINDS`.

    A name is registered once: registering it again raises ValueError naming the entry already
    there, unless ``replace=True`` says the new entry deliberately takes its place.
    """
    if not isinstance(entry, ModelEntry):
        raise InvalidInputError(f"register_model takes a ModelEntry, got {type(entry).__name__}")
    if not isinstance(entry.name, str) or not entry.name.strip():
        raise InvalidInputError(f"model name must be a non-empty string, got {entry.name!r}")
    if entry.kind not in KINDS:
        raise unknown_name_error("model kind", entry.kind, KINDS)
    if entry.name in MODELS and not replace:
        existing = MODELS[entry.name]
        raise InvalidInputError(f"a model named {entry.name!r} is already registered ({existing.kind} from "
                                f"{existing.source}); choose another name, or pass replace=True to replace it deliberately")
    MODELS[entry.name] = entry


def check_model_name(name, what: str = "model") -> str:
    """A model name or path as a string; other types are refused."""
    if isinstance(name, os.PathLike):
        return os.fspath(name)
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(f"{what} must be a registered name such as 'shapes-biggan' or a path to a weights file, "
                                f"got {name!r} ({type(name).__name__})")
    return name


def check_kind(kind: str | None) -> str | None:
    """None or one of :data:`KINDS`."""
    if kind is not None and kind not in KINDS:
        raise unknown_name_error("model kind", kind, KINDS)
    return kind


def close_names(name: str, candidates: Iterable[str]) -> list[str]:
    """Registered names close to ``name`` or, for a path, to its file or folder name without the suffix."""
    candidates = list(candidates)
    text = str(name)
    stem = Path(text).name
    for suffix in WEIGHT_SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    lower = {c.lower(): c for c in candidates}
    found: list[str] = []
    for probe in dict.fromkeys([stem.lower(), text.lower()]):
        if not probe:
            continue
        found += [lower[c] for c in difflib.get_close_matches(probe, list(lower), n=3, cutoff=0.6)]
    return list(dict.fromkeys(found))[:3]


def missing_path_error(name: str, candidates: Iterable[str], kind: str | None = None) -> FileNotFoundError:
    """FileNotFoundError "no such file: <path>", with the registered names the path resembles."""
    close = close_names(name, candidates)
    hint = (f". Did you mean the registered {kind or 'model'} {' or '.join(repr(c) for c in close)}?" if close else "")
    return FileNotFoundError(f"no such file: {str(name)!r} (nothing exists at {str(Path(str(name)).expanduser().absolute())!r})"
                             f"{hint}")


def get_model_entry(name: str, kind: str | None = None) -> ModelEntry:
    """The registered entry for ``name`` (optionally of one kind); unknown names suggest close ones.

    A name that looks like a path (a separator, or a weights suffix such as ``.safetensors``) and is
    not registered raises FileNotFoundError "no such file" when nothing is there, and a ValueError
    saying to load the file with :func:`~latentlab.zoo.load_model` when it exists.
    """
    name, kind = check_model_name(name), check_kind(kind)
    candidates = [n for n, e in MODELS.items() if kind is None or e.kind == kind]
    if name not in candidates:
        if name not in MODELS and looks_like_path(name):
            if not Path(name).expanduser().exists():
                raise missing_path_error(name, candidates, kind)
            raise InvalidInputError(f"{name!r} is a file or folder, not a registered {kind or 'model'} name; load it with "
                                    f"latentlab.load_model({name!r})")
        raise unknown_name_error(f"{kind or 'model'}", name, candidates)
    return MODELS[name]


def list_models(kind: str | None = None) -> list[str]:
    """The registered model names, sorted; ``kind`` keeps one kind: 'generator', 'probe', 'clip', 'perceptual' or
    'metric' (an unknown kind raises a ValueError suggesting the close ones)."""
    if kind is not None and not isinstance(kind, str):
        raise InvalidInputError(f"kind must be None or one of {', '.join(map(repr, KINDS))}, got {kind!r} "
                                f"({type(kind).__name__})")
    kind = check_kind(kind)
    return sorted(name for name, entry in MODELS.items() if kind is None or entry.kind == kind)
