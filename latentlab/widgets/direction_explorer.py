"""DirectionExplorer: slide along a latent direction and watch the image and the assessors move.

Any :class:`~latentlab.methods.directions.Direction` works: GANalyze's θ (t is α), a continuous
factor's u (t sets the coordinate), PCA or SeFa components. The view shows the images at the
current t, the readout of each assessor there, and the direction's "visual definition": a strip
of the same latents over the whole t range.
"""

from __future__ import annotations

from collections.abc import Mapping

import ipywidgets as widgets
import torch
from traitlets import Float, HasTraits, Int, Unicode, link, observe, validate

from latentlab.errors import (
    InvalidInputError,
    check_count,
    check_display_size,
    check_float,
    check_int,
    check_throttle,
    check_truncation,
    unknown_name_error,
)
from latentlab.widgets.common import Explorer, LatestValueThrottle, show_image


def check_t_range(t_range) -> tuple[float, float]:
    """``(t_min, t_max)``: two finite numbers with t_min < t_max."""
    if isinstance(t_range, (str, bytes)) or not hasattr(t_range, "__len__") or len(t_range) != 2:
        raise InvalidInputError(f"t_range must be a pair (t_min, t_max) of finite numbers with t_min < t_max, got {t_range!r}")
    low, high = check_float("t_range[0]", t_range[0]), check_float("t_range[1]", t_range[1])
    if not low < high:
        raise InvalidInputError(f"t range is empty: need t_min < t_max, got {tuple(t_range)!r}")
    return low, high


class DirectionState(HasTraits):
    """Named directions, the chosen one, t within [t_min, t_max], and the seed of the latents."""

    direction = Unicode()
    t = Float(0.0)
    seed = Int(0)

    def __init__(self, generator, directions: Mapping, *, assessors: Mapping | None = None, t_range: tuple[float, float] = (-2.0, 2.0),
                 rows: int = 4, steps: int = 7, classes=None, truncation: float | None = None, **settings):
        from latentlab.methods.directions import Direction, t_grid

        if not isinstance(directions, Mapping) or not directions:
            raise ValueError("directions must be a non-empty mapping name -> Direction")
        for name, d in directions.items():
            if not isinstance(d, Direction):
                raise ValueError(f"direction {name!r} must be a latentlab.methods.Direction, got {type(d).__name__}")
            if d.dim != generator.latent_dim:
                raise ValueError(f"direction {name!r} has {d.dim} dimensions but the generator's latent has {generator.latent_dim}")
        self.generator, self.directions = generator, dict(directions)
        self.assessors = dict(assessors or {})
        low, high = check_t_range(t_range)
        steps = check_int("steps", steps, minimum=2, maximum=1000, hint="points of the strip from t_min to t_max")
        self.t_values = t_grid(low, high, steps, "t")
        self.t_min, self.t_max = float(self.t_values[0]), float(self.t_values[-1])
        self.rows, self.classes, self.truncation = check_count("rows", rows), classes, check_truncation(truncation)
        self._latents: torch.Tensor | None = None
        self._strip: torch.Tensor | None = None
        settings.setdefault("direction", next(iter(self.directions)))
        settings.setdefault("t", 0.0 if self.t_min <= 0.0 <= self.t_max else self.t_min)
        super().__init__(**settings)

    @validate("direction")
    def _valid_direction(self, proposal):
        if proposal.value not in self.directions:
            raise unknown_name_error("direction", proposal.value, self.directions)
        return proposal.value

    @validate("t")
    def _valid_t(self, proposal):
        if not self.t_min <= proposal.value <= self.t_max:
            raise ValueError(f"t must lie in [{self.t_min:g}, {self.t_max:g}], got {proposal.value!r}")
        return proposal.value

    @observe("seed", "direction")
    def _forget(self, change) -> None:
        self._strip = None
        if change["name"] == "seed":
            self._latents = None

    def latents(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The fixed latents [rows, D] and their classes (None when unconditional)."""
        if self._latents is None:
            self._latents = self.generator.sample_latents(self.rows, seed=self.seed, truncation=self.truncation)
        y = None
        if self.generator.conditional:
            y = self.generator.sample_classes(self.rows, self.seed) if self.classes is None else self.generator.classes(self.classes, self.rows)
        return self._latents, y

    @torch.no_grad()
    def images(self, t: float | None = None) -> torch.Tensor:
        """The latents moved to (or by) ``t`` along the chosen direction: [rows, 3, H, W]."""
        z, y = self.latents()
        moved = self.directions[self.direction].move(z, self.t if t is None else float(t))
        return self.generator(moved, y).cpu()

    @torch.no_grad()
    def readout(self, t: float | None = None) -> dict[str, float]:
        """Mean score of each assessor over the images at ``t``."""
        images = self.images(t)
        return {name: float(assessor(images).mean()) for name, assessor in self.assessors.items()}

    @torch.no_grad()
    def strip(self) -> torch.Tensor:
        """The visual definition [rows × steps, 3, H, W]: one latent per row, t from t_min to t_max across."""
        if self._strip is None:
            self._strip = torch.stack([self.images(float(t)) for t in self.t_values], dim=1).flatten(0, 1)
        return self._strip


class DirectionExplorer(Explorer):
    """Explorer of latent directions: choose a direction, slide t, read the assessors, see the strip.

    ``directions`` maps names to :class:`~latentlab.methods.directions.Direction` objects (e.g.
    ``{"size (GANalyze)": result.direction(), "x (factor)": factor.direction}``); ``assessors``
    maps names to assessors whose mean score is shown at each t.
    """

    def __init__(self, generator, directions: Mapping, *, assessors: Mapping | None = None, t_range: tuple[float, float] = (-2.0, 2.0),
                 seed: int = 0, rows: int = 4, steps: int = 7, classes=None, truncation: float | None = None,
                 display_size: int = 128, throttle_s: float = 0.05):
        seed, display_size, throttle_s = check_int("seed", seed), check_display_size("display_size", display_size), check_throttle(throttle_s)
        super().__init__()
        self.state = DirectionState(generator, directions, assessors=assessors, t_range=t_range, rows=rows, steps=steps,
                                    classes=classes, truncation=truncation, seed=seed)
        self.display_size = display_size
        self.throttle = LatestValueThrottle(self.capture(lambda t: self._render(t, "jpeg")), throttle_s,
                                            on_settle=self.capture(self._settle))
        self.widget = self._build_view()
        self.state.observe(lambda change: self.throttle.submit(self.state.t), names=["t", "seed", "direction"])
        self.throttle.submit(self.state.t)
        self.throttle.flush()

    def _build_view(self) -> widgets.Widget:
        s = self.state
        self.choice = widgets.Dropdown(options=list(s.directions), value=s.direction, description="direction")
        step = (s.t_max - s.t_min) / 40
        self.t = widgets.FloatSlider(value=s.t, min=s.t_min, max=s.t_max, step=step, description="t", readout_format=".2f")
        self.seed = widgets.IntText(value=s.seed, description="seed")
        for w, name in ((self.choice, "direction"), (self.t, "t"), (self.seed, "seed")):
            link((w, "value"), (s, name))
        self.view = widgets.Image(format="png", layout=widgets.Layout(width=f"{self.display_size}px"))
        self.scores = widgets.HTML()
        self.strip = widgets.Image(format="png")
        caption = widgets.HTML(f"<small>strip: t from {s.t_min:g} (left) to {s.t_max:g} (right), one latent per row</small>")
        return widgets.VBox([widgets.HBox([self.choice, self.seed]), self.t, widgets.HBox([self.view, self.scores]),
                             self.strip, caption, self.capture.output])

    def _render(self, t: float, format: str) -> None:
        cell = self.display_size // 2 if self.state.rows > 1 else self.display_size
        show_image(self.view, self.state.images(t), format, nrow=2 if self.state.rows > 1 else 1, min_size=cell)

    def _settle(self, t: float) -> None:
        self._render(t, "png")
        rows = "".join(f"<tr><td>{name}</td><td style='text-align:right'>{value:.3f}</td></tr>"
                       for name, value in self.state.readout(t).items())
        self.scores.value = f"<table>{rows}</table>" if rows else ""
        show_image(self.strip, self.state.strip(), "png", nrow=len(self.state.t_values), min_size=self.display_size // 2)

    def flush(self) -> None:
        """Render the latest t now (and the settled PNGs and readout)."""
        self.throttle.flush()

    def summary(self) -> str:
        s = self.state
        return f"DirectionExplorer({s.direction!r}, t = {s.t:.2f} in [{s.t_min:g}, {s.t_max:g}], {len(s.directions)} directions)"
