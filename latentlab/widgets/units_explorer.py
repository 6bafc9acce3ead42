"""UnitsExplorer: find the units of a layer that match a concept, then switch them off or on.

GAN dissection (Bau et al. 2019) in one view: choose a concept and the units of the layer are
ranked by how well they match it (IoU with the concept's mask, or correlation with its value);
take the top k (or pick units by hand), ablate them or insert them inside a region, and see the
image before and after, the chosen units' activation heatmap over it, and the concept measured
by the probe on both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ipywidgets as widgets
import torch
import torch.nn.functional as F
from traitlets import HasTraits, Int, Tuple, Unicode, link, observe, validate

from latentlab.errors import check_count, check_display_size, check_float, check_int, check_throttle, unknown_name_error
from latentlab.widgets.common import Explorer, LatestValueThrottle, figure_to_png, new_figure, show_image

#: Named regions as (left, top, right, bottom) fractions of the image; "everywhere" edits the whole map.
REGIONS: dict[str, tuple[float, float, float, float] | None] = {
    "everywhere": None,
    "centre": (0.25, 0.25, 0.75, 0.75),
    "top left": (0.0, 0.0, 0.5, 0.5),
    "top right": (0.5, 0.0, 1.0, 0.5),
    "bottom left": (0.0, 0.5, 0.5, 1.0),
    "bottom right": (0.5, 0.5, 1.0, 1.0),
}
HEAT = (1.0, 0.15, 0.1)  # overlay colour of the activation heatmap


def _box_mask(size: int, box: tuple[float, float, float, float]) -> torch.Tensor:
    from latentlab.masks import rect_mask

    left, top, right, bottom = (round(v * size) for v in box)
    return rect_mask(size, left, top, right, bottom)


class UnitsState(HasTraits):
    """The recording and rankings of one layer, the concept, the chosen units, the mode, region and seed.

    The units acted on are ``selected`` when it is not empty, else the concept's top ``k``.
    Changing the concept or k clears the selection.
    """

    concept = Unicode()
    k = Int(4)
    selected = Tuple()
    mode = Unicode("ablate")
    region = Unicode("everywhere")
    seed = Int(0)

    def __init__(self, generator, layer: str, *, probe=None, n: int = 128, record_seed: int = 0, rows: int = 1, classes=None,
                 quantile: float = 0.9, concepts: Sequence[str] | None = None, regions: Mapping[str, torch.Tensor] | None = None,
                 **settings):
        from latentlab.assessors.base import check_mask
        from latentlab.methods.dissection import CONCEPTS, get_concept, record_units

        self.generator, self.layer, self.probe = generator, layer, probe
        self.rows, self.classes = check_count("rows", rows), classes
        self.quantile = check_float("quantile", quantile, above=0.0, below=1.0, hint="the activation quantile a unit's mask is cut at")
        n = check_count("n", n)
        self.concepts = list(CONCEPTS) if concepts is None else [get_concept(c).name for c in concepts]
        if not self.concepts:
            raise ValueError("concepts is empty: give at least one concept name")
        size = generator.resolution
        self.regions: dict[str, torch.Tensor | None] = {name: None if box is None else _box_mask(size, box) for name, box in REGIONS.items()}
        for name, mask in (regions or {}).items():
            self.regions[str(name)] = check_mask(mask, (size, size))[0, 0]
        self.recording = record_units(generator, layer, n, record_seed, classes)
        self._rankings: dict = {}
        self._cache: dict = {}
        settings.setdefault("concept", "object" if "object" in self.concepts else self.concepts[0])
        settings.setdefault("k", min(4, self.recording.n_units))
        selected = settings.pop("selected", ())
        super().__init__(**settings)
        self.selected = selected  # after concept and k, whose changes clear the selection

    # validation --------------------------------------------------------------------------
    @validate("concept")
    def _valid_concept(self, proposal):
        if proposal.value not in self.concepts:
            raise unknown_name_error("concept", proposal.value, self.concepts)
        return proposal.value

    @validate("k")
    def _valid_k(self, proposal):
        k, n = proposal.value, self.recording.n_units
        if not 1 <= k <= n:
            raise ValueError(f"k must be between 1 and the layer's {n} units, got {k!r}")
        return k

    @validate("selected")
    def _valid_selected(self, proposal):
        from latentlab.methods.dissection import check_units

        return tuple(check_units(list(proposal.value), self.recording.n_units, self.layer)) if proposal.value else ()

    @validate("mode")
    def _valid_mode(self, proposal):
        from latentlab.methods.dissection import MODES

        if proposal.value not in MODES:
            raise unknown_name_error("mode", proposal.value, MODES)
        return proposal.value

    @validate("region")
    def _valid_region(self, proposal):
        if proposal.value not in self.regions:
            raise unknown_name_error("region", proposal.value, self.regions)
        return proposal.value

    @observe("concept", "k")
    def _clear_selection(self, change) -> None:
        self.selected = ()

    @observe("seed")
    def _forget(self, change) -> None:
        self._cache.clear()

    # results -------------------------------------------------------------------------------
    def ranking(self, concept: str | None = None):
        """The :class:`~latentlab.methods.dissection.UnitRanking` of the layer for ``concept`` (default: the current one)."""
        from latentlab.methods.dissection import rank_units

        concept = self.concept if concept is None else concept
        if concept not in self._rankings:
            self._rankings[concept] = rank_units(self.recording, concept, quantile=self.quantile, probe=self.probe)
        return self._rankings[concept]

    def units(self) -> list[int]:
        """The units acted on: the selection, or the current concept's top k."""
        return list(self.selected) if self.selected else self.ranking().top(self.k)

    def region_mask(self) -> torch.Tensor | None:
        """The current region as a mask [R, R] (None: everywhere)."""
        return self.regions[self.region]

    def latents(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The latents [rows, D] of the current seed and their classes (None when unconditional)."""
        if "latents" not in self._cache:
            from latentlab.methods.dissection.recording import _latents_and_classes

            self._cache["latents"] = _latents_and_classes(self.generator, self.rows, self.seed, self.classes, None)
        return self._cache["latents"]

    @torch.no_grad()
    def features(self) -> torch.Tensor:
        """The layer's feature maps [rows, U, h, w] for the current seed."""
        if "features" not in self._cache:
            self._cache["features"] = self.generator.split(self.layer).f(*self.latents()).float().cpu()
        return self._cache["features"]

    @torch.no_grad()
    def before(self) -> torch.Tensor:
        """The unedited images [rows, 3, R, R]."""
        if "before" not in self._cache:
            self._cache["before"] = self.generator(*self.latents()).float().cpu()
        return self._cache["before"]

    @torch.no_grad()
    def after(self) -> torch.Tensor:
        """The images with the chosen units ablated or inserted (inside the region) [rows, 3, R, R]."""
        from latentlab.methods.dissection import intervene

        z, y = self.latents()
        return intervene(self.generator, z, y, self.layer, self.units(), self.mode, region=self.region_mask(),
                         recording=self.recording).float().cpu()

    def heatmap(self, units: Sequence[int] | None = None, alpha: float = 0.65) -> torch.Tensor:
        """The before images with the units' activation overlaid [rows, 3, R, R].

        Each unit's map is scaled from its 1st to its 99th recorded percentile to [0, 1],
        upsampled (and placed as the object was, for units the ranking matched in the object's
        frame) and averaged; red shows where the units fire.
        """
        units = self.units() if units is None else list(units)
        rec = self.recording
        lo, hi = rec.unit_quantile(0.01)[units].view(1, -1, 1, 1), rec.unit_quantile(0.99)[units].view(1, -1, 1, 1)
        heat = ((self.features()[:, units] - lo) / (hi - lo).clamp(min=1e-6)).clamp(0, 1)
        size = self.generator.resolution
        heat = F.interpolate(heat, size=(size, size), mode="bilinear", align_corners=False)
        ranking = self.ranking()
        placed = [i for i, u in enumerate(units) if ranking.is_placed(u)]
        if placed:  # units that draw the object in its own frame: show them where the object landed
            from latentlab.methods.dissection import place_maps

            with torch.no_grad():
                grids = self.generator.object_grid(*self.latents()).float().cpu()
            heat[:, placed] = place_maps(heat[:, placed], grids)
        heat = heat.mean(dim=1, keepdim=True)
        colour = torch.tensor(HEAT).view(1, 3, 1, 1)
        return self.before() * (1 - alpha * heat) + alpha * heat * colour

    def readout(self) -> dict[str, float]:
        """The concept on the shown images before and after (inside the region, for spatial concepts)."""
        from latentlab.methods.dissection import get_concept, measure_concept

        region = self.region_mask()
        region = None if region is None else region[None, None]
        concept = get_concept(self.concept)
        label = f"{concept.name} fraction" if concept.spatial else concept.name
        if concept.spatial and region is not None:
            label += f" ({self.region})"
        before = measure_concept(concept, self.before(), self.probe, region=region)
        after = measure_concept(concept, self.after(), self.probe, region=region)
        return {f"{label} before": float(before.mean()), f"{label} after": float(after.mean())}


class UnitsExplorer(Explorer):
    """Explorer of a layer's units: rank them for a concept, ablate or insert them, see the effect.

    ``layer`` must be spatial (see ``generator.spatial_layers()``); ``n`` samples from
    ``record_seed`` are recorded once to rank the units. ``concept`` starts the view (default
    "object"); ``concepts`` limits the dropdown; ``regions`` adds named masks [R, R] for
    insertion; ``probe`` reads the concepts (default: the embedded ``shapes-probe``).
    """

    def __init__(self, generator, layer: str = "block4", concept: str | None = None, *, probe=None, k: int = 4, mode: str = "ablate",
                 region: str = "everywhere", seed: int = 0, n: int = 128, record_seed: int = 0, rows: int = 1, classes=None,
                 quantile: float = 0.9, concepts: Sequence[str] | None = None, regions: Mapping[str, torch.Tensor] | None = None,
                 top: int = 10, display_size: int = 192, throttle_s: float = 0.05):
        top, display_size, throttle_s = check_count("top", top), check_display_size("display_size", display_size), check_throttle(throttle_s)
        seed, record_seed = check_int("seed", seed, minimum=0, hint="the view's seed slider starts at 0"), check_int("record_seed", record_seed)
        super().__init__()
        settings = {} if concept is None else {"concept": concept}
        self.state = UnitsState(generator, layer, probe=probe, n=n, record_seed=record_seed, rows=rows, classes=classes,
                                quantile=quantile, concepts=concepts, regions=regions, k=k, mode=mode, region=region, seed=seed,
                                **settings)
        self.top, self.display_size = top, display_size
        self.throttle = LatestValueThrottle(self.capture(lambda _: self._render("jpeg")), throttle_s,
                                            on_settle=self.capture(self._settle))
        self.children = self._build_view()
        self.state.observe(self.capture(self._on_concept), names=["concept"])
        self.state.observe(self.capture(self._sync_selection), names=["selected"])
        self.state.observe(lambda change: self.throttle.submit(change["name"]),
                           names=["concept", "k", "selected", "mode", "region", "seed"])
        self.throttle.submit("init")
        self.throttle.flush()

    def _build_view(self) -> list[widgets.Widget]:
        s = self.state
        n_units = s.recording.n_units
        self.concept = widgets.Dropdown(options=s.concepts, value=s.concept, description="concept")
        self.k = widgets.IntSlider(value=s.k, min=1, max=n_units, description="top k")
        self.units = widgets.SelectMultiple(options=self._unit_options(), value=s.selected, rows=8, description="units",
                                            layout=widgets.Layout(width="220px"))
        self.mode = widgets.ToggleButtons(options=["ablate", "insert"], value=s.mode, description="mode")
        self.region = widgets.Dropdown(options=list(s.regions), value=s.region, description="region")
        self.seed = widgets.IntSlider(value=s.seed, min=0, max=max(999, s.seed), description="seed")
        for w, name in ((self.concept, "concept"), (self.k, "k"), (self.mode, "mode"), (self.region, "region"), (self.seed, "seed")):
            link((w, "value"), (s, name))
        self.units.observe(self.capture(lambda change: setattr(s, "selected", tuple(change["new"]))), names="value")
        layout = widgets.Layout(width=f"{self.display_size}px")
        self.before_view, self.after_view, self.heat_view = (widgets.Image(format="png", layout=layout) for _ in range(3))
        captions = [widgets.HTML(f"<small>{t}</small>") for t in ("before", "after", "unit activation (red)")]
        images = widgets.HBox([widgets.VBox([c, v]) for c, v in zip(captions, (self.before_view, self.after_view, self.heat_view))])
        self.ranked = widgets.HTML()
        self.scores = widgets.HTML()
        self.plot = widgets.Image(format="png")
        info = widgets.HTML(f"<small>layer <b>{s.layer}</b>: {n_units} units, ranked on {s.recording.n} samples. "
                            "Selecting units overrides top k.</small>")
        controls = widgets.VBox([self.concept, self.k, self.mode, self.region, self.seed, info])
        return [widgets.HBox([controls, self.units, self.ranked]), images, widgets.HBox([self.scores, self.plot]),
                self.capture.output]

    def _unit_options(self) -> list[tuple[str, int]]:
        ranking = self.state.ranking()
        return [(f"unit {int(u):>3} · {float(v):.3f}", int(u)) for u, v in zip(ranking.units, ranking.scores)]

    def _on_concept(self, change) -> None:
        with self.units.hold_trait_notifications():
            self.units.value = ()
            self.units.options = self._unit_options()

    def _sync_selection(self, change) -> None:
        if tuple(self.units.value) != tuple(change["new"]):
            self.units.value = tuple(change["new"])

    def _render(self, format: str) -> None:
        s = self.state
        nrow = min(s.rows, 4)
        size = self.display_size // nrow
        show_image(self.before_view, s.before(), format, nrow=nrow, min_size=size)
        show_image(self.after_view, s.after(), format, nrow=nrow, min_size=size)
        show_image(self.heat_view, s.heatmap(), format, nrow=nrow, min_size=size)

    def _settle(self, _) -> None:
        self._render("png")
        s = self.state
        ranking = s.ranking()
        chosen = set(s.units())
        bold = " style='font-weight:bold'"
        rows = "".join(f"<tr{bold if u in chosen else ''}><td>{u}</td><td style='text-align:right'>{v:.3f}</td></tr>"
                       for u, v in ranking.table(self.top))
        score = "IoU" if ranking.method == "iou" else f"{ranking.method} r"
        self.ranked.value = (f"<table><tr><th>unit</th><th>{score}</th></tr>{rows}</table>"
                             f"<small>mean over {len(ranking.units)} units: {ranking.mean_score:.3f}</small>")
        units = ", ".join(map(str, s.units()))
        readout = "".join(f"<tr><td>{name}</td><td style='text-align:right'>{value:.3f}</td></tr>" for name, value in s.readout().items())
        self.scores.value = f"<b>{s.mode}</b> units [{units}]<table>{readout}</table>"
        self._plot(ranking)

    def _plot(self, ranking) -> None:
        fig = new_figure(4.2, 2.4)
        ranking.plot(k=min(self.top, len(ranking.units)), ax=fig.add_subplot())
        fig.tight_layout()
        self.plot.value = figure_to_png(fig)

    def flush(self) -> None:
        """Render the current settings now (and the settled PNGs, ranking and readout)."""
        self.throttle.flush()

    def summary(self) -> str:
        s = self.state
        return f"UnitsExplorer({s.concept!r} at {s.layer!r}: {s.mode} units {s.units()}, region {s.region!r}, seed {s.seed})"
