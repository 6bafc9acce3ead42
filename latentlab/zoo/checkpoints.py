"""Saving and loading generator weights as safetensors with their architecture in the metadata."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from latentlab.errors import CorruptFileError
from latentlab.images import atomic_write_bytes


def save_model(model: torch.nn.Module, path: str | Path, architecture: str, config: dict,
               metadata: dict[str, str] | None = None, *, half: bool = False,
               compact: dict[str, tuple[list[int], int, float]] | None = None) -> Path:
    """Write a model's state dict with its registered architecture name and config (atomically).

    ``half``: floating tensors stored in float16; ``compact``: ``{table: (kept row ids, seed, std)}`` stores only
    those rows of each table, the others being a seeded fill (:mod:`latentlab.zoo.compact_weights`)."""
    from safetensors.torch import save

    from latentlab.zoo.compact_weights import compact_rows, half_precision

    meta = {"architecture": architecture, "config": json.dumps(config)}
    meta.update(metadata or {})
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    for name, (keep, seed, std) in (compact or {}).items():
        tensors, extra = compact_rows(tensors, name, keep, seed=seed, std=std)
        meta.update(extra)
    if half:
        tensors = half_precision(tensors)
    return atomic_write_bytes(path, save(tensors, metadata=meta))


def save_generator(generator, path: str | Path, metadata: dict[str, str] | None = None) -> Path:
    """Write a generator's state dict and ``config.to_json()`` to ``path`` (atomically)."""
    return save_model(generator, path, type(generator).__name__, generator.config.to_json(), metadata)


def _readable(path: str | Path) -> Path:
    """``path`` as a Path, or FileNotFoundError / IsADirectoryError naming it."""
    path = Path(path).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"no such file: {str(path)!r}")
    if path.is_dir():
        raise IsADirectoryError(f"{str(path)!r} is a folder, not a .safetensors weights file")
    return path


def _corrupt(path: Path, error: Exception) -> CorruptFileError:
    return CorruptFileError(f"{str(path)!r} is not a readable safetensors file (damaged, truncated or of another "
                            f"format): {type(error).__name__}: {error}")


def read_metadata(path: str | Path) -> dict[str, str]:
    """The string metadata stored in a safetensors file (:class:`CorruptFileError` naming it when damaged)."""
    path = _readable(path)
    try:
        with safe_open(str(path), framework="pt") as handle:
            return dict(handle.metadata() or {})
    except (SafetensorError, OSError, ValueError, RuntimeError) as error:
        raise _corrupt(path, error) from None


def load_state(path: str | Path) -> dict[str, torch.Tensor]:
    """Tensors of a safetensors file on the CPU (no code is executed), compacted tables rebuilt
    (:mod:`latentlab.zoo.compact_weights`); :class:`CorruptFileError` naming it when damaged."""
    from latentlab.zoo.compact_weights import expand_rows

    path = _readable(path)
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = dict(handle.metadata() or {})
        state = load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError, RuntimeError) as error:
        raise _corrupt(path, error) from None
    try:
        return expand_rows(state, metadata)
    except ValueError as error:
        raise CorruptFileError(f"{str(path)!r}: {error}") from None


__all__ = ["save_model", "save_generator", "read_metadata", "load_state", "save_file"]
