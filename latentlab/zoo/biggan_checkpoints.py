"""BigGAN-deep checkpoints in the pytorch-pretrained-BigGAN format: ``config.json`` + ``pytorch_model.bin``.

- ``load_biggan("/path/folder")`` (or the ``pytorch_model.bin`` path, with ``config.json`` beside it)
  reads local files; the weights are read with ``torch.load(..., weights_only=True)``: tensors only,
  never pickled code.
- ``load_biggan("biggan-deep-256")`` uses ``<cache>/biggan/biggan-deep-256/`` (see
  :func:`latentlab.zoo.cache.cache_dir`), downloading the two files there first through
  ``huggingface_hub`` when they are missing. Each file is written to a temporary name and renamed,
  so an interrupted download never leaves a half-written file behind. Offline, an ``OSError``
  says what to download and where to put it.

The URLs are the reference package's ``PRETRAINED_CONFIG_ARCHIVE_MAP`` /
``PRETRAINED_MODEL_ARCHIVE_MAP`` (pytorch-pretrained-biggan 0.1.1); the 128 px files also sit on
the Hugging Face Hub (``osanseviero/BigGAN-deep-128``), tried when the URL fails.

Downloads of files whose size and SHA-256 are known (the 256 px model's two files) are checked
before they enter the cache; a file that differs is refused and not kept. The config's digest is
that of the reference package's own serialisation of the 256 px config (a test recomputes it), so
it also pins the block layout. The digests of the 128 and 512 px files are not known here: those
files are checked by loading them (every tensor's name and shape must match).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch

from latentlab.errors import CorruptFileError, check_device, lookup
from latentlab.generators.biggan_deep import BigGANDeep, BigGANDeepConfig
from latentlab.zoo.cache import cache_dir, digest_mismatch

CONFIG_NAME, WEIGHTS_NAME = "config.json", "pytorch_model.bin"
_S3 = "https://s3.amazonaws.com/models.huggingface.co/biggan"


class ChecksumError(ValueError):
    """A downloaded file is not the published one (size or SHA-256 differ)."""


@dataclass(frozen=True)
class BigGANSource:
    """Where the two files of a published BigGAN-deep come from, and their digests where known."""

    name: str
    hub_mirror: str | None = None  # a Hub repo holding the same config.json and pytorch_model.bin
    digests: tuple[tuple[str, int, str], ...] = ()  # (file name, size in bytes, SHA-256)

    def digest(self, filename: str) -> tuple[int, str] | None:
        """(size, SHA-256) of one of the two files, or None where not known."""
        return next(((size, sha) for name, size, sha in self.digests if name == filename), None)

    @property
    def urls(self) -> dict[str, str]:
        return {CONFIG_NAME: f"{_S3}/{self.name}-config.json", WEIGHTS_NAME: f"{_S3}/{self.name}-pytorch_model.bin"}


_DIGESTS_256 = ((CONFIG_NAME, 715, "edd106f65ff28ee1638491a978cfa6bc50dfa0344aab70749a7b8eb08bbec677"),
                (WEIGHTS_NAME, 234_411_737, "5900ef4065047e3aa0d1b66197b7f2664dceb59b27080e414ad57e203c485bc5"))
SOURCES = {s.name: s for s in (BigGANSource("biggan-deep-128", "osanseviero/BigGAN-deep-128"),
                               BigGANSource("biggan-deep-256", digests=_DIGESTS_256), BigGANSource("biggan-deep-512"))}


def checkpoint_folder(name: str) -> Path:
    """The cache folder that holds (or will hold) the files of a published checkpoint."""
    _check_name(name)
    return cache_dir() / "biggan" / name


def _check_name(name: str) -> BigGANSource:
    return lookup(SOURCES, name, "BigGAN checkpoint")


# --- local files ---------------------------------------------------------------------------------
def checkpoint_files(path: str | os.PathLike) -> tuple[Path, Path]:
    """``(config.json, pytorch_model.bin)`` of a folder, or of a weights file with its config beside it."""
    path = Path(path).expanduser()
    config, weights = (path / CONFIG_NAME, path / WEIGHTS_NAME) if path.is_dir() else (path.parent / CONFIG_NAME, path)
    for file in (config, weights):
        if not file.is_file():
            raise FileNotFoundError(f"BigGAN checkpoint {str(path)!r}: {file} is missing; a checkpoint is a folder "
                                    f"with {CONFIG_NAME} and {WEIGHTS_NAME} (pytorch-pretrained-BigGAN format)")
    return config, weights


def read_checkpoint(path: str | os.PathLike) -> tuple[BigGANDeepConfig, dict[str, torch.Tensor]]:
    """Config and state dict of a local checkpoint (tensors only: ``weights_only=True``)."""
    config_path, weights_path = checkpoint_files(path)
    try:
        raw = json.loads(config_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CorruptFileError(f"{str(config_path)!r} is not valid JSON (damaged or of another format): {error}") from None
    try:
        if not isinstance(raw, dict):
            raise TypeError(f"expected a JSON object, got {type(raw).__name__}")
        config = BigGANDeepConfig.from_json(raw)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{config_path} is not a BigGAN-deep config: {error}") from None
    if weights_path.stat().st_size == 0:
        raise CorruptFileError(f"{str(weights_path)!r} is empty (0 bytes): not a BigGAN-deep weights file")
    try:
        state = torch.load(weights_path, map_location="cpu", weights_only=True)
    except Exception as error:  # a refused pickle or a damaged file: say which file
        raise CorruptFileError(f"{str(weights_path)!r} is not a readable PyTorch state dict of tensors (damaged, "
                               f"truncated, or not loadable with weights_only=True, which never runs pickled code): "
                               f"{type(error).__name__}: {error}") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{weights_path} must hold a state dict (names -> tensors), got {type(state).__name__}")
    return config, state


def is_checkpoint_folder(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a folder with ``config.json`` and ``pytorch_model.bin``."""
    path = Path(path).expanduser()
    return path.is_dir() and (path / CONFIG_NAME).is_file() and (path / WEIGHTS_NAME).is_file()


# --- downloads -----------------------------------------------------------------------------------
def offline_message(name: str) -> str:
    """How to make a published checkpoint available without a network connection."""
    source, folder = _check_name(name), checkpoint_folder(name)
    urls = source.urls
    hub = (f"    hf download {source.hub_mirror} {CONFIG_NAME} {WEIGHTS_NAME} --local-dir {folder}\n"
           if source.hub_mirror else "")
    check = "".join(f"    {sha}  {f}\n" for f in (CONFIG_NAME, WEIGHTS_NAME)
                    if (known := source.digest(f)) and (sha := known[1]))
    check = f"(`sha256sum` must print\n{check}) " if check else ""
    return (f"could not load {name!r}: its files are not in the cache ({folder}) and cannot be downloaded "
            f"(offline?). On a machine with internet run\n"
            f"    python -c \"from latentlab.zoo.biggan_checkpoints import fetch_biggan; fetch_biggan('{name}')\"\n"
            f"{hub}or download\n    {urls[CONFIG_NAME]}  as {CONFIG_NAME}\n    {urls[WEIGHTS_NAME]}  as {WEIGHTS_NAME}\n"
            f"{check}and copy both files into {folder} here (or set LATENTLAB_CACHE), or load the folder itself: "
            f"load_generator('/path/to/folder').")


def _offline() -> bool:
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE) or os.environ.get("HF_HUB_OFFLINE", "").upper() in ("1", "ON", "YES", "TRUE")


def _download(source: BigGANSource, filename: str, target: Path) -> None:
    """Fetch one file to ``target`` atomically: the URL first, then the Hub mirror."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.file_download import http_get

    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{filename}.", suffix=".partial"))
    try:
        try:
            with open(staging / filename, "wb") as handle:
                http_get(source.urls[filename], handle, displayed_filename=f"{source.name}/{filename}")
            fetched = staging / filename
        except Exception:
            if source.hub_mirror is None:
                raise
            fetched = Path(hf_hub_download(source.hub_mirror, filename, local_dir=staging / "hub"))
        verify_file(fetched, source, filename)
        os.replace(fetched, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def verify_file(path: str | os.PathLike, source: BigGANSource, filename: str) -> None:
    """Raise :class:`ChecksumError` if ``path`` is not the published ``filename`` of ``source`` (where its digest is known)."""
    expected = source.digest(filename)
    if expected is None:
        return
    size, sha = expected
    found = digest_mismatch(path, size, sha)
    if found is not None:
        raise ChecksumError(f"the downloaded {source.name} {filename} is not the published file: expected "
                            f"{size:,} bytes with SHA-256 {sha}, got {found}. It was not kept; try again, or "
                            f"download it by hand (see load_generator('{source.name}') offline) and check it with sha256sum.")


def fetch_biggan(name: str) -> Path:
    """The cache folder of a published checkpoint, downloading its missing files (raises OSError offline)."""
    source, folder = _check_name(name), checkpoint_folder(name)
    missing = [f for f in (WEIGHTS_NAME, CONFIG_NAME) if not (folder / f).is_file()]
    if not missing:
        return folder
    if _offline():
        raise OSError(offline_message(name))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        for filename in missing:
            _download(source, filename, folder / filename)
    except ChecksumError:
        raise
    except Exception as error:  # network, HTTP and hub errors all mean: not downloadable from here
        raise OSError(f"{offline_message(name)}\nThe download failed with {type(error).__name__}: {error}") from error
    return folder


# --- loading -------------------------------------------------------------------------------------
def load_biggan(name_or_path: str | os.PathLike, *, truncation: float = 1.0,
                device: str | torch.device = "cpu") -> BigGANDeep:
    """A BigGAN-deep from a published name (cached, downloaded if missing) or a local checkpoint.

    Eval mode, frozen weights. ``truncation`` picks the BatchNorm statistics (see :class:`BigGANDeep`).
    """
    device = check_device(device)
    if isinstance(name_or_path, str) and name_or_path in SOURCES:
        path = fetch_biggan(name_or_path)
    elif Path(name_or_path).expanduser().exists():
        path = Path(name_or_path)
    else:
        raise FileNotFoundError(f"{str(name_or_path)!r} is neither a published BigGAN-deep ({', '.join(SOURCES)}) "
                                f"nor an existing checkpoint folder or {WEIGHTS_NAME} file")
    config, state = read_checkpoint(path)
    try:
        model = BigGANDeep.from_state_dict(config, state, truncation=truncation)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
    for p in model.parameters():
        p.requires_grad_(False)
    return model.to(device)


__all__ = ["SOURCES", "ChecksumError", "checkpoint_files", "checkpoint_folder", "fetch_biggan", "is_checkpoint_folder",
           "load_biggan", "offline_message", "read_checkpoint", "verify_file"]
