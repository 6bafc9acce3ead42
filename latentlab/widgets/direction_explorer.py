"""DirectionExplorer: slide along several latent directions at once and watch the images and the assessors move.

Any :class:`~latentlab.spaces.Direction` works — GANalyze's θ (t is α), a continuous factor's u
(t sets the coordinate), PCA, SeFa or InterFaceGAN components — in any space the generator
offers: Z, W, W+ (a W direction with a layer range moves only those layers there) or StyleSpace.
Each direction gets a slider; the edits add up. The view shows the images at the current edit,
each assessor's readout there, and the chosen direction's "visual definition": a strip of the
same latents over the whole t range, the other sliders held where they are. The edit can be
reset, saved to a JSON file and loaded back.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

import ipywidgets as widgets
import torch
from traitlets import Dict, Float, HasTraits, Int, Unicode, link, observe, validate

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
from latentlab.files import atomic_write_bytes
from latentlab.spaces import Direction, LatentSpace, resolve_space, t_grid
from latentlab.widgets.common import Explorer, LatestValueThrottle, show_image

EDIT_FORMAT = "latentlab-direction-edit/1"


def check_t_range(t_range) -> tuple[float, float]:
    """``(t_min, t_max)``: two finite numbers with t_min < t_max."""
    if isinstance(t_range, (str, bytes)) or not hasattr(t_range, "__len__") or len(t_range) != 2:
        raise InvalidInputError(f"t_range must be a pair (t_min, t_max) of finite numbers with t_min < t_max, got {t_range!r}")
    low, high = check_float("t_range[0]", t_range[0]), check_float("t_range[1]", t_range[1])
    if not low < high:
        raise InvalidInputError(f"t range is empty: need t_min < t_max, got {tuple(t_range)!r}")
    return low, high


class DirectionState(HasTraits):
    """Named directions in one space, a value t per direction, the chosen one (for the strip) and the latents' seed.

    Additive directions move by t (t = 0 leaves the latents as they are); a projection direction
    (a continuous factor) *sets* its coordinate to t, so it acts only once its value has been set.
    """

    direction = Unicode()
    t = Float(0.0)  # the chosen direction's value
    seed = Int(0)
    values = Dict()  # direction name -> t

    def __init__(self, generator, directions: Mapping, *, space: str | LatentSpace | None = None,
                 assessors: Mapping | None = None, t_range: tuple[float, float] = (-2.0, 2.0), rows: int = 4, steps: int = 7,
                 classes=None, truncation: float | None = None, **settings):
        if not isinstance(directions, Mapping) or not directions:
            raise ValueError("directions must be a non-empty mapping name -> Direction")
        for name, d in directions.items():
            if not isinstance(d, Direction):
                raise ValueError(f"direction {name!r} must be a latentlab Direction, got {type(d).__name__}")
        self.generator, self.classes = generator, classes
        first = next(iter(directions.values()))
        self.space = resolve_space(first.space if space is None else space, generator, classes=classes)
        self.directions = {name: self.space.adopt(d) for name, d in directions.items()}  # W directions lift into W+
        self.assessors = dict(assessors or {})
        low, high = check_t_range(t_range)
        steps = check_int("steps", steps, minimum=2, maximum=1000, hint="points of the strip from t_min to t_max")
        self.t_values = t_grid(low, high, steps, "t")
        self.t_min, self.t_max = float(self.t_values[0]), float(self.t_values[-1])
        self.rows, self.truncation = check_count("rows", rows), check_truncation(truncation)
        self.neutral = 0.0 if self.t_min <= 0.0 <= self.t_max else self.t_min
        self.engaged: set[str] = set()  # projection directions whose value has been set
        self._latents: tuple[torch.Tensor, LatentSpace] | None = None
        self._strip: torch.Tensor | None = None
        settings.setdefault("direction", next(iter(self.directions)))
        t = settings.pop("t", None)
        super().__init__(values={name: self.neutral for name in self.directions}, **settings)
        if t is not None:
            self.t = t

    # --- validation and syncing ------------------------------------------------------------
    @validate("direction")
    def _valid_direction(self, proposal):
        if proposal.value not in self.directions:
            raise unknown_name_error("direction", proposal.value, self.directions)
        return proposal.value

    @validate("t")
    def _valid_t(self, proposal):
        return self._check_t(proposal.value)

    def _check_t(self, value) -> float:
        value = check_float("t", value)
        if not self.t_min <= value <= self.t_max:
            raise ValueError(f"t must lie in [{self.t_min:g}, {self.t_max:g}], got {value!r}")
        return value

    @observe("t")
    def _t_to_values(self, change) -> None:
        self.set(self.direction, change["new"])

    @observe("direction")
    def _direction_to_t(self, change) -> None:
        self._strip = None
        self.t = self.values[change["new"]]

    @observe("values")
    def _values_changed(self, change) -> None:
        self._strip = None
        if self.values[self.direction] != self.t:
            self.t = self.values[self.direction]

    @observe("seed")
    def _forget_latents(self, change) -> None:
        self._strip, self._latents = None, None

    # --- the edit ----------------------------------------------------------------------------
    def set(self, name: str, t: float) -> None:
        """Set direction ``name`` to ``t`` (which engages a projection direction)."""
        if name not in self.directions:
            raise unknown_name_error("direction", name, self.directions)
        t = self._check_t(t)
        self.engaged.add(name)
        if self.values.get(name) != t:
            self.values = {**self.values, name: t}

    def reset(self) -> None:
        """Every direction back to its neutral value (projection directions released)."""
        self.engaged.clear()
        self._strip = None
        self.values = {name: self.neutral for name in self.directions}
        self.t = self.neutral

    def edit(self) -> dict:
        """The current edit as plain data: space, seed, rows and each direction's value (and whether it is engaged)."""
        return {"format": EDIT_FORMAT, "space": self.space.name, "seed": self.seed, "rows": self.rows,
                "values": {name: float(v) for name, v in self.values.items()}, "engaged": sorted(self.engaged),
                "directions": {name: d.to_json() for name, d in self.directions.items()}}

    def save_edit(self, path: str | os.PathLike) -> Path:
        """Write :meth:`edit` to a ``.json`` file (atomically)."""
        path = Path(path)
        if path.suffix != ".json":
            raise InvalidInputError(f"an edit is saved as a .json file, got {str(path)!r}")
        atomic_write_bytes(path, json.dumps(self.edit(), indent=1).encode())
        return path

    def load_edit(self, path: str | os.PathLike) -> None:
        """Restore an edit written by :meth:`save_edit`; its directions must be this explorer's (same names, space, vectors)."""
        try:
            data = json.loads(Path(path).read_text())
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise InvalidInputError(f"{path} is not a saved direction edit ({error})") from None
        if not isinstance(data, dict) or data.get("format") != EDIT_FORMAT:
            raise InvalidInputError(f"{path} is not a saved direction edit (expected format {EDIT_FORMAT!r})")
        if set(data["directions"]) != set(self.directions):
            raise InvalidInputError(f"{path} holds an edit of {sorted(data['directions'])}; this explorer has "
                                    f"{sorted(self.directions)}")
        for name, d in data["directions"].items():
            saved = self.space.adopt(Direction.from_json(d))  # refuses a direction of another space
            if not torch.allclose(saved.vector, self.directions[name].vector, atol=1e-6):
                raise InvalidInputError(f"direction {name!r} in {path} is not the one this explorer holds")
        values = {name: self._check_t(v) for name, v in data["values"].items()}
        self.seed = int(data["seed"])
        self.engaged = set(data["engaged"]) & set(self.directions)
        self.values = values

    # --- images --------------------------------------------------------------------------------
    def latents(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The fixed vectors [rows, dim] of the space and their classes (where the space leaves the class open)."""
        return self._sampled()[0], self._classes()

    def _classes(self) -> torch.Tensor | None:
        g = self.generator
        if not g.conditional or self.space.class_in_coordinates:
            return None
        return g.sample_classes(self.rows, self.seed) if self.classes is None else g.classes(self.classes, self.rows)

    def _sampled(self) -> tuple[torch.Tensor, LatentSpace]:
        if self._latents is None:
            y = self._classes()
            space = self.space if y is None else self.space.with_classes(y)
            self._latents = space.sample(self.rows, seed=self.seed, truncation=self.truncation), space
        return self._latents

    def moved(self, x: torch.Tensor, values: Mapping[str, float] | None = None, engaged: set[str] | None = None) -> torch.Tensor:
        """Vectors [N, dim] with every direction applied at its value."""
        values, engaged = self.values if values is None else values, self.engaged if engaged is None else engaged
        for name, d in self.directions.items():
            if not d.projection or name in engaged:
                x = d.move(x, float(values[name]))
        return x

    @torch.no_grad()
    def images(self, t: float | None = None) -> torch.Tensor:
        """The latents with the current edit — the chosen direction at ``t`` when given: [rows, 3, H, W]."""
        x, space = self._sampled()
        values, engaged = dict(self.values), set(self.engaged)
        if t is not None:
            values[self.direction] = float(t)
            engaged.add(self.direction)
        return space.render(self.moved(x, values, engaged)).cpu()

    @torch.no_grad()
    def readout(self, t: float | None = None) -> dict[str, float]:
        """Mean score of each assessor over the images at the current edit (the chosen direction at ``t``)."""
        images = self.images(t)
        return {name: float(assessor(images.to(self.generator.device)).mean()) for name, assessor in self.assessors.items()}

    @torch.no_grad()
    def strip(self) -> torch.Tensor:
        """The visual definition [rows × steps, 3, H, W]: one latent per row, the chosen direction's t across."""
        if self._strip is None:
            self._strip = torch.stack([self.images(float(t)) for t in self.t_values], dim=1).flatten(0, 1)
        return self._strip


def _label(name: str, d: Direction) -> str:
    layers = d.info.get("w_layers")
    if layers and len(layers) < d.dim:
        return f"{name} [{layers[0]}–{layers[-1]}]" if layers == list(range(layers[0], layers[-1] + 1)) else f"{name} {layers}"
    return name


class DirectionExplorer(Explorer):
    """Explorer of latent directions: a slider per direction, the assessors' readout, the chosen direction's strip,
    reset and save/load of the edit.

    ``directions`` maps names to :class:`~latentlab.spaces.Direction` objects (e.g.
    ``{"size (GANalyze)": result.direction(), "x (factor)": factor.direction}``), all of one space;
    ``space`` is that space (default: the first direction's), e.g. ``"w+"`` to apply W directions
    on their own layer ranges. ``assessors`` maps names to assessors whose mean score is shown.
    """

    def __init__(self, generator, directions: Mapping, *, space: str | LatentSpace | None = None,
                 assessors: Mapping | None = None, t_range: tuple[float, float] = (-2.0, 2.0), seed: int = 0, rows: int = 4,
                 steps: int = 7, classes=None, truncation: float | None = None, display_size: int = 128,
                 throttle_s: float = 0.05):
        seed, display_size, throttle_s = check_int("seed", seed), check_display_size("display_size", display_size), check_throttle(throttle_s)
        super().__init__()
        self.state = DirectionState(generator, directions, space=space, assessors=assessors, t_range=t_range, rows=rows,
                                    steps=steps, classes=classes, truncation=truncation, seed=seed)
        self.display_size = display_size
        self.throttle = LatestValueThrottle(self.capture(lambda _: self._render("jpeg")), throttle_s,
                                            on_settle=self.capture(self._settle))
        self.children = self._build_view()
        self.state.observe(lambda change: self.throttle.submit(dict(self.state.values)), names=["values", "seed", "direction"])
        self.throttle.submit(dict(self.state.values))
        self.throttle.flush()

    def _build_view(self) -> list[widgets.Widget]:
        s = self.state
        step = (s.t_max - s.t_min) / 40
        self.sliders = {name: widgets.FloatSlider(value=s.values[name], min=s.t_min, max=s.t_max, step=step,
                                                  description=_label(name, d), readout_format=".2f",
                                                  style={"description_width": "initial"})
                        for name, d in s.directions.items()}
        for name, slider in self.sliders.items():
            slider.observe(self.capture(lambda change, name=name: s.set(name, change["new"])), names="value")
        s.observe(self._sync_sliders, names="values")
        self.choice = widgets.Dropdown(options=list(s.directions), value=s.direction, description="strip")
        self.seed = widgets.IntText(value=s.seed, description="seed")
        for w, name in ((self.choice, "direction"), (self.seed, "seed")):
            link((w, "value"), (s, name))
        self.reset = widgets.Button(description="reset", icon="undo")
        self.reset.on_click(self.capture(lambda _: s.reset()))
        self.path = widgets.Text(value="edit.json", description="file")
        self.save = widgets.Button(description="save edit", icon="save")
        self.load = widgets.Button(description="load edit", icon="folder-open")
        self.status = widgets.Label()
        self.save.on_click(self.capture(lambda _: self._save()))
        self.load.on_click(self.capture(lambda _: self._load()))
        self.view = widgets.Image(format="png", layout=widgets.Layout(width=f"{self.display_size}px"))
        self.scores = widgets.HTML()
        self.strip = widgets.Image(format="png")
        caption = widgets.HTML(f"<small>strip: the chosen direction from t = {s.t_min:g} (left) to {s.t_max:g} (right), "
                               f"the other sliders held, one latent per row; space {s.space.name}</small>")
        controls = widgets.VBox([*self.sliders.values(), widgets.HBox([self.choice, self.seed, self.reset]),
                                 widgets.HBox([self.path, self.save, self.load]), self.status])
        return [widgets.HBox([self.view, widgets.VBox([controls, self.scores])]), self.strip, caption,
                self.capture.output]

    @property
    def t(self) -> widgets.FloatSlider:
        """The slider of the chosen direction."""
        return self.sliders[self.state.direction]

    def _sync_sliders(self, change) -> None:
        for name, value in change["new"].items():
            if self.sliders[name].value != value:
                self.sliders[name].value = value

    def _render(self, format: str) -> None:
        cell = self.display_size // 2 if self.state.rows > 1 else self.display_size
        show_image(self.view, self.state.images(), format, nrow=2 if self.state.rows > 1 else 1, min_size=cell)

    def _settle(self, _values) -> None:
        self._render("png")
        rows = "".join(f"<tr><td>{name}</td><td style='text-align:right'>{value:.3f}</td></tr>"
                       for name, value in self.state.readout().items())
        self.scores.value = f"<table>{rows}</table>" if rows else ""
        show_image(self.strip, self.state.strip(), "png", nrow=len(self.state.t_values), min_size=self.display_size // 2)

    def _save(self) -> Path:
        written = self.state.save_edit(self.path.value)
        self.status.value = f"saved {written}"
        return written

    def _load(self) -> None:
        self.state.load_edit(self.path.value)
        self.status.value = f"loaded {self.path.value}"

    def flush(self) -> None:
        """Render the latest edit now (and the settled PNGs and readout)."""
        self.throttle.flush()

    def summary(self) -> str:
        s = self.state
        moved = ", ".join(f"{name} = {v:.2f}" for name, v in s.values.items() if v != s.neutral) or "no edit"
        return (f"DirectionExplorer({s.direction!r} in the strip, {moved}; t in [{s.t_min:g}, {s.t_max:g}], "
                f"{len(s.directions)} directions in {s.space.name})")
