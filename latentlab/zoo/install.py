"""Install freshly trained weights as a package's embedded weights (and record their checksum)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from latentlab.images import atomic_write_bytes
from latentlab.zoo.cache import sha256
from latentlab.zoo.loader import embedded_path
from latentlab.zoo.registry import ModelEntry


def install_weights(path: str | Path, entry: ModelEntry) -> Path:
    """Copy ``path`` over ``entry``'s embedded file and update ``manifest.json`` beside it."""
    if not entry.embedded:
        raise ValueError(f"{entry.name!r} is not an embedded model; nothing to install")
    target = embedded_path(entry)
    tmp = target.with_suffix(".tmp")
    shutil.copyfile(path, tmp)
    tmp.replace(target)
    manifest_path = target.parent / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    manifest[target.name] = {"sha256": sha256(target), "bytes": target.stat().st_size, "model": entry.name}
    atomic_write_bytes(manifest_path, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode())
    return target
