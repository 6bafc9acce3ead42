"""CLIP models through open_clip: the embedded ``shapes-clip`` and any open_clip architecture + tag.

``shapes-clip`` is an ordinary open_clip model config (``model_configs/shapes-clip.json``)
registered with open_clip, so ``open_clip.create_model("shapes-clip")`` builds it and
``open_clip.get_tokenizer("shapes-clip")`` encodes its text; latentlab only adds its weights.
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import torch

from latentlab.errors import unknown_name_error
from latentlab.zoo.cache import cache_dir

CONFIG_PACKAGE = "latentlab.zoo.model_configs"
_registered = False


def register_open_clip_configs() -> list[str]:
    """Add latentlab's model configs to open_clip's registry (idempotent); returns their names."""
    global _registered
    import open_clip

    folder = Path(str(resources.files(CONFIG_PACKAGE)))
    if not _registered:
        open_clip.add_model_config(folder)
        _registered = True
    return sorted(p.stem for p in folder.glob("*.json"))


@contextlib.contextmanager
def _quiet_open_clip():
    """Silence open_clip's 'initialized randomly' warning while we build a model we then fill."""
    logger = logging.getLogger()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def build_open_clip(config: dict) -> torch.nn.Module:
    """Architecture builder for latentlab weight files: ``{"model_name": ...}`` → an open_clip model."""
    import open_clip

    register_open_clip_configs()
    name = config["model_name"]
    if name not in open_clip.list_models():
        raise unknown_name_error("open_clip model config", name, open_clip.list_models())
    with _quiet_open_clip():
        return open_clip.create_model(name, pretrained=None)


@dataclass
class CLIPBundle:
    """A CLIP model with the tokenizer and image normalisation that belong to it."""

    name: str
    model: torch.nn.Module
    tokenizer: object
    image_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    def encode_text(self, texts: list[str]) -> torch.Tensor:
        """L2-normalised text embeddings [T, D]."""
        device = next(self.model.parameters()).device
        tokens = self.tokenizer(texts).to(device)
        return torch.nn.functional.normalize(self.model.encode_text(tokens).float(), dim=-1)

    def encode_images(self, images: torch.Tensor) -> torch.Tensor:
        """L2-normalised embeddings [N, D] of images in [0, 1] (resized and normalised here, differentiably)."""
        device = next(self.model.parameters()).device
        x = images.to(device)
        if tuple(x.shape[-2:]) != (self.image_size, self.image_size):
            x = torch.nn.functional.interpolate(x, size=(self.image_size, self.image_size), mode="bicubic",
                                                align_corners=False, antialias=x.shape[-1] > self.image_size)
        mean = torch.tensor(self.mean, device=device).view(1, 3, 1, 1)
        std = torch.tensor(self.std, device=device).view(1, 3, 1, 1)
        return torch.nn.functional.normalize(self.model.encode_image((x - mean) / std).float(), dim=-1)


def _bundle(name: str, model: torch.nn.Module, tokenizer_name: str, device) -> CLIPBundle:
    import open_clip

    from latentlab.zoo.loader import cpu_layout

    model = cpu_layout(model.eval().to(device))
    for p in model.parameters():
        p.requires_grad_(False)
    size = model.visual.image_size
    size = int(size[0] if isinstance(size, (tuple, list)) else size)
    mean = tuple(getattr(model.visual, "image_mean", None) or open_clip.OPENAI_DATASET_MEAN)
    std = tuple(getattr(model.visual, "image_std", None) or open_clip.OPENAI_DATASET_STD)
    return CLIPBundle(name, model, open_clip.get_tokenizer(tokenizer_name), size, mean, std)


def offline_message(arch: str, tag: str) -> str:
    """How to make an open_clip checkpoint available without a network connection."""
    folder = cache_dir() / "open_clip"
    return (f"could not load open_clip {arch!r} with pretrained={tag!r}: the weights are not in the cache and "
            f"cannot be downloaded (offline?). On a machine with internet run\n"
            f"    python -c \"import open_clip; open_clip.create_model('{arch}', pretrained='{tag}', cache_dir='{folder}')\"\n"
            f"and copy {folder} to the same place here (or set LATENTLAB_CACHE), or pass the checkpoint file itself: "
            f"load_clip('{arch}', pretrained='/path/to/open_clip_model.safetensors').")


def load_clip(model: str | CLIPBundle = "shapes-clip", pretrained: str | None = None,
              device: str | torch.device = "cpu") -> CLIPBundle:
    """A CLIP model by name.

    - ``"shapes-clip"`` (or another embedded CLIP, or a latentlab ``.safetensors`` file): offline.
    - ``"ViT-B-32/openai"`` or ``model="ViT-B-32", pretrained="openai"``: open_clip's weights through its cache
      (under latentlab's cache folder); offline this fails with instructions.
    - ``pretrained="/path/file"``: a local open_clip checkpoint; ``pretrained="random"``: random init (tests).
    """
    import open_clip

    from latentlab.zoo.checkpoints import read_metadata
    from latentlab.zoo.loader import load_model, resolve
    from latentlab.zoo.registry import MODELS

    if isinstance(model, CLIPBundle):
        return model
    register_open_clip_configs()
    import latentlab.zoo.builtin  # noqa: F401

    if not isinstance(model, str) or not model.strip():
        raise ValueError(f"model must be a CLIP name such as 'shapes-clip' or 'ViT-B-32/openai', got {model!r}")
    entry = MODELS.get(model)
    if pretrained is None and ((entry is not None and entry.kind == "clip" and entry.embedded) or model.endswith(".safetensors")):
        path = model if entry is None else resolve(entry)
        config_name = json.loads(read_metadata(path).get("config", "{}")).get("model_name")
        net = load_model(model, "clip" if entry is not None else None, device)
        return _bundle(model, net, config_name, device)
    arch, _, tag = model.partition("/")
    tag = pretrained or tag or None
    if arch not in open_clip.list_models():
        known = [n for n, e in MODELS.items() if e.kind == "clip"] + open_clip.list_models()
        known = list(dict.fromkeys(known))
        raise unknown_name_error("CLIP model", arch, known)
    if tag is None:
        tags = open_clip.list_pretrained_tags_by_model(arch)
        raise ValueError(f"CLIP model {arch!r} needs pretrained weights: pass one of its tags {tags}, "
                         f"a local checkpoint path, or pretrained='random' for an untrained model")
    if tag == "random":
        with _quiet_open_clip():
            net = open_clip.create_model(arch, pretrained=None)
        return _bundle(f"{arch} (random init)", net, arch, device)
    if not Path(tag).is_file() and tag not in open_clip.list_pretrained_tags_by_model(arch):
        raise unknown_name_error(f"pretrained tag of {arch}", tag, open_clip.list_pretrained_tags_by_model(arch))
    try:
        net = open_clip.create_model(arch, pretrained=tag, cache_dir=str(cache_dir() / "open_clip"))
    except (RuntimeError, OSError, ConnectionError) as error:
        raise OSError(offline_message(arch, tag)) from error
    return _bundle(f"{arch}/{Path(tag).name}", net, arch, device)
