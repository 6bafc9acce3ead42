"""The UnitsExplorer, driven headless through its state and widgets."""

import pytest
import torch

from latentlab.methods.dissection import measure_concept
from latentlab.widgets.units_explorer import UnitsExplorer, UnitsState

PNG = b"\x89PNG"


@pytest.fixture
def explorer(shipped_generator, shipped_probe):
    return UnitsExplorer(shipped_generator, "block4", "object", probe=shipped_probe, n=32, rows=2, seed=0, throttle_s=0)


def test_starts_on_the_top_object_units(explorer, shipped_probe):
    s = explorer.state
    assert isinstance(s, UnitsState) and not explorer.errors
    top = s.ranking().top(4)
    assert s.units() == top and s.mode == "ablate" and s.region == "everywhere"
    for view in (explorer.before_view, explorer.after_view, explorer.heat_view, explorer.plot):
        assert bytes(view.value).startswith(PNG)
    assert f"<td>{top[0]}</td>" in explorer.ranked.value and "IoU" in explorer.ranked.value
    assert "object fraction before" in explorer.scores.value and "object fraction after" in explorer.scores.value
    before, after = s.before(), s.after()
    assert before.shape == after.shape == (2, 3, 64, 64) and not torch.allclose(before, after)
    readout = s.readout()
    assert readout["object fraction after"] < readout["object fraction before"]
    # the heatmap reddens the image where the object units fire: on the object
    assert torch.all(measure_concept("object", before, shipped_probe) > 0.02)  # each image shows an object
    redder = s.heatmap()[:, 0] - before[:, 0]
    with torch.no_grad():
        objects = shipped_probe(before).mask[:, 0] > 0.5
    assert redder[objects].mean() > redder[~objects].mean() + 0.02


def test_widgets_drive_the_state(explorer):
    s = explorer.state
    first = explorer.after_view.value
    explorer.k.value = 8
    explorer.flush()
    assert s.k == 8 and s.units() == s.ranking().top(8) and explorer.after_view.value != first
    explorer.units.value = (3, 12)
    assert s.selected == (3, 12) and s.units() == [3, 12] and "units [3, 12]" in explorer.scores.value
    explorer.k.value = 2  # moving k goes back to the top k
    assert s.selected == () and explorer.units.value == () and s.units() == s.ranking().top(2)
    s.selected = (5,)
    assert explorer.units.value == (5,)
    explorer.concept.value = "background_brightness"
    assert s.concept == "background_brightness" and s.ranking().method == "spearman" and s.selected == ()
    assert explorer.units.options[0][1] == s.ranking().units[0] and "spearman" in explorer.ranked.value
    explorer.concept.value = "object"
    explorer.mode.value = "insert"
    explorer.region.value = "top left"
    explorer.flush()
    readout = s.readout()
    assert s.mode == "insert" and "object fraction (top left) after" in readout
    assert readout["object fraction (top left) after"] > readout["object fraction (top left) before"] + 0.05
    before = s.before().clone()
    explorer.seed.value = 7
    assert s.seed == 7 and not torch.allclose(s.before(), before)
    assert not explorer.errors, explorer.errors
    assert "insert" in repr(explorer) and "seed 7" in repr(explorer)


def test_bad_input(shipped_generator, shipped_probe):
    with pytest.raises(ValueError, match=r"unknown layer 'blok3'"):
        UnitsExplorer(shipped_generator, "blok3", n=4)
    with pytest.raises(ValueError, match=r"unknown concept 'objet'.*Did you mean 'object'"):
        UnitsExplorer(shipped_generator, "block4", "objet", n=4)
    explorer = UnitsExplorer(shipped_generator, "block4", probe=shipped_probe, n=8, concepts=["red", "object"], throttle_s=0)
    s = explorer.state
    assert explorer.concept.options == ("red", "object") and s.concept == "object"
    with pytest.raises(ValueError, match=r"unknown concept 'blue'"):
        s.concept = "blue"
    with pytest.raises(ValueError, match=r"k must be between 1 and the layer's 16 units"):
        s.k = 0
    with pytest.raises(ValueError, match=r"unit 99 is out of range"):
        s.selected = (1, 99)
    with pytest.raises(ValueError, match=r"unknown mode 'erase'"):
        s.mode = "erase"
    with pytest.raises(ValueError, match=r"unknown region 'top-left'.*Did you mean 'top left'"):
        s.region = "top-left"
    assert not explorer.errors
