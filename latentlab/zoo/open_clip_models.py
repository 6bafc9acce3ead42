"""CLIP models through open_clip: the embedded ``shapes-clip``, any open_clip architecture + tag, and ``hf-hub:`` names.

``shapes-clip`` is an ordinary open_clip model config (``model_configs/shapes-clip.json``)
registered with open_clip, so ``open_clip.create_model("shapes-clip")`` builds it and
``open_clip.get_tokenizer("shapes-clip")`` encodes its text; latentlab only adds its weights.

Pretrained weights (``"ViT-B-32/openai"``, ``"hf-hub:org/repo"``) are left to open_clip and its own
cache: the Hugging Face cache (``HF_HOME`` / ``HF_HUB_CACHE``) for weights on the Hub, ``~/.cache/clip``
for the few that are only at a URL. A model already there is never downloaded again. With
``HF_HUB_OFFLINE=1``, latentlab checks that cache first (without any network access) and raises one
``OSError`` naming the model and its missing file when it is not there.
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
from latentlab.zoo import cache
from latentlab.zoo.checkpoints import read_metadata
from latentlab.zoo.embedded import build_from_file, cpu_layout, resolve
from latentlab.zoo.registry import MODELS, missing_path_error

CONFIG_PACKAGE = "latentlab.zoo.model_configs"
#: open_clip's prefix of model names that are Hugging Face Hub repos (config and weights from the repo)
HF_HUB_PREFIX = "hf-hub:"
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


# --- open_clip's cache -----------------------------------------------------------------------------
@dataclass(frozen=True)
class PretrainedFile:
    """A file open_clip fetches for a pretrained model, in open_clip's own cache: a Hub file (``repo``) or a URL.

    :meth:`cached` and :attr:`where` look at that cache without any network access.
    """

    what: str  # what the file is, for messages
    repo: str | None = None
    filenames: tuple[str, ...] = ()  # alternatives, the first found wins (open_clip prefers safetensors)
    url: str | None = None

    @property
    def where(self) -> Path:
        if self.repo is not None:
            return cache.hf_repo_cache(self.repo)
        return Path(os.path.expanduser("~/.cache/clip")) / os.path.basename(self.url or "")

    def cached(self) -> bool:
        if self.repo is not None:
            return any(cache.hub_cached(self.repo, f) is not None for f in self.filenames)
        return self.where.is_file()

    def describe(self) -> str:
        if self.repo is not None:
            return f"{' or '.join(self.filenames)} of the Hugging Face Hub repo {self.repo}"
        return self.url or ""

    def fetch_hint(self, whole_repo: bool = False) -> str:
        if self.repo is not None:
            return f"    hf download {self.repo}\n" if whole_repo else f"    hf download {self.repo} {self.filenames[-1]}\n"
        return f"    curl -L --create-dirs -o {self.where} {self.url}\n"


def _weights_alternatives(filename: str) -> tuple[str, ...]:
    """The files open_clip tries for a Hub weights file: its safetensors twin first (as open_clip's download does)."""
    from open_clip.constants import HF_SAFE_WEIGHTS_NAME, HF_WEIGHTS_NAME

    if filename == HF_WEIGHTS_NAME:
        return HF_SAFE_WEIGHTS_NAME, filename
    if filename.endswith((".bin", ".pth")):
        return filename[:-4] + ".safetensors", filename
    return (filename,)


def pretrained_files(arch: str, tag: str | None) -> list[PretrainedFile]:
    """The files open_clip would fetch for ``arch`` + ``tag``, or for an ``hf-hub:org/repo`` name (``tag`` None);
    empty for a tag open_clip does not know or whose weights are a local file."""
    from open_clip.constants import HF_CONFIG_NAME, HF_WEIGHTS_NAME

    if arch.startswith(HF_HUB_PREFIX):
        repo = arch[len(HF_HUB_PREFIX):]
        return [PretrainedFile("its open_clip config", repo, (HF_CONFIG_NAME,)),
                PretrainedFile("its weights", repo, _weights_alternatives(HF_WEIGHTS_NAME))]
    import open_clip

    cfg = open_clip.get_pretrained_cfg(arch, tag)
    if not cfg or "file" in cfg:
        return []
    if cfg.get("hf_hub"):  # open_clip prefers the Hub to the URL
        repo, filename = os.path.split(cfg["hf_hub"])  # 'org/repo/file' or 'org/repo/' (open_clip's default name)
        return [PretrainedFile("its weights", repo, _weights_alternatives(filename or HF_WEIGHTS_NAME))]
    return [PretrainedFile("its weights", url=cfg["url"])] if cfg.get("url") else []


def offline_message(arch: str, tag: str | None) -> str:
    """Which files an open_clip model needs, where open_clip caches them, and how to fetch them once online."""
    hub_name = arch.startswith(HF_HUB_PREFIX)
    if hub_name:
        name, create, local = arch, f"open_clip.create_model('{arch}')", ""
    else:
        name, create = f"{arch}/{tag}", f"open_clip.create_model('{arch}', pretrained='{tag}')"
        local = f", or pass the checkpoint file itself: load_clip('{arch}', pretrained='/path/to/open_clip_model.safetensors')"
    needed = pretrained_files(arch, tag)
    missing = [n for n in needed if not n.cached()] or needed
    why = ("HF_HUB_OFFLINE is set, so nothing is downloaded" if cache.offline()
           else "it cannot be downloaded from here (offline?)")
    files = "; ".join(f"{n.what} ({n.describe()}) would be cached in {n.where}" for n in missing) or "its weights"
    hints = "".join(dict.fromkeys(n.fetch_hint(whole_repo=hub_name) for n in missing))
    return (f"could not load the CLIP model {name!r}: it is not in open_clip's cache, the Hugging Face cache (HF_HOME "
            f"or HF_HUB_CACHE move it): {files}; and {why}. Once online (HF_HUB_OFFLINE unset), fetch it once with\n"
            f"{hints}or\n    python -c \"import open_clip; {create}\"\n"
            f"(a machine without internet can use a copy of that cache: point HF_HUB_CACHE at it){local}.")


def _check_available(arch: str, tag: str | None) -> None:
    """Offline (HF_HUB_OFFLINE), an OSError unless open_clip's cache holds every file the model needs; no network."""
    if cache.offline() and not all(n.cached() for n in pretrained_files(arch, tag)):
        raise OSError(offline_message(arch, tag))


def _create_pretrained(arch: str, tag: str | None) -> torch.nn.Module:
    """``open_clip.create_model`` with open_clip's own cache; failures become an OSError that names the model."""
    import open_clip

    _check_available(arch, tag)
    try:
        if tag is None:  # hf-hub:org/repo: config and weights from the repo; refuse a silently random model
            return open_clip.create_model(arch, require_pretrained=True)
        return open_clip.create_model(arch, pretrained=tag)
    except (RuntimeError, OSError, ConnectionError) as error:
        raise OSError(f"{offline_message(arch, tag)}\nopen_clip failed with {type(error).__name__}: {error}") from error


def _load_hf_hub(model: str, pretrained: str | None, device) -> CLIPBundle:
    """An ``hf-hub:org/repo`` model, passed through to open_clip (which reads its config and weights from the repo)."""
    repo = model[len(HF_HUB_PREFIX):]
    parts = repo.split("/")
    if len(parts) != 2 or not all(p.strip() for p in parts) or any(p != p.strip() for p in parts):
        raise InvalidInputError(f"{model!r} is not an open_clip Hub name: expected 'hf-hub:ORG/REPO', e.g. "
                                f"'hf-hub:timm/ViT-B-16-SigLIP'")
    if pretrained is not None:
        raise InvalidInputError(f"{model!r} brings its own weights from the Hub (open_clip ignores pretrained for "
                                f"hf-hub: names); leave pretrained out, got {pretrained!r}")
    net = _create_pretrained(model, None)
    return _bundle(model, net, model, device)


def load_clip(model: str | CLIPBundle = "shapes-clip", pretrained: str | None = None,
              device: str | torch.device = "cpu") -> CLIPBundle:
    """A CLIP model by name.

    - ``"shapes-clip"`` (or another embedded CLIP, or a latentlab ``.safetensors`` file): offline.
    - ``"ViT-B-32/openai"`` or ``model="ViT-B-32", pretrained="openai"``: open_clip's weights through its own
      cache (the Hugging Face cache); offline (``HF_HUB_OFFLINE=1``) and not cached, this fails with instructions.
    - ``"hf-hub:org/repo"``: an open_clip model on the Hugging Face Hub (config and weights from the repo).
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
    if model.startswith(HF_HUB_PREFIX):
        return _load_hf_hub(model, pretrained, device)
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
    if Path(tag).expanduser().is_file():  # a local checkpoint: no download
        try:
            net = open_clip.create_model(arch, pretrained=str(Path(tag).expanduser()))
        except (RuntimeError, OSError) as error:
            raise OSError(f"open_clip could not load {arch} from the checkpoint {tag!r}: {type(error).__name__}: "
                          f"{error}") from error
    else:
        net = _create_pretrained(arch, tag)
    return _bundle(f"{arch}/{Path(tag).name}", net, arch, device)
