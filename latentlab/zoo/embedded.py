"""The package's own weight files and latentlab's ``.safetensors`` format: where they are, their checksums,
and the model a file describes (architecture + config in its metadata, built from the registry).

The model families (CLIP included) and the loader build models through here, so no family
needs the loader.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import torch

from latentlab.errors import CorruptFileError
from latentlab.zoo.cache import sha256
from latentlab.zoo.checkpoints import load_state, read_metadata
from latentlab.zoo.registry import ARCHITECTURES, ModelEntry

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
    """Rebuild a model from a latentlab safetensors file (architecture + config in its metadata).

    A damaged file raises :class:`~latentlab.errors.CorruptFileError`; a safetensors file without
    latentlab's metadata, or whose tensors do not fit its architecture, a ValueError naming the path.
    """
    from latentlab.generators.base import state_mismatch

    meta = read_metadata(path)
    if "architecture" not in meta or meta["architecture"] not in ARCHITECTURES:
        raise ValueError(f"{path} is not a latentlab weights file of a known architecture "
                         f"(metadata architecture={meta.get('architecture')!r}; known: {sorted(ARCHITECTURES)}); "
                         "latentlab reads the .safetensors files it writes (save_generator / save_model)")
    try:
        config = json.loads(meta.get("config", "{}"))
    except json.JSONDecodeError as error:
        raise CorruptFileError(f"{path}: its metadata 'config' is not valid JSON ({error})") from None
    if not isinstance(config, dict):
        raise CorruptFileError(f"{path}: its metadata 'config' must be a JSON object, got {type(config).__name__}")
    try:
        model = ARCHITECTURES[meta["architecture"]](config)
    except (TypeError, ValueError, KeyError) as error:
        raise ValueError(f"{path}: its {meta['architecture']} config cannot be built: {error}") from None
    state = load_state(path)
    error = state_mismatch(model, state, f"{meta['architecture']} as configured in {path}")
    if error is not None:
        raise error
    model.load_state_dict(state)
    return model.eval()


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
