"""A compact StyleGAN2-style generator for CPU (the embedded ``shapes-stylegan``).

The StyleGAN2 design (Karras et al., 2020) at a size that trains on two CPU cores:

- a **mapping network** Z (+ class embedding) → W: normalised inputs, ``mapping_layers``
  fully connected layers with leaky ReLU and a reduced learning rate (equalised learning rate
  for every layer), and a running average w̄ for the truncation trick;
- a **synthesis network** from a learned 4×4 constant (with ``input_from_w``, plus a linear map of
  the first style, so what to draw has an additive path into the input): per block, bilinear up ×2 and two
  3×3 **modulated/demodulated convolutions** whose per-input-channel scales come from w through
  an affine layer, each followed by scaled **noise** (fixed per-layer noise maps at inference,
  fresh noise while training) and a bias + leaky ReLU; one modulated 1×1 convolution to RGB.
- training-time **style mixing** (two latents, a random cross-over layer).

``output="layered"`` ends as ``shapes-biggan`` does: the last modulated convolution gives a
background and an object alpha map drawn upright, centred and at one size; a placement head
reads the first style (the coarsest) to move, turn and scale it, and a colour head reads the
last style (the finest) for the object's colour. Style mixing then swaps pose and colour.

W+ gets one w per modulated layer (``num_ws`` = 2 per block − 1, plus one for RGB). Layers are
named ``b4``, ``b8``, … ``b64`` (the feature map after each block) for splitting.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from latentlab.errors import coerce_latents
from latentlab.generators.base import JsonConfig, SplitGenerator
from latentlab.generators.placement import Placement, place, placement_from_head, placement_grid
from latentlab.generators.region import resize_mask
from latentlab.generators.style import StyleGenerator

_LRELU_GAIN = math.sqrt(2.0)
OUTPUTS = ("rgb", "layered")


@dataclass
class CompactStyleGANConfig(JsonConfig):
    """Architecture of a :class:`CompactStyleGAN` (also used to rebuild shipped weights)."""

    class_names: tuple[str, ...] = ("circle", "square", "triangle", "star", "heart")
    latent_dim: int = 64
    w_dim: int = 128
    embed_dim: int = 32  # class embedding fed to the mapping network (conditional models)
    mapping_layers: int = 4
    mapping_lr: float = 0.01  # learning-rate multiplier of the mapping network
    channels: tuple[int, ...] = (128, 128, 64, 32, 16)  # 4×4, then one entry per up-block
    w_avg_beta: float = 0.995
    style_mixing: float = 0.9  # probability of two latents per training batch
    output: str = "rgb"  # "layered": background + an object alpha placed by a spatial transformer + object colour
    object_size: float = 0.5  # "layered": the size (fraction of the width) the object is drawn at before placing
    placement_hidden: int = 128  # "layered": hidden width of the placement head
    colour_hidden: int = 64  # "layered": hidden width of the object-colour head
    input_from_w: bool = False  # the 4×4 input is the learned constant plus a map of the first style

    @property
    def resolution(self) -> int:
        return 4 * 2 ** (len(self.channels) - 1)



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

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        styles = self.affine(w) * self.gain  # [N, cin]
        weight = self.weight
        x = F.conv2d(x * styles[:, :, None, None], weight, padding=self.padding)
        if not self.rgb:  # demodulate: each output channel back to unit expected variance
            demod = (styles.square() @ weight.square().sum(dim=(2, 3)).T + 1e-8).rsqrt()  # [N, cout]
            x = x * demod[:, :, None, None]
            noise = torch.randn_like(x[:, :1]) if self.training else self.noise_const.to(x.dtype)[None, None]
            x = x + noise * self.noise_strength
            return F.leaky_relu(x + self.bias[None, :, None, None], 0.2) * _LRELU_GAIN
        return x + self.bias[None, :, None, None]


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

    def start(self, w: torch.Tensor) -> torch.Tensor:
        """The first block's input [N, C, R, R] for first styles ``w`` [N, w_dim]."""
        x = self.const[None].expand(w.shape[0], -1, -1, -1)
        return x if self.input is None else x + self.input(w).view(x.shape)


def _background(out: torch.Tensor) -> torch.Tensor:
    """The background layer [N, 3, R, R] in [0, 1] from a layered output's first three channels."""
    return (torch.tanh(out[:, :3]) + 1.0) / 2.0


def _as_mask(mask: torch.Tensor, device: torch.device) -> torch.Tensor:
    """A mask [R, R] or [1, 1, R, R] in [0, 1] as a float tensor [1, 1, R, R]."""
    if not isinstance(mask, torch.Tensor) or mask.dim() not in (2, 4) or mask.shape[-1] != mask.shape[-2]:
        got = tuple(mask.shape) if isinstance(mask, torch.Tensor) else type(mask).__name__
        raise ValueError(f"a region mask must be a square tensor [R, R] or [1, 1, R, R], got {got}")
    return mask.reshape(1, 1, *mask.shape[-2:]).to(device, torch.float32)


class CompactStyleGAN(StyleGenerator):
    """Class-conditional (or unconditional, with ``class_names=()``) style-based generator."""

    edit_layer = "b8"  # where paint by word splits by default

    def __init__(self, config: CompactStyleGANConfig | None = None):
        super().__init__()
        self.config = config = config or CompactStyleGANConfig()
        self.class_names = tuple(config.class_names)
        self.latent_dim, self.w_dim = config.latent_dim, config.w_dim
        self.resolution = config.resolution
        lr = config.mapping_lr
        cin = config.latent_dim
        if self.class_names:
            self.embed = EqualLinear(len(self.class_names), config.embed_dim)
            cin += config.embed_dim
        self.mapping_net = nn.Sequential(*[EqualLinear(cin if i == 0 else config.w_dim, config.w_dim, lr=lr, activation=True)
                                           for i in range(config.mapping_layers)])
        self.register_buffer("w_avg", torch.zeros(config.w_dim))
        resolutions = [4 * 2 ** i for i in range(len(config.channels))]
        self.blocks = nn.ModuleList(
            StyleBlock(0 if i == 0 else config.channels[i - 1], c, config.w_dim, r, config.input_from_w)
            for i, (c, r) in enumerate(zip(config.channels, resolutions)))
        if config.output not in OUTPUTS:
            raise ValueError(f"unknown output {config.output!r}; expected one of {OUTPUTS}")
        if not 0.0 < config.object_size <= 1.0:
            raise ValueError(f"object_size must lie in (0, 1]; got {config.object_size}")
        layered = config.output == "layered"
        self.to_rgb = ModulatedConv(config.channels[-1], 4 if layered else 3, config.w_dim, 1, self.resolution, rgb=True)
        if layered:  # object centre (2), a direction whose angle is its rotation (2), log size (1); colour (3)
            self.placement_head = nn.Sequential(nn.Linear(config.w_dim, config.placement_hidden), nn.ReLU(),
                                                nn.Linear(config.placement_hidden, 5))
            self.object_colour = nn.Sequential(nn.Linear(config.w_dim, config.colour_hidden), nn.ReLU(),
                                               nn.Linear(config.colour_hidden, 3))
        self.layer_resolutions = [r for block, r in zip(self.blocks, resolutions) for _ in range(block.num_ws)] + [self.resolution]
        self.num_ws = len(self.layer_resolutions)
        self._block_names = [f"b{r}" for r in resolutions]
        # channels-last feature maps: CPU convolutions and bilinear upsampling run several times faster
        self.to(memory_format=torch.channels_last)

    # mapping ---------------------------------------------------------------------------------
    def mapping(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        x = _normalize(z)
        if self.class_names:
            x = torch.cat([x, _normalize(self.embed(y))], dim=1)
        w = self.mapping_net(x)
        if self.training:  # track the average w for truncation
            with torch.no_grad():
                self.w_avg.copy_(w.detach().float().mean(dim=0).lerp(self.w_avg, self.config.w_avg_beta))
        return w

    def synthesize(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        ws = self.broadcast(self.mapping(z, y))
        if self.training and self.config.style_mixing > 0 and torch.rand(()) < self.config.style_mixing:
            cut = int(torch.randint(1, self.num_ws, ()))  # layers from `cut` on come from a second latent
            ws2 = self.broadcast(self.mapping(torch.randn_like(z), y))
            ws = torch.cat([ws[:, :cut], ws2[:, cut:]], dim=1)
        return self.synthesis(ws)

    # synthesis -------------------------------------------------------------------------------
    def _run_blocks(self, ws: torch.Tensor, start: int, stop: int, x: torch.Tensor | None,
                    regions: Sequence[tuple[torch.Tensor, torch.Tensor]] = ()) -> torch.Tensor:
        """Blocks ``start`` … ``stop − 1``; ``regions`` are (W+ styles, mask) pairs that replace the
        styles inside their masks (each layer's output blended by the mask at its resolution)."""
        index = sum(b.num_ws for b in self.blocks[:start])
        for block in self.blocks[start:stop]:
            if block.first:
                x = block.start(ws[:, index])
            else:
                x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
            for layer in block.layers():
                x = self._styled(layer, x, ws, index, regions)
                index += 1
        return x

    def _styled(self, layer: ModulatedConv, x: torch.Tensor, ws: torch.Tensor, index: int,
                regions: Sequence[tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
        out = layer(x, ws[:, index])
        for region_ws, mask in regions:
            m = resize_mask(mask, out.shape[-2:])
            out = out + m * (layer(x, region_ws[:, index].expand(x.shape[0], -1)) - out)
        return out

    def _to_image(self, x: torch.Tensor, ws: torch.Tensor, regions=()) -> torch.Tensor:
        out = self._styled(self.to_rgb, x, ws, self.num_ws - 1, regions)
        if self.config.output == "rgb":
            return ((torch.tanh(out) + 1.0) / 2.0).contiguous()
        background, alpha, colour = self._layers(out, ws, regions)
        return (background + alpha * (colour - background)).contiguous()

    # layered output ----------------------------------------------------------------------------
    def _layers(self, out: torch.Tensor, ws: torch.Tensor, regions=()) -> tuple[torch.Tensor, ...]:
        """Background, placed alpha and object colour; inside a region, its own styles place and colour the object."""
        n, size = out.shape[0], out.shape[-1]
        background = _background(out)
        grid = placement_grid(self._placement(ws[:, 0]), size, self.config.object_size)
        colour = self._colour(ws[:, -1])
        for region_ws, mask in regions:
            m = resize_mask(mask, out.shape[-2:])
            region_grid = placement_grid(self._placement(region_ws[:, 0].expand(n, -1)), size, self.config.object_size)
            grid = grid + m.permute(0, 2, 3, 1) * (region_grid - grid)
            colour = colour + m * (self._colour(region_ws[:, -1].expand(n, -1)) - colour)
        return background, place(torch.sigmoid(out[:, 3:]), grid), colour

    def _placement(self, w: torch.Tensor) -> Placement:
        return placement_from_head(self.placement_head(w), self.config.object_size)

    def _colour(self, w: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.object_colour(w))[:, :, None, None]  # [N, 3, 1, 1]

    def _check_layered(self, what: str) -> None:
        if self.config.output != "layered":
            raise ValueError(f"{what}() needs output='layered'; this generator has output={self.config.output!r}")

    def layers(self, z: torch.Tensor, y: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The layers a ``"layered"`` generator composites: background, object alpha, object colour.

        ``G(z, y) == background + alpha · (colour − background)`` (no style mixing).
        """
        self._check_layered("layers")
        background, drawn, colour, placement = self.drawn_layers(z, y)
        return background, place(drawn, placement_grid(placement, self.resolution, self.config.object_size)), colour

    def drawn_layers(self, z: torch.Tensor, y: torch.Tensor | None = None
                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, Placement]:
        """The layers before placing: background, the object's alpha as drawn (upright, centred, at
        ``object_size``), object colour, and the placement that puts the alpha in the image."""
        self._check_layered("drawn_layers")
        ws = self.broadcast(self.mapping(z := coerce_latents(z, self.latent_dim, self.latent_dtype), self._check_classes(z, y)))
        out = self.to_rgb(self._run_blocks(ws, 0, len(self.blocks), None), ws[:, -1])
        return _background(out), torch.sigmoid(out[:, 3:]), self._colour(ws[:, -1]), self._placement(ws[:, 0])

    def placement(self, z: torch.Tensor, y: torch.Tensor | None = None) -> Placement:
        """Where a ``"layered"`` generator puts its object (centre, rotation as (cos, sin), size)."""
        self._check_layered("placement")
        return self._placement(self.mapping(z := coerce_latents(z, self.latent_dim, self.latent_dtype), self._check_classes(z, y)))

    @property
    def places_object(self) -> bool:
        """Whether the object's alpha is drawn in a frame of its own and placed by :meth:`object_grid`."""
        return self.config.output == "layered"

    def object_grid(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """The grid_sample grid [N, R, R, 2] that places the object's alpha, drawn in its own frame, in the image."""
        return placement_grid(self.placement(z, y), self.resolution, self.config.object_size)

    def _head_inputs(self, z: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """What the placement head and the object-colour head read (for fitting them alone)."""
        w = self.mapping(z, self._check_classes(z, y))
        return w, w

    def synthesis(self, ws: torch.Tensor) -> torch.Tensor:
        return self._to_image(self._run_blocks(ws, 0, len(self.blocks), None), ws)

    # splitting (paint by word, dissection) -----------------------------------------------------
    def layer_names(self) -> list[str]:
        return list(self._block_names)

    def split(self, layer: str = "b8") -> SplitGenerator:
        """Cut after block ``layer``: f(z, y) → its feature map, h(features, z, y) → image."""
        depth = self._check_layer(layer) + 1

        def f(z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
            ws = self.broadcast(self.mapping(z, self._check_classes(z, y)))
            return self._run_blocks(ws, 0, depth, None)

        def h(features: torch.Tensor, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
            ws = self.broadcast(self.mapping(z, self._check_classes(z, y)))
            return self._to_image(self._run_blocks(ws, depth, len(self.blocks), features), ws)

        return SplitGenerator(layer, f, h)

    def synthesize_edits_wplus(self, base_ws: torch.Tensor, edits: Sequence[tuple[torch.Tensor, torch.Tensor]],
                               layer: str) -> torch.Tensor:
        """Region edits in W+: the feature map at ``layer`` and the styles of every later layer
        are the edit's inside its mask and the base's outside (two styles per layer, seed 000 §4.3.2).

        ``base_ws`` [N or 1, num_ws, w_dim]; ``edits``: (W+ styles [N or 1, …], mask [1, 1, R, R]).
        """
        depth = self._check_layer(layer) + 1
        base_ws = self.check_wplus(base_ws)
        edits = [(self.check_wplus(ws), _as_mask(mask, self.device)) for ws, mask in edits]
        n = max([base_ws.shape[0]] + [ws.shape[0] for ws, _ in edits])
        base_ws = base_ws.expand(n, -1, -1)
        x = self._run_blocks(base_ws, 0, depth, None)
        for ws, mask in edits:
            x = x + resize_mask(mask, x.shape[-2:]) * (self._run_blocks(ws.expand(n, -1, -1), 0, depth, None) - x)
        x = self._run_blocks(base_ws, depth, len(self.blocks), x, edits)
        return self._to_image(x, base_ws, edits)

    def synthesize_edits(self, base: tuple[torch.Tensor, torch.Tensor | None],
                         edits: Sequence[tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]], layer: str) -> torch.Tensor:
        """Region edits given as latents z (the :class:`Generator` contract), through W+."""
        z0, y0 = base
        to_ws = lambda z, y: self.broadcast(self.mapping(z, y))  # noqa: E731
        return self.synthesize_edits_wplus(to_ws(z0, y0), [(to_ws(z, y), mask) for z, y, mask in edits], layer)
