"""A search's saved state (safetensors): its tensors, its history, the identity of the run and a checksum.

The file is written whole (:func:`latentlab.files.atomic_write_bytes`) after every generation. On
resume it is read back only if its checksum holds and its identity equals the new run's setting by
setting; otherwise :class:`CorruptFileError` or :class:`RunMismatchError` names what is wrong.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from latentlab.errors import CorruptFileError, RunMismatchError
from latentlab.files import atomic_write_bytes
from latentlab.runs.identity import differences

FORMAT = "latentlab-run-state/2"
WAYS_ON = ("to keep that run, write this one elsewhere (another --out, or another state_path); "
           "to start over in place, use --restart (restart=True)")


def _checksum(tensors: dict[str, torch.Tensor], meta: dict[str, str]) -> str:
    h = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    h.update(json.dumps({k: v for k, v in sorted(meta.items()) if k != "checksum"}).encode())
    return h.hexdigest()


def save_state(path: str | Path, tensors: dict[str, torch.Tensor], meta: dict[str, str], identity: dict) -> Path:
    """Write ``tensors`` and string ``meta`` with the run's ``identity`` and a checksum, atomically."""
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    meta = {**meta, "format": FORMAT, "identity": json.dumps(identity, sort_keys=True)}
    meta["checksum"] = _checksum(tensors, meta)
    return atomic_write_bytes(path, save_tensors(tensors, metadata=meta))


def load_state(path: str | Path, identity: dict) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Tensors and metadata of the state at ``path``, if it is intact and belongs to the run ``identity``."""
    path = Path(path)
    try:
        tensors = load_tensors(path.read_bytes())
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as handle:
            meta = handle.metadata() or {}
    except OSError:
        raise
    except Exception as error:  # safetensors' own error type, or a wrong header
        raise CorruptFileError(f"the run state {str(path)!r} is damaged or not a latentlab state file ({error}); "
                               f"delete it or use --restart (restart=True) to start over") from error
    if meta.get("format") != FORMAT or "identity" not in meta:
        raise RunMismatchError(f"{str(path)!r} was written by an older latentlab that did not record the run's settings, "
                               f"so it cannot be resumed safely; {WAYS_ON}")
    if meta.get("checksum") != _checksum(tensors, meta):
        raise CorruptFileError(f"the run state {str(path)!r} does not match its checksum (the file was changed or damaged); "
                               f"delete it or use --restart (restart=True) to start over")
    saved = json.loads(meta["identity"])
    diff = differences(saved, identity)
    if diff:
        raise RunMismatchError(f"{str(path)!r} holds another run; these settings differ:\n  " + "\n  ".join(diff)
                               + f"\n{WAYS_ON[0].upper()}{WAYS_ON[1:]}.")
    return tensors, meta
