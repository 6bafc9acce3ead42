"""StyleMixer: style mixing of a style-based generator (seed 001 §2.2).

Rows are "source A" images, columns "source B" images; each cell is A's W+ styles with the
chosen layers taken from B. Coarse layers (the lowest resolutions) carry layout, pose and
object shape, middle layers finer structure, fine layers colour and texture — the classic
StyleGAN mixing grid, for any :class:`~latentlab.generators.style.StyleGenerator`.
"""

from __future__ import annotations

import ipywidgets as widgets
import torch
from traitlets import Float, HasTraits, Int, Unicode, link, observe, validate

from latentlab.errors import InvalidInputError, check_count, check_display_size, check_float, check_int, check_throttle
from latentlab.generators.style import MIX_RANGES, StyleGenerator
from latentlab.spaces import WPlusSpace, resolve_space
from latentlab.widgets.common import Explorer, LatestValueThrottle, show_image


def require_style(generator, what: str = "StyleMixer") -> WPlusSpace:
    """The generator's W+ space; a ValueError naming the generator when it has none."""
    if not isinstance(generator, StyleGenerator):
        raise ValueError(f"{what} needs a style-based generator (e.g. 'shapes-stylegan'); {type(generator).__name__} "
                         "has no mapping network / W space")
    return resolve_space("w+", generator)


def check_psi(truncation) -> float:
    """A truncation ψ toward w̄: a finite number > 0 (1 keeps w)."""
    try:
        return check_float("truncation ψ", truncation, above=0)
    except InvalidInputError:
        raise InvalidInputError(f"truncation ψ must be > 0 and finite (1 keeps w, smaller pulls it toward w̄), "
                                f"got {truncation!r}") from None


class StyleMixState(HasTraits):
    """Seeds of the A (rows) and B (columns) images, the layer range taken from B, truncation ψ."""

    layers = Unicode("coarse")
    seed_a = Int(0)
    seed_b = Int(1)
    truncation = Float(1.0)

    def __init__(self, generator, *, rows: int = 3, columns: int = 4, **settings):
        self.space = require_style(generator)
        self.generator = generator
        self.rows, self.columns = check_count("rows", rows), check_count("columns", columns)
        self._cache: dict[str, torch.Tensor] = {}
        super().__init__(**settings)

    @validate("layers")
    def _valid_layers(self, proposal):
        self.generator.mix_layers(proposal.value)  # raises with a suggestion
        return proposal.value.lower()

    @validate("truncation")
    def _valid_truncation(self, proposal):
        return check_psi(proposal.value)

    @observe("seed_a", "seed_b", "truncation")
    def _forget(self, change) -> None:
        self._cache.clear()

    def styles(self, which: str) -> torch.Tensor:
        """W+ styles [n, num_ws, w_dim] of the A (rows) or B (columns) images."""
        if which not in self._cache:
            n, seed = (self.rows, self.seed_a) if which == "a" else (self.columns, self.seed_b)
            self._cache[which] = self.space.decode(self.space.sample(n, seed=seed, truncation=self.truncation))
        return self._cache[which]

    @torch.no_grad()
    def grid(self) -> torch.Tensor:
        """[(rows + 1) × (columns + 1), 3, H, W]: a blank corner, B across the top, A down the side,
        and A's styles with ``layers`` from B in each cell."""
        g, a, b = self.generator, self.styles("a"), self.styles("b")
        top, side = g.from_wplus(b).cpu(), g.from_wplus(a).cpu()
        mixed = g.from_wplus(g.mix(a.repeat_interleave(self.columns, 0), b.repeat(self.rows, 1, 1), self.layers)).cpu()
        cells = [torch.ones_like(top[0])] + list(top)
        for i in range(self.rows):
            cells += [side[i]] + list(mixed[i * self.columns:(i + 1) * self.columns])
        return torch.stack(cells)


class StyleMixer(Explorer):
    """Explorer of style mixing: rows A, columns B, each cell A with the chosen layers' styles from B."""

    def __init__(self, generator, *, layers: str = "coarse", seed_a: int = 0, seed_b: int = 1, rows: int = 3, columns: int = 4,
                 truncation: float = 1.0, cell_size: int = 96, throttle_s: float = 0.05):
        require_style(generator)
        truncation = check_psi(truncation)
        seed_a, seed_b = check_int("seed_a", seed_a), check_int("seed_b", seed_b)
        cell_size, throttle_s = check_display_size("cell_size", cell_size), check_throttle(throttle_s)
        if not isinstance(layers, str):
            raise InvalidInputError(f"layers must be a layer range name such as 'coarse', 'middle' or 'fine', got {layers!r}")
        super().__init__()
        self.state = StyleMixState(generator, rows=rows, columns=columns, layers=layers, seed_a=seed_a, seed_b=seed_b,
                                   truncation=truncation)
        self.cell_size = cell_size
        self.throttle = LatestValueThrottle(self.capture(lambda _: self._render("jpeg")), throttle_s,
                                            on_settle=self.capture(lambda _: self._render("png")))
        self.children = self._build_view()
        self.state.observe(lambda change: self.throttle.submit(change["new"]), names=["layers", "seed_a", "seed_b", "truncation"])
        self.throttle.submit(None)
        self.throttle.flush()

    def _build_view(self) -> list[widgets.Widget]:
        s, g = self.state, self.state.generator
        ranges = {name: g.mix_layers(name) for name in MIX_RANGES}
        options = [(f"{name} (W+ layers {r[0]}–{r[-1]}, {g.layer_resolutions[r[0]]}–{g.layer_resolutions[r[-1]]} px)", name)
                   for name, r in ranges.items() if r]
        self.layers = widgets.ToggleButtons(options=options, value=s.layers, description="from B")
        self.seed_a = widgets.IntText(value=s.seed_a, description="seed A")
        self.seed_b = widgets.IntText(value=s.seed_b, description="seed B")
        self.truncation = widgets.FloatSlider(value=s.truncation, min=min(0.1, s.truncation), max=max(1.5, s.truncation), step=0.05,
                                              description="ψ")  # the range holds ψ: a slider would clamp it
        for w, name in ((self.layers, "layers"), (self.seed_a, "seed_a"), (self.seed_b, "seed_b"), (self.truncation, "truncation")):
            link((w, "value"), (s, name))
        self.image = widgets.Image(format="png")
        note = widgets.HTML("<small>top row: B · left column: A · cells: A with the chosen layers' styles from B</small>")
        return [self.layers, widgets.HBox([self.seed_a, self.seed_b, self.truncation]), self.image, note,
                self.capture.output]

    def _render(self, format: str) -> None:
        show_image(self.image, self.state.grid(), format, nrow=self.state.columns + 1, min_size=self.cell_size)

    def flush(self) -> None:
        """Render the latest settings now."""
        self.throttle.flush()

    def summary(self) -> str:
        s = self.state
        return f"StyleMixer({s.layers} layers from B; A seed {s.seed_a} × {s.rows}, B seed {s.seed_b} × {s.columns}, ψ = {s.truncation:.2f})"
