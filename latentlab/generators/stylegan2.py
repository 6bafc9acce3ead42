"""StyleGAN2 (Karras et al., 2020) in plain PyTorch, laid out like NVIDIA's stylegan2-ada-pytorch.

The module tree and every parameter and buffer name equal those of stylegan2-ada-pytorch's
``training.networks.Generator`` (``mapping.fc0.weight``, ``mapping.w_avg``, ``synthesis.b4.const``,
``synthesis.b4.conv1.affine.weight``, ``…noise_const``, ``…noise_strength``, ``…torgb…``,
``…resample_filter``), so an official ``G_ema`` state dict loads with ``strict=True``
(see :mod:`latentlab.zoo.stylegan2_checkpoints`, which reads NVIDIA ``.pkl`` files without running
code from them, NVIDIA's older TensorFlow ``.pkl`` files and rosinality ``.pt`` files).

The operations are the reference ("ref") paths of NVIDIA's custom ops, in plain PyTorch, float32:

- ``bias_act``: bias, activation (leaky ReLU 0.2 with gain √2 by default), optional clamp ±conv_clamp;
- ``upfirdn2d``: zero insertion, padding and a depthwise convolution with the normalised FIR
  filter (``[1, 3, 3, 1]`` ⊗ ``[1, 3, 3, 1]`` / 64, gain up²);
- ``conv2d_resample``: 3×3 up-convolutions as a transposed convolution (stride 2, weight not
  flipped) followed by the FIR filter; 1×1 up-convolutions (resnet skips) convolve then upsample;
- modulated convolution, fused as one grouped convolution over the batch: weight × style per
  input channel, demodulated per output channel (ε = 1e-8), then noise, bias and activation;
- synthesis architectures ``skip`` (the official configs: an RGB image per block, upsampled and
  summed), ``orig`` (RGB from the last block only) and ``resnet`` (residual blocks, 1×1 up-skips).

Differences from the reference: everything is float32 (the reference's FP16 blocks,
``num_fp16_res``, are evaluated as with ``force_fp32=True``), and noise is deterministic by
default (``noise_mode="const"``: the stored ``noise_const`` maps, as ``generate.py --noise-mode=const``).
:meth:`StyleGAN2.synthesis` maps the network's [-1, 1] output to [0, 1] and clamps (as NVIDIA's
``img * 127.5 + 128`` then ``clamp(0, 255)``); :meth:`StyleGAN2.synthesis_raw` returns it unmapped.

**Splitting.** Layers are the blocks ``b4``, ``b8``, … (the feature map each block outputs). With
the ``skip`` architecture the network's state after a block is two tensors: the features and the
partial RGB image summed so far. ``split(layer).f`` returns only the features (so units are the
block's channels); ``h(features, z, y)`` recomputes the partial RGB image of the *earlier* blocks
from ``z`` (a cheap low-resolution pass), adds the cut block's ToRGB of the *given* features, and
runs the rest. ``h(f(z, y), z, y)`` is exactly the full forward pass, and an edit of the features
reaches the image through the cut block's ToRGB and every later block. Region edits
(:meth:`StyleGAN2.synthesize_edits`) go further: they blend the partial RGB image with the same mask.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields

import torch
import torch.nn.functional as F
from torch import nn

from latentlab.generators.base import SplitGenerator
from latentlab.generators.region import resize_mask
from latentlab.generators.style import StyleGenerator

ARCHITECTURES = ("skip", "orig", "resnet")
NOISE_MODES = ("const", "random", "none")
_SQRT2 = math.sqrt(2.0)

#: name -> (function, default gain), as NVIDIA's ``bias_act.activation_funcs``
_ACTIVATIONS = {
    "linear": (lambda x: x, 1.0),
    "relu": (F.relu, _SQRT2),
    "lrelu": (lambda x: F.leaky_relu(x, 0.2), _SQRT2),
    "tanh": (torch.tanh, 1.0),
    "sigmoid": (torch.sigmoid, 1.0),
    "elu": (F.elu, 1.0),
    "selu": (F.selu, 1.0),
    "softplus": (F.softplus, 1.0),
    "swish": (lambda x: torch.sigmoid(x) * x, _SQRT2),
}


def _check_activation(name: str) -> str:
    if name not in _ACTIVATIONS:
        from latentlab.errors import unknown_name_error

        raise unknown_name_error("activation", name, _ACTIVATIONS)
    return name


# --- ops ------------------------------------------------------------------------------------------
def normalize_2nd_moment(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    return x * (x.square().mean(dim=1, keepdim=True) + eps).rsqrt()


def bias_act(x: torch.Tensor, b: torch.Tensor | None = None, act: str = "linear", gain: float | None = None,
             clamp: float | None = None) -> torch.Tensor:
    """Bias (along dim 1), activation, gain (default: the activation's), clamp to ±clamp."""
    func, default_gain = _ACTIVATIONS[act]
    if b is not None:
        x = x + b.reshape([-1 if i == 1 else 1 for i in range(x.ndim)])
    x = func(x)
    gain = float(default_gain if gain is None else gain)
    if gain != 1:
        x = x * gain
    if clamp is not None and clamp >= 0:
        x = x.clamp(-float(clamp), float(clamp))
    return x


def setup_filter(taps: Sequence[float]) -> torch.Tensor:
    """NVIDIA's ``upfirdn2d.setup_filter``: the filter normalised to sum 1; short 1-D filters become
    their 2-D outer product (separable from 8 taps on)."""
    f = torch.as_tensor(taps, dtype=torch.float32)
    if f.ndim == 0:
        f = f[None]
    if f.ndim == 1 and f.numel() < 8:
        f = torch.outer(f, f)
    return f / f.sum()


def upfirdn2d(x: torch.Tensor, f: torch.Tensor, up: int = 1, padding: Sequence[int] = (0, 0, 0, 0),
              gain: float = 1.0) -> torch.Tensor:
    """Upsample by zero insertion, pad ``(x0, x1, y0, y1)`` (negative: crop), convolve with ``f``·gain."""
    n, c, h, w = x.shape
    if up > 1:
        x = x.reshape(n, c, h, 1, w, 1)
        x = F.pad(x, [0, up - 1, 0, 0, 0, up - 1]).reshape(n, c, h * up, w * up)
    px0, px1, py0, py1 = padding
    x = F.pad(x, [max(px0, 0), max(px1, 0), max(py0, 0), max(py1, 0)])
    x = x[:, :, max(-py0, 0):x.shape[2] - max(-py1, 0), max(-px0, 0):x.shape[3] - max(-px1, 0)]
    f2 = torch.outer(f, f) if f.ndim == 1 else f
    f2 = (f2 * gain).to(x.dtype).flip([0, 1])  # a convolution, not a correlation
    return F.conv2d(x, f2[None, None].expand(c, 1, *f2.shape), groups=c)


def _filter_size(f: torch.Tensor) -> tuple[int, int]:
    return int(f.shape[-1]), int(f.shape[0])


def upsample2d(x: torch.Tensor, f: torch.Tensor, up: int = 2) -> torch.Tensor:
    """×``up`` FIR upsampling whose output is exactly ``up`` times the input size."""
    fw, fh = _filter_size(f)
    padding = [(fw + up - 1) // 2, (fw - up) // 2, (fh + up - 1) // 2, (fh - up) // 2]
    return upfirdn2d(x, f, up=up, padding=padding, gain=up * up)


def conv2d_resample(x: torch.Tensor, w: torch.Tensor, f: torch.Tensor | None = None, up: int = 1, padding: int = 0,
                    groups: int = 1) -> torch.Tensor:
    """Correlation with ``w`` [O, I/groups, kh, kw], optionally upsampled ×``up`` with FIR filter ``f``.

    The paths of NVIDIA's ``conv2d_resample`` for ``down=1``: plain convolution; 1×1 kernels
    convolve then upsample; larger kernels use a stride-``up`` transposed convolution of the
    unflipped weight followed by the FIR filter (gain up²), with the padding bookkeeping of the reference.
    """
    if up == 1:
        return F.conv2d(x, w, padding=padding, groups=groups)
    out_channels, in_per_group, kh, kw = w.shape
    fw, fh = _filter_size(f)
    px0 = padding + (fw + up - 1) // 2
    px1 = padding + (fw - up) // 2
    py0 = padding + (fh + up - 1) // 2
    py1 = padding + (fh - up) // 2
    if kw == 1 and kh == 1:
        x = F.conv2d(x, w, groups=groups)
        return upfirdn2d(x, f, up=up, padding=[px0, px1, py0, py1], gain=up * up)
    if groups == 1:
        w = w.transpose(0, 1)
    else:
        w = w.reshape(groups, out_channels // groups, in_per_group, kh, kw).transpose(1, 2)
        w = w.reshape(groups * in_per_group, out_channels // groups, kh, kw)
    px0, px1, py0, py1 = px0 - (kw - 1), px1 - (kw - up), py0 - (kh - 1), py1 - (kh - up)
    pxt, pyt = max(min(-px0, -px1), 0), max(min(-py0, -py1), 0)
    x = F.conv_transpose2d(x, w, stride=up, padding=[pyt, pxt], groups=groups)
    return upfirdn2d(x, f, padding=[px0 + pxt, px1 + pxt, py0 + pyt, py1 + pyt], gain=up * up)


def modulated_conv2d(x: torch.Tensor, weight: torch.Tensor, styles: torch.Tensor, noise: torch.Tensor | None = None,
                     up: int = 1, padding: int = 0, resample_filter: torch.Tensor | None = None,
                     demodulate: bool = True) -> torch.Tensor:
    """Modulated (and demodulated) convolution as one grouped convolution over the batch."""
    n = x.shape[0]
    out_channels, in_channels, kh, kw = weight.shape
    w = weight[None] * styles.reshape(n, 1, in_channels, 1, 1)  # [N, O, I, k, k]
    if demodulate:
        dcoefs = (w.square().sum(dim=[2, 3, 4]) + 1e-8).rsqrt()  # [N, O]
        w = w * dcoefs.reshape(n, out_channels, 1, 1, 1)
    x = x.reshape(1, n * in_channels, *x.shape[2:])
    x = conv2d_resample(x, w.reshape(n * out_channels, in_channels, kh, kw), f=resample_filter, up=up,
                        padding=padding, groups=n)
    x = x.reshape(n, out_channels, *x.shape[2:])
    return x if noise is None else x + noise


# --- layers (names as in stylegan2-ada-pytorch's training/networks.py) ----------------------------
class FullyConnectedLayer(nn.Module):
    """Equalised-learning-rate linear layer: weight·(lr/√in), bias·lr, then the activation."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, activation: str = "linear",
                 lr_multiplier: float = 1.0, bias_init: float = 0.0):
        super().__init__()
        self.activation = _check_activation(activation)
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_multiplier)
        self.bias = nn.Parameter(torch.full((out_features,), float(bias_init))) if bias else None
        self.weight_gain = lr_multiplier / math.sqrt(in_features)
        self.bias_gain = lr_multiplier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight.to(x.dtype) * self.weight_gain
        b = self.bias
        if b is not None:
            b = b.to(x.dtype)
            if self.bias_gain != 1:
                b = b * self.bias_gain
        if self.activation == "linear" and b is not None:
            return torch.addmm(b[None], x, w.t())
        return bias_act(x.matmul(w.t()), b, act=self.activation)


class Conv2dLayer(nn.Module):
    """Plain equalised convolution (the resnet architecture's 1×1 up-skip: no bias, linear)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, bias: bool = True,
                 activation: str = "linear", up: int = 1, resample_filter: Sequence[float] = (1, 3, 3, 1),
                 conv_clamp: float | None = None):
        super().__init__()
        self.activation, self.up, self.conv_clamp = _check_activation(activation), up, conv_clamp
        self.register_buffer("resample_filter", setup_filter(resample_filter))
        self.padding = kernel_size // 2
        self.weight_gain = 1 / math.sqrt(in_channels * kernel_size ** 2)
        self.act_gain = _ACTIVATIONS[activation][1]
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None

    def forward(self, x: torch.Tensor, gain: float = 1.0) -> torch.Tensor:
        w = (self.weight * self.weight_gain).to(x.dtype)
        x = conv2d_resample(x, w, f=self.resample_filter, up=self.up, padding=self.padding)
        clamp = self.conv_clamp * gain if self.conv_clamp is not None else None
        return bias_act(x, None if self.bias is None else self.bias.to(x.dtype), act=self.activation,
                        gain=self.act_gain * gain, clamp=clamp)


class MappingNetwork(nn.Module):
    """Z (+ class embedding) → W: normalised inputs, ``num_layers`` equalised FC layers, and w̄."""

    def __init__(self, z_dim: int, c_dim: int, w_dim: int, num_ws: int | None, num_layers: int = 8,
                 embed_features: int | None = None, layer_features: int | None = None, activation: str = "lrelu",
                 lr_multiplier: float = 0.01, w_avg_beta: float | None = 0.995):
        super().__init__()
        self.z_dim, self.c_dim, self.w_dim, self.num_ws = z_dim, c_dim, w_dim, num_ws
        self.num_layers, self.w_avg_beta = num_layers, w_avg_beta
        if embed_features is None:
            embed_features = w_dim
        if c_dim == 0:
            embed_features = 0
        if layer_features is None:
            layer_features = w_dim
        features = [z_dim + embed_features] + [layer_features] * (num_layers - 1) + [w_dim]
        if c_dim > 0:
            self.embed = FullyConnectedLayer(c_dim, embed_features)
        for i in range(num_layers):
            setattr(self, f"fc{i}", FullyConnectedLayer(features[i], features[i + 1], activation=activation,
                                                        lr_multiplier=lr_multiplier))
        # always kept (the base class needs w̄); files without it get one estimated on load
        self.register_buffer("w_avg", torch.zeros(w_dim))

    def forward(self, z: torch.Tensor | None, c: torch.Tensor | None) -> torch.Tensor:
        """w [N, w_dim] (not broadcast, not truncated); tracks w̄ in training mode."""
        x = None
        if self.z_dim > 0:
            x = normalize_2nd_moment(z.to(torch.float32))
        if self.c_dim > 0:
            y = normalize_2nd_moment(self.embed(c.to(torch.float32)))
            x = torch.cat([x, y], dim=1) if x is not None else y
        for i in range(self.num_layers):
            x = getattr(self, f"fc{i}")(x)
        if self.training and self.w_avg_beta is not None:
            with torch.no_grad():
                self.w_avg.copy_(x.detach().mean(dim=0).lerp(self.w_avg, self.w_avg_beta))
        return x


class SynthesisLayer(nn.Module):
    """Modulated 3×3 convolution (optionally up ×2), noise, bias, activation."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, resolution: int, kernel_size: int = 3,
                 up: int = 1, use_noise: bool = True, activation: str = "lrelu",
                 resample_filter: Sequence[float] = (1, 3, 3, 1), conv_clamp: float | None = None):
        super().__init__()
        self.resolution, self.up, self.use_noise = resolution, up, use_noise
        self.activation, self.conv_clamp = _check_activation(activation), conv_clamp
        self.register_buffer("resample_filter", setup_filter(resample_filter))
        self.padding = kernel_size // 2
        self.act_gain = _ACTIVATIONS[activation][1]
        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        if use_noise:
            self.register_buffer("noise_const", torch.randn(resolution, resolution))
            self.noise_strength = nn.Parameter(torch.zeros([]))
        self.bias = nn.Parameter(torch.zeros(out_channels))

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise_mode: str = "const", gain: float = 1.0) -> torch.Tensor:
        styles = self.affine(w)
        noise = None
        if self.use_noise and noise_mode == "random":
            noise = torch.randn(x.shape[0], 1, self.resolution, self.resolution, device=x.device) * self.noise_strength
        elif self.use_noise and noise_mode == "const":
            noise = self.noise_const * self.noise_strength
        x = modulated_conv2d(x, self.weight, styles, noise=noise, up=self.up, padding=self.padding,
                             resample_filter=self.resample_filter)
        clamp = self.conv_clamp * gain if self.conv_clamp is not None else None
        return bias_act(x, self.bias.to(x.dtype), act=self.activation, gain=self.act_gain * gain, clamp=clamp)


class ToRGBLayer(nn.Module):
    """Modulated 1×1 convolution to RGB (no demodulation), bias, optional clamp."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, kernel_size: int = 1,
                 conv_clamp: float | None = None):
        super().__init__()
        self.conv_clamp = conv_clamp
        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.weight_gain = 1 / math.sqrt(in_channels * kernel_size ** 2)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        styles = self.affine(w) * self.weight_gain
        x = modulated_conv2d(x, self.weight, styles, demodulate=False, padding=self.weight.shape[-1] // 2)
        return bias_act(x, self.bias.to(x.dtype), clamp=self.conv_clamp)


Regions = Sequence[tuple[torch.Tensor, torch.Tensor]]  # (styles of the same shape as ws, mask [N or 1, 1, R, R])


def _styled(layer: nn.Module, x: torch.Tensor, ws: torch.Tensor, index: int, regions: Regions, **kwargs) -> torch.Tensor:
    """``layer(x, ws[:, index])``, with each region's styles taking over inside its mask."""
    out = layer(x, ws[:, index], **kwargs)
    for region_ws, mask in regions:
        m = resize_mask(mask.to(out.dtype), out.shape[-2:])
        out = out + m * (layer(x, region_ws[:, index].expand(x.shape[0], -1), **kwargs) - out)
    return out


class SynthesisBlock(nn.Module):
    """One resolution: (const | up-conv0) → conv1 (→ ToRGB); the skip image is upsampled and summed."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, resolution: int, img_channels: int,
                 is_last: bool, architecture: str = "skip", resample_filter: Sequence[float] = (1, 3, 3, 1),
                 conv_clamp: float | None = None, **layer_kwargs):
        super().__init__()
        self.in_channels, self.w_dim, self.resolution = in_channels, w_dim, resolution
        self.img_channels, self.is_last, self.architecture = img_channels, is_last, architecture
        self.register_buffer("resample_filter", setup_filter(resample_filter))
        self.num_conv = self.num_torgb = 0
        if in_channels == 0:
            self.const = nn.Parameter(torch.randn(out_channels, resolution, resolution))
        else:
            self.conv0 = SynthesisLayer(in_channels, out_channels, w_dim=w_dim, resolution=resolution, up=2,
                                        resample_filter=resample_filter, conv_clamp=conv_clamp, **layer_kwargs)
            self.num_conv += 1
        self.conv1 = SynthesisLayer(out_channels, out_channels, w_dim=w_dim, resolution=resolution,
                                    conv_clamp=conv_clamp, **layer_kwargs)
        self.num_conv += 1
        if is_last or architecture == "skip":
            self.torgb = ToRGBLayer(out_channels, img_channels, w_dim=w_dim, conv_clamp=conv_clamp)
            self.num_torgb += 1
        if in_channels != 0 and architecture == "resnet":
            self.skip = Conv2dLayer(in_channels, out_channels, kernel_size=1, bias=False, up=2,
                                    resample_filter=resample_filter)

    def features(self, x: torch.Tensor | None, ws: torch.Tensor, noise_mode: str = "const",
                 regions: Regions = ()) -> torch.Tensor:
        """The block's feature map from the previous one (``ws``: this block's [N, num_conv + num_torgb, w_dim])."""
        if self.in_channels == 0:
            x = self.const[None].expand(ws.shape[0], -1, -1, -1)
            return _styled(self.conv1, x, ws, 0, regions, noise_mode=noise_mode)
        if self.architecture == "resnet":
            y = self.skip(x, gain=math.sqrt(0.5))
            x = _styled(self.conv0, x, ws, 0, regions, noise_mode=noise_mode)
            x = _styled(self.conv1, x, ws, 1, regions, noise_mode=noise_mode, gain=math.sqrt(0.5))
            return y + x
        x = _styled(self.conv0, x, ws, 0, regions, noise_mode=noise_mode)
        return _styled(self.conv1, x, ws, 1, regions, noise_mode=noise_mode)

    def rgb(self, x: torch.Tensor, img: torch.Tensor | None, ws: torch.Tensor, regions: Regions = ()) -> torch.Tensor | None:
        """The RGB image after this block: the previous one upsampled, plus this block's ToRGB of ``x``."""
        if img is not None:
            img = upsample2d(img, self.resample_filter)
        if self.num_torgb:
            y = _styled(self.torgb, x, ws, self.num_conv, regions).to(torch.float32)
            img = y if img is None else img + y
        return img

    def forward(self, x: torch.Tensor | None, img: torch.Tensor | None, ws: torch.Tensor, noise_mode: str = "const",
                regions: Regions = ()) -> tuple[torch.Tensor, torch.Tensor | None]:
        x = self.features(x, ws, noise_mode, regions)
        return x, self.rgb(x, img, ws, regions)


class SynthesisNetwork(nn.Module):
    """W+ [N, num_ws, w_dim] → image [N, img_channels, R, R] in about [-1, 1], one block per resolution."""

    def __init__(self, w_dim: int, img_resolution: int, img_channels: int, channel_base: int = 32768,
                 channel_max: int = 512, channels: Sequence[int] | None = None, **block_kwargs):
        super().__init__()
        if img_resolution < 4 or img_resolution & (img_resolution - 1):
            raise ValueError(f"img_resolution must be a power of two >= 4, got {img_resolution}")
        self.w_dim, self.img_resolution, self.img_channels = w_dim, img_resolution, img_channels
        self.block_resolutions = [2 ** i for i in range(2, int(math.log2(img_resolution)) + 1)]
        if channels is None:
            channels = [min(channel_base // r, channel_max) for r in self.block_resolutions]
        if len(channels) != len(self.block_resolutions):
            raise ValueError(f"channels must list one count per block {self.block_resolutions}, got {list(channels)}")
        self.channels = dict(zip(self.block_resolutions, (int(c) for c in channels)))
        self.num_ws = 0
        for r in self.block_resolutions:
            block = SynthesisBlock(self.channels[r // 2] if r > 4 else 0, self.channels[r], w_dim=w_dim, resolution=r,
                                   img_channels=img_channels, is_last=r == img_resolution, **block_kwargs)
            self.num_ws += block.num_conv + (block.num_torgb if r == img_resolution else 0)
            setattr(self, f"b{r}", block)

    def blocks(self) -> list[SynthesisBlock]:
        return [getattr(self, f"b{r}") for r in self.block_resolutions]

    def block_ws(self, ws: torch.Tensor) -> list[torch.Tensor]:
        """Each block's styles: its convs' and, overlapping the next block's first, its ToRGB's."""
        out, index = [], 0
        for block in self.blocks():
            out.append(ws.narrow(1, index, block.num_conv + block.num_torgb))
            index += block.num_conv
        return out

    def run(self, ws: torch.Tensor, start: int = 0, stop: int | None = None, x: torch.Tensor | None = None,
            img: torch.Tensor | None = None, noise_mode: str = "const", regions: Regions = ()):
        """Blocks ``start`` … ``stop − 1`` from state (x, img); returns the state after them."""
        blocks = self.blocks()
        stop = len(blocks) if stop is None else stop
        per_block = self.block_ws(ws)
        region_blocks = [(self.block_ws(rws), mask) for rws, mask in regions]
        for i in range(start, stop):
            x, img = blocks[i](x, img, per_block[i], noise_mode, [(rb[i], mask) for rb, mask in region_blocks])
        return x, img

    def forward(self, ws: torch.Tensor, noise_mode: str = "const") -> torch.Tensor:
        return self.run(ws.to(torch.float32), noise_mode=noise_mode)[1]


# --- the generator ---------------------------------------------------------------------------------
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


class StyleGAN2(StyleGenerator):
    """StyleGAN2 generator with stylegan2-ada-pytorch's parameter names (``mapping.*``, ``synthesis.*``).

    The submodules are registered as ``mapping`` and ``synthesis`` (the names in the official
    state dicts); as attributes those names are the :class:`StyleGenerator` methods
    :meth:`mapping` (z, y → w) and :meth:`synthesis` (W+ → image in [0, 1]), so the networks
    themselves are :attr:`mapping_network` and :attr:`synthesis_network`.

    ``noise_mode``: ``"const"`` (default, deterministic: the stored per-layer noise maps),
    ``"random"`` (fresh noise each call, as during training) or ``"none"``.
    """

    def __init__(self, config: StyleGAN2Config | None = None, noise_mode: str = "const"):
        super().__init__()
        self.config = config = config or StyleGAN2Config()
        self.class_names = tuple(config.class_names)
        self.latent_dim, self.w_dim, self.resolution = config.z_dim, config.w_dim, config.img_resolution
        synthesis = SynthesisNetwork(
            w_dim=config.w_dim, img_resolution=config.img_resolution, img_channels=config.img_channels,
            channel_base=config.channel_base, channel_max=config.channel_max, channels=config.channels,
            architecture=config.architecture, resample_filter=config.resample_filter, conv_clamp=config.conv_clamp,
            use_noise=config.use_noise, activation=config.activation)
        self.num_ws = synthesis.num_ws
        self.synthesis = synthesis  # registered as the submodule "synthesis" (see the class docstring)
        self.mapping = MappingNetwork(  # registered as the submodule "mapping"
            z_dim=config.z_dim, c_dim=config.c_dim, w_dim=config.w_dim, num_ws=self.num_ws,
            num_layers=config.mapping_layers, embed_features=config.embed_features,
            layer_features=config.layer_features, activation=config.mapping_activation,
            lr_multiplier=config.mapping_lr, w_avg_beta=config.w_avg_beta)
        resolutions = synthesis.block_resolutions
        self.layer_resolutions = [4] + [r for r in resolutions[1:] for _ in range(2)] + [config.img_resolution]
        assert len(self.layer_resolutions) == self.num_ws
        self._block_names = [f"b{r}" for r in resolutions]
        self.edit_layer = f"b{min(max(8, config.img_resolution // 8), 32)}"  # paint by word's default cut
        self.noise_mode = noise_mode

    # submodules under their official names ----------------------------------------------------
    @property
    def mapping_network(self) -> MappingNetwork:
        return self._modules["mapping"]

    @property
    def synthesis_network(self) -> SynthesisNetwork:
        return self._modules["synthesis"]

    @property
    def w_avg(self) -> torch.Tensor:
        """The tracked average w̄ (the buffer ``mapping.w_avg``)."""
        return self._modules["mapping"].w_avg

    @property
    def noise_mode(self) -> str:
        return self._noise_mode

    @noise_mode.setter
    def noise_mode(self, mode: str) -> None:
        if mode not in NOISE_MODES:
            from latentlab.errors import unknown_name_error

            raise unknown_name_error("noise mode", mode, NOISE_MODES)
        self._noise_mode = mode

    # the StyleGenerator interface ----------------------------------------------------------------
    def mapping(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        return self.mapping_network(z, y)

    def synthesis_raw(self, ws: torch.Tensor) -> torch.Tensor:
        """W+ → the network's own output (about [-1, 1], ``img_channels`` channels), as the reference returns it."""
        return self.synthesis_network(ws, noise_mode=self.noise_mode)

    def synthesis(self, ws: torch.Tensor) -> torch.Tensor:
        return self._to_image(self.synthesis_raw(ws))

    def _to_image(self, img: torch.Tensor) -> torch.Tensor:
        img = (img * 0.5 + 0.5).clamp(0.0, 1.0)
        return img.expand(-1, 3, -1, -1) if img.shape[1] == 1 else img

    # splitting ------------------------------------------------------------------------------------
    def layer_names(self) -> list[str]:
        return list(self._block_names)

    def _ws(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        return self.broadcast(self.mapping(z, self._check_classes(z, y)))

    def split(self, layer: str = "b8") -> SplitGenerator:
        """Cut after block ``layer``: f(z, y) → its feature map; h(features, z, y) → image.

        ``h`` recomputes the partial RGB image of the blocks before ``layer`` from ``z`` (skip
        architecture), applies ``layer``'s ToRGB to the given features and runs the later blocks.
        """
        index = self._check_layer(layer)
        net = self.synthesis_network

        def f(z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
            ws = self._ws(z, y)
            x, _ = net.run(ws, 0, index, noise_mode=self.noise_mode)
            return net.blocks()[index].features(x, net.block_ws(ws)[index], self.noise_mode)

        def h(features: torch.Tensor, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
            ws = self._ws(z, y)
            img = None
            if self.config.architecture == "skip" and index > 0:
                _, img = net.run(ws, 0, index, noise_mode=self.noise_mode)
            img = net.blocks()[index].rgb(features, img, net.block_ws(ws)[index])
            _, img = net.run(ws, index + 1, None, features, img, noise_mode=self.noise_mode)
            return self._to_image(img)

        return SplitGenerator(layer, f, h)

    def synthesize_edits_wplus(self, base_ws: torch.Tensor, edits: Sequence[tuple[torch.Tensor, torch.Tensor]],
                               layer: str) -> torch.Tensor:
        """Region edits in W+: after block ``layer`` the feature map *and* the partial RGB image are the
        edit's inside its mask and the base's outside; every later layer's style is split the same way.

        ``base_ws`` [N or 1, num_ws, w_dim]; ``edits``: (W+ styles [N or 1, …], mask [1, 1, R, R]).
        """
        index = self._check_layer(layer)
        net = self.synthesis_network
        base_ws = self.check_wplus(base_ws)
        edits = [(self.check_wplus(ws), mask.to(self.device, torch.float32)) for ws, mask in edits]
        n = max([base_ws.shape[0]] + [ws.shape[0] for ws, _ in edits])
        base_ws = base_ws.expand(n, -1, -1)
        edits = [(ws.expand(n, -1, -1), mask) for ws, mask in edits]
        x, img = net.run(base_ws, 0, index + 1, noise_mode=self.noise_mode)
        for ws, mask in edits:
            x_e, img_e = net.run(ws, 0, index + 1, noise_mode=self.noise_mode)
            m = resize_mask(mask, x.shape[-2:])
            x = x + m * (x_e - x)
            if img is not None:
                img = img + m * (img_e - img)
        _, img = net.run(base_ws, index + 1, None, x, img, noise_mode=self.noise_mode, regions=edits)
        return self._to_image(img)

    def synthesize_edits(self, base: tuple[torch.Tensor, torch.Tensor | None],
                         edits: Sequence[tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]], layer: str) -> torch.Tensor:
        """Region edits given as latents z (the :class:`Generator` contract), through W+."""
        z0, y0 = base
        to_ws = lambda z, y: self.broadcast(self.mapping(z, y))  # noqa: E731
        return self.synthesize_edits_wplus(to_ws(z0, y0), [(to_ws(z, y), mask) for z, y, mask in edits], layer)

    # loading ---------------------------------------------------------------------------------------
    @classmethod
    def from_state_dict(cls, config: StyleGAN2Config, state: dict[str, torch.Tensor], **kwargs) -> StyleGAN2:
        """A model in eval mode with ``state`` (official names) loaded strictly; mismatches are listed."""
        model = cls(config, **kwargs)
        own = model.state_dict()
        missing = sorted(set(own) - set(state))
        unexpected = sorted(set(state) - set(own))
        shapes = sorted(f"{k}: file {tuple(state[k].shape)} vs model {tuple(own[k].shape)}"
                        for k in set(own) & set(state) if tuple(state[k].shape) != tuple(own[k].shape))
        if missing or unexpected or shapes:
            def show(items):
                return ", ".join(items[:8]) + (f", … ({len(items) - 8} more)" if len(items) > 8 else "")
            parts = [f"missing {show(missing)}" if missing else "", f"unexpected {show(unexpected)}" if unexpected else "",
                     f"wrong shapes {show(shapes)}" if shapes else ""]
            raise ValueError("the weights do not fit a StyleGAN2 generator with these hyper-parameters: "
                             + "; ".join(p for p in parts if p))
        model.load_state_dict({k: v.to(torch.float32) for k, v in state.items()}, strict=True)
        return model.eval()


__all__ = ["ARCHITECTURES", "NOISE_MODES", "StyleGAN2", "StyleGAN2Config", "bias_act", "conv2d_resample",
           "modulated_conv2d", "setup_filter", "upfirdn2d", "upsample2d"]


def randomize_weights(model: StyleGAN2, seed: int) -> StyleGAN2:
    """Fill ``model`` with seeded random weights at a trained network's scales (mapping weights / lr,
    style biases near 1, noise on, small RGB weights), so tests and parity checks exercise every path."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if name.endswith("resample_filter"):
                continue
            v = torch.randn(t.shape, generator=gen)
            if name.startswith("mapping.fc") and name.endswith("weight"):
                v = v / model.config.mapping_lr
            elif name.endswith("affine.bias"):
                v = 1 + 0.3 * v
            elif name.endswith("noise_strength"):
                v = 0.5 * v
            elif name.endswith("torgb.weight"):
                v = 0.1 * v  # keeps the output mostly inside [-1, 1], as a trained generator's
            elif name.endswith("bias") or name.endswith("w_avg"):
                v = 0.2 * v
            t.copy_(v)
    return model.eval()
