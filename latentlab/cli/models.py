"""``latentlab models``: the registered models, their sizes and whether their files are in the cache."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

#: the widest line the narrow table may print
WIDTH = 100
DOWNLOADS = "downloads into latentlab's cache on first use"
BY_HAND = "file by hand into latentlab's cache"


@dataclass(frozen=True)
class CacheState:
    """Whether a model's files are here: ``cached`` is 'embedded', 'yes', 'no' or '?' (where they live is not known)."""

    cached: str
    status: str  # how the files get there
    where: Path | None = None  # the file or folder that holds (or will hold) them


def _file(path: Path, status: str) -> CacheState:
    return CacheState("yes" if path.is_file() else "no", status, path)


def _hub_file(repo_id: str, filenames: tuple[str, ...], revision: str | None = None,
              cache: Path | None = None) -> Path | None:
    """The first of ``filenames`` of a Hugging Face Hub repo found in a Hub cache (``cache``, else the user's), or None;
    never uses the network."""
    from huggingface_hub import try_to_load_from_cache

    for filename in filenames:
        found = try_to_load_from_cache(repo_id, filename, cache_dir=cache, revision=revision)
        if isinstance(found, str):
            return Path(found)
    return None


def _hub_folder(repo_id: str) -> Path:
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE).expanduser() / f"models--{repo_id.replace('/', '--')}"


def _biggan_deep(name: str) -> CacheState:
    """BigGAN-deep's two files: in latentlab's folder for it, or in the Hugging Face cache for a model with a Hub repo."""
    from latentlab.zoo import biggan_checkpoints as bc

    folder, source = bc.checkpoint_folder(name), bc.SOURCES[name]
    if all((folder / f).is_file() for f in (bc.CONFIG_NAME, bc.WEIGHTS_NAME)):
        return CacheState("yes", DOWNLOADS, folder)
    repo = getattr(source, "hub_repo", None) or getattr(source, "hub_mirror", None)
    if repo is not None:
        revision = getattr(source, "revision", None)
        found = [_hub_file(repo, (f,), revision) for f in (bc.CONFIG_NAME, bc.WEIGHTS_NAME)]
        if all(found):
            return CacheState("yes", f"downloads into the Hugging Face cache on first use ({repo})", found[1].parent)
        return CacheState("no", f"downloads into the Hugging Face cache on first use ({repo})", _hub_folder(repo))
    return CacheState("no", DOWNLOADS, folder)


def _open_clip(architecture: str, tag: str) -> CacheState:
    """open_clip's weights for ARCH/TAG: a Hub snapshot (the user's Hugging Face cache, or latentlab's open_clip folder)
    or the file of the weights' URL in that folder."""
    import open_clip

    from latentlab.zoo.cache import cache_dir

    folder = cache_dir() / "open_clip"
    config = open_clip.get_pretrained_cfg(architecture, tag) or {}
    repo = (config.get("hf_hub") or "").strip("/")
    if repo:
        for cache in (None, folder):
            found = _hub_file(repo, ("open_clip_model.safetensors", "open_clip_pytorch_model.bin"), cache=cache)
            if found is not None:
                return CacheState("yes", "downloads on first use (open_clip)", found)
    url = config.get("url") or ""
    if url and (folder / url.rsplit("/", 1)[-1]).is_file():
        return CacheState("yes", "downloads on first use (open_clip)", folder / url.rsplit("/", 1)[-1])
    return CacheState("no", "downloads on first use (open_clip)", _hub_folder(repo) if repo else folder)


def cache_state(entry) -> CacheState:
    """Where the files of a registered model (:class:`~latentlab.zoo.ModelEntry`) live, and whether they are there."""
    from latentlab.zoo import biggan_checkpoints, biggan_pytorch_checkpoints, face_models, stylegan2_checkpoints
    from latentlab.zoo.embedded import embedded_path

    name, architecture = entry.name, entry.architecture
    if entry.embedded:
        return CacheState("embedded", "embedded in the package", embedded_path(entry))
    if name in biggan_checkpoints.SOURCES:
        return _biggan_deep(name)
    if name in biggan_pytorch_checkpoints.PUBLISHED:
        return _file(biggan_pytorch_checkpoints.published_path(name), BY_HAND)
    if name in stylegan2_checkpoints.SOURCES:
        return _file(stylegan2_checkpoints.checkpoint_path(name), DOWNLOADS)
    if name in face_models.SOURCES:
        return _file(face_models.checkpoint_path(name), DOWNLOADS)
    if architecture.startswith("open_clip:") and "/" in name:
        arch, _, tag = name.partition("/")
        return _open_clip(arch, tag)
    if architecture.startswith("lpips:"):
        import torch

        from latentlab.assessors.consistency import lpips_backbone_cached

        net = architecture.partition(":")[2]
        return CacheState("yes" if lpips_backbone_cached(net) else "no", "downloads into torch's hub cache on first use "
                          "(LPIPSDistance)", Path(torch.hub.get_dir()) / "checkpoints")
    if architecture.startswith("torch-fidelity:"):
        from latentlab.metrics.inception import inception_cache_path

        return _file(inception_cache_path(), "downloads into torch's hub cache on first use (latentlab.metrics)")
    if not entry.loadable:
        return CacheState("?", "known (no loader yet)")
    return CacheState("?", BY_HAND if entry.manual else DOWNLOADS)


def _size(entry, state: CacheState) -> str:
    if state.cached == "embedded":
        return f"{state.where.stat().st_size / 1e6:.1f} MB" if state.where.exists() else "missing"
    if entry.size_mb:
        return f"{entry.size_mb:.0f} MB" if entry.size_mb >= 10 else f"{entry.size_mb:.1f} MB"
    if state.cached == "yes" and state.where is not None and state.where.is_file():
        return f"{state.where.stat().st_size / 1e6:.0f} MB"
    return "-"


def table(wide: bool = False) -> list[str]:
    """The lines ``latentlab models`` prints: name, kind, size and cache; ``wide`` adds status, source and licence."""
    from latentlab.zoo import MODELS
    from latentlab.zoo.cache import cache_dir

    header = ("name", "kind", "size", "in cache") + (("status", "source", "licence", "where") if wide else ())
    rows = [header]
    for entry in MODELS.values():
        state = cache_state(entry)
        row = (entry.name, entry.kind, _size(entry, state), state.cached)
        where = "-" if state.where is None else str(state.where)
        rows.append(row + ((state.status, entry.source, entry.licence, where) if wide else ()))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    embedded = sum(1 for r in rows[1:] if r[3] == "embedded")
    here = sum(1 for r in rows[1:] if r[3] == "yes")
    lines += ["", f"{embedded} embedded; {here} of the other {len(rows) - 1 - embedded} are downloaded. "
                  f"latentlab's cache (LATENTLAB_CACHE):", f"  {cache_dir()}"]
    if not wide:
        lines.append("--wide adds how each model's files arrive, its source, its licence and where its files are")
    return lines


def list_models(args: argparse.Namespace) -> None:
    """`latentlab models`: print :func:`table`."""
    for line in table(wide=args.wide):
        print(line)
