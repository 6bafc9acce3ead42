"""Where downloaded weights are cached, and the two ways they are downloaded.

- **Hugging Face Hub files** (BigGAN-deep's Hub repo, open_clip's weights) are fetched with
  ``huggingface_hub``'s public :func:`~huggingface_hub.hf_hub_download` at a pinned revision, so
  they land in the user's Hugging Face cache (``$HF_HUB_CACHE``, else ``$HF_HOME/hub``, else
  ``~/.cache/huggingface/hub``), shared with every other library that uses the Hub.
- **Other files** (NVIDIA's StyleGAN2 pickles, the CelebA models on GitHub, BigGAN-deep's legacy
  URLs) are plain HTTPS downloads into latentlab's own folder, :func:`cache_dir`
  (``$LATENTLAB_CACHE``), written to a temporary name, checked, then renamed.

``HF_HUB_OFFLINE=1`` (:func:`offline`) turns every download off: a named model then loads from
these caches or fails at once with one message saying what to fetch and where it goes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

_TRUE = ("1", "ON", "YES", "TRUE")


class ChecksumError(ValueError):
    """A downloaded file is not the published one (size or SHA-256 differ)."""


def cache_dir() -> Path:
    """``$LATENTLAB_CACHE`` if set, else ``$XDG_CACHE_HOME/latentlab`` or ``~/.cache/latentlab``.

    latentlab's own folder, for files that do not come from the Hugging Face Hub (see :func:`hf_cache_dir`).
    """
    if os.environ.get("LATENTLAB_CACHE"):
        return Path(os.environ["LATENTLAB_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "latentlab"


def hf_cache_dir() -> Path:
    """The Hugging Face Hub cache that ``hf_hub_download`` uses (``HF_HUB_CACHE`` / ``HF_HOME``, as huggingface_hub reads them)."""
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE).expanduser()


def hf_repo_cache(repo_id: str) -> Path:
    """The folder of the Hugging Face cache that holds (or will hold) a model repo's files."""
    return hf_cache_dir() / f"models--{repo_id.replace('/', '--')}"


def offline() -> bool:
    """Whether ``HF_HUB_OFFLINE`` is on: as huggingface_hub read it at import, or as the environment says now."""
    from huggingface_hub import constants

    return bool(getattr(constants, "HF_HUB_OFFLINE", False)) or os.environ.get("HF_HUB_OFFLINE", "").upper() in _TRUE


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


_VERIFIED: set[tuple[str, int, int, str]] = set()


def verified_once(path: str | os.PathLike, size: int, digest: str) -> str | None:
    """:func:`digest_mismatch`, remembered for a file that matched (same path, size and mtime) in this process."""
    real = Path(path).resolve()
    stat = real.stat()
    key = (str(real), stat.st_size, stat.st_mtime_ns, digest)
    if key in _VERIFIED:
        return None
    found = digest_mismatch(real, size, digest)
    if found is None:
        _VERIFIED.add(key)
    return found


# --- plain downloads (not the Hub) ---------------------------------------------------------------
def download_url(url: str, handle: BinaryIO, *, displayed_filename: str | None = None, timeout: float = 30.0) -> None:
    """Stream ``url`` into the open binary ``handle`` over plain HTTPS (with a progress bar).

    For files that are not on the Hugging Face Hub; raises ``OSError`` (``urllib.error.URLError``,
    or ``ConnectionError`` for a truncated body) when the file cannot be fetched.
    """
    import urllib.request

    from tqdm.auto import tqdm

    request = urllib.request.Request(url, headers={"User-Agent": "latentlab"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  (https URLs from the source tables)
        total = int(response.headers.get("Content-Length") or 0) or None
        written = 0
        with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                  desc=displayed_filename or url.rsplit("/", 1)[-1]) as bar:
            for block in iter(lambda: response.read(1 << 20), b""):
                handle.write(block)
                written += len(block)
                bar.update(len(block))
    if total is not None and written != total:
        raise ConnectionError(f"{url}: the connection closed after {written:,} of {total:,} bytes")


def download_file(url: str, target: str | os.PathLike, *, displayed_filename: str | None = None,
                  verify: Callable[[Path], None] | None = None) -> Path:
    """Fetch ``url`` to ``target`` atomically: into a temporary folder beside it, checked by ``verify``
    (which raises to refuse the file), then renamed. Nothing is left behind when any step fails."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial"))
    try:
        part = staging / target.name
        with open(part, "wb") as handle:
            download_url(url, handle, displayed_filename=displayed_filename)  # looked up here: tests replace it
        if verify is not None:
            verify(part)
        os.replace(part, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


# --- the Hugging Face Hub ------------------------------------------------------------------------
def hub_file(repo_id: str, filename: str, revision: str, *, local_only: bool = False) -> Path:
    """A file of a Hub model repo at ``revision``, from the Hugging Face cache (downloaded there unless ``local_only``).

    ``local_only`` never touches the network and raises ``FileNotFoundError`` (huggingface_hub's
    ``LocalEntryNotFoundError``) when the file is not cached.
    """
    from huggingface_hub import hf_hub_download

    from latentlab.version import __version__

    return Path(hf_hub_download(repo_id, filename, revision=revision, local_files_only=local_only,
                                library_name="latentlab", library_version=__version__))


def hub_cached(repo_id: str, filename: str, revision: str | None = None) -> Path | None:
    """The cached path of a Hub file at ``revision`` (None: the default branch), or None; never uses the network."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(repo_id, filename, revision=revision)
    return Path(found) if isinstance(found, str) else None


class SingleFileSource:
    """Mixin of download sources that are one file at ``self.url``: its name and the shared downloader's URL map."""

    url: str

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[-1]

    @property
    def urls(self) -> dict[str, str]:
        return {self.filename: self.url}


__all__ = ["ChecksumError", "SingleFileSource", "cache_dir", "digest_mismatch", "download_file", "download_url",
           "hf_cache_dir", "hf_repo_cache", "hub_cached", "hub_file", "offline", "sha256", "verified_once"]
