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


def digest_mismatch(path: str | os.PathLike, size: int, digest: str) -> str | None:
    """None when the file at ``path`` has ``size`` bytes and SHA-256 ``digest``; else what it has instead."""
    got_size = Path(path).stat().st_size
    got = sha256(path) if got_size == size else None
    if got_size == size and got == digest:
        return None
    return f"{got_size:,} bytes" + (f", SHA-256 {got}" if got else "")


class SingleFileSource:
    """Mixin of download sources that are one file at ``self.url``: its name and the shared downloader's URL map."""

    url: str

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[-1]

    @property
    def urls(self) -> dict[str, str]:
        return {self.filename: self.url}
