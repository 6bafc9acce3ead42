"""Named hues of the Shapes world and a vectorised HSV → RGB conversion."""

from __future__ import annotations

import torch

#: Named colours and their hue on the unit hue circle (0 = red).
COLOURS: dict[str, float] = {
    "red": 0.0 / 360,
    "orange": 30.0 / 360,
    "yellow": 58.0 / 360,
    "green": 120.0 / 360,
    "cyan": 182.0 / 360,
    "blue": 225.0 / 360,
    "purple": 275.0 / 360,
    "pink": 320.0 / 360,
}
COLOUR_NAMES: tuple[str, ...] = tuple(COLOURS)
_COLOUR_HUES = torch.tensor(list(COLOURS.values()))


def hue_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Shortest distance between hues on the unit circle, in [0, 0.5]."""
    d = (a - b).remainder(1.0)
    return torch.minimum(d, 1.0 - d)


def nearest_colour(hue: torch.Tensor) -> list[str]:
    """Name of the closest named colour for each hue."""
    d = hue_distance(hue.reshape(-1, 1).cpu().float(), _COLOUR_HUES.reshape(1, -1))
    return [COLOUR_NAMES[i] for i in d.argmin(dim=1).tolist()]


def hsv_to_rgb(h: torch.Tensor, s: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Convert broadcastable H, S, V tensors in [0, 1] to RGB stacked on a new dim 0."""
    channels = []
    for n in (5.0, 3.0, 1.0):
        k = (n + h * 6.0).remainder(6.0)
        ramp = torch.minimum(torch.minimum(k, 4.0 - k), torch.ones_like(k)).clamp(min=0.0)
        channels.append(v - v * s * ramp)
    return torch.stack(channels)


def rgb_to_hue(rgb: torch.Tensor) -> torch.Tensor:
    """Hue in [0, 1) of RGB values stacked on the last dim."""
    r, g, b = rgb.unbind(-1)
    mx, _ = rgb.max(-1)
    mn, _ = rgb.min(-1)
    delta = (mx - mn).clamp(min=1e-8)
    h = torch.where(mx == r, ((g - b) / delta).remainder(6.0), torch.where(mx == g, (b - r) / delta + 2.0, (r - g) / delta + 4.0))
    return (h / 6.0).remainder(1.0)
