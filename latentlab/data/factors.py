"""The factors of a Shapes image (class, hue, position, scale, rotation, background) and their sampling.

Every factor has a known range, so chosen factors are validated and random ones are
reproducible from a seed: ``sample_factors(16, seed=0, shape="star", hue="red")``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import torch

from latentlab.data.colours import COLOURS
from latentlab.data.sdf import SHAPES
from latentlab.errors import check_positive_int, unknown_name_error

#: Object size range: diameter of the bounding circle as a fraction of the image width.
SCALE_RANGE = (0.32, 0.72)
#: Background value (HSV V) range; the object itself is always bright and saturated.
BACKGROUND_BRIGHTNESS_RANGE = (0.12, 0.6)

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
