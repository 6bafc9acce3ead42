"""Bring your own generator: any ``nn.Module`` latents → images becomes a latentlab :class:`Generator`.

``ModuleGenerator(mlp, 64, output_range=(-1, 1), output_shape=(1, 28, 28))`` wraps an MNIST MLP
GAN: its flat tanh outputs are reshaped, mapped to [0, 1] and repeated to RGB, so every assessor,
metric and method accepts them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence

import torch
from torch import nn

from latentlab.errors import check_latents, check_positive_int, check_truncation, unknown_name_error
from latentlab.generators.base import Generator, SplitGenerator
from latentlab.latents import seeded_generator

PRIORS = ("normal", "uniform")
#: how a conditional module receives its class: concatenated to z, or as a second argument (soft vector or index)
CLASS_INPUTS = ("concat", "vector", "index")
ONE_HOT_TOLERANCE = 1e-6

SplitPair = tuple[Callable[..., torch.Tensor], Callable[..., torch.Tensor]]


class ModuleGenerator(Generator):
    """A latentlab generator around ``module``.

    - ``latent_dim``: size of z; ``prior`` 'normal' (N(0, I), truncated by ``sample_latents``'s ψ)
      or 'uniform' (U(-1, 1); ψ < 1 narrows it to U(-ψ, ψ)).
    - ``class_names``: classes of a conditional module; ``class_input`` says how it takes them:
      'concat' → ``module(cat([z, y], 1))``, 'vector' → ``module(z, y)`` with y soft vectors [N, C],
      'index' → ``module(z, y)`` with y class indices [N] (no class mixing).
    - ``output_range``: the (low, high) of the module's pixels, mapped to [0, 1] (then clamped).
    - ``output_shape``: (C, H, W) of flat outputs [N, C·H·W]; inferred for square 1- or 3-channel
      images when omitted. 1-channel images are repeated to RGB. One forward pass at
      construction checks that these settings fit the module.
    - ``split_layers``: child names of an ``nn.Sequential`` module to cut after, or a mapping
      name → (f, h) where f takes what the module takes and returns features, and
      h(features, z, y) returns what the module returns. No split layers by default.

    The module is put in eval mode.
    """

    def __init__(self, module: nn.Module, latent_dim: int, *, prior: str = "normal", class_names: Sequence[str] = (),
                 class_input: str = "concat", output_range: tuple[float, float] = (-1.0, 1.0),
                 output_shape: Sequence[int] | None = None, split_layers: Sequence[str] | Mapping[str, SplitPair] = ()):
        super().__init__()
        if not isinstance(module, nn.Module):
            raise ValueError(f"module must be a torch.nn.Module, got {type(module).__name__}")
        if prior not in PRIORS:
            raise unknown_name_error("prior", prior, PRIORS)
        if class_input not in CLASS_INPUTS:
            raise unknown_name_error("class input", class_input, CLASS_INPUTS)
        self.module = module.eval()
        self.latent_dim, self.prior, self.class_input = check_positive_int("latent_dim", latent_dim), prior, class_input
        self.class_names = tuple(str(c) for c in class_names)
        if len(set(self.class_names)) != len(self.class_names) or len(self.class_names) == 1:
            raise ValueError(f"class_names must be empty or hold at least two distinct names, got {tuple(class_names)!r}")
        self.output_range = _check_range(output_range)
        self.output_shape = _check_shape(output_shape) if output_shape is not None else None
        self._split = _check_split_layers(split_layers, module, class_input if self.class_names else None)
        self.image_size = self._probe_image_size()
        self.resolution = self.image_size[0]

    def __repr__(self) -> str:
        return (f"ModuleGenerator({type(self.module).__name__}, latent_dim={self.latent_dim}, prior={self.prior!r}, "
                f"classes={len(self.class_names)}, image_size={self.image_size})")

    @property
    def device(self) -> torch.device:
        tensor = next(itertools.chain(self.parameters(), self.buffers()), None)
        return torch.device("cpu") if tensor is None else tensor.device

    # latents -----------------------------------------------------------------------------------
    def effective_truncation(self, truncation: float | None) -> float | None:
        """A uniform prior lives in [-1, 1]: ψ > 1 truncates nothing."""
        if self.prior == "uniform" and truncation is not None and truncation > 1:
            return None
        return truncation

    def project_latents(self, z: torch.Tensor) -> torch.Tensor:
        """Into the prior's support: the ball ‖z‖ ≤ √d for 'normal', the box [-1, 1] for 'uniform'."""
        return z.clamp(-1.0, 1.0) if self.prior == "uniform" else super().project_latents(z)

    def sample_latents(self, n: int, seed: int | None = None, truncation: float | None = None) -> torch.Tensor:
        if self.prior == "normal":
            return super().sample_latents(n, seed=seed, truncation=truncation)
        n, psi = check_positive_int("n", n), check_truncation(truncation)
        width = 1.0 if psi is None else min(psi, 1.0)
        return ((torch.rand(n, self.latent_dim, generator=seeded_generator(seed)) * 2 - 1) * width).to(self.device)

    # synthesis ---------------------------------------------------------------------------------
    def _inputs(self, z: torch.Tensor, y: torch.Tensor | None) -> tuple[torch.Tensor, ...]:
        if y is None:
            return (z,)
        if self.class_input == "concat":
            return (torch.cat([z, y.to(z.dtype)], dim=1),)
        if self.class_input == "vector":
            return z, y
        if ((y - y.round()).abs() > ONE_HOT_TOLERANCE).any() or ((y.sum(dim=1) - 1).abs() > ONE_HOT_TOLERANCE).any():
            raise ValueError("class_input='index' takes one class per image, not mixtures; "
                             "wrap the module with class_input='vector' or 'concat' to mix classes")
        return z, y.argmax(dim=1)

    def to_images(self, out: torch.Tensor) -> torch.Tensor:
        """Raw module output → images [N, 3, H, W] in [0, 1] (reshape, range map, grey → RGB)."""
        if not isinstance(out, torch.Tensor):
            raise ValueError(f"the module must return a tensor, got {type(out).__name__}")
        if out.dim() == 2:
            shape = self.output_shape or _infer_shape(out.shape[1])
            if math.prod(shape) != out.shape[1]:
                raise ValueError(f"the module returns {out.shape[1]} values per image, which do not reshape to output_shape {shape}")
            out = out.reshape(out.shape[0], *shape)
        if out.dim() != 4 or out.shape[1] not in (1, 3):
            raise ValueError(f"the module must return images [N, 1 or 3, H, W] or flat [N, C·H·W]; got {tuple(out.shape)}"
                             + ("" if out.dim() != 4 else " (only 1- or 3-channel images are supported)"))
        if self.output_shape is not None and tuple(out.shape[1:]) != self.output_shape:
            raise ValueError(f"the module returns images {tuple(out.shape[1:])} but output_shape is {self.output_shape}")
        low, high = self.output_range
        out = ((out.float() - low) / (high - low)).clamp(0, 1)
        return out.repeat(1, 3, 1, 1) if out.shape[1] == 1 else out

    def synthesize(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        return self.to_images(self.module(*self._inputs(z, y)))

    def first_latent_weight(self) -> torch.Tensor | None:
        """The weight [out, latent_dim] of the module's first layer when it is an ``nn.Linear`` reading exactly z
        (an MLP generator); None otherwise."""
        first = next(iter(self.module.children()), self.module) if isinstance(self.module, nn.Sequential) else self.module
        if isinstance(first, nn.Linear) and first.in_features == self.latent_dim:
            return first.weight.detach()
        return None

    def _probe_image_size(self) -> tuple[int, int]:
        """(H, W) of the images, from one forward pass in eval mode that also checks the settings fit the module."""
        z = torch.zeros(2, self.latent_dim, device=self.device)
        y = None if not self.conditional else torch.eye(len(self.class_names), device=self.device)[[0, 1]]
        with torch.no_grad():
            try:
                images = self.synthesize(z, y)
            except (RuntimeError, TypeError, IndexError) as error:  # a shape mismatch inside the user's module
                raise ValueError(f"could not run the module on latents [2, {self.latent_dim}]"
                                 f"{'' if y is None else f' with class_input={self.class_input!r}'}: {error}") from error
        return tuple(images.shape[-2:])

    # splitting ---------------------------------------------------------------------------------
    def layer_names(self) -> list[str]:
        return list(self._split)

    def split(self, layer: str) -> SplitGenerator:
        """Cut at a layer named in ``split_layers``: f(z, y) → features, h(features, z, y) → image."""
        if not self._split:
            raise ValueError(f"this ModuleGenerator ({type(self.module).__name__}) has no named split layers; "
                             "pass split_layers= (child names of an nn.Sequential, or name → (f, h)) when wrapping it")
        self._check_layer(layer)
        f_raw, h_raw = self._split[layer]

        def f(z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
            z = self._checked(z)
            return f_raw(*self._inputs(z, self._check_classes(z, y)))

        def h(features: torch.Tensor, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
            z = self._checked(z)
            return self.to_images(h_raw(features, z, self._check_classes(z, y)))

        return SplitGenerator(layer, f, h)

    def _checked(self, z: torch.Tensor) -> torch.Tensor:
        return check_latents(z, self.latent_dim)


def _check_range(output_range) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in output_range)
    except (TypeError, ValueError):
        raise ValueError(f"output_range must be (low, high), e.g. (-1, 1) or (0, 1), got {output_range!r}") from None
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"output_range must be finite with low < high, got {output_range!r}")
    return low, high


def _check_shape(shape) -> tuple[int, int, int]:
    shape = tuple(shape)
    if len(shape) != 3 or shape[0] not in (1, 3) or not all(isinstance(s, int) and s > 0 for s in shape):
        raise ValueError(f"output_shape must be (channels, height, width) with 1 or 3 channels, got {shape!r}")
    return shape


def _infer_shape(size: int) -> tuple[int, int, int]:
    for channels in (1, 3):
        side = math.isqrt(size // channels)
        if size % channels == 0 and side * side * channels == size:
            return channels, side, side
    raise ValueError(f"cannot tell the image shape of flat outputs with {size} values; pass output_shape=(C, H, W)")


def _check_split_layers(split_layers, module: nn.Module, class_input: str | None) -> dict[str, SplitPair]:
    if isinstance(split_layers, Mapping):
        for name, pair in split_layers.items():
            if not (isinstance(pair, tuple) and len(pair) == 2 and all(callable(p) for p in pair)):
                raise ValueError(f"split_layers[{name!r}] must be a pair (f, h) of callables, got {pair!r}")
        return {str(k): v for k, v in split_layers.items()}
    names = [split_layers] if isinstance(split_layers, str) else [str(n) for n in split_layers]
    if not names:
        return {}
    if not isinstance(module, nn.Sequential):
        raise ValueError(f"split_layers as names needs an nn.Sequential module, got {type(module).__name__}; "
                         "pass a mapping name → (f, h) instead")
    if class_input not in (None, "concat"):
        raise ValueError(f"an nn.Sequential takes one input, so split_layers need class_input='concat', got {class_input!r}")
    children = [name for name, _ in module.named_children()]
    split = {}
    for name in names:
        if name not in children:
            raise unknown_name_error("layer", name, children)
        cut = children.index(name) + 1
        split[name] = (module[:cut], lambda features, z, y, rest=module[cut:]: rest(features))
    return split


__all__ = ["CLASS_INPUTS", "PRIORS", "ModuleGenerator"]
