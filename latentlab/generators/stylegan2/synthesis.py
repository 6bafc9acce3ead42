"""The synthesis network of StyleGAN2: one block per resolution, every layer modulated by a style vector.

Each modulated layer of a block (``conv0``, ``conv1``, ``torgb``) reads one w of W+ through its
style affine. :meth:`SynthesisNetwork.block_styles` computes those style vectors (StyleSpace) and
:meth:`SynthesisNetwork.run_styles` runs blocks from them, so W+ and StyleSpace take one path.
Architectures: ``skip`` (the official configs: an RGB image per block, upsampled and summed),
``orig`` (RGB from the last block only) and ``resnet`` (residual blocks, 1×1 up-skips).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from latentlab.generators.region import resize_mask
from latentlab.generators.style_channels import StyleLayer
from latentlab.generators.stylegan2.layers import Conv2dLayer, SynthesisLayer, ToRGBLayer
from latentlab.generators.stylegan2.ops import setup_filter, upsample2d

BlockStyles = list[torch.Tensor]  # one block's style vectors: conv0 (if it has one), conv1, torgb (if it has one)
Regions = Sequence[tuple[BlockStyles, torch.Tensor]]  # (a block's styles of another image, mask [N or 1, 1, R, R])


def _styled(layer: nn.Module, x: torch.Tensor, styles: BlockStyles, j: int, regions: Regions, **kwargs) -> torch.Tensor:
    """``layer.modulate(x, styles[j])``, with each region's ``j``-th style vector taking over inside its mask."""
    out = layer.modulate(x, styles[j], **kwargs)
    for region_styles, mask in regions:
        m = resize_mask(mask.to(out.dtype), out.shape[-2:])
        out = out + m * (layer.modulate(x, region_styles[j].expand(x.shape[0], -1), **kwargs) - out)
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

    def styled_layers(self) -> list[tuple[str, nn.Module]]:
        """(name, layer) of the block's modulated layers in the order they read W+: conv0, conv1, torgb as present."""
        names = (["conv0"] if self.in_channels else []) + ["conv1"] + (["torgb"] if self.num_torgb else [])
        return [(name, getattr(self, name)) for name in names]

    def styles(self, ws: torch.Tensor) -> BlockStyles:
        """The block's style vectors from its rows of W+ ``ws`` [N, num_conv + num_torgb, w_dim]."""
        return [layer.style(ws[:, j]) for j, (_, layer) in enumerate(self.styled_layers())]

    def features(self, x: torch.Tensor | None, styles: BlockStyles, noise_mode: str = "const",
                 regions: Regions = ()) -> torch.Tensor:
        """The block's feature map from the previous one (``styles``: this block's, see :meth:`styles`)."""
        if self.in_channels == 0:
            x = self.const[None].expand(styles[0].shape[0], -1, -1, -1)
            return _styled(self.conv1, x, styles, 0, regions, noise_mode=noise_mode)
        if self.architecture == "resnet":
            y = self.skip(x, gain=math.sqrt(0.5))
            x = _styled(self.conv0, x, styles, 0, regions, noise_mode=noise_mode)
            x = _styled(self.conv1, x, styles, 1, regions, noise_mode=noise_mode, gain=math.sqrt(0.5))
            return y + x
        x = _styled(self.conv0, x, styles, 0, regions, noise_mode=noise_mode)
        return _styled(self.conv1, x, styles, 1, regions, noise_mode=noise_mode)

    def rgb(self, x: torch.Tensor, img: torch.Tensor | None, styles: BlockStyles, regions: Regions = ()) -> torch.Tensor | None:
        """The RGB image after this block: the previous one upsampled, plus this block's ToRGB of ``x``."""
        if img is not None:
            img = upsample2d(img, self.resample_filter)
        if self.num_torgb:
            y = _styled(self.torgb, x, styles, self.num_conv, regions).to(torch.float32)
            img = y if img is None else img + y
        return img

    def forward(self, x: torch.Tensor | None, img: torch.Tensor | None, styles: BlockStyles, noise_mode: str = "const",
                regions: Regions = ()) -> tuple[torch.Tensor, torch.Tensor | None]:
        x = self.features(x, styles, noise_mode, regions)
        return x, self.rgb(x, img, styles, regions)


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
        """Each block's rows of W+: its convs' and, overlapping the next block's first, its ToRGB's."""
        out, index = [], 0
        for block in self.blocks():
            out.append(ws.narrow(1, index, block.num_conv + block.num_torgb))
            index += block.num_conv
        return out

    # StyleSpace ---------------------------------------------------------------------------------
    def style_layers(self) -> list[StyleLayer]:
        """Every modulated layer in synthesis order: (``b{res}.conv0|conv1|torgb``, the W+ index it reads, channels)."""
        out, index = [], 0
        for block in self.blocks():
            out += [StyleLayer(f"b{block.resolution}.{name}", index + j, layer.affine.weight.shape[0])
                    for j, (name, layer) in enumerate(block.styled_layers())]
            index += block.num_conv
        return out

    def block_styles(self, ws: torch.Tensor, start: int = 0, stop: int | None = None) -> list[BlockStyles]:
        """The style vectors of blocks ``start`` … ``stop − 1`` from W+ ``ws``, one list per block."""
        return [block.styles(rows) for block, rows in list(zip(self.blocks(), self.block_ws(ws)))[start:stop]]

    def styles(self, ws: torch.Tensor) -> list[torch.Tensor]:
        """Every style vector [N, C_i] for W+ ``ws``, in :meth:`style_layers` order."""
        return [s for block in self.block_styles(ws) for s in block]

    def nest_styles(self, styles: Sequence[torch.Tensor]) -> list[BlockStyles]:
        """Style vectors in :meth:`style_layers` order, grouped by block (as :meth:`run_styles` takes them)."""
        out, i = [], 0
        for block in self.blocks():
            k = block.num_conv + block.num_torgb
            out.append(list(styles[i:i + k]))
            i += k
        return out

    # running ------------------------------------------------------------------------------------
    def run(self, ws: torch.Tensor, start: int = 0, stop: int | None = None, x: torch.Tensor | None = None,
            img: torch.Tensor | None = None, noise_mode: str = "const", regions: Sequence[tuple[torch.Tensor, torch.Tensor]] = ()):
        """Blocks ``start`` … ``stop − 1`` from state (x, img), styled by W+ ``ws``; returns the state after them.

        ``regions``: (W+ of another image, mask) pairs whose styles take over inside their masks.
        """
        styles = self.block_styles(ws, start, stop)
        regions = [(self.block_styles(rws.expand(ws.shape[0], -1, -1), start, stop), mask) for rws, mask in regions]
        return self.run_styles(styles, start, x, img, noise_mode, regions)

    def run_styles(self, styles: Sequence[BlockStyles], start: int = 0, x: torch.Tensor | None = None,
                   img: torch.Tensor | None = None, noise_mode: str = "const",
                   regions: Sequence[tuple[Sequence[BlockStyles], torch.Tensor]] = ()):
        """Blocks ``start``, ``start + 1``, … (one per entry of ``styles``, each block's style vectors) from state (x, img)."""
        for k, block in enumerate(self.blocks()[start:start + len(styles)]):
            x, img = block(x, img, styles[k], noise_mode, [(region[k], mask) for region, mask in regions])
        return x, img

    def forward(self, ws: torch.Tensor, noise_mode: str = "const") -> torch.Tensor:
        return self.run(ws.to(torch.float32), noise_mode=noise_mode)[1]

    def from_styles(self, styles: Sequence[torch.Tensor], noise_mode: str = "const") -> torch.Tensor:
        """The image from style vectors in :meth:`style_layers` order, as :meth:`forward` from W+."""
        return self.run_styles(self.nest_styles([s.to(torch.float32) for s in styles]), noise_mode=noise_mode)[1]
