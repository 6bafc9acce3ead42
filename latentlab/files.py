"""One way to write a file: whole or not at all (temporary file in the same folder, fsync, rename)."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

TEMP_SUFFIX = ".tmp"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":  # folders cannot be opened for fsync on Windows
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` so that a reader, a crash or a kill sees the old file or the new one, never half.

    The bytes go to ``.<name>.<random>.tmp`` in the same folder, are flushed to disk, then renamed
    over ``path``; a temporary file left by a killed process is removed by :func:`remove_stale_temp_files`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes owner-only files; use the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
    return path


_TEMP_NAME = re.compile(r"^\..+\.[a-z0-9_]{8}" + re.escape(TEMP_SUFFIX) + "$")  # mkstemp's 8 random characters
_OLD_TEMP_NAMES = ("fitness.tmp.png", "comparison.tmp.png")  # written by earlier latentlab versions


def is_temp_file(path: Path) -> bool:
    """Whether ``path`` is a temporary file of :func:`atomic_write_bytes` (or of older latentlab versions)."""
    return bool(_TEMP_NAME.match(path.name)) or path.name in _OLD_TEMP_NAMES


def remove_stale_temp_files(folder: str | os.PathLike) -> list[Path]:
    """Delete the temporary files a killed writer left in ``folder`` (call only while holding the folder's lock)."""
    folder = Path(folder)
    removed = []
    if folder.is_dir():
        for path in folder.iterdir():
            if path.is_file() and is_temp_file(path):
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


def figure_png(figure, dpi: int = 120) -> bytes:
    """A matplotlib figure as PNG bytes (to be written with :func:`atomic_write_bytes`)."""
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def read_tagged_tensors(path: str | os.PathLike, file_name: str, expected_format: str, what: str, written_by: str):
    """(path, metadata, tensors) of a safetensors file latentlab wrote with ``{"format": expected_format}``: ``path``
    or ``path/file_name`` when it is a folder. A missing file or another format is one clear error naming it (no code
    is run from the file)."""
    from safetensors import safe_open

    from latentlab.errors import CorruptFileError, InvalidInputError

    path = Path(path)
    path = path / file_name if path.is_dir() else path
    if not path.exists():
        raise InvalidInputError(f"{path} does not exist: expected a folder written by {written_by}, holding {file_name}")
    try:
        with safe_open(str(path), "pt") as f:
            meta, tensors = f.metadata() or {}, {k: f.get_tensor(k) for k in f.keys()}
    except Exception as error:  # safetensors raises its own types for damaged headers
        raise CorruptFileError(f"{path} is not a latentlab {what} file ({error})") from None
    if meta.get("format") != expected_format or "latents" not in tensors:
        raise CorruptFileError(f"{path} is not a latentlab {what} file (format {meta.get('format')!r}, expected "
                               f"{expected_format!r})")
    return path, meta, tensors
