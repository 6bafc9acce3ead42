"""BigGAN-deep checkpoints in the pytorch-pretrained-BigGAN format: ``config.json`` + ``pytorch_model.bin``.

- ``load_biggan("/path/folder")`` (or the ``pytorch_model.bin`` path, with ``config.json`` beside it)
  reads local files; the weights are read with ``torch.load(..., weights_only=True)``: tensors only,
  never pickled code.
- ``load_biggan("biggan-deep-128")`` (a published name, :data:`SOURCES`) looks for the two files

  1. in ``<cache>/biggan/<name>/`` (see :func:`latentlab.zoo.cache.cache_dir`): files copied there by
     hand, or downloaded there by an older latentlab, are used as they are;
  2. in the Hugging Face cache (``HF_HUB_CACHE`` / ``HF_HOME``), for a model with a Hub repo
     (:attr:`BigGANSource.hub_repo`, pinned to :attr:`BigGANSource.revision`): fetched there with
     ``huggingface_hub.hf_hub_download`` on first use, shared with every other Hub user;
  3. at the reference package's legacy URLs (``PRETRAINED_CONFIG_ARCHIVE_MAP`` /
     ``PRETRAINED_MODEL_ARCHIVE_MAP`` of pytorch-pretrained-biggan 0.1.1), downloaded with a plain
     HTTPS request into the folder of 1., atomically (temporary name, checked, renamed).

  With ``HF_HUB_OFFLINE=1`` nothing is downloaded: a name whose files are in neither cache raises one
  ``OSError`` that says which files are missing, where they would be cached and how to fetch them.

Only the 128 px files are known to sit on the Hub (``osanseviero/BigGAN-deep-128``); the 256 and
512 px models come from the legacy URLs until a Hub repo is recorded for them in :data:`SOURCES`.

Files whose size and SHA-256 are known (the 256 px model's two files) are checked after every
download, and once per process when read from the Hugging Face cache; a file that differs is refused
(:class:`ChecksumError`; a plain download is then not kept). The config's digest is that of the
reference package's own serialisation of the 256 px config (a test recomputes it), so it also pins
the block layout. The digests of the 128 and 512 px files are not known here: those files are
checked by loading them (every tensor's name and shape must match).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from latentlab.errors import CorruptFileError, check_device, lookup
from latentlab.generators.biggan_deep import BigGANDeep, BigGANDeepConfig
from latentlab.zoo import cache
from latentlab.zoo.cache import ChecksumError, cache_dir, digest_mismatch, hf_repo_cache

CONFIG_NAME, WEIGHTS_NAME = "config.json", "pytorch_model.bin"
_S3 = "https://s3.amazonaws.com/models.huggingface.co/biggan"

#: The Hub repo of the 128 px model (the same config.json and pytorch_model.bin as the legacy URLs)
BIGGAN_DEEP_128_REPO = "osanseviero/BigGAN-deep-128"
#: The revision of that repo latentlab downloads. NOT a commit hash yet: it could not be looked up
#: when this was written (no network). Replace it with the repo's commit hash
#: (``huggingface_hub.model_info(BIGGAN_DEEP_128_REPO).sha``) to pin the files for good.
BIGGAN_DEEP_128_REVISION = "main"


@dataclass(frozen=True)
class BigGANSource:
    """Where the two files of a published BigGAN-deep come from, and their digests where known."""

    name: str
    hub_repo: str | None = None  # a Hub model repo holding config.json and pytorch_model.bin
    revision: str | None = None  # the commit (or tag) of hub_repo to download; required with hub_repo
    digests: tuple[tuple[str, int, str], ...] = ()  # (file name, size in bytes, SHA-256)

    def __post_init__(self):
        if self.hub_repo is not None and not self.revision:
            raise ValueError(f"BigGAN source {self.name!r}: a Hub repo needs a pinned revision")

    def digest(self, filename: str) -> tuple[int, str] | None:
        """(size, SHA-256) of one of the two files, or None where not known."""
        return next(((size, sha) for name, size, sha in self.digests if name == filename), None)

    @property
    def urls(self) -> dict[str, str]:
        """The legacy (non-Hub) URLs of the two files."""
        return {CONFIG_NAME: f"{_S3}/{self.name}-config.json", WEIGHTS_NAME: f"{_S3}/{self.name}-pytorch_model.bin"}


_DIGESTS_256 = ((CONFIG_NAME, 715, "edd106f65ff28ee1638491a978cfa6bc50dfa0344aab70749a7b8eb08bbec677"),
                (WEIGHTS_NAME, 234_411_737, "5900ef4065047e3aa0d1b66197b7f2664dceb59b27080e414ad57e203c485bc5"))
SOURCES = {s.name: s for s in (BigGANSource("biggan-deep-128", BIGGAN_DEEP_128_REPO, BIGGAN_DEEP_128_REVISION),
                               BigGANSource("biggan-deep-256", digests=_DIGESTS_256), BigGANSource("biggan-deep-512"))}


def checkpoint_folder(name: str) -> Path:
    """latentlab's cache folder for a published checkpoint: files put there (by hand, or by a legacy-URL download) win."""
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
    """Which files a published checkpoint needs, where they would be cached, and how to fetch them once online."""
    source, folder = _check_name(name), checkpoint_folder(name)
    urls = source.urls
    why = ("HF_HUB_OFFLINE is set, so latentlab downloads nothing" if _offline()
           else "they cannot be downloaded from here (offline?)")
    fetch = (f"    python -c \"from latentlab.zoo.biggan_checkpoints import fetch_biggan; fetch_biggan('{name}')\"\n")
    check = "".join(f"    {sha}  {f}\n" for f in (CONFIG_NAME, WEIGHTS_NAME)
                    if (known := source.digest(f)) and (sha := known[1]))
    check = f"(`sha256sum` must print\n{check}) " if check else ""
    manual = (f"or download\n    {urls[CONFIG_NAME]}  as {CONFIG_NAME}\n    {urls[WEIGHTS_NAME]}  as {WEIGHTS_NAME}\n"
              f"{check}and copy both files into {folder} here (or set LATENTLAB_CACHE), or load the folder itself: "
              f"load_generator('/path/to/folder').")
    if source.hub_repo is None:
        return (f"could not load {name!r}: its files ({CONFIG_NAME}, {WEIGHTS_NAME}) are not in the cache ({folder}) "
                f"and {why}. On a machine with internet run\n{fetch}{manual}")
    return (f"could not load {name!r}: its files {CONFIG_NAME} and {WEIGHTS_NAME} from the Hugging Face Hub repo "
            f"{source.hub_repo} (revision {source.revision}) are not in the Hugging Face cache "
            f"({hf_repo_cache(source.hub_repo)}; HF_HOME or HF_HUB_CACHE move it) nor in {folder}, and {why}. "
            f"Once online (HF_HUB_OFFLINE unset), fetch them once with\n"
            f"    hf download {source.hub_repo} {CONFIG_NAME} {WEIGHTS_NAME} --revision {source.revision}\n"
            f"or\n{fetch}(a machine without internet can use a copy of that cache: point HF_HUB_CACHE at it), {manual}")


def _offline() -> bool:
    """Whether HF_HUB_OFFLINE is on (the StyleGAN2 and face model downloads ask here too)."""
    return cache.offline()


def verify_file(path: str | os.PathLike, source: BigGANSource, filename: str, *, cached: bool = False) -> None:
    """Raise :class:`ChecksumError` if ``path`` is not the published ``filename`` of ``source`` (where its digest is known).

    ``cached``: a file of the Hugging Face cache (checked once per process), rather than a fresh plain download.
    """
    expected = source.digest(filename)
    if expected is None:
        return
    size, sha = expected
    found = cache.verified_once(path, size, sha) if cached else digest_mismatch(path, size, sha)
    if found is None:
        return
    if cached:
        raise ChecksumError(f"the {source.name} {filename} in the Hugging Face cache ({path}) is not the published "
                            f"file: expected {size:,} bytes with SHA-256 {sha}, got {found}. latentlab does not load it: "
                            f"delete it (a damaged download) and load again, or pin another revision of "
                            f"{source.hub_repo} in latentlab.zoo.biggan_checkpoints.SOURCES.")
    raise ChecksumError(f"the downloaded {source.name} {filename} is not the published file: expected {size:,} bytes "
                        f"with SHA-256 {sha}, got {found}. It was not kept; try again, or download it by hand (see "
                        f"load_generator('{source.name}') offline) and check it with sha256sum.")


def _from_hub(source: BigGANSource, *, local_only: bool) -> Path:
    """The Hugging Face cache folder holding both files of ``source`` (checked), downloading them unless ``local_only``."""
    paths = []
    for filename in (CONFIG_NAME, WEIGHTS_NAME):
        path = cache.hub_file(source.hub_repo, filename, source.revision, local_only=local_only)
        verify_file(path, source, filename, cached=True)
        paths.append(path)
    config, weights = paths
    if config.parent != weights.parent:  # the revision moved between the two calls (a branch, not a commit)
        raise OSError(f"{source.hub_repo}@{source.revision}: {CONFIG_NAME} and {WEIGHTS_NAME} resolved to different "
                      f"commits ({config.parent.name}, {weights.parent.name}); load again, or pin a commit hash")
    return weights.parent


def _download(source, filename: str, target: Path) -> None:
    """Fetch one file of ``source`` from its (non-Hub) URL to ``target`` atomically, refusing a file whose digest differs."""
    cache.download_file(source.urls[filename], target, displayed_filename=f"{source.name}/{filename}",
                        verify=lambda path: verify_file(path, source, filename))


def fetch_biggan(name: str) -> Path:
    """The folder holding a published checkpoint's two files: latentlab's cache folder when they are there, else the
    Hugging Face cache (downloading them there on first use), else the legacy URLs into latentlab's folder.

    Raises ``OSError`` naming the model and the files when offline (``HF_HUB_OFFLINE=1``) or when every download fails,
    :class:`ChecksumError` when a file is not the published one.
    """
    source, folder = _check_name(name), checkpoint_folder(name)
    if is_checkpoint_folder(folder):
        return folder
    if source.hub_repo is not None:
        try:
            return _from_hub(source, local_only=True)  # already in the Hugging Face cache: no network at all
        except FileNotFoundError:  # huggingface_hub's LocalEntryNotFoundError: not (all) cached yet
            pass
    if _offline():
        raise OSError(offline_message(name))
    failures = []
    if source.hub_repo is not None:
        try:
            return _from_hub(source, local_only=False)
        except ChecksumError:
            raise
        except Exception as error:  # network, HTTP and hub errors: try the legacy URLs
            failures.append(f"from the Hub ({source.hub_repo}@{source.revision}) with {type(error).__name__}: {error}")
    missing = [f for f in (WEIGHTS_NAME, CONFIG_NAME) if not (folder / f).is_file()]
    folder.mkdir(parents=True, exist_ok=True)
    filename = missing[0]
    try:
        for filename in missing:
            _download(source, filename, folder / filename)
    except ChecksumError:
        raise
    except Exception as error:  # network and HTTP errors all mean: not downloadable from here
        failures.append(f"from {source.urls[filename]} with {type(error).__name__}: {error}")
        raise OSError(f"{offline_message(name)}\nThe download failed " + "; then ".join(failures)) from error
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


__all__ = ["BIGGAN_DEEP_128_REPO", "BIGGAN_DEEP_128_REVISION", "SOURCES", "BigGANSource", "ChecksumError",
           "checkpoint_files", "checkpoint_folder", "fetch_biggan", "is_checkpoint_folder", "load_biggan",
           "offline_message", "read_checkpoint", "verify_file"]
