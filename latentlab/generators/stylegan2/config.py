"""The hyper-parameters of a StyleGAN2 generator, and their translation to and from NVIDIA's init kwargs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields

import torch

ARCHITECTURES = ("skip", "orig", "resnet")


@dataclass
class StyleGAN2Config:
    """Hyper-parameters of a :class:`StyleGAN2`: stylegan2-ada-pytorch's ``Generator`` init kwargs, flattened.

    ``c_dim`` is the number of classes (0: unconditional); ``class_names`` name them (default
    ``class0``, ``class1``, …). ``channels`` (one count per block, 4 px first) overrides the
    ``min(channel_base // res, channel_max)`` rule for files whose channel counts follow another rule.
    ``num_fp16_res`` is recorded but not used: this implementation computes in float32.
    """

    z_dim: int = 512
    w_dim: int = 512
    img_resolution: int = 1024
    img_channels: int = 3
    c_dim: int = 0
    class_names: tuple[str, ...] = ()
    # mapping network
    mapping_layers: int = 8
    embed_features: int | None = None
    layer_features: int | None = None
    mapping_activation: str = "lrelu"
    mapping_lr: float = 0.01
    w_avg_beta: float | None = 0.995
    # synthesis network
    channel_base: int = 32768
    channel_max: int = 512
    channels: tuple[int, ...] | None = None
    architecture: str = "skip"
    resample_filter: tuple[float, ...] = (1, 3, 3, 1)
    conv_clamp: float | None = None
    use_noise: bool = True
    activation: str = "lrelu"
    num_fp16_res: int = 0

    def __post_init__(self):
        self.class_names = tuple(str(c) for c in self.class_names)
        if self.class_names and self.c_dim in (0, len(self.class_names)):
            self.c_dim = len(self.class_names)
        elif self.c_dim and not self.class_names:
            self.class_names = tuple(f"class{i}" for i in range(self.c_dim))
        if len(self.class_names) != self.c_dim:
            raise ValueError(f"c_dim={self.c_dim} but {len(self.class_names)} class names were given")
        if self.architecture not in ARCHITECTURES:
            from latentlab.errors import unknown_name_error

            raise unknown_name_error("architecture", self.architecture, ARCHITECTURES)
        if self.z_dim <= 0:
            raise ValueError(f"z_dim must be positive (latentlab generators take latents), got {self.z_dim}")
        if self.img_channels not in (1, 3):
            raise ValueError(f"img_channels must be 1 or 3 (images are shown as RGB), got {self.img_channels}")
        if self.img_resolution < 4 or self.img_resolution & (self.img_resolution - 1):
            raise ValueError(f"img_resolution must be a power of two >= 4, got {self.img_resolution}")
        self.resample_filter = tuple(float(t) for t in self.resample_filter)
        if self.channels is not None:
            self.channels = tuple(int(c) for c in self.channels)

    @property
    def resolution(self) -> int:
        return self.img_resolution

    @property
    def block_resolutions(self) -> list[int]:
        return [2 ** i for i in range(2, int(math.log2(self.img_resolution)) + 1)]

    # NVIDIA init kwargs ------------------------------------------------------------------------------
    _MAPPING_KEYS = {"num_layers": "mapping_layers", "embed_features": "embed_features",
                     "layer_features": "layer_features", "activation": "mapping_activation",
                     "lr_multiplier": "mapping_lr", "w_avg_beta": "w_avg_beta"}
    _SYNTHESIS_KEYS = {"channel_base": "channel_base", "channel_max": "channel_max", "num_fp16_res": "num_fp16_res",
                       "conv_clamp": "conv_clamp", "architecture": "architecture",
                       "resample_filter": "resample_filter", "use_noise": "use_noise", "activation": "activation"}
    #: kwargs that only change speed or training behaviour, not the function computed in float32
    _IGNORED = {"fp16_channels_last", "fused_modconv_default", "channels_last", "epochs"}

    @classmethod
    def from_nvidia_kwargs(cls, kwargs: dict, class_names: Sequence[str] = ()) -> StyleGAN2Config:
        """From stylegan2-ada-pytorch's ``Generator`` init kwargs (``G.init_kwargs``); unknown kwargs are refused."""
        kwargs = dict(kwargs)
        mapping = dict(kwargs.pop("mapping_kwargs", None) or {})
        synthesis = dict(kwargs.pop("synthesis_kwargs", None) or {})
        top = {"z_dim", "c_dim", "w_dim", "img_resolution", "img_channels"}
        unknown = sorted((set(kwargs) - top - cls._IGNORED) | {f"mapping_kwargs.{k}" for k in set(mapping) - set(cls._MAPPING_KEYS)}
                         | {f"synthesis_kwargs.{k}" for k in set(synthesis) - set(cls._SYNTHESIS_KEYS) - cls._IGNORED})
        if unknown:
            raise ValueError(f"unsupported StyleGAN2 generator hyper-parameters {unknown}: this implementation knows "
                             f"stylegan2-ada-pytorch's Generator ({sorted(top)}, mapping_kwargs {sorted(cls._MAPPING_KEYS)}, "
                             f"synthesis_kwargs {sorted(cls._SYNTHESIS_KEYS)})")
        missing = sorted(top - set(kwargs))
        if missing:
            raise ValueError(f"StyleGAN2 generator hyper-parameters {missing} are missing")
        d = {k: kwargs[k] for k in top}
        d.update({cls._MAPPING_KEYS[k]: v for k, v in mapping.items()})
        d.update({cls._SYNTHESIS_KEYS[k]: v for k, v in synthesis.items()})
        if d.get("resample_filter") is not None:
            taps = torch.as_tensor(d["resample_filter"], dtype=torch.float64)
            if taps.ndim != 1:
                raise ValueError(f"only 1-D resample filters are supported, got shape {tuple(taps.shape)}")
            d["resample_filter"] = tuple(taps.tolist())
        return cls(class_names=tuple(class_names), **d)

    def to_nvidia_kwargs(self) -> dict:
        """The equivalent stylegan2-ada-pytorch ``Generator`` init kwargs (``channels`` has no equivalent)."""
        inverse_m = {v: k for k, v in self._MAPPING_KEYS.items()}
        inverse_s = {v: k for k, v in self._SYNTHESIS_KEYS.items()}
        d = asdict(self)
        return {"z_dim": self.z_dim, "c_dim": self.c_dim, "w_dim": self.w_dim, "img_resolution": self.img_resolution,
                "img_channels": self.img_channels,
                "mapping_kwargs": {inverse_m[k]: d[k] for k in inverse_m},
                "synthesis_kwargs": {inverse_s[k]: (list(d[k]) if k == "resample_filter" else d[k]) for k in inverse_s}}

    # latentlab weights files -----------------------------------------------------------------------
    def to_json(self) -> dict:
        d = asdict(self)
        d["class_names"] = list(self.class_names)
        d["resample_filter"] = list(self.resample_filter)
        d["channels"] = None if self.channels is None else list(self.channels)
        return d

    @classmethod
    def from_json(cls, d: dict) -> StyleGAN2Config:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown StyleGAN2 config keys {unknown}; expected a subset of {sorted(known)}")
        d = dict(d)
        d["class_names"] = tuple(d.get("class_names", ()))
        if d.get("channels") is not None:
            d["channels"] = tuple(d["channels"])
        if "resample_filter" in d:
            d["resample_filter"] = tuple(d["resample_filter"])
        return cls(**d)
