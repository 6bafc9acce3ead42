"""Small published CelebA face models by name: a 32 px DCGAN (generator and discriminator) and a 64 px VAE.

============================  ==========  ==============================================================
name                          kind        what
============================  ==========  ==============================================================
``celeba-dcgan32``            generator   :class:`~latentlab.generators.dcgan.DCGANGenerator`, z ~ U(-1, 1)¹⁰⁰
``celeba-dcgan32-d``          metric      its :class:`~latentlab.generators.dcgan.DCGANDiscriminator` (realism logit)
``celeba-vae64``              generator   :class:`~latentlab.generators.face_vae.FaceVAE`, z ~ N(0, I₃₂), with ``encode``
============================  ==========  ==============================================================

``load_generator("celeba-dcgan32")`` (or ``load_model``, or :func:`load_face_model`) reads
``<cache>/faces/<name>/<file>`` (see :func:`latentlab.zoo.cache.cache_dir`; ``LATENTLAB_CACHE``
moves it). A missing file is downloaded once from the pinned commit on GitHub (not the Hugging
Face Hub) with a plain HTTPS request, atomically (:func:`latentlab.zoo.cache.download_file`), and
kept only when its size and SHA-256 are the recorded ones; a cached file is checked the same way
before it is read. With ``HF_HUB_OFFLINE=1``, or when the download fails, one ``OSError`` says
what to download and where to put it. Files are read with ``torch.load(..., weights_only=True)``
(tensors only).

The weights were trained on CelebA, whose images are licensed for non-commercial research use only.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from latentlab.errors import CorruptFileError, check_device, lookup
from latentlab.generators.dcgan import DCGANDiscriminator, DCGANGenerator
from latentlab.generators.face_vae import FaceVAE
from latentlab.zoo import cache
from latentlab.zoo.cache import SingleFileSource, cache_dir, digest_mismatch
from latentlab.zoo.registry import MODELS, ModelEntry, register_model

_FACE_GENERATOR = ("https://raw.githubusercontent.com/fletchersarip93/face-generator/"
                   "50ce2ed215d2ed1331a3c34b07518f8aa408f063")
_RIEMANNIAN = ("https://raw.githubusercontent.com/shagunuppal/Riemannian_Geometry_of_Deep_Generative_Models/"
               "98ebd17119d6065d4d89e93d6e0c11d82d49eb33")
_CELEBA = "trained on CelebA, whose images are for non-commercial research use only"


@dataclass(frozen=True)
class FaceSource(SingleFileSource):
    """One published file: where it comes from, its size and SHA-256, and how its state dict becomes a model."""

    name: str
    kind: str
    architecture: str
    url: str
    size: int
    sha256: str
    licence: str
    description: str
    build: Callable[[dict[str, torch.Tensor]], nn.Module]

    def digest(self, filename: str) -> tuple[int, str] | None:
        """(size, SHA-256) of the file."""
        return (self.size, self.sha256) if filename == self.filename else None


SOURCES = {s.name: s for s in (
    FaceSource("celeba-dcgan32", "generator", "DCGAN32", f"{_FACE_GENERATOR}/generator.pt", 3_491_967,
               "502f4c47bcabdbb59b730a1209c13a363030f384d5ac9a99e4214c360f2dc8f7",
               "Apache-2.0 (fletchersarip93/face-generator); CelebA: non-commercial research use",
               f"DCGAN face generator, 32 px, z uniform in [-1, 1]^100 (fletchersarip93/face-generator), {_CELEBA}; "
               f"downloaded into the cache on first use", DCGANGenerator.from_state_dict),
    FaceSource("celeba-dcgan32-d", "metric", "DCGAN32Discriminator", f"{_FACE_GENERATOR}/discriminator.pt", 2_773_978,
               "f9ff887284a28585be33e9579255bfccc2c3e2b21307b87e0897b4a64a2f1e75",
               "Apache-2.0 (fletchersarip93/face-generator); CelebA: non-commercial research use",
               f"the discriminator of celeba-dcgan32: 32 px images in [-1, 1] -> realism logit (DiscriminatorAssessor), "
               f"{_CELEBA}; downloaded into the cache on first use", DCGANDiscriminator.from_state_dict),
    FaceSource("celeba-vae64", "generator", "FaceVAE64", f"{_RIEMANNIAN}/CelebA/vae.pth", 1_338_682,
               "aa46544649e4c73b3a9425c9873981868486b6703c2aa2860acaeb7071113ffa",
               "MIT (shagunuppal/Riemannian_Geometry_of_Deep_Generative_Models); CelebA: non-commercial research use",
               f"convolutional VAE of faces, 64 px, latent 32 (decoder as generator, .encode for q(z|x)) "
               f"(shagunuppal/Riemannian_Geometry_of_Deep_Generative_Models), {_CELEBA}; downloaded into the cache on "
               f"first use", FaceVAE.from_state_dict),
)}


def _check_name(name: str) -> FaceSource:
    return lookup(SOURCES, name, "face model")


def checkpoint_path(name: str) -> Path:
    """The cache file that holds (or will hold) a published face model."""
    source = _check_name(name)
    return cache_dir() / "faces" / name / source.filename


def offline_message(name: str) -> str:
    """How to make a face model's file available without a network connection."""
    from latentlab.zoo import biggan_checkpoints  # the shared offline switch

    source, target = _check_name(name), checkpoint_path(name)
    why = ("HF_HUB_OFFLINE is set, so latentlab downloads nothing" if biggan_checkpoints._offline()
           else "it cannot be downloaded from here (offline?)")
    return (f"could not load {name!r}: its file {source.filename} is not in the cache ({target}) and {why}. "
            f"On a machine with internet run\n"
            f"    python -c \"from latentlab.zoo.face_models import fetch_face_model; fetch_face_model('{name}')\"\n"
            f"or download\n    {source.url}\n(`sha256sum` must print {source.sha256}, {source.size:,} bytes) "
            f"and copy it to {target} here (or set LATENTLAB_CACHE).")


def _download(source: FaceSource, target: Path) -> None:
    """Fetch ``source`` to ``target`` atomically, refusing a file whose size or SHA-256 differ (ChecksumError)."""
    from latentlab.zoo import biggan_checkpoints

    cache.download_file(source.url, target, displayed_filename=f"{source.name}/{source.filename}",
                        verify=lambda path: biggan_checkpoints.verify_file(path, source, source.filename))


def verify_cached(path: Path, source: FaceSource) -> None:
    """Raise :class:`~latentlab.errors.CorruptFileError` if a cached file is not the published one."""
    found = digest_mismatch(path, source.size, source.sha256)
    if found is not None:
        raise CorruptFileError(f"the cached file of {source.name!r} at {path} is not the published one: expected "
                               f"{source.size:,} bytes with SHA-256 {source.sha256}, got {found}. Delete it and load "
                               f"again to download it, or copy the right file there.")


def fetch_face_model(name: str) -> Path:
    """The checked cache file of a face model, downloading it if missing (OSError offline)."""
    from latentlab.zoo import biggan_checkpoints  # the shared offline switch
    from latentlab.zoo.cache import ChecksumError

    source, target = _check_name(name), checkpoint_path(name)
    if not target.is_file():
        if biggan_checkpoints._offline():
            raise OSError(offline_message(name))
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            _download(source, target)
        except ChecksumError:
            raise
        except Exception as error:  # network and HTTP errors all mean: not downloadable from here
            raise OSError(f"{offline_message(name)}\nThe download failed with {type(error).__name__}: {error}") from error
    verify_cached(target, source)
    return target


def read_state(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """A state dict read with ``weights_only=True`` (never runs pickled code); CorruptFileError naming a bad file."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # a refused pickle or a damaged file: say which file
        raise CorruptFileError(f"{str(path)!r} is not a readable PyTorch state dict (damaged, truncated, or not "
                               f"loadable with weights_only=True): {type(error).__name__}: {error}") from None
    if not isinstance(state, dict):
        raise CorruptFileError(f"{str(path)!r} must hold a state dict (names -> tensors), got {type(state).__name__}")
    return dict(state)


def load_face_model(name: str, device: str | torch.device = "cpu") -> nn.Module:
    """A face model by name, from the cache (downloaded if missing), strict weights, eval mode, frozen."""
    device = check_device(device)
    source = _check_name(name)
    path = fetch_face_model(name)
    try:
        model = source.build(read_state(path))
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
    for p in model.parameters():
        p.requires_grad_(False)
    return model.to(device)


def registry_entries() -> list[ModelEntry]:
    """:class:`~latentlab.zoo.registry.ModelEntry` objects for the face models."""
    return [ModelEntry(s.name, s.kind, s.architecture, s.url, s.licence, s.description, size_mb=round(s.size / 1e6, 1))
            for s in SOURCES.values()]


def _add_to_loader() -> None:
    """Make ``latentlab.zoo.loader.load_model`` load these architectures with :func:`load_face_model`.

    The loader looks downloadable architectures up in its ``_download_loaders()`` table; this
    wraps that table once with the face models' entries.
    """
    from latentlab.zoo import loader

    previous = loader._download_loaders
    if getattr(previous, "adds_face_models", False):
        return

    def with_face_models() -> dict[str, Callable[[str], nn.Module]]:
        return {**previous(), **{s.architecture: load_face_model for s in SOURCES.values()}}

    with_face_models.adds_face_models = True
    loader._download_loaders = with_face_models


def register_face_models() -> None:
    """Register the face model names and their loader (again: a no-op)."""
    for entry in registry_entries():
        if MODELS.get(entry.name) != entry:
            register_model(entry)
    _add_to_loader()


register_face_models()

__all__ = ["SOURCES", "FaceSource", "checkpoint_path", "fetch_face_model", "load_face_model", "offline_message",
           "read_state", "register_face_models", "registry_entries", "verify_cached"]
