"""Load registered models by name: resolve → build → load weights → to(device)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch

from latentlab.errors import InvalidInputError, check_device, looks_like_path
from latentlab.zoo.embedded import (  # noqa: F401  (re-exported: the loader is built on them)
    WEIGHTS_PACKAGE,
    build_from_file,
    cpu_layout,
    embedded_path,
    manifest,
    resolve,
)
from latentlab.zoo.open_clip_models import load_clip
from latentlab.zoo.registry import MODELS, check_kind, check_model_name, get_model_entry, missing_path_error


def _unreadable_path_error(path: Path, kind: str | None) -> ValueError:
    what = {"generator": "a generator", "probe": "a probe", "clip": "a CLIP model"}.get(kind, "a model")
    formats = "a latentlab .safetensors file"
    if kind in (None, "generator"):
        formats += (", a BigGAN-deep checkpoint folder (config.json + pytorch_model.bin), a BigGAN-PyTorch generator "
                    ".pth/.pt/.bin/.ckpt state dict, or a StyleGAN2 checkpoint (NVIDIA .pkl, rosinality .pt)")
    kind_of = "folder" if path.is_dir() else f"{path.suffix or 'suffix-less'} file"
    return InvalidInputError(f"{str(path)!r} is a {kind_of} latentlab cannot read as {what}: expected {formats}")


def _download_loaders() -> dict[str, Callable[[str], torch.nn.Module]]:
    """Architecture -> loader(name) for registered models fetched into the cache rather than embedded."""
    from latentlab.zoo.biggan_checkpoints import load_biggan
    from latentlab.zoo.biggan_pytorch_checkpoints import load_published_biggan
    from latentlab.zoo.stylegan2_checkpoints import load_stylegan2

    return {"BigGANDeep": load_biggan, "BigGAN": load_published_biggan, "StyleGAN2": load_stylegan2}


def load_model(name: str, kind: str | None = None, device: str | torch.device = "cpu") -> torch.nn.Module:
    """Load a registered model by name, a latentlab ``.safetensors`` path, a BigGAN-deep checkpoint folder, a
    BigGAN generator state dict of BigGAN-PyTorch (``G_ema.pth``, converted ``biggan-*.pth``) or a StyleGAN2
    checkpoint (NVIDIA ``.pkl``, read without running code from it, or rosinality ``.pt``)."""
    from latentlab.zoo.biggan_checkpoints import is_checkpoint_folder, load_biggan
    from latentlab.zoo.biggan_pytorch_checkpoints import is_biggan_pytorch_file, load_biggan_pytorch
    from latentlab.zoo.stylegan2_checkpoints import is_stylegan2_file, load_stylegan2

    name, kind, device = check_model_name(name), check_kind(kind), check_device(device)
    checkpoints = kind in (None, "generator")
    path = Path(name).expanduser()
    as_path = name not in MODELS and (looks_like_path(name) or path.exists())
    if as_path and not path.exists():
        if kind in (None, "clip") and _open_clip_name(name):
            raise InvalidInputError(f"{name!r} is an open_clip ARCH/TAG name, not a registered model; load it with "
                                    f"latentlab.zoo.open_clip_models.load_clip({name!r})")
        candidates = [n for n, e in MODELS.items() if kind is None or e.kind == kind]
        raise missing_path_error(name, candidates, kind)
    if str(name).endswith(".safetensors") and path.is_file():
        model = build_from_file(path)
        _check_kind_of(model, kind, path)
    elif checkpoints and as_path and is_checkpoint_folder(name):  # config.json + .bin
        model = load_biggan(name)
    elif checkpoints and as_path and is_biggan_pytorch_file(name):  # BigGAN-PyTorch .pth
        model = load_biggan_pytorch(name)
    elif checkpoints and as_path and is_stylegan2_file(name):  # NVIDIA .pkl, rosinality .pt
        model = load_stylegan2(name)
    elif as_path:
        raise _unreadable_path_error(path, kind)
    else:
        entry = get_model_entry(name, kind)
        if entry.kind == "clip" and not entry.embedded:
            return load_clip(entry.name, device=device).model
        download = _download_loaders().get(entry.architecture) if entry.loadable and not entry.embedded else None
        model = download(entry.name) if download else build_from_file(resolve(entry))
    for p in model.parameters():
        p.requires_grad_(False)
    return cpu_layout(model.to(device))


def _open_clip_name(name: str) -> bool:
    """Whether ``name`` reads as open_clip's ``ARCH/TAG`` (e.g. ``"ViT-L-14/openai"``)."""
    arch, sep, tag = name.partition("/")
    if not sep or not arch or not tag or "/" in tag or name.startswith((".", "~")):
        return False
    import open_clip

    return arch in open_clip.list_models()


def _check_kind_of(model: torch.nn.Module, kind: str | None, path: Path) -> None:
    """A generator asked for must be a :class:`~latentlab.generators.base.Generator`."""
    from latentlab.generators.base import Generator

    if kind == "generator" and not isinstance(model, Generator):
        raise InvalidInputError(f"{str(path)!r} holds a {type(model).__name__}, not a generator; "
                                f"load it with latentlab.load_model({str(path)!r})")


def load_generator(name: str = "shapes-biggan", device: str | torch.device = "cpu"):
    """A generator by registered name or path, in eval mode with frozen weights."""
    return load_model(name, "generator", device)


def load_probe(name: str = "shapes-probe", device: str | torch.device = "cpu"):
    """A probe by registered name or path, in eval mode with frozen weights."""
    return load_model(name, "probe", device)
