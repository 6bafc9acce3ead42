"""Load registered models by name: resolve → build → load weights → to(device)."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import torch

from latentlab.zoo.cache import sha256
from latentlab.zoo.checkpoints import load_state, read_metadata
from latentlab.zoo.registry import ARCHITECTURES, MODELS, ModelEntry, get_model_entry

WEIGHTS_PACKAGE = "latentlab.zoo.weights"


def manifest() -> dict[str, dict]:
    """Checksums and sizes of the embedded weight files (written when weights are installed)."""
    text = resources.files(WEIGHTS_PACKAGE).joinpath("manifest.json").read_text()
    return json.loads(text)


def embedded_path(entry: ModelEntry) -> Path:
    """Path of an embedded model's weights inside the installed package."""
    return Path(str(resources.files(WEIGHTS_PACKAGE).joinpath(entry.source.removeprefix("package:"))))


def resolve(entry: ModelEntry) -> Path:
    """Local weights file of an entry, checked against its recorded checksum."""
    if not entry.loadable:
        raise ValueError(f"{entry.name!r} is a known model ({entry.source}) but this version of latentlab has no loader for it")
    if not entry.embedded:
        raise ValueError(f"{entry.name!r}: only embedded models can be resolved by this loader")
    path = embedded_path(entry)
    record = manifest().get(path.name)
    if not path.exists() or record is None:
        raise FileNotFoundError(f"weights of {entry.name!r} are missing from the package ({path}); "
                                f"reinstall latentlab or rebuild them with `latentlab train {entry.name} --install`")
    if sha256(path) != record["sha256"]:
        raise ValueError(f"weights of {entry.name!r} at {path} do not match their checksum; reinstall latentlab "
                         f"or rebuild them with `latentlab train {entry.name} --install`")
    return path


def build_from_file(path: str | Path) -> torch.nn.Module:
    """Rebuild a model from a latentlab safetensors file (architecture + config in its metadata)."""
    meta = read_metadata(path)
    if "architecture" not in meta or meta["architecture"] not in ARCHITECTURES:
        raise ValueError(f"{path} is not a latentlab weights file of a known architecture "
                         f"(metadata architecture={meta.get('architecture')!r}; known: {sorted(ARCHITECTURES)})")
    model = ARCHITECTURES[meta["architecture"]](json.loads(meta["config"]))
    model.load_state_dict(load_state(path))
    return model.eval()


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
    import latentlab.zoo.builtin  # noqa: F401  (registers the built-in entries)
    from latentlab.zoo.biggan_checkpoints import is_checkpoint_folder, load_biggan
    from latentlab.zoo.biggan_pytorch_checkpoints import is_biggan_pytorch_file, load_biggan_pytorch
    from latentlab.zoo.stylegan2_checkpoints import is_stylegan2_file, load_stylegan2

    if str(name).endswith(".safetensors") and Path(name).exists():
        model = build_from_file(name)
    elif kind in (None, "generator") and name not in MODELS and is_checkpoint_folder(name):  # config.json + .bin
        model = load_biggan(name)
    elif kind in (None, "generator") and name not in MODELS and is_biggan_pytorch_file(name):  # BigGAN-PyTorch .pth
        model = load_biggan_pytorch(name)
    elif kind in (None, "generator") and name not in MODELS and is_stylegan2_file(name):  # NVIDIA .pkl, rosinality .pt
        model = load_stylegan2(name)
    else:
        entry = get_model_entry(name, kind)
        if entry.kind == "clip" and not entry.embedded:
            from latentlab.zoo.open_clip_models import load_clip

            return load_clip(entry.name, device=device).model
        download = _download_loaders().get(entry.architecture) if entry.loadable and not entry.embedded else None
        model = download(entry.name) if download else build_from_file(resolve(entry))
    for p in model.parameters():
        p.requires_grad_(False)
    return cpu_layout(model.to(device))


def cpu_layout(model: torch.nn.Module) -> torch.nn.Module:
    """Convolution weights in channels-last layout when the model runs on the CPU (same results up to rounding).

    oneDNN's CPU convolutions work in that layout; with plain NCHW weights every convolution
    converts on the fly. A population of 32 runs through ``shapes-biggan`` and ``shapes-clip``
    about 1.5× faster this way. Models loaded onto an accelerator keep the default layout; one
    moved there later keeps channels-last (``model.to(memory_format=torch.contiguous_format)``
    restores the default).
    """
    param = next(model.parameters(), None)
    if param is not None and param.device.type == "cpu":
        model.to(memory_format=torch.channels_last)
    return model


def load_generator(name: str = "shapes-biggan", device: str | torch.device = "cpu"):
    """A generator by registered name or path, in eval mode with frozen weights."""
    return load_model(name, "generator", device)


def load_probe(name: str = "shapes-probe", device: str | torch.device = "cpu"):
    """A probe by registered name or path, in eval mode with frozen weights."""
    return load_model(name, "probe", device)
