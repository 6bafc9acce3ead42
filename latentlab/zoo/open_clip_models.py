"""CLIP models through open_clip: the embedded ``shapes-clip`` and any open_clip architecture + tag.

``shapes-clip`` is an ordinary open_clip model config (``model_configs/shapes-clip.json``)
registered with open_clip, so ``open_clip.create_model("shapes-clip")`` builds it and
``open_clip.get_tokenizer("shapes-clip")`` encodes its text; latentlab only adds its weights.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import torch

from latentlab.errors import (
    WEIGHT_SUFFIXES,
    CorruptFileError,
    InvalidInputError,
    check_device,
    looks_like_path,
    unknown_name_error,
)
from latentlab.zoo.cache import cache_dir
from latentlab.zoo.checkpoints import read_metadata
from latentlab.zoo.embedded import build_from_file, cpu_layout, resolve
from latentlab.zoo.registry import MODELS, missing_path_error

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

    @property
    def context_length(self) -> int | None:
        """How many tokens (start and end tokens included) the text encoder reads; longer texts are cut."""
        length = getattr(self.tokenizer, "context_length", None) or getattr(self.model, "context_length", None)
        return int(length) if length else None

    def token_count(self, text: str) -> int | None:
        """Tokens ``text`` becomes before the tokenizer cuts it to :attr:`context_length` (start and end
        tokens included); None for a tokenizer whose count latentlab cannot read."""
        tokenizer = self.tokenizer
        if hasattr(tokenizer, "sot_token_id") and hasattr(tokenizer, "encode"):  # open_clip's BPE SimpleTokenizer
            return len(tokenizer.encode(text)) + 2
        inner = getattr(tokenizer, "tokenizer", None)  # HFTokenizer, SigLipTokenizer: a Hugging Face tokenizer inside
        if inner is not None and callable(inner):
            clean = getattr(tokenizer, "clean_fn", None)
            try:
                ids = inner(clean(text) if callable(clean) else text, truncation=False)["input_ids"]
            except Exception:  # an unusual tokenizer: skip the check rather than fail on it
                return None
            return len(ids)
        return None

    def check_texts(self, texts: list[str], what: str = "prompt") -> list[str]:
        """``texts`` unchanged, or InvalidInputError for the first one the tokenizer would cut to fit the context."""
        limit = self.context_length
        if not limit:
            return texts
        for text in texts:
            count = self.token_count(text)
            if count is not None and count > limit:
                start = text if len(text) <= 60 else text[:60] + "…"
                raise InvalidInputError(f"{what} is {count} tokens; {self.name} reads at most {limit} (start and end "
                                        f"tokens included), so the rest would be cut off silently: {start!r} "
                                        f"({len(text):,} characters). Shorten it, or split it into several prompts")
        return texts

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

    device = check_device(device)
    if isinstance(model, CLIPBundle):
        return model
    register_open_clip_configs()
    if isinstance(model, os.PathLike):
        model = os.fspath(model)
    if not isinstance(model, str) or not model.strip():
        raise InvalidInputError(f"model must be a CLIP name such as 'shapes-clip' or 'ViT-B-32/openai', got {model!r}")
    if pretrained is not None and not isinstance(pretrained, (str, os.PathLike)):
        raise InvalidInputError(f"pretrained must be an open_clip tag such as 'openai', a checkpoint path or 'random', "
                                f"got {pretrained!r} ({type(pretrained).__name__})")
    pretrained = None if pretrained is None else os.fspath(pretrained)
    entry = MODELS.get(model)
    arch, _, tag = model.partition("/")
    clip_names = [n for n, e in MODELS.items() if e.kind == "clip"]
    arch_tag = model.count("/") == 1 and not model.startswith(("/", ".", "~")) and not model.lower().endswith(WEIGHT_SUFFIXES)
    if entry is None and arch not in open_clip.list_models() and looks_like_path(model) and not arch_tag:
        path = Path(model).expanduser()
        if not path.exists():
            raise missing_path_error(model, clip_names, "clip")
        if not (path.is_file() and path.suffix.lower() == ".safetensors"):
            raise InvalidInputError(f"{model!r} is not a CLIP weights file latentlab reads: give a latentlab .safetensors "
                                    f"CLIP file, or an open_clip checkpoint as load_clip('ARCH', pretrained={model!r})")
    if pretrained is None and ((entry is not None and entry.kind == "clip" and entry.embedded) or model.endswith(".safetensors")):
        path = model if entry is None else resolve(entry)
        meta = read_metadata(path)
        if meta.get("architecture") != "OpenCLIP":
            raise InvalidInputError(f"{model!r} holds a {meta.get('architecture')!r} model, not a CLIP model "
                                    f"(architecture 'OpenCLIP')")
        try:
            config_name = json.loads(meta.get("config", "{}")).get("model_name")
        except (json.JSONDecodeError, AttributeError) as error:
            raise CorruptFileError(f"{model!r}: its metadata 'config' is not a JSON object ({error})") from None
        return _bundle(model, build_from_file(path), config_name, device)
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
    if not Path(tag).expanduser().is_file() and tag not in open_clip.list_pretrained_tags_by_model(arch):
        if looks_like_path(tag):
            raise FileNotFoundError(f"no such file: {tag!r} (the pretrained checkpoint of {arch}; its tags are "
                                    f"{open_clip.list_pretrained_tags_by_model(arch)})")
        raise unknown_name_error(f"pretrained tag of {arch}", tag, open_clip.list_pretrained_tags_by_model(arch))
    try:
        net = open_clip.create_model(arch, pretrained=tag, cache_dir=str(cache_dir() / "open_clip"))
    except (RuntimeError, OSError, ConnectionError) as error:
        raise OSError(offline_message(arch, tag)) from error
    return _bundle(f"{arch}/{Path(tag).name}", net, arch, device)
