"""The one folder where downloaded weights are cached."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def cache_dir() -> Path:
    """``$LATENTLAB_CACHE`` if set, else ``$XDG_CACHE_HOME/latentlab`` or ``~/.cache/latentlab``."""
    if os.environ.get("LATENTLAB_CACHE"):
        return Path(os.environ["LATENTLAB_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "latentlab"


def sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
