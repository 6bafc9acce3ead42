"""BigGAN (Brock et al. 2019), the plain 128/256/512 px ImageNet models, in the layout of BigGAN-PyTorch.

Parameter and buffer names equal the keys of the generator state dicts of ajbrock/BigGAN-PyTorch
(``BigGAN.Generator`` with ``G_shared``, ``hier`` and spectral norm), so ``load_state_dict`` takes
them unchanged: the released ``G_ema.pth`` of BigGAN_ch96_bs256x8_138k (128 px) and the
``biggan-{128,256,512}.pth`` files its ``TFHub/converter.py`` writes from DeepMind's TF-Hub models.

- ``shared``: the class embedding [classes, shared_dim]. Class indices become one-hot vectors
  and every class input is multiplied by this matrix, so soft class vectors mix embeddings.
- ``linear``: the stem, from the first latent chunk to a 4×4 map with 16·ch channels (NCHW).
- ``blocks.<i>.0``: residual up-blocks (conditional BN → ReLU → up ×2 → 3×3 conv → conditional
  BN → ReLU → 3×3 conv, plus a 1×1 conv on the up-sampled input). ``blocks.<i>.1`` is a SAGAN
  self-attention layer after the blocks whose output side is in ``attention``.
- ``output_layer.0`` (BatchNorm with a gain), ReLU, ``output_layer.2`` (3×3 conv to RGB), tanh.

**Hierarchical latent.** With ``hier`` the latent is cut into ``blocks + 1`` equal chunks: the
first feeds the stem; block i is conditioned on ``[shared embedding, chunk i + 1]`` (embedding
first). Each conditional BN has ``gain = 1 + Wg·c`` and ``bias = Wb·c`` from that condition ``c``
and normalises with its stored statistics (``stored_mean``, ``stored_var``) and ``bn_eps``; the
output BatchNorm always uses eps = 1e-5, as the reference builds it without ``BN_eps``.

**Spectral norm.** Every layer stores its raw ``weight`` with buffers ``u0`` [1, out] and ``sv0``
[1]. The weight used is ``weight / σ`` where σ comes from one power-iteration step from the
stored ``u0``, as the reference computes in eval mode: ``v = normalize(u0 W)``,
``u = normalize(v Wᵀ)``, ``σ = (v Wᵀ) · u``, with W the weight as [out, fan-in] and ``normalize``
dividing by ``max(‖x‖, sn_eps)``. ``u0`` is never updated and ``sv0`` (the reference's logging
value) is not used; files without ``sv0`` (the converter writes none) load with ``sv0 = 1``.

This module is for inference, as the checkpoints are: BatchNorms always use the stored
statistics and σ never updates, whether the module is in train or eval mode. Images come out
in [0, 1] (the reference's tanh output mapped by ``(x + 1) / 2``). The converted TF-Hub models
carry BatchNorm statistics for untruncated latents only; truncation is applied when *sampling*
latents (``sample_latents(n, truncation=ψ)``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from latentlab.generators.base import Generator, JsonConfig, SplitGenerator, assign_state
from latentlab.generators.imagenet_classes import ImageNetClassNames, imagenet_class_names

#: resolution -> (input, output) channel multipliers of the up-blocks, as in BigGAN-PyTorch's ``G_arch``
BLOCK_MULTIPLIERS: dict[int, tuple[tuple[int, ...], tuple[int, ...]]] = {
    32: ((4, 4, 4), (4, 4, 4)),
    64: ((16, 16, 8, 4), (16, 8, 4, 2)),
    128: ((16, 16, 8, 4, 2), (16, 8, 4, 2, 1)),
    256: ((16, 16, 8, 8, 4, 2), (16, 8, 8, 4, 2, 1)),
    512: ((16, 16, 8, 8, 4, 2, 1), (16, 8, 8, 4, 2, 1, 1)),
}
BOTTOM_WIDTH = 4  # side of the stem's feature map; block i outputs 4 · 2^(i+1) px
PUBLISHED_RESOLUTIONS = (128, 256, 512)
#: the converted TF-Hub models: latent size and self-attention resolution (TFHub/converter.py ``get_config``)
_PUBLISHED = {128: (120, 64), 256: (140, 128), 512: (128, 64)}
#: eps of the models trained with BigGAN-PyTorch itself (its BigGAN_ch96_bs256x8 launch and sample scripts)
TRAINED_BN_EPS, TRAINED_SN_EPS = 1e-5, 1e-6
#: eps of the converted TF-Hub models (TFHub/converter.py ``get_config``)
CONVERTED_BN_EPS, CONVERTED_SN_EPS = 1e-4, 1e-4
OUTPUT_BN_EPS = 1e-5  # the output BatchNorm's eps whatever ``bn_eps`` is (the reference does not pass it on)


@dataclass
class BigGANConfig(JsonConfig):
    """Architecture of a :class:`BigGAN` (defaults: the released BigGAN_ch96_bs256x8_138k, 128 px).

    The fields map to BigGAN-PyTorch's ``Generator`` arguments (see :meth:`to_reference_kwargs`):
    ``ch`` is ``G_ch``; ``attention`` lists the resolutions with a self-attention layer (``G_attn``
    ``'64'`` is ``(64,)``); ``dim_z`` is the latent size after the reference rounds it down to a
    multiple of the chunk count (``hier``); ``num_svs`` is ``num_G_SVs``.
    """

    resolution: int = 128
    ch: int = 96
    dim_z: int = 120
    shared_dim: int = 128
    hier: bool = True
    attention: tuple[int, ...] = (64,)
    n_classes: int = 1000
    num_svs: int = 1
    bn_eps: float = TRAINED_BN_EPS
    sn_eps: float = TRAINED_SN_EPS

    def __post_init__(self) -> None:
        self.attention = tuple(self.attention)

    @classmethod
    def published(cls, resolution: int) -> BigGANConfig:
        """Config of the TF-Hub biggan-``resolution`` model (128, 256 or 512) as converted by BigGAN-PyTorch."""
        if resolution not in _PUBLISHED:
            raise ValueError(f"no published BigGAN at {resolution!r} px; expected one of {list(PUBLISHED_RESOLUTIONS)}")
        dim_z, attention = _PUBLISHED[resolution]
        return cls(resolution=resolution, dim_z=dim_z, attention=(attention,), bn_eps=CONVERTED_BN_EPS,
                   sn_eps=CONVERTED_SN_EPS)

    @classmethod
    def from_state_dict(cls, state: Mapping[str, torch.Tensor]) -> BigGANConfig:
        """The config a BigGAN-PyTorch generator state dict was made with, read off its keys and shapes.

        The block count gives the resolution, the RGB convolution the width, the stem and the
        conditional BNs the latent chunking, ``blocks.<i>.1.gamma`` the attention layers. The eps
        values are not stored in the files: a state dict with ``sv0`` buffers was written by
        BigGAN-PyTorch's training (``bn_eps`` 1e-5, ``sn_eps`` 1e-6 as in its scripts), one
        without by its TF-Hub converter (1e-4 and 1e-4). Pass a config to override.
        """
        need = ["shared.weight", "linear.weight", "output_layer.2.weight", "blocks.0.0.bn1.gain.weight"]
        missing = [k for k in need if k not in state]
        if missing:
            raise ValueError(f"not a BigGAN-PyTorch generator state dict (G.pth / G_ema.pth / converted biggan-*.pth): "
                             f"it lacks {missing}; its first keys are {sorted(state)[:6]}")
        shared, stem = state["shared.weight"], state["linear.weight"]
        rgb, cond = state["output_layer.2.weight"], state["blocks.0.0.bn1.gain.weight"]
        if shared.dim() != 2 or stem.dim() != 2 or rgb.dim() != 4 or cond.dim() != 2:
            raise ValueError(f"unexpected tensor ranks: shared.weight {tuple(shared.shape)}, linear.weight "
                             f"{tuple(stem.shape)}, output_layer.2.weight {tuple(rgb.shape)}, "
                             f"blocks.0.0.bn1.gain.weight {tuple(cond.shape)}")
        blocks = sorted({int(k.split(".")[1]) for k in state if k.startswith("blocks.") and k.split(".")[1].isdigit()})
        if blocks != list(range(len(blocks))):
            raise ValueError(f"the state dict's blocks are not numbered 0..n-1: {blocks}")
        resolution = BOTTOM_WIDTH * 2 ** len(blocks)
        if resolution not in BLOCK_MULTIPLIERS:
            raise ValueError(f"{len(blocks)} up-blocks make {resolution} px, which BigGAN-PyTorch has no architecture for; "
                             f"expected {[len(a[0]) for a in BLOCK_MULTIPLIERS.values()]} blocks ({sorted(BLOCK_MULTIPLIERS)} px)")
        last = BLOCK_MULTIPLIERS[resolution][1][-1]
        if rgb.shape[1] % last:
            raise ValueError(f"output_layer.2.weight has {rgb.shape[1]} input channels, not a multiple of {last} "
                             f"(the last block's channel multiplier at {resolution} px)")
        n_classes, shared_dim = shared.shape
        chunk, cond_dim = stem.shape[1], cond.shape[1]
        hier = cond_dim > shared_dim
        if hier and cond_dim - shared_dim != chunk:
            raise ValueError(f"the conditional BNs read {cond_dim} = {shared_dim} (embedding) + {cond_dim - shared_dim} "
                             f"latent entries, but the stem reads {chunk}; a hierarchical latent needs equal chunks")
        trained = any(k.endswith(".sv0") for k in state)
        return cls(resolution=resolution, ch=rgb.shape[1] // last, dim_z=chunk * (len(blocks) + 1) if hier else chunk,
                   shared_dim=shared_dim, hier=hier, n_classes=n_classes,
                   attention=tuple(BOTTOM_WIDTH * 2 ** (i + 1) for i in blocks if f"blocks.{i}.1.gamma" in state),
                   num_svs=sum(1 for k in state if k.startswith("linear.u") and k[8:].isdigit()) or 1,
                   bn_eps=TRAINED_BN_EPS if trained else CONVERTED_BN_EPS,
                   sn_eps=TRAINED_SN_EPS if trained else CONVERTED_SN_EPS)

    def to_reference_kwargs(self) -> dict:
        """The keyword arguments of BigGAN-PyTorch's ``BigGAN.Generator`` for this architecture."""
        return {"G_ch": self.ch, "dim_z": self.dim_z, "bottom_width": BOTTOM_WIDTH, "resolution": self.resolution,
                "G_attn": "_".join(str(r) for r in self.attention) or "0", "n_classes": self.n_classes,
                "num_G_SVs": self.num_svs, "num_G_SV_itrs": 1, "G_shared": True, "shared_dim": self.shared_dim,
                "hier": self.hier, "cross_replica": False, "mybn": False, "BN_eps": self.bn_eps, "SN_eps": self.sn_eps,
                "G_param": "SN", "norm_style": "bn"}

    # derived ---------------------------------------------------------------------------------
    @property
    def block_channels(self) -> list[tuple[int, int]]:
        """(input, output) channels of each up-block."""
        ins, outs = BLOCK_MULTIPLIERS[self.resolution]
        return [(self.ch * a, self.ch * b) for a, b in zip(ins, outs)]

    @property
    def chunk(self) -> int:
        """Latent entries read by the stem (and, with ``hier``, by each block)."""
        return self.dim_z // (len(self.block_channels) + 1) if self.hier else self.dim_z


def _check_config(config: BigGANConfig) -> None:
    def positive(name: str, value) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"BigGAN config {name} must be a positive integer, got {value!r}")

    if config.resolution not in BLOCK_MULTIPLIERS:
        raise ValueError(f"BigGAN-PyTorch has no architecture for {config.resolution!r} px; expected one of {sorted(BLOCK_MULTIPLIERS)}")
    for name in ("ch", "dim_z", "shared_dim", "n_classes", "num_svs"):
        positive(name, getattr(config, name))
    slots = len(BLOCK_MULTIPLIERS[config.resolution][0]) + 1
    if config.hier and config.dim_z % slots:
        raise ValueError(f"with hier, dim_z must be a multiple of the {slots} latent chunks at {config.resolution} px, got "
                         f"{config.dim_z} (BigGAN-PyTorch rounds it down to {config.dim_z // slots * slots})")
    sides = [BOTTOM_WIDTH * 2 ** (i + 1) for i in range(slots - 1)]
    wrong = [r for r in config.attention if r not in sides]
    if wrong:
        raise ValueError(f"attention at {wrong} px: a {config.resolution} px BigGAN's blocks output {sides} px")
    for side, (_, cout) in zip(sides, config.block_channels):
        if side in config.attention and cout < 8:
            raise ValueError(f"self-attention at {side} px needs at least 8 channels there, got {cout} (ch={config.ch})")
    for name in ("bn_eps", "sn_eps"):
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(f"BigGAN config {name} must be a number > 0, got {value!r}")


# --- layers ------------------------------------------------------------------------------------
class _SpectralNormed(nn.Module):
    """A weight with BigGAN-PyTorch's spectral-norm buffers ``u<i>`` [1, out] and ``sv<i>`` [1]."""

    def _init_spectral(self, shape: tuple[int, ...], bias: bool, num_svs: int, eps: float) -> None:
        self.eps, self.num_svs = eps, num_svs
        self.weight = nn.Parameter(torch.empty(shape))
        self.bias = nn.Parameter(torch.zeros(shape[0])) if bias else None
        for i in range(num_svs):
            self.register_buffer(f"u{i}", torch.randn(1, shape[0]))
            self.register_buffer(f"sv{i}", torch.ones(1))
        if self.weight.device.type != "meta":  # a placeholder until weights are loaded
            nn.init.kaiming_uniform_(self.weight, a=5 ** 0.5)

    def normalized_weight(self) -> torch.Tensor:
        """``weight / σ``, σ from one power-iteration step from ``u0`` (``u0`` is not updated)."""
        w = self.weight.reshape(self.weight.shape[0], -1)
        v = F.normalize(torch.matmul(self.u0, w), eps=self.eps)  # [1, fan-in]
        wv = torch.matmul(v, w.t())  # [1, out]
        u = F.normalize(wv, eps=self.eps)
        sigma = torch.squeeze(torch.matmul(wv, u.t()))
        return self.weight / sigma

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):
        for i in range(self.num_svs):  # sv<i> only logs σ; files written without it keep the default
            state_dict.setdefault(f"{prefix}sv{i}", getattr(self, f"sv{i}").detach().clone())
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)


class SNLinear(_SpectralNormed):
    def __init__(self, cin: int, cout: int, bias: bool = True, num_svs: int = 1, eps: float = TRAINED_SN_EPS):
        super().__init__()
        self._init_spectral((cout, cin), bias, num_svs, eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.normalized_weight(), self.bias)


class SNConv2d(_SpectralNormed):
    def __init__(self, cin: int, cout: int, kernel: int, bias: bool = True, num_svs: int = 1, eps: float = TRAINED_SN_EPS):
        super().__init__()
        self.padding = kernel // 2
        self._init_spectral((cout, cin, kernel, kernel), bias, num_svs, eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.normalized_weight(), self.bias, padding=self.padding)


class ConditionalBatchNorm(nn.Module):
    """BatchNorm on stored statistics with gain ``1 + gain(c)`` and bias ``bias(c)`` from the condition c."""

    def __init__(self, channels: int, cond_dim: int, config: BigGANConfig):
        super().__init__()
        self.eps = config.bn_eps
        self.gain = SNLinear(cond_dim, channels, bias=False, num_svs=config.num_svs, eps=config.sn_eps)
        self.bias = SNLinear(cond_dim, channels, bias=False, num_svs=config.num_svs, eps=config.sn_eps)
        self.register_buffer("stored_mean", torch.zeros(channels))
        self.register_buffer("stored_var", torch.ones(channels))

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        gain = (1 + self.gain(cond)).reshape(cond.shape[0], -1, 1, 1)
        bias = self.bias(cond).reshape(cond.shape[0], -1, 1, 1)
        out = F.batch_norm(x, self.stored_mean, self.stored_var, None, None, False, 0.0, self.eps)
        return out * gain + bias


class OutputBatchNorm(nn.Module):
    """The last, unconditional BatchNorm: stored statistics, learnt ``gain`` and ``bias``.

    Its eps is always 1e-5: BigGAN-PyTorch builds this layer without passing ``BN_eps`` on.
    """

    def __init__(self, channels: int, eps: float = OUTPUT_BN_EPS):
        super().__init__()
        self.eps = eps
        self.gain = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer("stored_mean", torch.zeros(channels))
        self.register_buffer("stored_var", torch.ones(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.batch_norm(x, self.stored_mean, self.stored_var, self.gain, self.bias, False, 0.0, self.eps)


class SelfAttention(nn.Module):
    """SAGAN self-attention: queries at every position, keys and values max-pooled 2×2, output scaled by ``gamma``."""

    def __init__(self, channels: int, config: BigGANConfig):
        super().__init__()
        sn = {"bias": False, "num_svs": config.num_svs, "eps": config.sn_eps}
        self.theta = SNConv2d(channels, channels // 8, 1, **sn)  # queries
        self.phi = SNConv2d(channels, channels // 8, 1, **sn)  # keys
        self.g = SNConv2d(channels, channels // 2, 1, **sn)  # values
        self.o = SNConv2d(channels // 2, channels, 1, **sn)
        self.gamma = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        n, c, h, w = x.shape
        query = self.theta(x).reshape(n, c // 8, h * w)  # [N, C/8, HW]
        key = F.max_pool2d(self.phi(x), [2, 2]).reshape(n, c // 8, h * w // 4)  # [N, C/8, HW/4]
        value = F.max_pool2d(self.g(x), [2, 2]).reshape(n, c // 2, h * w // 4)  # [N, C/2, HW/4]
        attention = F.softmax(torch.bmm(query.transpose(1, 2), key), -1)  # [N, HW, HW/4]
        out = self.o(torch.bmm(value, attention.transpose(1, 2)).reshape(n, c // 2, h, w))
        return self.gamma * out + x


class GBlock(nn.Module):
    """Residual up-block: CBN → ReLU → up ×2 → conv3×3 → CBN → ReLU → conv3×3, plus conv1×1 of the up-sampled input."""

    def __init__(self, cin: int, cout: int, cond_dim: int, config: BigGANConfig):
        super().__init__()
        sn = {"num_svs": config.num_svs, "eps": config.sn_eps}
        self.conv1 = SNConv2d(cin, cout, 3, **sn)
        self.conv2 = SNConv2d(cout, cout, 3, **sn)
        self.conv_sc = SNConv2d(cin, cout, 1, **sn)  # always learnt: every block up-samples
        self.bn1 = ConditionalBatchNorm(cin, cond_dim, config)
        self.bn2 = ConditionalBatchNorm(cout, cond_dim, config)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        h = F.interpolate(F.relu(self.bn1(x, cond)), scale_factor=2)
        h = self.conv2(F.relu(self.bn2(self.conv1(h), cond)))
        return h + self.conv_sc(F.interpolate(x, scale_factor=2))


# --- the generator -----------------------------------------------------------------------------
class BigGAN(ImageNetClassNames, Generator):
    """Class-conditional BigGAN; layers are ``stem``, ``block1`` … ``blockK`` and ``attention``.

    A generator with several attention layers names them ``attention1``, ``attention2``, … in
    order. Latents are [N, dim_z]; classes are indices [N] or soft class vectors [N, n_classes].
    """

    edit_layer = "block1"  # where paint by word splits by default

    def __init__(self, config: BigGANConfig | None = None):
        super().__init__()
        self.config = config = config or BigGANConfig()
        _check_config(config)
        self.latent_dim = config.dim_z
        self.resolution = config.resolution
        self._set_class_names(config.n_classes)
        channels = config.block_channels
        cond_dim = config.shared_dim + (config.chunk if config.hier else 0)
        self.shared = nn.Embedding(config.n_classes, config.shared_dim)
        self.linear = SNLinear(config.chunk, channels[0][0] * BOTTOM_WIDTH ** 2, num_svs=config.num_svs, eps=config.sn_eps)
        blocks = []
        for i, (cin, cout) in enumerate(channels):
            block: list[nn.Module] = [GBlock(cin, cout, cond_dim, config)]
            if BOTTOM_WIDTH * 2 ** (i + 1) in config.attention:
                block.append(SelfAttention(cout, config))
            blocks.append(nn.ModuleList(block))
        self.blocks = nn.ModuleList(blocks)
        last = channels[-1][1]
        self.output_layer = nn.Sequential(OutputBatchNorm(last), nn.ReLU(),
                                          SNConv2d(last, 3, 3, num_svs=config.num_svs, eps=config.sn_eps))
        self._layers = [(i, layer) for i, block in enumerate(self.blocks) for layer in block]  # (block index, module)
        self._names = self._layer_table()

    @classmethod
    def from_state_dict(cls, config: BigGANConfig | None, state: Mapping[str, torch.Tensor]) -> BigGAN:
        """A model in eval mode holding ``state`` (BigGAN-PyTorch keys, strict), built without random init.

        ``config`` None infers it (:meth:`BigGANConfig.from_state_dict`). Missing ``sv<i>`` buffers
        (unused at inference) are allowed, as is a one-element ``gamma`` of shape [1].
        """
        config = config or BigGANConfig.from_state_dict(state)
        imagenet_class_names()  # import open_clip's table outside the meta-device context
        with torch.device("meta"):  # skip initialising ~70 M parameters that are replaced at once
            model = cls(config)
        expected = model.state_dict()
        state = dict(state)
        for key, value in expected.items():
            name = key.rsplit(".", 1)[-1]
            if key not in state and name.startswith("sv") and name[2:].isdigit():
                state[key] = torch.ones(value.shape)
            elif key in state and value.dim() == 0 and tuple(state[key].shape) == (1,):
                state[key] = state[key].reshape(())
        return assign_state(model, state, f"BigGAN {config.resolution} px with config {config.to_json()}")

    # feature pipeline ------------------------------------------------------------------------
    def _layer_table(self) -> list[str]:
        n_attention = sum(isinstance(m, SelfAttention) for _, m in self._layers)
        names, block, attention = [], 0, 0
        for _, layer in self._layers:
            if isinstance(layer, SelfAttention):
                attention += 1
                names.append("attention" if n_attention == 1 else f"attention{attention}")
            else:
                block += 1
                names.append(f"block{block}")
        return names

    def embed(self, y: torch.Tensor) -> torch.Tensor:
        """Shared class embedding [N, shared_dim] of soft class vectors [N, n_classes] (a matrix product)."""
        return torch.matmul(y.to(self.shared.weight.dtype), self.shared.weight)

    def _conditions(self, z: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The stem's input and each block's condition ``[embedding, latent chunk]`` (embedding alone without hier)."""
        embedding = self.embed(y)
        if not self.config.hier:
            return z, [embedding] * len(self.blocks)
        chunks = torch.split(z, self.config.chunk, 1)
        return chunks[0], [torch.cat([embedding, chunk], 1) for chunk in chunks[1:]]

    def _run(self, h: torch.Tensor | None, stem_input: torch.Tensor, conds: list[torch.Tensor],
             start: int, stop: int) -> torch.Tensor:
        """Layers ``start``..``stop`` (0 = stem, i = the i-th block or attention layer) on features ``h``."""
        if start == 0:
            h = self.linear(stem_input)
            h = h.reshape(h.shape[0], -1, BOTTOM_WIDTH, BOTTOM_WIDTH)
        for block, layer in self._layers[max(start, 1) - 1:stop]:
            h = layer(h, conds[block])
        return h

    def _to_image(self, h: torch.Tensor, stem_input: torch.Tensor, conds: list[torch.Tensor], depth: int) -> torch.Tensor:
        h = self._run(h, stem_input, conds, depth + 1, len(self._layers))
        return (torch.tanh(self.output_layer(h)) + 1.0) / 2.0

    def synthesize(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        stem_input, conds = self._conditions(z, y)
        return self._to_image(self._run(None, stem_input, conds, 0, 0), stem_input, conds, 0)

    def first_latent_weight(self) -> torch.Tensor:
        """The stem's weight on the latent [16·ch·4·4, latent_dim], for SeFa.

        With ``hier`` the stem reads only the first chunk: the other columns are zero.
        """
        weight = self.linear.normalized_weight()
        out = weight.new_zeros(weight.shape[0], self.latent_dim)
        out[:, :weight.shape[1]] = weight
        return out

    # splitting ---------------------------------------------------------------------------------
    def layer_names(self) -> list[str]:
        return ["stem", *self._names]

    def split(self, layer: str = "block1") -> SplitGenerator:
        """Cut after ``layer`` (default: the first block's output, as paint by word does)."""
        depth = self._check_layer(layer)

        def f(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            stem_input, conds = self._conditions(z, self._check_classes(z, y))
            return self._run(None, stem_input, conds, 0, depth)

        def h(features: torch.Tensor, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            stem_input, conds = self._conditions(z, self._check_classes(z, y))
            return self._to_image(features, stem_input, conds, depth)

        return SplitGenerator(layer, f, h)


__all__ = ["BLOCK_MULTIPLIERS", "BigGAN", "BigGANConfig", "PUBLISHED_RESOLUTIONS"]
