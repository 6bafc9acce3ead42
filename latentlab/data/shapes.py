"""The Shapes world: one anti-aliased object on a textured background, with known factors.

Rendering is a pure, vectorised function of the factors, so chosen factors render exactly
and random ones are reproducible from a seed::

    batch = render_shapes(16, seed=0, shape="star", hue="red")
    batch.images   # [16, 3, 64, 64] in [0, 1]
    batch.masks    # [16, 1, 64, 64] object coverage in [0, 1]
    batch.captions # varied captions of each image
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import torch

from latentlab.data.colours import COLOURS, hsv_to_rgb
from latentlab.data.sdf import SHAPES, normalised_sdf
from latentlab.errors import check_positive_int, unknown_name_error

#: Object size range: diameter of the bounding circle as a fraction of the image width.
SCALE_RANGE = (0.32, 0.72)
#: Background value (HSV V) range; the object itself is always bright and saturated.
BACKGROUND_BRIGHTNESS_RANGE = (0.12, 0.6)
OBJECT_SATURATION, OBJECT_VALUE = 0.85, 0.95
BACKGROUND_SATURATION = 0.45
GRADIENT_STRENGTH, TEXTURE_STRENGTH = 0.35, 0.03

FactorValue = float | int | str | torch.Tensor


@dataclass
class ShapeFactors:
    """Ground-truth factors of a batch of Shapes images (all tensors of length N).

    ``x``/``y`` are the object's centroid as fractions of the image width/height (y down),
    ``scale`` its bounding diameter as a fraction of the width, hues lie on the unit circle.
    """

    shape: torch.Tensor  # long, index into SHAPES
    hue: torch.Tensor
    x: torch.Tensor
    y: torch.Tensor
    scale: torch.Tensor
    rotation: torch.Tensor  # radians, counter-clockwise
    bg_hue: torch.Tensor
    bg_brightness: torch.Tensor
    bg_angle: torch.Tensor  # direction of the background gradient, radians
    bg_phase: torch.Tensor  # phase of the faint background ripple, radians

    def __len__(self) -> int:
        return int(self.shape.shape[0])

    def __getitem__(self, index) -> ShapeFactors:
        return ShapeFactors(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def to(self, device: torch.device | str) -> ShapeFactors:
        return ShapeFactors(**{f.name: getattr(self, f.name).to(device) for f in fields(self)})

    def as_dict(self) -> dict[str, torch.Tensor]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def shape_names(self) -> list[str]:
        return [SHAPES[i] for i in self.shape.tolist()]


@dataclass
class ShapesBatch:
    """Rendered images, object masks, their factors and captions."""

    images: torch.Tensor  # [N, 3, H, W] in [0, 1]
    masks: torch.Tensor  # [N, 1, H, W] object coverage in [0, 1]
    factors: ShapeFactors
    captions: list[str]


def shape_index(value: int | str) -> int:
    """Index of a shape given by name or index; unknown names suggest close matches."""
    if isinstance(value, str):
        if value not in SHAPES:
            raise unknown_name_error("shape", value, SHAPES)
        return SHAPES.index(value)
    if not 0 <= int(value) < len(SHAPES):
        raise ValueError(f"shape index {value!r} is out of range; expected 0..{len(SHAPES) - 1} or one of {list(SHAPES)}")
    return int(value)


def hue_value(value: float | str) -> float:
    """Hue in [0, 1) from a float or a colour name."""
    if isinstance(value, str):
        if value not in COLOURS:
            raise unknown_name_error("colour", value, tuple(COLOURS))
        return COLOURS[value]
    return float(value) % 1.0


def _column(name: str, value: FactorValue, n: int) -> torch.Tensor:
    """Broadcast a chosen factor value to a length-n tensor."""
    if isinstance(value, torch.Tensor):
        if value.dim() == 0:
            value = value.expand(n)
        if value.shape != (n,):
            raise ValueError(f"factor {name!r} has shape {tuple(value.shape)}; expected a scalar or ({n},)")
        if name == "shape":
            return value.long().cpu()
        if not torch.isfinite(value.float()).all():
            raise ValueError(f"factor {name!r} contains non-finite values")
        return value.float().cpu()
    if name == "shape":
        return torch.full((n,), shape_index(value), dtype=torch.long)
    if name in ("hue", "bg_hue"):
        return torch.full((n,), hue_value(value))
    if isinstance(value, str):
        raise ValueError(f"factor {name!r} must be a number or tensor, got {value!r}")
    if not math.isfinite(float(value)):
        raise ValueError(f"factor {name!r} must be finite, got {value!r}")
    return torch.full((n,), float(value))


def sample_factors(n: int, seed: int | None = None, *, generator: torch.Generator | None = None, **chosen: FactorValue) -> ShapeFactors:
    """Random factors for ``n`` images, reproducible from ``seed``; keyword arguments fix factors.

    Chosen values may be scalars (shape and colour names accepted) or length-n tensors.
    Positions are drawn so the whole object stays inside the image; the background hue
    keeps at least 60 degrees from the object hue so the object stands out.
    """
    n = check_positive_int("n", n)
    unknown = set(chosen) - {f.name for f in fields(ShapeFactors)}
    if unknown:
        names = tuple(f.name for f in fields(ShapeFactors))
        raise unknown_name_error("factor", sorted(unknown)[0], names)
    if generator is None:
        generator = torch.Generator().manual_seed(0 if seed is None else int(seed))

    def uniform(lo: float, hi: float) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand(n, generator=generator)

    # draw every factor in a fixed order so fixing one does not change the others
    drawn = {
        "shape": torch.randint(len(SHAPES), (n,), generator=generator),
        "hue": torch.rand(n, generator=generator),
        "scale": uniform(*SCALE_RANGE),
    }
    u_x, u_y = torch.rand(n, generator=generator), torch.rand(n, generator=generator)
    drawn["rotation"] = uniform(0.0, 2 * math.pi)
    bg_offset = uniform(60.0 / 360, 300.0 / 360)
    drawn["bg_brightness"] = uniform(*BACKGROUND_BRIGHTNESS_RANGE)
    drawn["bg_angle"] = uniform(0.0, 2 * math.pi)
    drawn["bg_phase"] = uniform(0.0, 2 * math.pi)

    cols = {k: _column(k, v, n) for k, v in chosen.items()}
    scale = cols.get("scale", drawn["scale"])
    if (scale <= 0).any():
        raise ValueError(f"scale must be positive; got min {scale.min().item():.3g} (typical range {SCALE_RANGE})")
    hue = cols.get("hue", drawn["hue"])
    drawn["x"] = scale / 2 + u_x * (1 - scale).clamp(min=0)
    drawn["y"] = scale / 2 + u_y * (1 - scale).clamp(min=0)
    drawn["bg_hue"] = (hue + bg_offset).remainder(1.0)
    drawn.update(cols)
    return ShapeFactors(**{f.name: drawn[f.name] for f in fields(ShapeFactors)})


def _background(f: ShapeFactors, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Background colour [N, 3, H, W]: a tinted gradient with a faint ripple."""
    ca, sa = torch.cos(f.bg_angle)[:, None, None], torch.sin(f.bg_angle)[:, None, None]
    along = (u - 0.5) * ca + (v - 0.5) * sa  # [N, H, W] in about [-0.7, 0.7]
    ripple = torch.sin(2 * math.pi * 3.0 * (u * sa - v * ca) + f.bg_phase[:, None, None])
    value = f.bg_brightness[:, None, None] * (1.0 + GRADIENT_STRENGTH * along) + TEXTURE_STRENGTH * ripple
    # HSV -> RGB is linear in V, so tint a per-image unit colour by the value map
    tint = hsv_to_rgb(f.bg_hue, torch.full_like(f.bg_hue, BACKGROUND_SATURATION), torch.ones_like(f.bg_hue))
    return tint.T[:, :, None, None] * value.clamp(0.0, 1.0)[:, None]


def _coverage(f: ShapeFactors, u: torch.Tensor, v: torch.Tensor, size: int) -> torch.Tensor:
    """Anti-aliased object coverage [N, H, W] from each shape's signed distance."""
    half = (f.scale / 2)[:, None, None]
    dx = (u - f.x[:, None, None]) / half
    dy = -(v - f.y[:, None, None]) / half  # local y points up
    c, s = torch.cos(f.rotation)[:, None, None], torch.sin(f.rotation)[:, None, None]
    px, py = c * dx + s * dy, -s * dx + c * dy  # rotate the frame by -rotation
    coverage = torch.empty_like(px)
    for k in range(len(SHAPES)):
        idx = (f.shape == k).nonzero(as_tuple=True)[0]
        if idx.numel():
            dist = normalised_sdf(k, px[idx], py[idx]) * half[idx] * size  # in pixels
            coverage[idx] = (0.5 - dist).clamp(0.0, 1.0)
    return coverage


def render_layers(factors: ShapeFactors, size: int = 64) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The layers an image is composited from: background [N, 3, size, size], object coverage
    [N, 1, size, size] and object colour [N, 3, 1, 1], all in [0, 1]."""
    size = check_positive_int("size", size)
    centres = (torch.arange(size, dtype=torch.float32) + 0.5) / size
    v, u = centres[None, :, None], centres[None, None, :]
    alpha = _coverage(factors, u, v, size)  # [N, H, W]
    background = _background(factors, u.expand_as(alpha), v.expand_as(alpha))
    ones = torch.ones(len(factors))
    colour = hsv_to_rgb(factors.hue, OBJECT_SATURATION * ones, OBJECT_VALUE * ones).T[:, :, None, None]
    return background, alpha[:, None], colour


def render(factors: ShapeFactors, size: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """Render ``factors`` to images [N, 3, size, size] and masks [N, 1, size, size] in [0, 1]."""
    background, alpha, colour = render_layers(factors, size)
    return torch.lerp(background, colour.expand_as(background), alpha), alpha


def render_shapes(n: int, seed: int | None = None, *, size: int = 64, **chosen: FactorValue) -> ShapesBatch:
    """Sample factors (fixing any given as keywords), render them and caption them."""
    from latentlab.data.captions import captions  # local import keeps the modules acyclic

    factors = sample_factors(n, seed, **chosen)
    images, masks = render(factors, size)
    return ShapesBatch(images, masks, factors, captions(factors, seed=seed))
