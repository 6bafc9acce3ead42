"""Style-based generators: a mapping network Z → W, a synthesis network driven by one w per layer.

:class:`StyleGenerator` is the common interface of latentlab's style-based generators (the
embedded ``shapes-stylegan`` and StyleGAN2 checkpoints). Besides the :class:`Generator` contract
(``generator(z, y)`` maps through W), it exposes the three latent spaces explicitly:

- **Z**: the prior, ``sample_latents`` / ``generator(z, y)``;
- **W**: ``to_w(z, y, truncation=ψ)`` then ``from_w(w)`` — one style vector for every layer;
  truncation pulls w towards the average w̄ (StyleGAN's truncation trick);
- **W+**: ``to_wplus`` / ``from_wplus(ws)`` with ``ws`` [N, num_ws, w_dim] — a style vector per layer.

Style mixing takes some layers' styles from one image and the rest from another
(:meth:`StyleGenerator.mix`; named ranges ``coarse``, ``middle`` and ``fine`` by resolution).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import torch

from latentlab.errors import coerce_latents
from latentlab.generators.base import Generator

MIX_RANGES = ("coarse", "middle", "fine")


class StyleGenerator(Generator):
    """Base of style-based generators. Subclasses set ``w_dim``, ``num_ws``, ``layer_resolutions``
    and the ``w_avg`` buffer, and implement :meth:`mapping` and :meth:`synthesis`."""

    w_dim: int
    num_ws: int
    #: resolution of the feature map each w of W+ drives (len == num_ws)
    layer_resolutions: list[int]

    # to implement ------------------------------------------------------------------------
    def mapping(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        """Latents [N, latent_dim] (and soft class vectors or None) → w [N, w_dim], untruncated."""
        raise NotImplementedError

    def synthesis(self, ws: torch.Tensor) -> torch.Tensor:
        """Per-layer styles [N, num_ws, w_dim] → images [N, 3, R, R] in [0, 1]."""
        raise NotImplementedError

    @property
    def latent_spaces(self) -> tuple[str, ...]:
        """Z (and Z+class when conditional), W, W+ and StyleSpace."""
        return (*super().latent_spaces, "w", "w+", "stylespace")

    # the Generator contract goes through W ----------------------------------------------------
    def synthesize(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        return self.synthesis(self.broadcast(self.mapping(z, y)))

    # explicit latent spaces -------------------------------------------------------------------
    def broadcast(self, w: torch.Tensor) -> torch.Tensor:
        """w [N, w_dim] → W+ [N, num_ws, w_dim] (the same style at every layer)."""
        return w[:, None, :].expand(-1, self.num_ws, -1)

    def truncate(self, w: torch.Tensor, truncation: float = 1.0) -> torch.Tensor:
        """Pull w (or W+) towards the average w̄: w̄ + ψ (w − w̄)."""
        if not (isinstance(truncation, (int, float)) and truncation > 0 and truncation == truncation):
            raise ValueError(f"truncation must be a positive number, got {truncation!r}")
        return self.w_avg.to(w.device) + truncation * (w - self.w_avg.to(w.device))

    @torch.no_grad()
    def to_w(self, z: torch.Tensor, y=None, truncation: float = 1.0) -> torch.Tensor:
        """Map latents z (and classes: indices, names or soft vectors) to W, truncated towards w̄."""
        z = coerce_latents(z, self.latent_dim, self.latent_dtype)
        return self.truncate(self.mapping(z, self._check_classes(z, y)), truncation)

    @torch.no_grad()
    def to_wplus(self, z: torch.Tensor, y=None, truncation: float = 1.0) -> torch.Tensor:
        """Like :meth:`to_w`, broadcast to W+ [N, num_ws, w_dim]."""
        return self.broadcast(self.to_w(z, y, truncation)).clone()

    def from_w(self, w: torch.Tensor) -> torch.Tensor:
        """Images from W [N, w_dim]."""
        return self.synthesis(self.broadcast(self.check_w(w)))

    def from_wplus(self, ws: torch.Tensor) -> torch.Tensor:
        """Images from W+ [N, num_ws, w_dim]."""
        return self.synthesis(self.check_wplus(ws))

    def check_w(self, w: torch.Tensor) -> torch.Tensor:
        if not isinstance(w, torch.Tensor) or w.dim() != 2 or w.shape[1] != self.w_dim:
            got = tuple(w.shape) if isinstance(w, torch.Tensor) else type(w).__name__
            raise ValueError(f"w must have shape [N, {self.w_dim}], got {got}")
        if not torch.isfinite(w).all():
            raise ValueError("w contains NaN or infinite values")
        return w.to(self.device, torch.float32)

    def check_wplus(self, ws: torch.Tensor) -> torch.Tensor:
        if not isinstance(ws, torch.Tensor) or ws.dim() != 3 or tuple(ws.shape[1:]) != (self.num_ws, self.w_dim):
            got = tuple(ws.shape) if isinstance(ws, torch.Tensor) else type(ws).__name__
            raise ValueError(f"W+ latents must have shape [N, {self.num_ws}, {self.w_dim}], got {got}")
        if not torch.isfinite(ws).all():
            raise ValueError("W+ latents contain NaN or infinite values")
        return ws.to(self.device, torch.float32)

    # style mixing -----------------------------------------------------------------------------
    def mix_layers(self, layers: str | Sequence[int] | slice) -> list[int]:
        """Indices of W+ layers for a named range (coarse / middle / fine), a slice or a list."""
        if isinstance(layers, str):
            name = layers.lower()
            if name not in MIX_RANGES:
                close = difflib.get_close_matches(name, MIX_RANGES, n=1, cutoff=0.3)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ValueError(f"unknown layer range {layers!r}{hint}; expected one of {MIX_RANGES}, a slice or indices")
            res = self.layer_resolutions
            top = max(res)
            # coarse: up to 1/8 of the output resolution; middle: up to 1/2; fine: the rest
            bounds = {"coarse": (0, top // 8), "middle": (top // 8 + 1, top // 2), "fine": (top // 2 + 1, top)}[name]
            return [i for i, r in enumerate(res) if bounds[0] <= r <= bounds[1]]
        if isinstance(layers, slice):
            return list(range(self.num_ws))[layers]
        out = [int(i) for i in layers]
        bad = [i for i in out if not 0 <= i < self.num_ws]
        if bad:
            raise ValueError(f"W+ layer indices {bad} are out of range 0..{self.num_ws - 1}")
        return out

    def mix(self, ws_base: torch.Tensor, ws_other: torch.Tensor, layers: str | Sequence[int] | slice) -> torch.Tensor:
        """W+ styles of ``ws_base`` with ``layers`` taken from ``ws_other`` (both [N or 1, num_ws, w_dim])."""
        ws_base, ws_other = self.check_wplus(ws_base), self.check_wplus(ws_other)
        ws_base, ws_other = torch.broadcast_tensors(ws_base, ws_other)
        mixed = ws_base.clone()
        index = self.mix_layers(layers)
        mixed[:, index] = ws_other[:, index]
        return mixed

    # StyleSpace (Wu et al. 2021): the style vector of every modulated layer -------------------
    def style_layers(self) -> list[tuple[str, int, int]]:
        """Every style layer in synthesis order as (name, e.g. ``b8.conv0`` or ``b8.torgb``; the W+ index it
        reads; its number of channels)."""
        raise NotImplementedError(f"{type(self).__name__} does not expose StyleSpace: it does not implement style_layers()")

    def style_channels(self, ws: torch.Tensor) -> list[torch.Tensor]:
        """W+ [N, num_ws, w_dim] → the style vectors [N, C_i] of :meth:`style_layers`: what each modulated layer
        multiplies its weight by per input channel."""
        raise NotImplementedError(f"{type(self).__name__} does not expose StyleSpace: it does not implement style_channels()")

    def synthesis_from_styles(self, styles: Sequence[torch.Tensor]) -> torch.Tensor:
        """Style vectors [N, C_i] in :meth:`style_layers` order → images [N, 3, R, R] in [0, 1], noise as in
        :meth:`synthesis`; ``synthesis_from_styles(style_channels(ws))`` equals ``synthesis(ws)``."""
        raise NotImplementedError(f"{type(self).__name__} does not expose StyleSpace: it does not implement "
                                  f"synthesis_from_styles()")
