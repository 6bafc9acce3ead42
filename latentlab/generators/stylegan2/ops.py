"""The operations of StyleGAN2: the reference ("ref") paths of NVIDIA's custom ops, in plain PyTorch, float32.

- ``bias_act``: bias, activation (leaky ReLU 0.2 with gain √2 by default), optional clamp ±conv_clamp;
- ``upfirdn2d``: zero insertion, padding and a depthwise convolution with the normalised FIR
  filter (``[1, 3, 3, 1]`` ⊗ ``[1, 3, 3, 1]`` / 64, gain up²);
- ``conv2d_resample``: 3×3 up-convolutions as a transposed convolution (stride 2, weight not
  flipped) followed by the FIR filter; 1×1 up-convolutions (resnet skips) convolve then upsample;
- ``modulated_conv2d``, fused as one grouped convolution over the batch: weight × style per
  input channel, demodulated per output channel (ε = 1e-8).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

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
