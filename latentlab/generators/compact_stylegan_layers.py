"""The layers of the compact StyleGAN2-style generator: equalised linear maps, modulated convolutions, blocks.

Each modulated convolution reads one w of W+ through its style affine: :meth:`ModulatedConv.style`
gives the style vector (StyleSpace) and :meth:`ModulatedConv.modulate` applies one, so a block
runs the same code from W+ and from given style vectors (:meth:`StyleBlock.styles`, :meth:`StyleBlock.run`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from latentlab.generators.region import resize_mask

_LRELU_GAIN = math.sqrt(2.0)

Regions = Sequence[tuple[Sequence[torch.Tensor], torch.Tensor]]  # (another image's style vectors, mask [N or 1, 1, R, R])


class EqualLinear(nn.Module):
    """Fully connected layer with equalised learning rate (weights scaled at run time)."""

    def __init__(self, cin: int, cout: int, bias_init: float = 0.0, lr: float = 1.0, activation: bool = False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(cout, cin) / lr)
        self.bias = nn.Parameter(torch.full((cout,), float(bias_init)))
        self.gain, self.lr, self.activation = lr / math.sqrt(cin), lr, activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.linear(x, self.weight * self.gain, self.bias * self.lr)
        return F.leaky_relu(x, 0.2) * _LRELU_GAIN if self.activation else x


def _normalize(x: torch.Tensor) -> torch.Tensor:
    return x * (x.square().mean(dim=1, keepdim=True) + 1e-8).rsqrt()


class ModulatedConv(nn.Module):
    """Modulated (and demodulated) convolution: the style scales input channels, the output is
    renormalised to unit variance; then noise, bias and leaky ReLU (none for RGB layers)."""

    def __init__(self, cin: int, cout: int, w_dim: int, kernel: int, resolution: int, rgb: bool = False):
        super().__init__()
        self.affine = EqualLinear(w_dim, cin, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(cout, cin, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(cout))
        self.rgb, self.padding = rgb, kernel // 2
        self.gain = 1.0 / math.sqrt(cin * kernel * kernel)
        if not rgb:
            self.noise_strength = nn.Parameter(torch.zeros(()))
            self.register_buffer("noise_const", torch.randn(resolution, resolution))
            self.noise_override: torch.Tensor | None = None  # [N or 1, 1, R, R] in place of noise_const (inversion)

    def style(self, w: torch.Tensor) -> torch.Tensor:
        """The style vector [N, cin] for w [N, w_dim] (weight gain included): the scale of each input channel."""
        return self.affine(w) * self.gain

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return self.modulate(x, self.style(w))

    def modulate(self, x: torch.Tensor, styles: torch.Tensor) -> torch.Tensor:
        """The layer's output for style vectors ``styles`` [N, cin] (see :meth:`style`)."""
        weight = self.weight
        x = F.conv2d(x * styles[:, :, None, None], weight, padding=self.padding)
        if not self.rgb:  # demodulate: each output channel back to unit expected variance
            demod = (styles.square() @ weight.square().sum(dim=(2, 3)).T + 1e-8).rsqrt()  # [N, cout]
            x = x * demod[:, :, None, None]
            if self.noise_override is not None:
                noise = self.noise_override.to(x.dtype)
            else:
                noise = torch.randn_like(x[:, :1]) if self.training else self.noise_const.to(x.dtype)[None, None]
            x = x + noise * self.noise_strength
            return F.leaky_relu(x + self.bias[None, :, None, None], 0.2) * _LRELU_GAIN
        return x + self.bias[None, :, None, None]


def styled(layer: ModulatedConv, x: torch.Tensor, styles: Sequence[torch.Tensor], j: int, regions: Regions) -> torch.Tensor:
    """``layer.modulate(x, styles[j])``, with each region's ``j``-th style vector taking over inside its mask."""
    out = layer.modulate(x, styles[j])
    for region_styles, mask in regions:
        m = resize_mask(mask, out.shape[-2:])
        out = out + m * (layer.modulate(x, region_styles[j].expand(x.shape[0], -1)) - out)
    return out


class StyleBlock(nn.Module):
    """Bilinear up ×2 (except the first block, which starts from a learned constant) and two modulated convs."""

    def __init__(self, cin: int, cout: int, w_dim: int, resolution: int, input_from_w: bool = False):
        super().__init__()
        self.first = cin == 0
        if self.first:
            self.const = nn.Parameter(torch.randn(cout, resolution, resolution))
            # an additive path from the style to the input: what to draw (a class's outline) need
            # not be built from channel scalings of one constant
            self.input = EqualLinear(w_dim, cout * resolution * resolution) if input_from_w else None
        else:
            self.conv0 = ModulatedConv(cin, cout, w_dim, 3, resolution)
        self.conv1 = ModulatedConv(cout, cout, w_dim, 3, resolution)
        self.num_ws = 1 if self.first else 2

    def layers(self) -> list[ModulatedConv]:
        return [self.conv1] if self.first else [self.conv0, self.conv1]

    def styled_layers(self) -> list[tuple[str, nn.Module]]:
        """(name, module) of every map of w the block has, in order: its input map (``input``, first block with
        ``input_from_w``), then ``conv0`` and ``conv1`` as present; the ``j``-th convolution reads W+ row ``j``."""
        names = (["input"] if self.first and self.input is not None else []) + (["conv1"] if self.first else ["conv0", "conv1"])
        return [(name, getattr(self, name)) for name in names]

    def styles(self, ws: torch.Tensor, index: int) -> list[torch.Tensor]:
        """The block's style vectors for W+ ``ws`` whose row ``index`` is the block's first: its input map
        [N, C·R·R] (where it has one) and each convolution's style [N, cin]."""
        out = [self.input(ws[:, index])] if self.first and self.input is not None else []
        return out + [layer.style(ws[:, index + j]) for j, layer in enumerate(self.layers())]

    def start(self, w: torch.Tensor) -> torch.Tensor:
        """The first block's input [N, C, R, R] for first styles ``w`` [N, w_dim]."""
        return self._start(w.shape[0], None if self.input is None else self.input(w))

    def _start(self, n: int, input_map: torch.Tensor | None) -> torch.Tensor:
        """The first block's input [N, C, R, R]: the constant, plus the input map [N, C·R·R] where there is one."""
        x = self.const[None].expand(n, -1, -1, -1)
        return x if input_map is None else x + input_map.reshape(x.shape)

    def run(self, x: torch.Tensor | None, styles: Sequence[torch.Tensor], regions: Regions = ()) -> torch.Tensor:
        """The block's feature map from the previous block's (None for the first) and its style vectors (:meth:`styles`)."""
        convs = self.layers()
        offset = len(styles) - len(convs)  # 1 where the input map comes first
        if self.first:
            x = self._start(styles[-1].shape[0], styles[0] if offset else None)
        else:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        for j, layer in enumerate(convs):
            x = styled(layer, x, styles, offset + j, regions)
        return x
