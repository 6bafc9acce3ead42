"""StyleGAN2 checkpoints: NVIDIA ``.pkl`` files (PyTorch and TensorFlow) and rosinality ``.pt`` files.

``load_stylegan2(path_or_name)`` returns a :class:`~latentlab.generators.stylegan2.StyleGAN2` in
eval mode with frozen weights, from

- an **NVIDIA stylegan2-ada-pytorch pickle** (``network-snapshot-*.pkl``, the official
  ``ffhq.pkl``, …): read by :mod:`latentlab.zoo.safe_pickle`, which never runs code from the file
  (the official loader executes the Python source stored in it). The generator is ``G_ema``
  (else ``G``): its ``init_kwargs`` give the hyper-parameters, its captured module tree the state dict;
- an **NVIDIA TensorFlow StyleGAN2 pickle** (``stylegan2-church-config-f.pkl``, …), read the same
  safe way and converted as stylegan2-ada-pytorch's ``legacy.py`` does (transposed kernels, flipped
  up-convolution kernels, ``mod_bias + 1``, ``fmap_base × 2`` = ``channel_base``);
- a **rosinality stylegan2-pytorch checkpoint** (``.pt``: ``{"g_ema": state dict, "latent_avg": w̄, …}``),
  read with ``torch.load(..., weights_only=True)`` and renamed (``style.N`` → ``mapping.fc{N-1}``,
  ``input.input`` → ``b4.const``, ``conv1``/``to_rgb1`` → ``b4``, ``convs.2k``/``convs.2k+1``/``to_rgbs.k``
  → the k-th up-block's ``conv0``/``conv1``/``torgb``, ``noises.noise_N`` → ``noise_const``). The size,
  channels and mapping depth come from the tensors; the mapping learning-rate multiplier is taken
  to be rosinality's default 0.01 (the file does not record it), and ``latent_avg`` becomes ``w_avg``
  (files without one, e.g. training checkpoints, get w̄ estimated as the mean of 10 000 mapped
  latents from a fixed seed). Numerically rosinality's network is the same function: its ops
  (blur pads, transposed convolution, fused leaky ReLU, noise injection, skip upsampling) are the
  same, except that it scales a demodulated convolution's weight by 1/√fan_in *before*
  demodulating, which only changes the ε = 1e-8 in ``rsqrt(Σw² + ε)`` relative to Σw² (~1e-8
  relative, below float32 resolution for trained weights), and it multiplies ToRGB's weight by
  the gain instead of the style (rounding-level differences);
- a **published name** (:data:`SOURCES`), downloaded once into ``<cache>/stylegan2/<name>/`` (see
  :func:`latentlab.zoo.cache.cache_dir`) from NVIDIA's server (not the Hugging Face Hub) with a
  plain HTTPS request, atomically (:func:`latentlab.zoo.cache.download_file`); with
  ``HF_HUB_OFFLINE=1``, or when the download fails, one ``OSError`` says what to download and
  where to put it.

``stylegan2-ffhq-1024`` is stylegan2-ada-pytorch's ``ffhq.pkl`` (FFHQ, trained with the original
StyleGAN2); ``-metfaces-1024`` and ``-afhqcat-512`` are its ADA models. ``-church-256``,
``-car-512``, ``-cat-256`` and ``-horse-256`` are the original StyleGAN2 config-f TensorFlow
pickles (NVIDIA published no PyTorch files of those); the car model draws 512×384 cars on a
512×512 canvas with black bands, as the original does.
"""

from __future__ import annotations

import argparse
import math
import os
import pickle
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

import torch

from latentlab.errors import CorruptFileError, LatentlabError, check_device, lookup
from latentlab.generators.stylegan2 import StyleGAN2, StyleGAN2Config, setup_filter
from latentlab.zoo import cache
from latentlab.zoo.cache import SingleFileSource, cache_dir
from latentlab.zoo.safe_pickle import PersistentRecord, TFNetworkRecord, UnsafePickleError, read_network_pickle

#: What reading a damaged, truncated or foreign file raises inside the unpicklers
_DAMAGED = (EOFError, pickle.UnpicklingError, ValueError, struct.error, UnicodeDecodeError, zipfile.BadZipFile, IndexError,
            KeyError, TypeError, AttributeError, OverflowError, RuntimeError, MemoryError)

_ADA = "https://nvlabs-fi-cdn.nvidia.com/stylegan2-ada-pytorch/pretrained"
_TF = "https://nvlabs-fi-cdn.nvidia.com/stylegan2/networks"
LICENCE = "NVIDIA Source Code License-NC (non-commercial research use)"


@dataclass(frozen=True)
class StyleGAN2Source(SingleFileSource):
    """Where a published StyleGAN2 file comes from (NVIDIA's server: a plain download, not the Hub)."""

    name: str
    url: str
    resolution: int
    description: str

    def digest(self, filename: str) -> tuple[int, str] | None:
        """(size, SHA-256) of the file where known: none are known here, so these files are checked by loading."""
        return None

    @property
    def format(self) -> str:
        return "tensorflow" if self.url.startswith(_TF) else "pytorch"


SOURCES = {s.name: s for s in (
    StyleGAN2Source("stylegan2-ffhq-1024", f"{_ADA}/ffhq.pkl", 1024,
                    "StyleGAN2 faces (FFHQ), 1024 px, stylegan2-ada-pytorch's ffhq.pkl (original StyleGAN2 training)"),
    StyleGAN2Source("stylegan2-metfaces-1024", f"{_ADA}/metfaces.pkl", 1024,
                    "StyleGAN2-ADA portraits (MetFaces), 1024 px, transfer learning from FFHQ"),
    StyleGAN2Source("stylegan2-afhqcat-512", f"{_ADA}/afhqcat.pkl", 512, "StyleGAN2-ADA cat faces (AFHQ Cat), 512 px"),
    StyleGAN2Source("stylegan2-church-256", f"{_TF}/stylegan2-church-config-f.pkl", 256,
                    "StyleGAN2 config-f churches (LSUN Church), 256 px (TensorFlow pickle, converted on load)"),
    StyleGAN2Source("stylegan2-car-512", f"{_TF}/stylegan2-car-config-f.pkl", 512,
                    "StyleGAN2 config-f cars (LSUN Car), 512×384 in a 512 px frame (TensorFlow pickle, converted on load)"),
    StyleGAN2Source("stylegan2-cat-256", f"{_TF}/stylegan2-cat-config-f.pkl", 256,
                    "StyleGAN2 config-f cats (LSUN Cat), 256 px (TensorFlow pickle, converted on load)"),
    StyleGAN2Source("stylegan2-horse-256", f"{_TF}/stylegan2-horse-config-f.pkl", 256,
                    "StyleGAN2 config-f horses (LSUN Horse), 256 px (TensorFlow pickle, converted on load)"),
)}


def _check_name(name: str) -> StyleGAN2Source:
    return lookup(SOURCES, name, "StyleGAN2 checkpoint")


def checkpoint_path(name: str) -> Path:
    """The cache file that holds (or will hold) a published checkpoint."""
    source = _check_name(name)
    return cache_dir() / "stylegan2" / name / source.filename


# --- NVIDIA PyTorch pickles -------------------------------------------------------------------------
def _from_persistent(record: PersistentRecord) -> tuple[StyleGAN2Config, dict[str, torch.Tensor]]:
    if record.class_name != "Generator":
        raise ValueError(f"expected an NVIDIA Generator, got a {record.class_name!r} record")
    state = record.state_dict()
    if any(k.startswith("synthesis.input.") or ".L" in k for k in state):  # StyleGAN3's SynthesisInput / L0_…
        raise ValueError("this is a StyleGAN3 generator; latentlab reads StyleGAN2 (stylegan2-ada-pytorch) generators")
    return StyleGAN2Config.from_nvidia_kwargs(record.init_kwargs), state


# --- NVIDIA TensorFlow pickles ----------------------------------------------------------------------
#: TF static kwarg -> (config field, default); as stylegan2-ada-pytorch's legacy.convert_tf_generator
_TF_KWARGS = {
    "latent_size": ("z_dim", 512), "label_size": ("c_dim", 0), "dlatent_size": ("w_dim", 512),
    "resolution": ("img_resolution", 1024), "num_channels": ("img_channels", 3),
    "mapping_layers": ("mapping_layers", 8), "label_fmaps": ("embed_features", None),
    "mapping_fmaps": ("layer_features", None), "mapping_nonlinearity": ("mapping_activation", "lrelu"),
    "mapping_lrmul": ("mapping_lr", 0.01), "w_avg_beta": ("w_avg_beta", 0.995),
    "fmap_base": ("channel_base", 16384), "fmap_max": ("channel_max", 512), "num_fp16_res": ("num_fp16_res", 0),
    "conv_clamp": ("conv_clamp", None), "architecture": ("architecture", "skip"),
    "resample_kernel": ("resample_filter", (1, 3, 3, 1)), "use_noise": ("use_noise", True),
    "nonlinearity": ("activation", "lrelu"),
}
_TF_IGNORED = {"truncation_psi", "truncation_cutoff", "style_mixing_prob", "structure"}


def tf_generator_config(tf_net: TFNetworkRecord) -> StyleGAN2Config:
    """Hyper-parameters of a TensorFlow StyleGAN2 generator from its static kwargs."""
    if tf_net.version < 4:
        raise ValueError(f"TensorFlow network pickle version {tf_net.version} is too old (need >= 4)")
    kwargs = tf_net.static_kwargs
    unknown = sorted(set(kwargs) - set(_TF_KWARGS) - _TF_IGNORED)
    if unknown:
        raise ValueError(f"unsupported TensorFlow StyleGAN2 kwargs {unknown}")
    d = {}
    for tf_name, (name, default) in _TF_KWARGS.items():
        value = kwargs.get(tf_name, default)
        d[name] = default if value is None and name not in ("embed_features", "layer_features", "conv_clamp") else value
    if kwargs.get("w_avg_beta", 0.995) is None:
        d["w_avg_beta"] = 1
    d["channel_base"] = int(d["channel_base"]) * 2
    d["resample_filter"] = tuple(d["resample_filter"])
    return StyleGAN2Config(**d)


def _tf_state(tf_net: TFNetworkRecord, config: StyleGAN2Config) -> dict[str, torch.Tensor]:
    """The state dict of the converted generator (names as stylegan2-ada-pytorch's)."""
    params = {name: torch.as_tensor(value) for name, value in tf_net.variables().items()}

    def get(name: str) -> torch.Tensor:
        if name not in params:
            raise ValueError(f"the TensorFlow generator has no variable {name!r}")
        return params[name].to(torch.float32)

    def kernel(name: str, flip: bool = False) -> torch.Tensor:  # [kh, kw, in, out] -> [out, in, kh, kw]
        w = get(name)
        return (w.flip([0, 1]) if flip else w).permute(3, 2, 0, 1).contiguous()

    def layer(prefix: str, scope: str, noise: int | None = None, flip: bool = False) -> dict[str, torch.Tensor]:
        out = {f"{prefix}.weight": kernel(f"{scope}/weight", flip), f"{prefix}.bias": get(f"{scope}/bias"),
               f"{prefix}.affine.weight": get(f"{scope}/mod_weight").t().contiguous(),
               f"{prefix}.affine.bias": get(f"{scope}/mod_bias") + 1}
        if noise is not None and config.use_noise:
            out[f"{prefix}.noise_const"] = get(f"synthesis/noise{noise}")[0, 0]
            out[f"{prefix}.noise_strength"] = get(f"{scope}/noise_strength").reshape(())
        return out

    state = {"mapping.w_avg": get("dlatent_avg")}
    if config.c_dim:
        state["mapping.embed.weight"] = get("mapping/LabelEmbed/weight").t().contiguous()
        state["mapping.embed.bias"] = get("mapping/LabelEmbed/bias")
    for i in range(config.mapping_layers):
        state[f"mapping.fc{i}.weight"] = get(f"mapping/Dense{i}/weight").t().contiguous()
        state[f"mapping.fc{i}.bias"] = get(f"mapping/Dense{i}/bias")
    filt = setup_filter(config.resample_filter)
    for r in config.block_resolutions:
        b, scope, log2 = f"synthesis.b{r}", f"synthesis/{r}x{r}", int(math.log2(r))
        state[f"{b}.resample_filter"] = filt
        if r == 4:
            state[f"{b}.const"] = get(f"{scope}/Const/const")[0]
            state.update(layer(f"{b}.conv1", f"{scope}/Conv", noise=0))
        else:
            state.update(layer(f"{b}.conv0", f"{scope}/Conv0_up", noise=2 * log2 - 5, flip=True))
            state.update(layer(f"{b}.conv1", f"{scope}/Conv1", noise=2 * log2 - 4))
            state[f"{b}.conv0.resample_filter"] = filt
            if config.architecture == "resnet":
                state[f"{b}.skip.weight"] = kernel(f"{scope}/Skip/weight", flip=True)
                state[f"{b}.skip.resample_filter"] = filt
        state[f"{b}.conv1.resample_filter"] = filt
        if config.architecture == "skip" or r == config.img_resolution:
            state.update(layer(f"{b}.torgb", f"{scope}/ToRGB"))
    return state


def read_tf_generator(tf_net: TFNetworkRecord) -> tuple[StyleGAN2Config, dict[str, torch.Tensor]]:
    config = tf_generator_config(tf_net)
    return config, _tf_state(tf_net, config)


def read_nvidia_pickle(path: str | os.PathLike) -> tuple[StyleGAN2Config, dict[str, torch.Tensor]]:
    """Config and state dict of the generator in an NVIDIA pickle (PyTorch or TensorFlow), read safely."""
    try:
        contents = read_network_pickle(path)
    except (UnsafePickleError, LatentlabError):  # refused content says so itself
        raise
    except _DAMAGED as error:
        raise CorruptFileError(f"{str(path)!r} is not a readable network pickle (damaged, truncated or of another "
                               f"format): {type(error).__name__}: {error}") from None
    _, record = contents.generator()
    if isinstance(record, TFNetworkRecord):
        return read_tf_generator(record)
    return _from_persistent(record)


# --- rosinality checkpoints -------------------------------------------------------------------------
def _rosinality_blocks(state: dict[str, torch.Tensor]) -> int:
    return len({int(m.group(1)) for k in state if (m := re.match(r"to_rgbs\.(\d+)\.", k))})


def rosinality_to_nvidia(state: dict[str, torch.Tensor], latent_avg: torch.Tensor | None = None,
                         mapping_lr: float = 0.01) -> tuple[StyleGAN2Config, dict[str, torch.Tensor]]:
    """A rosinality ``Generator`` state dict as (config, stylegan2-ada-pytorch state dict).

    ``latent_avg`` None leaves ``mapping.w_avg`` out (the caller estimates it).
    """
    for key in ("input.input", "conv1.conv.weight", "to_rgb1.conv.weight", "style.1.weight"):
        if key not in state:
            raise ValueError(f"not a rosinality stylegan2-pytorch generator: {key!r} is missing")
    n_mlp = len([k for k in state if re.fullmatch(r"style\.\d+\.weight", k)])
    z_dim, w_dim = state["style.1.weight"].shape[1], state[f"style.{n_mlp}.weight"].shape[0]
    n_up = _rosinality_blocks(state)
    resolution = 4 * 2 ** n_up
    channels = [state["input.input"].shape[1]] + [state[f"convs.{2 * k}.conv.weight"].shape[1] for k in range(n_up)]
    base, top = channels[-1] * resolution, max(channels)
    rule = [min(base // r, top) for r in (4 * 2 ** i for i in range(n_up + 1))]
    config = StyleGAN2Config(z_dim=z_dim, w_dim=w_dim, img_resolution=resolution, mapping_layers=n_mlp,
                             mapping_lr=mapping_lr, channel_base=base, channel_max=top,
                             channels=None if rule == channels else tuple(channels))
    used: set[str] = set()

    def take(key: str) -> torch.Tensor:
        if key not in state:
            raise ValueError(f"rosinality checkpoint: {key!r} is missing")
        used.add(key)
        return state[key].to(torch.float32)

    def styled(prefix: str, source: str, noise: int) -> dict[str, torch.Tensor]:
        return {f"{prefix}.weight": take(f"{source}.conv.weight")[0], f"{prefix}.bias": take(f"{source}.activate.bias"),
                f"{prefix}.affine.weight": take(f"{source}.conv.modulation.weight"),
                f"{prefix}.affine.bias": take(f"{source}.conv.modulation.bias"),
                f"{prefix}.noise_strength": take(f"{source}.noise.weight").reshape(()),
                f"{prefix}.noise_const": take(f"noises.noise_{noise}")[0, 0]}

    def rgb(prefix: str, source: str) -> dict[str, torch.Tensor]:
        return {f"{prefix}.weight": take(f"{source}.conv.weight")[0], f"{prefix}.bias": take(f"{source}.bias").reshape(-1),
                f"{prefix}.affine.weight": take(f"{source}.conv.modulation.weight"),
                f"{prefix}.affine.bias": take(f"{source}.conv.modulation.bias")}

    out: dict[str, torch.Tensor] = {}
    for i in range(n_mlp):
        out[f"mapping.fc{i}.weight"], out[f"mapping.fc{i}.bias"] = take(f"style.{i + 1}.weight"), take(f"style.{i + 1}.bias")
    if latent_avg is not None:
        out["mapping.w_avg"] = latent_avg.reshape(-1).to(torch.float32)
    filt = setup_filter(config.resample_filter)
    out["synthesis.b4.const"] = take("input.input")[0]
    out.update(styled("synthesis.b4.conv1", "conv1", 0))
    out.update(rgb("synthesis.b4.torgb", "to_rgb1"))
    out["synthesis.b4.resample_filter"] = out["synthesis.b4.conv1.resample_filter"] = filt
    for k in range(n_up):
        b = f"synthesis.b{8 * 2 ** k}"
        out.update(styled(f"{b}.conv0", f"convs.{2 * k}", 2 * k + 1))
        out.update(styled(f"{b}.conv1", f"convs.{2 * k + 1}", 2 * k + 2))
        out.update(rgb(f"{b}.torgb", f"to_rgbs.{k}"))
        for name in ("", ".conv0", ".conv1"):
            out[f"{b}{name}.resample_filter"] = filt
    # the blur kernels are [1, 3, 3, 1] ⊗ [1, 3, 3, 1] / 64 · 4 (gain up²): ours is the normalised filter
    for key in [k for k in state if k.endswith(".blur.kernel") or k.endswith(".upsample.kernel")]:
        kernel = state[key].to(torch.float32)
        if kernel.shape != filt.shape or not torch.allclose(kernel / kernel.sum(), filt, atol=1e-6):
            raise ValueError(f"rosinality checkpoint: {key} is not the [1, 3, 3, 1] blur kernel this loader supports")
        used.add(key)
    unexpected = sorted(set(state) - used)
    if unexpected:
        raise ValueError(f"rosinality checkpoint: unexpected tensors {unexpected[:8]}"
                         + (f" … ({len(unexpected) - 8} more)" if len(unexpected) > 8 else ""))
    return config, out


def read_rosinality(path: str | os.PathLike) -> tuple[StyleGAN2Config, dict[str, torch.Tensor]]:
    """Config and state dict from a rosinality ``.pt`` (``g_ema``, else ``g``, or a bare state dict).

    Read with ``weights_only=True``: tensors and plain containers only (training checkpoints'
    ``args``, an ``argparse.Namespace``, is allowed as plain data).
    """
    try:
        with torch.serialization.safe_globals([argparse.Namespace]):
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # a refused pickle or a damaged file: say which file
        raise CorruptFileError(f"{str(path)!r} is not a readable PyTorch checkpoint (damaged, truncated, or not loadable "
                               f"with weights_only=True, which never runs pickled code): {type(error).__name__}: "
                               f"{error}") from None
    if not isinstance(ckpt, dict):
        raise ValueError(f"{path} must hold a dict, got {type(ckpt).__name__}")
    state = ckpt.get("g_ema", ckpt.get("g", ckpt))
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{path}: expected a generator state dict under 'g_ema' (rosinality stylegan2-pytorch format)")
    latent_avg = ckpt.get("latent_avg")
    try:
        return rosinality_to_nvidia(state, latent_avg if isinstance(latent_avg, torch.Tensor) else None)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None


@torch.no_grad()
def estimate_w_avg(model: StyleGAN2, n: int = 10_000, seed: int = 0, batch_size: int = 1000) -> torch.Tensor:
    """Mean of ``mapping(z)`` over ``n`` standard-normal latents from ``seed`` (classes uniform for conditional models)."""
    gen = torch.Generator().manual_seed(seed)
    total = torch.zeros(model.w_dim, dtype=torch.float64)
    for i in range(0, n, batch_size):
        m = min(batch_size, n - i)
        z = torch.randn(m, model.latent_dim, generator=gen).to(model.device)
        y = None
        if model.conditional:
            y = torch.nn.functional.one_hot(torch.randint(len(model.class_names), (m,), generator=gen),
                                            len(model.class_names)).float().to(model.device)
        total += model.mapping(z, y).double().sum(dim=0).cpu()
    return (total / n).float()


# --- any file -------------------------------------------------------------------------------------
_TORCH_LEGACY_MAGIC = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19."


def file_format(path: str | os.PathLike) -> str:
    """``"torch"`` (a ``torch.save`` file: rosinality) or ``"pickle"`` (an NVIDIA network pickle), by content."""
    path = Path(path)
    if zipfile.is_zipfile(path):
        return "torch"
    with open(path, "rb") as handle:
        head = handle.read(len(_TORCH_LEGACY_MAGIC))
    return "torch" if head == _TORCH_LEGACY_MAGIC else "pickle"


def is_stylegan2_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` is an existing ``.pkl``, ``.pt`` or ``.pth`` file (a candidate for :func:`load_stylegan2`)."""
    path = Path(str(path)).expanduser()
    return path.suffix.lower() in (".pkl", ".pt", ".pth") and path.is_file()


def read_stylegan2(path: str | os.PathLike) -> tuple[StyleGAN2Config, dict[str, torch.Tensor]]:
    """Config and state dict (stylegan2-ada-pytorch names) of the generator in a local file of any supported format.

    ``mapping.w_avg`` is absent when the file has none (see :func:`load_stylegan2`).
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"no StyleGAN2 checkpoint at {str(path)!r}")
    if path.stat().st_size == 0:
        raise CorruptFileError(f"{str(path)!r} is empty (0 bytes): not a StyleGAN2 checkpoint")
    return read_rosinality(path) if file_format(path) == "torch" else read_nvidia_pickle(path)


# --- downloads ------------------------------------------------------------------------------------
def offline_message(name: str) -> str:
    """How to make a published checkpoint available without a network connection."""
    from latentlab.zoo import biggan_checkpoints  # the shared offline switch

    source, target = _check_name(name), checkpoint_path(name)
    why = ("HF_HUB_OFFLINE is set, so latentlab downloads nothing" if biggan_checkpoints._offline()
           else "it cannot be downloaded from here (offline?)")
    return (f"could not load {name!r}: its file {source.filename} is not in the cache ({target}) and {why}. "
            f"On a machine with internet run\n"
            f"    python -c \"from latentlab.zoo.stylegan2_checkpoints import fetch_stylegan2; fetch_stylegan2('{name}')\"\n"
            f"or download\n    {source.url}\nand copy it to {target} here (or set LATENTLAB_CACHE), or load the file "
            f"itself: load_generator('/path/to/{source.filename}').")


def fetch_stylegan2(name: str) -> Path:
    """The cached file of a published checkpoint, downloading it if missing (raises OSError offline)."""
    from latentlab.zoo import biggan_checkpoints  # the shared offline switch

    source, target = _check_name(name), checkpoint_path(name)
    if target.is_file():
        return target
    if biggan_checkpoints._offline():
        raise OSError(offline_message(name))
    try:
        cache.download_file(source.url, target, displayed_filename=f"{name}/{source.filename}")
    except Exception as error:  # network and HTTP errors all mean: not downloadable from here
        raise OSError(f"{offline_message(name)}\nThe download failed with {type(error).__name__}: {error}") from error
    return target


# --- loading --------------------------------------------------------------------------------------
def load_stylegan2(path_or_name: str | os.PathLike, device: str | torch.device = "cpu", *,
                   noise_mode: str = "const") -> StyleGAN2:
    """A StyleGAN2 from a published name (cached, downloaded if missing) or a local ``.pkl`` / ``.pt`` file.

    Eval mode, frozen weights, deterministic noise unless ``noise_mode`` says otherwise.
    """
    device = check_device(device)
    if isinstance(path_or_name, str) and path_or_name in SOURCES:
        path = fetch_stylegan2(path_or_name)
    elif Path(str(path_or_name)).expanduser().is_file():
        path = Path(str(path_or_name)).expanduser()
    else:
        from latentlab.errors import unknown_name_error

        hint = str(unknown_name_error("StyleGAN2 checkpoint", str(path_or_name), SOURCES)).split(". ", 1)[-1]
        raise FileNotFoundError(f"{str(path_or_name)!r} is neither a published StyleGAN2 nor an existing .pkl/.pt file. "
                                f"{hint}")
    config, state = read_stylegan2(path)
    estimate = "mapping.w_avg" not in state
    if estimate:
        state = {**state, "mapping.w_avg": torch.zeros(config.w_dim)}
    try:
        model = StyleGAN2.from_state_dict(config, state, noise_mode=noise_mode)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
    if estimate:
        model.w_avg.copy_(estimate_w_avg(model))
    for p in model.parameters():
        p.requires_grad_(False)
    return model.to(device)


# --- registry ---------------------------------------------------------------------------------------
def registry_entries():
    """:class:`~latentlab.zoo.registry.ModelEntry` objects for the published checkpoints (architecture ``StyleGAN2``)."""
    from latentlab.zoo.registry import ModelEntry

    return [ModelEntry(s.name, "generator", "StyleGAN2", s.url, LICENCE,
                       f"{s.description}; downloaded into the cache on first use") for s in SOURCES.values()]


def register_stylegan2() -> None:
    """Register the ``StyleGAN2`` architecture (for latentlab ``.safetensors`` files) and the published names."""
    from latentlab.zoo.registry import register_architecture, register_model

    register_architecture("StyleGAN2", lambda cfg: StyleGAN2(StyleGAN2Config.from_json(cfg)))
    for entry in registry_entries():
        register_model(entry)


__all__ = ["LICENCE", "SOURCES", "StyleGAN2Source", "checkpoint_path", "estimate_w_avg", "fetch_stylegan2",
           "file_format", "is_stylegan2_file", "load_stylegan2", "offline_message", "read_nvidia_pickle",
           "read_rosinality", "read_stylegan2", "read_tf_generator", "register_stylegan2", "registry_entries",
           "rosinality_to_nvidia", "tf_generator_config"]
