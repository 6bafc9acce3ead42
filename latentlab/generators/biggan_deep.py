"""BigGAN-deep (Brock et al. 2019) in the layout of the pytorch-pretrained-BigGAN checkpoints.

Parameter and buffer names equal the keys of that package's ``pytorch_model.bin`` files
(biggan-deep-128/256/512, version 0.1.1), so ``load_state_dict`` takes them unchanged:
``embeddings`` (class → 128-d embedding), ``generator.gen_z`` (stem), ``generator.layers.<i>``
(bottleneck residual blocks, with the self-attention layer at ``attention_layer_position``),
``generator.bn`` and ``generator.conv_to_rgb``. Layers keep torch's spectral-norm storage
(``weight_orig``, ``weight_u``, ``weight_v``); at inference the weight is
``weight_orig / σ`` with ``σ = uᵀ W v`` from the stored vectors (no power iteration: this
module is for inference, as the checkpoints are).

**Two truncations.** latentlab generators take ψ when *sampling* latents
(``sample_latents(n, truncation=ψ)`` resamples entries with |z| > ψ). The reference network
also takes a ``truncation`` t in (0, 1] in its forward pass, which only selects BatchNorm
statistics precomputed for 51 values of t. Here t is the attribute ``BigGANDeep.truncation``
(constructor keyword, default 1.0), validated on assignment. To reproduce the reference's
``truncated_noise_sample(truncation=t)`` prior, use ``t * G.sample_latents(n, truncation=2.0)``
with ``G.truncation = t``. The statistics are interpolated exactly as the reference does
(``modf(t / step)``, weight ``coef`` on the lower grid point), quirk included, so outputs match.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from latentlab.generators.base import Generator, JsonConfig, SplitGenerator, assign_state
from latentlab.generators.imagenet_classes import ImageNetClassNames, imagenet_class_names

#: (up-sample?, input channels / width, output channels / width) per block of each published model
_LAYERS_128 = [(False, 16, 16), (True, 16, 16), (False, 16, 16), (True, 16, 8), (False, 8, 8),
               (True, 8, 4), (False, 4, 4), (True, 4, 2), (False, 2, 2), (True, 2, 1)]
_LAYERS_256 = _LAYERS_128[:5] + [(True, 8, 8), (False, 8, 8), (True, 8, 4), (False, 4, 4),
                                 (True, 4, 2), (False, 2, 2), (True, 2, 1)]
_LAYERS_512 = _LAYERS_256 + [(False, 1, 1), (True, 1, 1)]
PUBLISHED_LAYERS = {128: _LAYERS_128, 256: _LAYERS_256, 512: _LAYERS_512}


@dataclass
class BigGANDeepConfig(JsonConfig):
    """The fields of the checkpoints' ``config.json`` (defaults: biggan-deep-128)."""

    output_dim: int = 128  # image side in pixels
    z_dim: int = 128  # latent size
    class_embed_dim: int = 128  # class embedding size; the format ties it to z_dim
    channel_width: int = 128  # channels = width × the multipliers in ``layers``
    num_classes: int = 1000
    layers: list = field(default_factory=lambda: [list(b) for b in _LAYERS_128])
    attention_layer_position: int = 8  # self-attention before this block
    eps: float = 1e-4  # BatchNorm epsilon
    n_stats: int = 51  # BatchNorm statistics stored for t = 0, 1/(n-1), …, 1

    @classmethod
    def published(cls, resolution: int) -> BigGANDeepConfig:
        """Config of the published biggan-deep-``resolution`` model (128, 256 or 512)."""
        if resolution not in PUBLISHED_LAYERS:
            raise ValueError(f"no published BigGAN-deep at {resolution!r} px; expected one of {sorted(PUBLISHED_LAYERS)}")
        return cls(output_dim=resolution, layers=[list(b) for b in PUBLISHED_LAYERS[resolution]])

    def to_json(self) -> dict:
        d = asdict(self)
        d["layers"] = [list(b) for b in self.layers]
        return d


# --- layers ------------------------------------------------------------------------------------
class _SpectralNormed(nn.Module):
    """Weight stored as torch's spectral norm stores it; ``weight()`` is ``weight_orig / (uᵀ W v)``."""

    def _init_spectral(self, shape: tuple[int, ...], bias: bool) -> None:
        self.weight_orig = nn.Parameter(torch.empty(shape))
        self.bias = nn.Parameter(torch.zeros(shape[0])) if bias else None
        self.register_buffer("weight_u", torch.empty(shape[0]))
        self.register_buffer("weight_v", torch.empty(math.prod(shape[1:])))
        with torch.no_grad():  # random init with u, v from a few power iterations
            nn.init.kaiming_uniform_(self.weight_orig, a=math.sqrt(5))
            w = self.weight_orig.reshape(shape[0], -1)
            u = F.normalize(torch.randn(shape[0]), dim=0)
            for _ in range(3):
                v = F.normalize(w.t() @ u, dim=0)
                u = F.normalize(w @ v, dim=0)
            self.weight_u.copy_(u)
            self.weight_v.copy_(v)

    def weight(self) -> torch.Tensor:
        w = self.weight_orig
        sigma = torch.dot(self.weight_u, torch.mv(w.reshape(w.shape[0], -1), self.weight_v))
        return w / sigma


class SNLinear(_SpectralNormed):
    def __init__(self, cin: int, cout: int, bias: bool = True):
        super().__init__()
        self._init_spectral((cout, cin), bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight(), self.bias)


class SNConv2d(_SpectralNormed):
    def __init__(self, cin: int, cout: int, kernel: int, bias: bool = True):
        super().__init__()
        self.padding = kernel // 2
        self._init_spectral((cout, cin, kernel, kernel), bias)

    def forward(self, x: torch.Tensor, out_channels: int | None = None) -> torch.Tensor:
        """Convolve; ``out_channels`` computes only the first filters (σ still uses all of them)."""
        w, b = self.weight(), self.bias
        if out_channels is not None:
            w, b = w[:out_channels], None if b is None else b[:out_channels]
        return F.conv2d(x, w, b, padding=self.padding)


def _statistics(means: torch.Tensor, variances: torch.Tensor, truncation: float) -> tuple[torch.Tensor, torch.Tensor]:
    """BatchNorm statistics for ``truncation``, interpolated on the stored grid as the reference does."""
    coef, start = math.modf(truncation / (1.0 / (means.shape[0] - 1)))
    start = int(start)
    if coef == 0.0:
        return means[start], variances[start]
    return (means[start] * coef + means[start + 1] * (1 - coef),
            variances[start] * coef + variances[start + 1] * (1 - coef))


class ConditionalBatchNorm(nn.Module):
    """BatchNorm with stored per-truncation statistics and a class/latent-conditioned gain and bias."""

    def __init__(self, channels: int, cond_dim: int, n_stats: int, eps: float):
        super().__init__()
        self.eps = eps
        self.register_buffer("running_means", torch.zeros(n_stats, channels))
        self.register_buffer("running_vars", torch.ones(n_stats, channels))
        self.scale = SNLinear(cond_dim, channels, bias=False)
        self.offset = SNLinear(cond_dim, channels, bias=False)

    def forward(self, x: torch.Tensor, cond: torch.Tensor, truncation: float) -> torch.Tensor:
        mean, var = _statistics(self.running_means, self.running_vars, truncation)
        gain = 1 + self.scale(cond)[:, :, None, None]
        bias = self.offset(cond)[:, :, None, None]
        return (x - mean[None, :, None, None]) / torch.sqrt(var[None, :, None, None] + self.eps) * gain + bias


class OutputBatchNorm(nn.Module):
    """The last, unconditional BatchNorm (affine, per-truncation statistics)."""

    def __init__(self, channels: int, n_stats: int, eps: float):
        super().__init__()
        self.eps = eps
        self.register_buffer("running_means", torch.zeros(n_stats, channels))
        self.register_buffer("running_vars", torch.ones(n_stats, channels))
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor, truncation: float) -> torch.Tensor:
        mean, var = _statistics(self.running_means, self.running_vars, truncation)
        return F.batch_norm(x, mean, var, self.weight, self.bias, training=False, momentum=0.0, eps=self.eps)


class SelfAttention(nn.Module):
    """SAGAN self-attention: queries at every position, keys and values max-pooled 2×2."""

    def __init__(self, channels: int):
        super().__init__()
        self.snconv1x1_theta = SNConv2d(channels, channels // 8, 1, bias=False)  # queries
        self.snconv1x1_phi = SNConv2d(channels, channels // 8, 1, bias=False)  # keys
        self.snconv1x1_g = SNConv2d(channels, channels // 2, 1, bias=False)  # values
        self.snconv1x1_o_conv = SNConv2d(channels // 2, channels, 1, bias=False)
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        query = self.snconv1x1_theta(x).reshape(n, c // 8, h * w)  # [N, C/8, HW]
        key = F.max_pool2d(self.snconv1x1_phi(x), 2).reshape(n, c // 8, h * w // 4)  # [N, C/8, HW/4]
        value = F.max_pool2d(self.snconv1x1_g(x), 2).reshape(n, c // 2, h * w // 4)  # [N, C/2, HW/4]
        attention = torch.softmax(torch.bmm(query.transpose(1, 2), key), dim=-1)  # [N, HW, HW/4]
        out = torch.bmm(value, attention.transpose(1, 2)).reshape(n, c // 2, h, w)
        return x + self.gamma * self.snconv1x1_o_conv(out)


class DeepBlock(nn.Module):
    """Bottleneck residual block: 4 × (CBN → ReLU → conv), 1×1 / 3×3 / 3×3 / 1×1, optional up ×2.

    The skip path keeps the first ``cout`` channels (BigGAN-deep drops the rest) and is up-sampled too.
    """

    def __init__(self, cin: int, cout: int, cond_dim: int, up: bool, n_stats: int, eps: float):
        super().__init__()
        mid = cin // 4
        self.up, self.cout = up, cout
        self.bn_0, self.conv_0 = ConditionalBatchNorm(cin, cond_dim, n_stats, eps), SNConv2d(cin, mid, 1)
        self.bn_1, self.conv_1 = ConditionalBatchNorm(mid, cond_dim, n_stats, eps), SNConv2d(mid, mid, 3)
        self.bn_2, self.conv_2 = ConditionalBatchNorm(mid, cond_dim, n_stats, eps), SNConv2d(mid, mid, 3)
        self.bn_3, self.conv_3 = ConditionalBatchNorm(mid, cond_dim, n_stats, eps), SNConv2d(mid, cout, 1)

    def forward(self, x: torch.Tensor, cond: torch.Tensor, truncation: float) -> torch.Tensor:
        h = self.conv_0(F.relu(self.bn_0(x, cond, truncation)))
        h = F.relu(self.bn_1(h, cond, truncation))
        if self.up:
            h = F.interpolate(h, scale_factor=2, mode="nearest")
        h = self.conv_1(h)
        h = self.conv_2(F.relu(self.bn_2(h, cond, truncation)))
        h = self.conv_3(F.relu(self.bn_3(h, cond, truncation)))
        skip = x[:, :self.cout] if x.shape[1] != self.cout else x
        if self.up:
            skip = F.interpolate(skip, scale_factor=2, mode="nearest")
        return h + skip


class _Synthesis(nn.Module):
    """The ``generator`` sub-module of the checkpoints: stem, blocks (+ attention), output."""

    def __init__(self, config: BigGANDeepConfig):
        super().__init__()
        ch, cond_dim = config.channel_width, config.z_dim + config.class_embed_dim
        self.stem_channels = ch * config.layers[0][1]
        self.gen_z = SNLinear(cond_dim, 4 * 4 * self.stem_channels)
        layers: list[nn.Module] = []
        for i, (up, cin, cout) in enumerate(config.layers):
            if i == config.attention_layer_position:
                layers.append(SelfAttention(ch * cin))
            layers.append(DeepBlock(ch * cin, ch * cout, cond_dim, bool(up), config.n_stats, config.eps))
        self.layers = nn.ModuleList(layers)
        last = ch * config.layers[-1][2]
        self.bn = OutputBatchNorm(last, config.n_stats, config.eps)
        self.conv_to_rgb = SNConv2d(last, last, 3)  # only its first 3 filters make the image


def _check_config(config: BigGANDeepConfig) -> None:
    if config.class_embed_dim != config.z_dim:
        raise ValueError(f"class_embed_dim ({config.class_embed_dim}) must equal z_dim ({config.z_dim}) in this format")
    layers = [tuple(b) for b in config.layers]
    if not layers or any(len(b) != 3 for b in layers):
        raise ValueError(f"layers must be a non-empty list of (up_sample, in_multiplier, out_multiplier), got {config.layers!r}")
    for (_, _, out), (_, cin, _) in zip(layers[:-1], layers[1:]):
        if out != cin:
            raise ValueError(f"layers do not chain: a block outputs {out}× width but the next takes {cin}×: {config.layers!r}")
    for _, cin, cout in layers:
        if cin != cout and cin != 2 * cout:
            raise ValueError(f"a block may keep or halve its channels, got {cin}→{cout} in {config.layers!r}")
    resolution = 4 * 2 ** sum(bool(b[0]) for b in layers)
    if resolution != config.output_dim:
        raise ValueError(f"layers up-sample 4×4 to {resolution} px but output_dim is {config.output_dim}")


def _check_truncation(value) -> float:
    try:
        t = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"BigGAN-deep truncation must be a number in (0, 1], got {value!r}") from None
    if not 0.0 < t <= 1.0:
        raise ValueError(f"BigGAN-deep truncation selects BatchNorm statistics and must be in (0, 1], got {value!r}")
    return t


class BigGANDeep(ImageNetClassNames, Generator):
    """Class-conditional BigGAN-deep; layers are ``stem``, ``block1`` … ``blockK`` and ``attention``.

    ``truncation`` (in (0, 1], default 1.0) picks the BatchNorm statistics, as the reference's
    forward argument does; latent truncation is ``sample_latents(truncation=ψ)`` (module docstring).
    """

    def __init__(self, config: BigGANDeepConfig | None = None, *, truncation: float = 1.0):
        super().__init__()
        self.config = config = config or BigGANDeepConfig()
        _check_config(config)
        self.latent_dim = config.z_dim
        self.resolution = config.output_dim
        self._set_class_names(config.num_classes)
        self.truncation = truncation
        self.embeddings = nn.Linear(config.num_classes, config.class_embed_dim, bias=False)
        self.generator = _Synthesis(config)
        self._names = self._layer_table()

    @classmethod
    def from_state_dict(cls, config: BigGANDeepConfig, state: dict[str, torch.Tensor], *,
                        truncation: float = 1.0) -> BigGANDeep:
        """A model in eval mode holding ``state`` (checkpoint keys, strict), built without random init."""
        imagenet_class_names()  # import open_clip's table outside the meta-device context
        with torch.device("meta"):  # skip initialising ~50 M parameters that are replaced at once
            model = cls(config, truncation=truncation)
        return assign_state(model, state, f"BigGAN-deep {config.output_dim} px with this config")

    @property
    def truncation(self) -> float:
        return self._truncation

    @truncation.setter
    def truncation(self, value: float) -> None:
        self._truncation = _check_truncation(value)

    # feature pipeline ------------------------------------------------------------------------
    def _layer_table(self) -> list[str]:
        names, block = [], 0
        for layer in self.generator.layers:
            if isinstance(layer, SelfAttention):
                names.append("attention")
            else:
                block += 1
                names.append(f"block{block}")
        return names

    def _condition(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.cat([z, self.embeddings(y)], dim=1)  # [N, z_dim + embed_dim]

    def _run(self, h: torch.Tensor | None, cond: torch.Tensor, start: int, stop: int) -> torch.Tensor:
        """Layers ``start``..``stop`` (0 = stem, i = generator.layers[i - 1]) on features ``h``."""
        g, t = self.generator, self.truncation
        if start == 0:
            h = g.gen_z(cond).reshape(-1, 4, 4, g.stem_channels).permute(0, 3, 1, 2).contiguous()  # TF's NHWC
        for layer in g.layers[max(start, 1) - 1:stop]:
            h = layer(h) if isinstance(layer, SelfAttention) else layer(h, cond, t)
        return h

    def _to_image(self, h: torch.Tensor, cond: torch.Tensor, depth: int) -> torch.Tensor:
        g = self.generator
        h = self._run(h, cond, depth + 1, len(g.layers))
        rgb = g.conv_to_rgb(F.relu(g.bn(h, self.truncation)), out_channels=3)
        return (torch.tanh(rgb) + 1.0) / 2.0

    def synthesize(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        cond = self._condition(z, y)
        return self._to_image(self._run(None, cond, 0, 0), cond, 0)

    def first_latent_weight(self) -> torch.Tensor:
        """The stem's weight on the latent [4·4·C, latent_dim] (its other columns read the class embedding), for SeFa."""
        return self.generator.gen_z.weight()[:, : self.latent_dim]

    # splitting ---------------------------------------------------------------------------------
    def layer_names(self) -> list[str]:
        return ["stem", *self._names]

    def split(self, layer: str = "block1") -> SplitGenerator:
        """Cut after ``layer`` (default: the first block's output, as paint by word does)."""
        depth = self._check_layer(layer)

        def f(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return self._run(None, self._condition(z, self._check_classes(z, y)), 0, depth)

        def h(features: torch.Tensor, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return self._to_image(features, self._condition(z, self._check_classes(z, y)), depth)

        return SplitGenerator(layer, f, h)
