"""A run folder's outputs are vouched for by ``manifest.json``, written last: the generation they show and their SHA-256.

Outputs are replaced as a set: the old manifest goes first, then each file is written whole, then
the new manifest. A folder whose manifest is missing, or names a file whose digest differs, holds
an unfinished set (a kill mid-write); running the same command again rewrites it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from latentlab.files import atomic_write_bytes

MANIFEST_NAME = "manifest.json"


def write_outputs(folder: str | Path, files: dict[str, bytes], generation: int, **summary) -> list[Path]:
    """Replace the outputs of the run in ``folder`` by ``files`` (name → bytes) from ``generation``; returns the paths."""
    folder = Path(folder)
    (folder / MANIFEST_NAME).unlink(missing_ok=True)
    written = [atomic_write_bytes(folder / name, data) for name, data in files.items()]
    record = {"generation": generation, **summary,
              "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}}
    atomic_write_bytes(folder / MANIFEST_NAME, (json.dumps(record, indent=1) + "\n").encode())
    return written


def read_manifest(folder: str | Path) -> dict | None:
    """The manifest of ``folder`` if it is there and every file it names has its recorded digest; else None."""
    path = Path(folder) / MANIFEST_NAME
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    for name, digest in record.get("files", {}).items():
        try:
            if hashlib.sha256((Path(folder) / name).read_bytes()).hexdigest() != digest:
                return None
        except OSError:
            return None
    return record
