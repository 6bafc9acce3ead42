"""Every explorer is an ipywidgets widget: its own model, the widget-view MIME bundle, its controls as children."""

from collections.abc import Callable, Iterator

import ipywidgets
import pytest
import torch
from IPython.core.formatters import DisplayFormatter
from ipywidgets.widgets.widget import _instances

import latentlab
from latentlab.assessors import Brightness, Redness
from latentlab.methods.directions import Direction
from latentlab.widgets import (
    ClassMixer,
    DirectionExplorer,
    EvolutionGallery,
    Explorer,
    ImageEditor,
    LatentWalk,
    PaintCanvas,
    PixelReadout,
    StyleMixer,
    TruncationExplorer,
    UnitsExplorer,
)

VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def stylegan():
    return latentlab.load_generator("shapes-stylegan")


def _direction_explorer(g) -> DirectionExplorer:
    first = torch.zeros(g.latent_dim)
    first[:24] = 1.0
    return DirectionExplorer(g, {"stem chunk": Direction(first, "stem chunk")}, assessors={"brightness": Brightness()},
                             rows=1, steps=3, throttle_s=0)


# name → (build it from the fixtures, the controls the old view showed)
EXPLORERS: dict[str, tuple[Callable, Callable]] = {
    "ClassMixer": (lambda f: ClassMixer(f["shipped_generator"], "circle", "star", rows=1, steps=2, throttle_s=0),
                   lambda e: [e.class_a, e.class_b, e.t, e.seed, e.swap, e.mix, e.strip]),
    "DirectionExplorer": (lambda f: _direction_explorer(f["shipped_generator"]),
                          lambda e: [*e.sliders.values(), e.choice, e.seed, e.reset, e.path, e.save, e.load, e.status, e.view,
                                     e.scores, e.strip]),
    "EvolutionGallery": (lambda f: EvolutionGallery("red", f["tiny_generator"], Redness(), generations=2, population=8),
                         lambda e: [e.optimizer, e.generations, e.population, e.run_button, e.stop_button, e.continue_button,
                                    e.status, e.tiles, e.plot]),
    "ImageEditor": (lambda f: ImageEditor(f["stylegan"], steps=2, scale=1, generations=1),
                    lambda e: [e.upload, e.pad.canvas, e.pen, e.background, e.pen_size, e.clear_drawing_button, e.use_drawing,
                               e.invert_button, e.stop_button, e.progress, e.status, e.target_view, e.reconstruction,
                               e.edited_view, *e.sliders.values(), e.reset_button, e.mask_pad.canvas, e.brush, e.mode, e.text,
                               e.generations, e.paint_button, e.paint_progress, e.path, e.save_button]),
    "LatentWalk": (lambda f: LatentWalk(f["shipped_generator"], 3, 4, classes="star", steps=3, throttle_s=0),
                   lambda e: [e.image, e.method, e.steps, e.position, e.play, e.seed_a, e.seed_b, e.class_a, e.class_b, e.path,
                              e.save_gif, e.save_mp4, e.status]),
    "PaintCanvas": (lambda f: PaintCanvas(f["shipped_generator"], seed=3, classes="star", scale=2),
                    lambda e: [e.canvas, e.brush, e.mode, e.clear_button, e.undo_button, e.text, e.paint_button, e.progress,
                               e.status, e.before, e.after, e.accept_button, e.discard_button, e.strip]),
    "StyleMixer": (lambda f: StyleMixer(f["stylegan"], rows=1, columns=1, throttle_s=0),
                   lambda e: [e.layers, e.seed_a, e.seed_b, e.truncation, e.image]),
    "TruncationExplorer": (lambda f: TruncationExplorer(f["shipped_generator"], n=2, readout=PixelReadout(), readout_n=2,
                                                        throttle_s=0),
                           lambda e: [e.psi, e.seed, e.grid, e.readout, e.plot, e.measure]),
    "UnitsExplorer": (lambda f: UnitsExplorer(f["shipped_generator"], probe=f["shipped_probe"], n=16, throttle_s=0),
                      lambda e: [e.concept, e.k, e.units, e.mode, e.region, e.seed, e.before_view, e.after_view, e.heat_view,
                                 e.ranked, e.scores, e.plot]),
}


@pytest.fixture(params=sorted(EXPLORERS))
def built(request) -> Iterator[tuple[Explorer, list[ipywidgets.Widget]]]:
    build, controls = EXPLORERS[request.param]
    explorer = build(_Fixtures(request))
    yield explorer, controls(explorer)
    explorer.close()


class _Fixtures:
    """Fixture values by name, looked up when a builder asks."""

    def __init__(self, request):
        self.request = request

    def __getitem__(self, name: str):
        return self.request.getfixturevalue(name)


def descendants(widget: ipywidgets.Widget) -> list[ipywidgets.Widget]:
    """The widgets shown inside ``widget``, depth first."""
    found = []
    for child in getattr(widget, "children", ()):
        found += [child, *descendants(child)]
    return found


def test_an_explorer_is_a_widget_with_its_own_model(built):
    explorer, _ = built
    assert isinstance(explorer, ipywidgets.Widget) and isinstance(explorer, ipywidgets.VBox)
    assert explorer.comm is not None and _instances[explorer.model_id] is explorer
    assert explorer.widget is explorer
    assert explorer.get_state()["_view_name"] == "VBoxView"


def test_its_attributes_shadow_nothing_of_ipywidgets(built):
    explorer, _ = built
    box = ipywidgets.VBox()
    own = set(vars(explorer)) - set(vars(box))
    box.close()
    own |= {name for name in set(vars(type(explorer))) - set(vars(ipywidgets.VBox)) if not name.startswith("__")}
    assert not own & set(dir(ipywidgets.VBox)), own & set(dir(ipywidgets.VBox))


def test_its_mimebundle_is_the_widget_view_of_its_own_model(built):
    explorer, _ = built
    bundle = explorer._repr_mimebundle_()
    view = bundle[VIEW]
    assert view["model_id"] == explorer.model_id and view["version_major"] == 2 and view["version_minor"] == 0
    assert bundle["text/plain"] == explorer.summary() == repr(explorer)


def test_ipython_formats_it_as_a_widget_view(built):
    explorer, _ = built
    data, _metadata = DisplayFormatter().format(explorer)
    assert set(data) == {VIEW, "text/plain"}
    assert data[VIEW] == {"version_major": 2, "version_minor": 0, "model_id": explorer.model_id}
    assert data["text/plain"] == explorer.summary()


def test_its_children_hold_the_controls_and_the_error_area(built):
    explorer, controls = built
    shown = descendants(explorer)
    ids = {id(w) for w in shown}
    missing = [type(w).__name__ for w in controls if id(w) not in ids]
    assert not missing, missing
    assert explorer.children[-1] is explorer.capture.output
    state = explorer.get_state()["children"]
    assert state == [f"IPY_MODEL_{child.model_id}" for child in explorer.children]


def test_it_nests_inside_other_widgets(built):
    explorer, _ = built
    box = ipywidgets.HBox([explorer])
    try:
        assert box.children == (explorer,) and box.get_state()["children"] == [f"IPY_MODEL_{explorer.model_id}"]
    finally:
        box.close()


def test_close_closes_the_children_too(built):
    explorer, controls = built
    inside = [explorer, *descendants(explorer), *controls, explorer.layout, explorer.capture.output]
    ids = [w.model_id for w in inside]
    explorer.close()
    still_open = [type(w).__name__ for w in inside if w.comm is not None]
    assert not still_open, still_open
    assert not set(ids) & set(_instances)
    data, _ = DisplayFormatter().format(explorer)
    assert VIEW not in data and data["text/plain"] == explorer.summary()
    explorer.close()  # twice is fine


def test_closing_a_canvas_explorer_keeps_the_shared_canvas_manager(shipped_generator):
    first = PaintCanvas(shipped_generator, scale=2)
    manager = first.canvas._canvas_manager
    first.close()
    assert first.canvas.comm is None and manager.comm is not None
    second = PaintCanvas(shipped_generator, scale=2)
    assert second.canvas._canvas_manager is manager and not second.errors
    second.close()


def test_a_constructor_that_raises_leaves_no_widget_open(shipped_generator):
    before = set(_instances)
    with pytest.raises(ValueError, match="got 0"):
        TruncationExplorer(shipped_generator, n=0)
    with pytest.raises(ValueError, match="interpolation"):
        LatentWalk(shipped_generator, method="cubic")
    assert set(_instances) <= before


def test_the_throttle_can_be_cancelled():
    from latentlab.widgets import LatestValueThrottle

    seen, settled, cancelled = [], [], []
    throttle = LatestValueThrottle(seen.append, 1.0, on_settle=settled.append,
                                   scheduler=lambda delay, fn: (lambda: cancelled.append(True)))
    throttle.submit(1)
    throttle.submit(2)
    throttle.cancel()
    throttle.flush()
    assert seen == [1] and settled == [] and cancelled == [True] and not throttle.pending
