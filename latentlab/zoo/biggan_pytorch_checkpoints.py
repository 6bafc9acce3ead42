"""BigGAN generator weights in the format of ajbrock/BigGAN-PyTorch: one ``.pth`` state dict.

- ``load_biggan_pytorch("G_ema.pth")`` reads the released BigGAN_ch96_bs256x8_138k generator
  (128 px), a ``G.pth`` / ``G_ema.pth`` written by that project's training, or a
  ``biggan-{128,256,512}.pth`` written by its ``TFHub/converter.py`` from DeepMind's TF-Hub models.
- The file is read with ``torch.load(..., weights_only=True)``: tensors and plain containers only,
  never pickled code. Both projects write a bare state dict (``torch.save(G.state_dict())``); a
  state dict wrapped in a dict under ``G_ema``, ``G``, ``generator``, ``state_dict`` or ``model``,
  and keys prefixed by ``module.`` (a saved ``DataParallel``), are accepted too.
- The architecture is read off the tensors (:meth:`BigGANConfig.from_state_dict`); every tensor
  must then match it by name and shape, else the file is refused with the offending names.
- :func:`is_biggan_pytorch_file` tells such files apart from other ``.pth`` files (StyleGAN2,
  BigGAN-deep) by the names stored in the file's pickle, without unpickling it.
- By name (``load_generator("biggan-256")``): none of these files has a direct download link (the
  138k weights sit in a Google Drive zip; the TF-Hub models must be converted with TensorFlow), so
  latentlab never fetches them. Put the file at :func:`published_path` once and it loads by name
  from then on; without it the error says where to get the file and where to put it.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import torch

from latentlab.errors import CorruptFileError, check_device, lookup
from latentlab.generators.biggan import BigGAN, BigGANConfig
from latentlab.zoo.cache import cache_dir

SUFFIXES = (".pth", ".pt", ".bin", ".ckpt")
#: dict keys under which a generator state dict may be wrapped, tried in this order
WRAPPER_KEYS = ("G_ema", "G", "generator", "state_dict", "model")
#: names every BigGAN-PyTorch generator state dict holds (checked in the pickle's bytes)
_MARKERS = (b"shared.weight", b"output_layer.2.weight", b"bn1.gain.weight")
_PEEK_BYTES = 4 << 20  # the legacy format pickles the key names before the tensor data


def _is_state_dict(obj) -> bool:
    return isinstance(obj, Mapping) and len(obj) > 0 and all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items())


def unwrap_state_dict(obj, source: str = "the file") -> dict[str, torch.Tensor]:
    """The generator state dict in a loaded object: bare, or under one of :data:`WRAPPER_KEYS`; ``module.`` stripped."""
    if not _is_state_dict(obj) and isinstance(obj, Mapping):
        inner = next((obj[k] for k in WRAPPER_KEYS if k in obj and _is_state_dict(obj[k])), None)
        if inner is None:
            found = ", ".join(f"{k!r}: {type(v).__name__}" for k, v in list(obj.items())[:8])
            raise ValueError(f"{source} holds a dict that is neither a state dict (names -> tensors) nor one wrapped under "
                             f"{list(WRAPPER_KEYS)}; it has {{{found}}}")
        obj = inner
    if not _is_state_dict(obj):
        raise ValueError(f"{source} must hold a generator state dict (names -> tensors), got {type(obj).__name__}")
    state = dict(obj)
    if all(k.startswith("module.") for k in state):
        state = {k.removeprefix("module."): v for k, v in state.items()}
    return state


def read_biggan_pytorch(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The generator state dict of a local ``.pth`` file (tensors only: ``weights_only=True``)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"no BigGAN-PyTorch weights file at {str(path)!r}")
    if path.stat().st_size == 0:
        raise CorruptFileError(f"{str(path)!r} is empty (0 bytes): not a BigGAN-PyTorch weights file")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # a refused pickle or a damaged file: say which file
        raise CorruptFileError(f"{str(path)!r} is not a readable PyTorch state dict of tensors (damaged, truncated, or "
                               f"not loadable with weights_only=True, which never runs pickled code): "
                               f"{type(error).__name__}: {error}") from None
    return unwrap_state_dict(obj, str(path))


def _pickle_head(path: Path) -> bytes:
    """The first bytes of a torch file's pickle (the zip format's ``data.pkl``, or the legacy file's start)."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                name = next((n for n in archive.namelist() if n.endswith("/data.pkl") or n == "data.pkl"), None)
                if name is None:
                    return b""
                with archive.open(name) as handle:
                    return handle.read(_PEEK_BYTES)
        with open(path, "rb") as handle:
            return handle.read(_PEEK_BYTES)
    except (OSError, zipfile.BadZipFile):
        return b""


def is_biggan_pytorch_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` is an existing ``.pth``/``.pt``/``.bin``/``.ckpt`` file whose pickle names BigGAN-PyTorch's
    generator tensors (``shared.weight``, ``output_layer.2.weight``, ``…bn1.gain.weight``). Nothing is unpickled."""
    path = Path(str(path)).expanduser()
    if path.suffix.lower() not in SUFFIXES or not path.is_file():
        return False
    head = _pickle_head(path)
    return all(marker in head for marker in _MARKERS)


def load_biggan_pytorch(path: str | os.PathLike, *, config: BigGANConfig | None = None,
                        device: str | torch.device = "cpu") -> BigGAN:
    """A :class:`BigGAN` from a BigGAN-PyTorch generator ``.pth`` file, in eval mode with frozen weights.

    ``config`` None infers the architecture from the tensors (and the eps values from whether the
    file has ``sv0`` buffers, see :meth:`BigGANConfig.from_state_dict`).
    """
    device = check_device(device)
    state = read_biggan_pytorch(path)
    try:
        model = BigGAN.from_state_dict(config, state)
    except ValueError as error:
        raise ValueError(f"{Path(path).expanduser()}: {error}") from None
    for p in model.parameters():
        p.requires_grad_(False)
    return model.to(device)


# --- by name -------------------------------------------------------------------------------------
_REPO = "https://github.com/ajbrock/BigGAN-PyTorch"
_CONVERT = ("convert DeepMind's TF-Hub model with BigGAN-PyTorch's converter ({repo}, needs tensorflow, "
            "tensorflow_hub, h5py and parse):\n    python TFHub/converter.py --resolution {px}\n"
            "which writes pretrained_weights/biggan-{px}.pth")


@dataclass(frozen=True)
class PublishedBigGAN:
    """A published BigGAN generator in BigGAN-PyTorch's format, and how to obtain its file."""

    name: str
    filename: str
    how: str  # where the file comes from, as instructions


PUBLISHED = {p.name: p for p in (
    PublishedBigGAN("biggan-pytorch-128", "G_ema.pth",
                    "download BigGAN_ch96_bs256x8_138k.zip, linked from " + _REPO + " (Google Drive id "
                    "1nAle7FCVFZdix2--ks0r5JBkFnKw8ctW), and unzip it: the file is 138k/G_ema.pth"),
    *(PublishedBigGAN(f"biggan-{px}", f"biggan-{px}.pth", _CONVERT.format(repo=_REPO, px=px)) for px in (128, 256, 512)),
)}


def _published(name: str) -> PublishedBigGAN:
    return lookup(PUBLISHED, name, "BigGAN (BigGAN-PyTorch format)")


def published_path(name: str) -> Path:
    """Where the file of a published BigGAN is looked for: ``<cache>/biggan-pytorch/<name>/<file>``."""
    return cache_dir() / "biggan-pytorch" / name / _published(name).filename


def missing_file_message(name: str) -> str:
    """How to obtain the file of a published BigGAN and where to put it."""
    entry, path = _published(name), published_path(name)
    return (f"could not load {name!r}: {path} is missing, and latentlab does not download this file (it has no "
            f"direct link). To obtain it, {entry.how}.\nThen copy it to {path} (or set LATENTLAB_CACHE), or load "
            f"the file itself: load_generator('/path/to/{entry.filename}').")


def load_published_biggan(name: str, device: str | torch.device = "cpu") -> BigGAN:
    """A published BigGAN by name, from its file in the cache (raises FileNotFoundError with instructions)."""
    path = published_path(name)
    if not path.is_file():
        raise FileNotFoundError(missing_file_message(name))
    return load_biggan_pytorch(path, device=device)


__all__ = ["PUBLISHED", "SUFFIXES", "WRAPPER_KEYS", "is_biggan_pytorch_file", "load_biggan_pytorch",
           "load_published_biggan", "missing_file_message", "published_path", "read_biggan_pytorch", "unwrap_state_dict"]
