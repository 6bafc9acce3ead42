"""Smaller weights files: half-precision storage, and embedding tables whose untrained rows are a seeded fill.

A text model's token table holds a row for every token of its tokenizer (49,408 for CLIP's), but
training moves only the rows of tokens its captions use (71 for ``shapes-clip``); the others keep
their random initial values and mean nothing. :func:`compact_rows` stores the kept rows with their
ids and the recipe of the fill (shape, seed, standard deviation); :func:`expand_rows`, called by
:func:`latentlab.zoo.checkpoints.load_state`, rebuilds the full table. Floating tensors may be
stored in float16 (:func:`half_precision`); loading casts them back to the model's float32.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import torch

#: the metadata key listing compacted tables: {name: {"shape": [rows, cols], "seed": int, "std": float}}
COMPACT_KEY = "compact_rows"
ROWS, IDS = ".kept_rows", ".kept_ids"


def seeded_fill(shape: tuple[int, int], seed: int, std: float) -> torch.Tensor:
    """N(0, std²) values of ``shape`` from their own generator (the same on every machine and torch version)."""
    return torch.randn(tuple(shape), generator=torch.Generator().manual_seed(int(seed))) * float(std)


def compact_rows(state: dict[str, torch.Tensor], name: str, keep: Iterable[int], *, seed: int = 0,
                 std: float = 0.02) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """``state`` with table ``name`` replaced by its rows ``keep`` and their ids, and the metadata that rebuilds it
    (the other rows become :func:`seeded_fill` ``(shape, seed, std)``)."""
    if name not in state or state[name].ndim != 2:
        raise ValueError(f"{name!r} is not a 2-d table of the state (tables: "
                         f"{[k for k, v in state.items() if v.ndim == 2][:8]})")
    table = state[name]
    ids = torch.tensor(sorted({int(i) for i in keep}), dtype=torch.int64)
    if ids.numel() and (ids[0] < 0 or ids[-1] >= table.shape[0]):
        raise ValueError(f"row ids must lie in [0, {table.shape[0]}), got {ids[0].item()} .. {ids[-1].item()}")
    out = {k: v for k, v in state.items() if k != name}
    out[name + ROWS], out[name + IDS] = table[ids].contiguous(), ids
    spec = {name: {"shape": list(table.shape), "seed": int(seed), "std": float(std)}}
    return out, {COMPACT_KEY: json.dumps(spec)}


def expand_rows(state: dict[str, torch.Tensor], metadata: dict[str, str]) -> dict[str, torch.Tensor]:
    """The full tables of a state written by :func:`compact_rows` (``state`` itself when it has none)."""
    if COMPACT_KEY not in metadata:
        return state
    try:
        spec = json.loads(metadata[COMPACT_KEY])
        out = dict(state)
        for name, fill in spec.items():
            rows, ids = out.pop(name + ROWS), out.pop(name + IDS)
            table = seeded_fill(tuple(fill["shape"]), fill["seed"], fill["std"]).to(rows.dtype)
            table[ids.long()] = rows
            out[name] = table
    except (json.JSONDecodeError, KeyError, TypeError, IndexError, RuntimeError, AttributeError) as error:
        raise ValueError(f"its metadata {COMPACT_KEY!r} does not describe its tables: {type(error).__name__}: {error}") from None
    return out


def half_precision(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Floating tensors as float16 (others unchanged): half the bytes; loading casts them back to float32."""
    return {k: v.half() if v.is_floating_point() else v for k, v in state.items()}


__all__ = ["COMPACT_KEY", "compact_rows", "expand_rows", "half_precision", "seeded_fill"]
