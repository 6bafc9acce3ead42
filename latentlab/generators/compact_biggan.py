"""A compact BigGAN for CPU: hierarchical latent chunks, shared class embedding, conditional BN.

Follows BigGAN (Brock et al.; seed 000 ch. 2): the latent is split into chunks, the first
feeds the 4×4 linear stem and each residual up-block gets its own chunk concatenated with
a shared class embedding, which sets the gain and bias of its conditional BatchNorms.
Spectral norm wraps every weight during training (``spectral_norm=True``); shipped
weights have it folded in, so inference uses plain layers.

``output="layered"`` ends in two layers instead of one RGB convolution: a background image
and an object alpha map from the last features, and an object colour from the latent and
class, composited as ``background + alpha · (colour − background)``. The Shapes world is made
that way, so the generator spends its capacity on shapes rather than on flat colour. With
``rotate_object`` the alpha map is drawn upright and turned about a centre that a small
placement head reads off the stem's input, so drawing a turned shape costs no more than an
upright one. With ``scale_object`` as well, the alpha map is drawn centred at a fixed size
(``object_size``) and the head also predicts the object's size: a spatial transformer places,
turns and scales it, and the convolutions only have to draw each class's outline well.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from latentlab.errors import coerce_latents
from latentlab.generators.base import Generator, JsonConfig, SplitGenerator
from latentlab.generators.placement import Placement, place, placement_from_head, placement_grid
from latentlab.generators.region import resize_mask
from latentlab.latents import normalize_chunks

OUTPUTS = ("rgb", "layered")


@dataclass
class CompactBigGANConfig(JsonConfig):
    """Architecture of a :class:`CompactBigGAN` (also used to rebuild shipped weights)."""

    class_names: tuple[str, ...] = ("circle", "square", "triangle", "star", "heart")
    latent_dim: int = 120  # split evenly over the stem and the blocks
    embed_dim: int = 32  # shared class embedding
    channels: tuple[int, ...] = (256, 128, 64, 32, 16)  # 4×4 stem, then one per up-block
    output: str = "layered"  # "rgb": one conv to RGB; "layered": background + alpha-composited object
    class_in_stem: bool = False  # the stem also sees the class embedding (as in BigGAN-deep)
    colour_hidden: int = 0  # hidden width of the object-colour head ("layered"); 0: one linear layer
    rotate_object: bool = False  # "layered": draw the object's alpha upright, then turn it about a predicted centre
    scale_object: bool = False  # with rotate_object: draw it centred at object_size, then move, turn and scale it
    object_size: float = 0.5  # the size (fraction of the width) a scale_object generator draws its object at
    placement_hidden: int = 64  # hidden width of the placement head (rotate_object)
    spectral_norm: bool = False  # on while training; folded into the weights when shipped
    head_spectral_norm: bool = True  # also on the small object-colour and placement heads ("layered")
    chunk_knee: float = 0.0  # > 0: each latent chunk is read by its direction (normalize_chunks with this knee)
    extra: dict = field(default_factory=dict)

    @property
    def resolution(self) -> int:
        return 4 * 2 ** (len(self.channels) - 1)



def _sn(module: nn.Module, on: bool) -> nn.Module:
    return nn.utils.parametrizations.spectral_norm(module) if on else module


def _orthogonal(module: nn.Module) -> nn.Module:
    nn.init.orthogonal_(module.weight)
    if getattr(module, "bias", None) is not None:
        nn.init.zeros_(module.bias)
    return module


class ConditionalBatchNorm(nn.Module):
    """BatchNorm whose gain (1 + γ) and bias β are linear in a conditioning vector."""

    def __init__(self, channels: int, cond_dim: int, sn: bool):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, affine=False)
        self.gain = _sn(_orthogonal(nn.Linear(cond_dim, channels, bias=False)), sn)
        self.bias = _sn(_orthogonal(nn.Linear(cond_dim, channels, bias=False)), sn)

    def forward(self, x: torch.Tensor, cond: torch.Tensor, regions: Sequence[tuple[torch.Tensor, torch.Tensor]] = ()) -> torch.Tensor:
        """``regions``: (condition, mask) pairs applied in turn where each mask is 1 (region edits)."""
        gain = 1.0 + self.gain(cond)[:, :, None, None]
        bias = self.bias(cond)[:, :, None, None]
        for inside, mask in regions:  # gain and bias become maps: previous × (1 − m) + this region's × m
            m = resize_mask(mask, x.shape[-2:])  # [1, 1, h, w]
            gain = gain + m * (self.gain(inside)[:, :, None, None] + 1.0 - gain)
            bias = bias + m * (self.bias(inside)[:, :, None, None] - bias)
        return self.bn(x) * gain + bias


class GBlock(nn.Module):
    """Residual up-block: CBN → ReLU → up ×2 → conv → CBN → ReLU → conv, plus up → 1×1 conv."""

    def __init__(self, cin: int, cout: int, cond_dim: int, sn: bool):
        super().__init__()
        self.bn1 = ConditionalBatchNorm(cin, cond_dim, sn)
        self.conv1 = _sn(_orthogonal(nn.Conv2d(cin, cout, 3, padding=1)), sn)
        self.bn2 = ConditionalBatchNorm(cout, cond_dim, sn)
        self.conv2 = _sn(_orthogonal(nn.Conv2d(cout, cout, 3, padding=1)), sn)
        self.skip = _sn(_orthogonal(nn.Conv2d(cin, cout, 1)), sn)

    def forward(self, x: torch.Tensor, cond: torch.Tensor, regions: Sequence[tuple[torch.Tensor, torch.Tensor]] = ()) -> torch.Tensor:
        h = F.interpolate(F.relu(self.bn1(x, cond, regions)), scale_factor=2, mode="nearest")
        h = self.conv2(F.relu(self.bn2(self.conv1(h), cond, regions)))
        return h + self.skip(F.interpolate(x, scale_factor=2, mode="nearest"))


class CompactBigGAN(Generator):
    """Class-conditional BigGAN-style generator; layers are named ``stem``, ``block1`` … ``blockK``."""

    edit_layer = "block1"  # where paint by word splits by default

    def __init__(self, config: CompactBigGANConfig | None = None):
        super().__init__()
        self.config = config = config or CompactBigGANConfig()
        self.class_names = tuple(config.class_names)
        self.latent_dim = config.latent_dim
        self.resolution = config.resolution
        n_blocks = len(config.channels) - 1
        if config.latent_dim % (n_blocks + 1):
            raise ValueError(f"latent_dim {config.latent_dim} must split evenly into {n_blocks + 1} chunks")
        self.chunk = config.latent_dim // (n_blocks + 1)
        sn = config.spectral_norm
        c0 = config.channels[0]
        self.shared = nn.Linear(len(self.class_names), config.embed_dim, bias=False)  # class embedding
        nn.init.normal_(self.shared.weight, std=1.0)
        stem_in = self.chunk + (config.embed_dim if config.class_in_stem else 0)
        self.stem = _sn(_orthogonal(nn.Linear(stem_in, c0 * 16)), sn)
        cond_dim = config.embed_dim + self.chunk
        self.blocks = nn.ModuleList(
            GBlock(cin, cout, cond_dim, sn) for cin, cout in zip(config.channels[:-1], config.channels[1:])
        )
        if config.output not in OUTPUTS:
            raise ValueError(f"unknown output {config.output!r}; expected one of {OUTPUTS}")
        self.out_bn = nn.BatchNorm2d(config.channels[-1])
        self.out_conv = _sn(_orthogonal(nn.Conv2d(config.channels[-1], 3 if config.output == "rgb" else 4, 3, padding=1)), sn)
        if config.output == "layered":
            # the heads regress exact values (a hue circle, a centre): a Lipschitz bound of 1 may keep them from it
            sn = sn and config.head_spectral_norm
            colour_in, hidden = cond_dim + stem_in, config.colour_hidden
            self.object_colour = (_sn(_orthogonal(nn.Linear(colour_in, 3)), sn) if not hidden else nn.Sequential(
                _sn(_orthogonal(nn.Linear(colour_in, hidden)), sn), nn.ReLU(), _sn(_orthogonal(nn.Linear(hidden, 3)), sn)))
            if config.rotate_object:  # object centre (2), a direction whose angle is the rotation (2), log size (1)
                self.placement_head = nn.Sequential(
                    _sn(_orthogonal(nn.Linear(stem_in, config.placement_hidden)), sn), nn.ReLU(),
                    _sn(_orthogonal(nn.Linear(config.placement_hidden, 5 if config.scale_object else 4)), sn))
        elif config.rotate_object:
            raise ValueError("rotate_object=True needs output='layered'")
        if config.scale_object and not config.rotate_object:
            raise ValueError("scale_object=True needs rotate_object=True")
        if not 0.0 < config.object_size <= 1.0:
            raise ValueError(f"object_size must lie in (0, 1]; got {config.object_size}")
        # channels-last convolution weights keep every feature map channels-last, where CPU
        # convolutions and nearest upsampling run about twice as fast as in NCHW
        self.to(memory_format=torch.channels_last)

    # feature pipeline ------------------------------------------------------------------------
    def _conditions(self, z: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        if self.config.chunk_knee:
            z = normalize_chunks(z, self.chunk, self.config.chunk_knee)
        chunks = z.split(self.chunk, dim=1)
        embed = self.shared(y)  # y: soft class vectors [N, C]
        stem = torch.cat([chunks[0], embed], dim=1) if self.config.class_in_stem else chunks[0]
        return stem, [torch.cat([embed, c], dim=1) for c in chunks[1:]]

    def _features(self, z: torch.Tensor, y: torch.Tensor, upto: int, conditions=None) -> torch.Tensor:
        z0, conds = conditions or self._conditions(z, y)
        h = self.stem(z0).view(z.shape[0], -1, 4, 4)
        for block, cond in zip(self.blocks[:upto], conds[:upto]):
            h = block(h, cond)
        return h

    def _image(self, h: torch.Tensor, z: torch.Tensor, y: torch.Tensor, start: int, conditions=None,
               regions: Sequence[tuple[tuple, torch.Tensor]] = ()) -> torch.Tensor:
        """Blocks ``start``… and the output layer; ``regions`` are (conditions, mask) pairs of region edits."""
        z0, conds = conditions or self._conditions(z, y)
        for i, block in enumerate(self.blocks[start:], start):
            h = block(h, conds[i], [(c[1][i], m) for c, m in regions])
        out = self.out_conv(F.relu(self.out_bn(h)))
        if self.config.output == "rgb":
            return ((torch.tanh(out) + 1.0) / 2.0).contiguous()
        background, alpha, colour = self._layers(out, z0, conds, regions)
        return (background + alpha * (colour - background)).contiguous()

    def _layers(self, out: torch.Tensor, z0: torch.Tensor, conds: list[torch.Tensor], regions=()) -> tuple[torch.Tensor, ...]:
        """Background [N, 3, H, W], object alpha [N, 1, H, W] and object colour [N, 3, 1, 1] (or a map with regions)."""
        background = (torch.tanh(out[:, :3]) + 1.0) / 2.0
        alpha = torch.sigmoid(out[:, 3:])
        if self.config.rotate_object:
            grid = self._placement_grid(self._placement(z0), out.shape[-1])
            for c, m in regions:  # inside a region, the object is placed by the region's own latents
                m = resize_mask(m, out.shape[-2:]).permute(0, 2, 3, 1)
                grid = grid + m * (self._placement_grid(self._placement(c[0]), out.shape[-1]) - grid)
            alpha = place(alpha, grid)
        colour = self._object_colour(z0, conds)
        for c, m in regions:  # the object's colour, too, comes from each region's own latents
            colour = colour + resize_mask(m, out.shape[-2:]) * (self._object_colour(*c) - colour)
        return background, alpha, colour

    def placement(self, z: torch.Tensor, y: torch.Tensor | None = None) -> Placement:
        """Where a ``rotate_object`` generator puts its object: centre [N, 2] (x, y as fractions
        of the image), rotation as (cos, sin) [N, 2], counter-clockwise, and — with
        ``scale_object`` — size [N] as a fraction of the width (else None)."""
        if not self.config.rotate_object:
            raise ValueError("placement() needs a generator built with rotate_object=True")
        z = coerce_latents(z, self.latent_dim, self.latent_dtype)
        return self._placement(self._conditions(z, self._check_classes(z, y))[0])

    @property
    def places_object(self) -> bool:
        """Whether the object's alpha is drawn in a frame of its own and placed by :meth:`object_grid`."""
        return self.config.output == "layered" and self.config.rotate_object

    def first_latent_weight(self) -> torch.Tensor:
        """The stem's weight on the latent [16·c0, latent_dim]: it reads the first chunk (zero columns elsewhere)."""
        weight = self.stem.weight.detach()[:, :self.chunk]
        out = weight.new_zeros(weight.shape[0], self.latent_dim)
        out[:, :self.chunk] = weight
        return out

    def object_grid(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """The grid_sample grid [N, R, R, 2] that places the object's alpha, drawn in its own frame, in the image."""
        return self._placement_grid(self.placement(z, y), self.resolution)

    def _placement(self, z0: torch.Tensor) -> Placement:
        return placement_from_head(self.placement_head(z0), self.config.object_size)

    def _placement_grid(self, placement: Placement, size: int) -> torch.Tensor:
        return placement_grid(placement, size, self.config.object_size)

    def layers(self, z: torch.Tensor, y: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The layers a ``"layered"`` generator composites: background, object alpha, object colour.

        ``G(z, y) == background + alpha · (colour − background)``.
        """
        if self.config.output != "layered":
            raise ValueError(f"layers() needs output='layered'; this generator has output={self.config.output!r}")
        z = coerce_latents(z, self.latent_dim, self.latent_dtype)
        y = self._check_classes(z, y)
        conditions = self._conditions(z, y)
        z0, conds = conditions
        h = self._features(z, y, len(self.blocks), conditions)
        return self._layers(self.out_conv(F.relu(self.out_bn(h))), z0, conds)

    def _object_colour(self, z0: torch.Tensor, conds: list[torch.Tensor]) -> torch.Tensor:
        return torch.sigmoid(self.object_colour(torch.cat([z0, conds[-1]], dim=1)))[:, :, None, None]  # [N, 3, 1, 1]

    def _head_inputs(self, z: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """What the placement head and the object-colour head read (for fitting them alone)."""
        z0, conds = self._conditions(z, self._check_classes(z, y))
        return z0, torch.cat([z0, conds[-1]], dim=1)

    def synthesize(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        conditions = self._conditions(z, y)  # embed the class and split z once per call
        return self._image(self._features(z, y, 0, conditions), z, y, 0, conditions)

    # splitting ---------------------------------------------------------------------------------
    def layer_names(self) -> list[str]:
        return ["stem"] + [f"block{i + 1}" for i in range(len(self.blocks))]

    def split(self, layer: str = "block1") -> SplitGenerator:
        """Cut after ``layer`` (default after the first block, as paint by word does)."""
        depth = self._check_layer(layer)

        def f(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return self._features(z, self._check_classes(z, y), depth)

        def h(features: torch.Tensor, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return self._image(features, z, self._check_classes(z, y), depth)

        return SplitGenerator(layer, f, h)

    def synthesize_edits(self, base: tuple[torch.Tensor, torch.Tensor | None],
                         edits: Sequence[tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]], layer: str) -> torch.Tensor:
        """Region edits with the features *and* every later block's condition split by each mask.

        Outside a mask the blocks keep the earlier latent chunks and class (so the rest of the
        image keeps its colours); inside they take the edit's own, as StyleGAN's two-style split
        does (seed 000 §4.3.2). The object colour is split the same way.
        """
        depth = self._check_layer(layer)
        z0, y0 = base
        conditions = self._conditions(z0, y0)
        w = self._features(z0, y0, depth, conditions)
        regions = []
        for z, y, mask in edits:
            inside = self._conditions(z, y)
            w = w + resize_mask(mask, w.shape[-2:]) * (self._features(z, y, depth, inside) - w)
            regions.append((inside, mask))
        return self._image(w, z0, y0, depth, conditions, regions)
