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

**StyleSpace** (:meth:`CompactStyleGAN.style_channels`): the style vector of every modulated
convolution (``b4.conv1``, ``b8.conv0``, … ``b64.torgb``), each the affine output times the
layer's weight gain, as the convolution scales its input channels by it. Every other map of w
the synthesis has is a style layer too, so that the image is a function of the styles alone:
with ``input_from_w`` the input map ``b4.input`` [C·R·R], and with ``output="layered"`` the
placement head's raw outputs ``placement`` (centre x, y, a rotation direction, log size) and
the colour head's logits ``colour``. W+ synthesis computes the same vectors and runs the same code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from latentlab.errors import coerce_latents
from latentlab.generators.base import JsonConfig, SplitGenerator
from latentlab.generators.compact_stylegan_layers import EqualLinear, ModulatedConv, StyleBlock, _normalize, styled
from latentlab.generators.placement import Placement, place, placement_from_head, placement_grid
from latentlab.generators.region import resize_mask
from latentlab.generators.style import StyleGenerator
from latentlab.generators.style_channels import StyleLayer, check_styles

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


def _background(out: torch.Tensor) -> torch.Tensor:
    """The background layer [N, 3, R, R] in [0, 1] from a layered output's first three channels."""
    return (torch.tanh(out[:, :3]) + 1.0) / 2.0


def _colour_of(logits: torch.Tensor) -> torch.Tensor:
    """The object colour [N, 3, 1, 1] in [0, 1] from the colour head's logits [N, 3]."""
    return torch.sigmoid(logits)[:, :, None, None]


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
        self._style_layers = self._list_style_layers()
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
    def _block_styles(self, ws: torch.Tensor, start: int, stop: int) -> list[list[torch.Tensor]]:
        """The style vectors of blocks ``start`` … ``stop − 1`` from W+ ``ws``, one list per block."""
        index = sum(b.num_ws for b in self.blocks[:start])
        out = []
        for block in self.blocks[start:stop]:
            out.append(block.styles(ws, index))
            index += block.num_ws
        return out

    def _output_styles(self, ws: torch.Tensor) -> list[torch.Tensor]:
        """The styles read after the blocks: the RGB layer's, then (layered output) the placement and colour heads' outputs."""
        out = [self.to_rgb.style(ws[:, self.num_ws - 1])]
        if self.config.output == "layered":
            out += [self.placement_head(ws[:, 0]), self.object_colour(ws[:, -1])]
        return out

    def _run_blocks(self, ws: torch.Tensor, start: int, stop: int, x: torch.Tensor | None,
                    regions: Sequence[tuple[torch.Tensor, torch.Tensor]] = ()) -> torch.Tensor:
        """Blocks ``start`` … ``stop − 1``; ``regions`` are (W+ styles, mask) pairs that replace the
        styles inside their masks (each layer's output blended by the mask at its resolution)."""
        regions = [(self._block_styles(rws.expand(ws.shape[0], -1, -1), start, stop), mask) for rws, mask in regions]
        return self._run_styles(self._block_styles(ws, start, stop), start, x, regions)

    def _run_styles(self, styles: Sequence[Sequence[torch.Tensor]], start: int, x: torch.Tensor | None,
                    regions=()) -> torch.Tensor:
        """Blocks ``start``, ``start + 1``, … (one per entry of ``styles``, each block's style vectors) from ``x``."""
        for k, block in enumerate(self.blocks[start:start + len(styles)]):
            x = block.run(x, styles[k], [(region[k], mask) for region, mask in regions])
        return x

    def _to_image(self, x: torch.Tensor, ws: torch.Tensor, regions=()) -> torch.Tensor:
        regions = [(self._output_styles(rws.expand(ws.shape[0], -1, -1)), mask) for rws, mask in regions]
        return self._output(x, self._output_styles(ws), regions)

    def _output(self, x: torch.Tensor, styles: Sequence[torch.Tensor], regions=()) -> torch.Tensor:
        """The image from the last feature map and the output styles (see :meth:`_output_styles`)."""
        out = styled(self.to_rgb, x, styles, 0, regions)
        if self.config.output == "rgb":
            return ((torch.tanh(out) + 1.0) / 2.0).contiguous()
        background, alpha, colour = self._layers(out, styles, regions)
        return (background + alpha * (colour - background)).contiguous()

    # layered output ----------------------------------------------------------------------------
    def _layers(self, out: torch.Tensor, styles: Sequence[torch.Tensor], regions=()) -> tuple[torch.Tensor, ...]:
        """Background, placed alpha and object colour from the output styles (RGB, placement, colour);
        inside a region, its own styles place and colour the object."""
        n, size = out.shape[0], out.shape[-1]
        background = _background(out)
        grid = placement_grid(placement_from_head(styles[1], self.config.object_size), size, self.config.object_size)
        colour = _colour_of(styles[2])
        for region_styles, mask in regions:
            m = resize_mask(mask, out.shape[-2:])
            region_placement = placement_from_head(region_styles[1].expand(n, -1), self.config.object_size)
            grid = grid + m.permute(0, 2, 3, 1) * (placement_grid(region_placement, size, self.config.object_size) - grid)
            colour = colour + m * (_colour_of(region_styles[2].expand(n, -1)) - colour)
        return background, place(torch.sigmoid(out[:, 3:]), grid), colour

    def _placement(self, w: torch.Tensor) -> Placement:
        return placement_from_head(self.placement_head(w), self.config.object_size)

    def _colour(self, w: torch.Tensor) -> torch.Tensor:
        return _colour_of(self.object_colour(w))

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

    # StyleSpace --------------------------------------------------------------------------------
    def _list_style_layers(self) -> list[StyleLayer]:
        out, index = [], 0
        for block, name in zip(self.blocks, self._block_names):
            for part, module in block.styled_layers():
                channels = module.weight.shape[0] if part == "input" else module.affine.weight.shape[0]
                out.append(StyleLayer(f"{name}.{part}", index, channels))
                index += part != "input"
        out.append(StyleLayer(f"{self._block_names[-1]}.torgb", self.num_ws - 1, self.to_rgb.affine.weight.shape[0]))
        if self.config.output == "layered":
            out += [StyleLayer("placement", 0, 5), StyleLayer("colour", self.num_ws - 1, 3)]
        return out

    def style_layers(self) -> list[StyleLayer]:
        """Every style layer in synthesis order (name, the W+ index it reads, channels): ``b4.input`` (with
        ``input_from_w``), ``b4.conv1``, ``b8.conv0``, ``b8.conv1``, … ``b64.torgb``, then (layered output)
        ``placement`` and ``colour``."""
        return list(self._style_layers)

    def style_channels(self, ws: torch.Tensor) -> list[torch.Tensor]:
        """The style vectors [N, C_i] of W+ ``ws`` [N, num_ws, w_dim], in :meth:`style_layers` order."""
        ws = self.check_wplus(ws)
        return [s for block in self._block_styles(ws, 0, len(self.blocks)) for s in block] + self._output_styles(ws)

    def synthesis_from_styles(self, styles: Sequence[torch.Tensor]) -> torch.Tensor:
        """Images [N, 3, R, R] in [0, 1] from style vectors in :meth:`style_layers` order, as :meth:`synthesis` from W+."""
        styles = check_styles(styles, self._style_layers, type(self).__name__, self.device)
        per_block, i = [], 0
        for block in self.blocks:
            k = len(block.styled_layers())
            per_block.append(styles[i:i + k])
            i += k
        return self._output(self._run_styles(per_block, 0, None), styles[i:])

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
