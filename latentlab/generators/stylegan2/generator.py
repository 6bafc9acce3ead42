"""The StyleGAN2 generator: mapping and synthesis networks under the official names, W+ and StyleSpace, splitting.

**Splitting.** Layers are the blocks ``b4``, ``b8``, … (the feature map each block outputs). With
the ``skip`` architecture the network's state after a block is two tensors: the features and the
partial RGB image summed so far. ``split(layer).f`` returns only the features (so units are the
block's channels); ``h(features, z, y)`` recomputes the partial RGB image of the *earlier* blocks
from ``z`` (a cheap low-resolution pass), adds the cut block's ToRGB of the *given* features, and
runs the rest. ``h(f(z, y), z, y)`` is exactly the full forward pass, and an edit of the features
reaches the image through the cut block's ToRGB and every later block. Region edits
(:meth:`StyleGAN2.synthesize_edits`) go further: they blend the partial RGB image with the same mask.

**StyleSpace.** :meth:`StyleGAN2.style_channels` gives the style vector of every modulated
layer (``b4.conv1``, ``b4.torgb``, ``b8.conv0``, …: the affine outputs each layer multiplies its
weight by, the ToRGB layers' with their weight gain) and :meth:`StyleGAN2.synthesis_from_styles`
renders style vectors; W+ synthesis computes the same vectors and runs the same code.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from latentlab.generators.base import SplitGenerator
from latentlab.generators.region import resize_mask
from latentlab.generators.style import StyleGenerator
from latentlab.generators.style_channels import StyleLayer, check_styles
from latentlab.generators.stylegan2.config import StyleGAN2Config
from latentlab.generators.stylegan2.layers import MappingNetwork
from latentlab.generators.stylegan2.synthesis import SynthesisNetwork

NOISE_MODES = ("const", "random", "none")


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
        self._style_layers = synthesis.style_layers()
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

    # StyleSpace -----------------------------------------------------------------------------------
    def style_layers(self) -> list[StyleLayer]:
        """Every modulated layer in synthesis order: ``b4.conv1``, ``b4.torgb``, ``b8.conv0``, ``b8.conv1``, …
        with the W+ index it reads and its number of style channels (its input channels)."""
        return list(self._style_layers)

    def style_channels(self, ws: torch.Tensor) -> list[torch.Tensor]:
        """The style vectors [N, C_i] of W+ ``ws`` [N, num_ws, w_dim] in :meth:`style_layers` order: each layer's
        affine output, which its weight is multiplied by per input channel (the ToRGB layers' with their weight gain)."""
        return self.synthesis_network.styles(self.check_wplus(ws))

    def synthesis_raw_from_styles(self, styles: Sequence[torch.Tensor]) -> torch.Tensor:
        """Style vectors (:meth:`style_layers` order) → the network's own output, as :meth:`synthesis_raw` from W+."""
        styles = check_styles(styles, self._style_layers, type(self).__name__, self.device)
        return self.synthesis_network.from_styles(styles, noise_mode=self.noise_mode)

    def synthesis_from_styles(self, styles: Sequence[torch.Tensor]) -> torch.Tensor:
        """Style vectors (:meth:`style_layers` order) → images [N, 3, R, R] in [0, 1], as :meth:`synthesis` from W+."""
        return self._to_image(self.synthesis_raw_from_styles(styles))

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
            return net.blocks()[index].features(x, net.block_styles(ws, index, index + 1)[0], self.noise_mode)

        def h(features: torch.Tensor, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
            ws = self._ws(z, y)
            img = None
            if self.config.architecture == "skip" and index > 0:
                _, img = net.run(ws, 0, index, noise_mode=self.noise_mode)
            img = net.blocks()[index].rgb(features, img, net.block_styles(ws, index, index + 1)[0])
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
