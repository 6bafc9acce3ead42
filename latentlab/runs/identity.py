"""What defines a run: a flat dict of its settings, compared setting by setting before a run is resumed.

A setting is any JSON value; tensors, masks and weights enter as short SHA-256 digests of their
contents, so two runs match only if they would compute the same thing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Mapping

import torch
from torch import nn

DIGEST_CHARS = 16


def tensor_digest(tensor: torch.Tensor | None) -> str | None:
    """A short SHA-256 of a tensor's dtype, shape and values (None stays None)."""
    if tensor is None:
        return None
    t = tensor.detach().cpu().contiguous()
    h = hashlib.sha256(f"{t.dtype}{tuple(t.shape)}".encode())
    h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()[:DIGEST_CHARS]


def weights_digest(module: nn.Module) -> str:
    """A short SHA-256 over a module's state dict (names, dtypes, shapes, values): its weights' identity."""
    h = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        h.update(name.encode())
        h.update((tensor_digest(tensor) or "").encode())
    return h.hexdigest()[:DIGEST_CHARS]


def describe(value):
    """A setting as JSON-able data: tensors and modules by digest, containers element by element."""
    if isinstance(value, nn.Module):
        identity = getattr(value, "identity", None)
        return identity() if callable(identity) else {"type": type(value).__name__, "weights": weights_digest(value)}
    if isinstance(value, torch.Tensor):
        return value.item() if value.numel() == 1 and value.dim() == 0 else f"tensor{list(value.shape)}:{tensor_digest(value)}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"type": type(value).__name__, **describe({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})}
    if isinstance(value, Mapping):
        return {str(k): describe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [describe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if callable(value) and hasattr(value, "__qualname__"):  # a plain function: by name (its repr holds an address)
        return f"{getattr(value, '__module__', '?')}.{value.__qualname__}"
    return repr(value)


def flatten(settings: Mapping, prefix: str = "") -> dict:
    """Nested settings as one level with dotted names: {'assessor': {'prompt': …}} → {'assessor.prompt': …}."""
    out = {}
    for key, value in settings.items():
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def run_identity(**settings) -> dict:
    """The identity of a run from its settings (see :func:`describe`), flattened and JSON-normalised."""
    return json.loads(json.dumps(flatten(describe(settings))))


def differences(saved: Mapping, now: Mapping) -> list[str]:
    """One line per setting that differs: ``name: was …, now …``; where a part's type or name differs,
    that line stands for all of the part's settings."""
    changed = [k for k in sorted(set(saved) | set(now)) if saved.get(k, "<not set>") != now.get(k, "<not set>")]
    replaced = [k.rsplit(".", 1)[0] + "." for k in changed if k.rsplit(".", 1)[-1] in ("type", "name") and "." in k]
    lines = []
    for key in changed:
        if any(key.startswith(part) and key.rsplit(".", 1)[-1] not in ("type", "name") for part in replaced):
            continue
        lines.append(f"{key}: was {_short(saved.get(key, '<not set>'))}, now {_short(now.get(key, '<not set>'))}")
    return lines


def _short(value, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"
