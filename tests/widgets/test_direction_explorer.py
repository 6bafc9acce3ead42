"""The DirectionExplorer, driven headless through its state and widgets."""

import pytest
import torch

from latentlab.assessors import Brightness, ObjectSize
from latentlab.methods.directions import Direction
from latentlab.widgets import DirectionExplorer


@pytest.fixture
def explorer(shipped_generator):
    g = shipped_generator
    first = torch.zeros(g.latent_dim)
    first[:24] = 1.0  # the stem's chunk: moves the whole image
    directions = {"stem chunk": Direction(first, "stem chunk"), "random": Direction(torch.randn(g.latent_dim, generator=torch.Generator().manual_seed(0)))}
    return DirectionExplorer(g, directions, assessors={"size": ObjectSize(), "brightness": Brightness()}, t_range=(-1.5, 1.5),
                             rows=2, steps=5, seed=0, throttle_s=0)


def test_slider_moves_the_images_and_the_readout(explorer):
    s = explorer.state
    at_zero, readout_zero = s.images(0.0), s.readout(0.0)
    z, y = s.latents()
    with torch.no_grad():
        assert torch.allclose(at_zero, s.generator(z, y), atol=1e-6)  # t = 0 adds nothing
    before = explorer.view.value
    explorer.t.value = 1.5
    explorer.flush()
    assert s.t == 1.5 and explorer.view.value != before
    assert not torch.allclose(s.images(), at_zero) and s.readout() != readout_zero
    assert "size" in explorer.scores.value and "brightness" in explorer.scores.value
    strip = s.strip()
    assert strip.shape == (2 * 5, 3, 64, 64)
    assert torch.allclose(strip[2], s.images(0.0)[0], atol=1e-6)  # the middle column is t = 0


def test_switching_direction_and_seed(explorer):
    s = explorer.state
    first = s.strip().clone()
    explorer.choice.value = "random"
    assert s.direction == "random" and not torch.allclose(s.strip(), first)
    z = s.latents()[0].clone()
    explorer.seed.value = 5
    assert not torch.equal(s.latents()[0], z)
    assert "random" in repr(explorer) and not explorer.errors


def test_bad_input(shipped_generator):
    g = shipped_generator
    d = {"x": Direction(torch.ones(g.latent_dim))}
    with pytest.raises(ValueError, match="non-empty mapping"):
        DirectionExplorer(g, {})
    with pytest.raises(ValueError, match="3 dimensions"):
        DirectionExplorer(g, {"short": Direction(torch.ones(3))})
    with pytest.raises(ValueError, match="range is empty"):
        DirectionExplorer(g, d, t_range=(1.0, 1.0))
    explorer = DirectionExplorer(g, d, t_range=(-1, 1), rows=1, steps=3)
    with pytest.raises(ValueError, match=r"t must lie in \[-1, 1\]"):
        explorer.state.t = 4.0
    with pytest.raises(ValueError, match="direction"):
        explorer.state.direction = "y"


@pytest.fixture(scope="module")
def style_explorer():
    from latentlab import load_generator
    from latentlab.methods.sefa import style_sefa_directions

    g = load_generator("shapes-stylegan")
    coarse = style_sefa_directions(g, k=1, layers=[1, 2])[0]  # b4.conv1, b8.conv0: W+ rows 0 and 1
    gen = torch.Generator().manual_seed(3)
    fine = Direction(torch.randn(g.w_dim, generator=gen), "fine", space="w", layers=(8, 9))
    return DirectionExplorer(g, {"coarse": coarse, "fine": fine}, space="w+", assessors={"size": ObjectSize()},
                             t_range=(-3, 3), rows=2, steps=3, throttle_s=0)


def test_several_sliders_in_wplus_move_only_their_layers_and_add_up(style_explorer):
    e, s = style_explorer, style_explorer.state
    assert s.space.name == "w+" and set(e.sliders) == {"coarse", "fine"} and "[0–1]" in e.sliders["coarse"].description
    x, _ = s.latents()
    start = s.images()
    e.sliders["coarse"].value = 2.0
    e.flush()
    assert s.values["coarse"] == 2.0 and not torch.allclose(s.images(), start)
    ws = s.space.decode(s.moved(x)) - s.space.decode(x)  # [rows, num_ws, w_dim]
    assert ws[:, :2].abs().max() > 0 and ws[:, 2:].abs().max() == 0
    s.set("fine", -1.5)
    both = s.space.decode(s.moved(x)) - s.space.decode(x)
    assert torch.allclose(both[:, :2], ws[:, :2]) and both[:, 8:].abs().max() > 0 and both[:, 2:8].abs().max() == 0
    assert e.sliders["fine"].value == -1.5 and "coarse = 2.00" in repr(e)
    s.reset()
    assert all(v == 0 for v in s.values.values()) and torch.allclose(s.images(), start)
    assert all(slider.value == 0 for slider in e.sliders.values())


def test_an_edit_saves_and_loads_and_refuses_another_explorers(style_explorer, explorer, tmp_path):
    s = style_explorer.state
    s.set("coarse", 1.0)
    s.set("fine", 2.5)
    s.seed = 4
    path = s.save_edit(tmp_path / "edit.json")
    edited = s.images()
    s.reset()
    s.seed = 0
    s.load_edit(path)
    assert s.values == {"coarse": 1.0, "fine": 2.5} and s.seed == 4 and torch.allclose(s.images(), edited)
    with pytest.raises(ValueError, match="holds an edit of"):
        explorer.state.load_edit(path)
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="not a saved direction edit"):
        s.load_edit(tmp_path / "bad.json")
    with pytest.raises(ValueError, match=".json"):
        s.save_edit(tmp_path / "edit.txt")


def test_projection_directions_act_once_set():
    from latentlab import load_generator

    g = load_generator("shapes-biggan")
    u = torch.zeros(g.latent_dim)
    u[0] = 1.0
    e = DirectionExplorer(g, {"u": Direction(u, "u", projection=True)}, t_range=(-2, 2), rows=2, steps=3, throttle_s=0)
    s = e.state
    x, y = s.latents()
    with torch.no_grad():
        assert torch.allclose(s.images(), g(x, y).cpu(), atol=1e-6)  # not engaged: the latents as they are
    s.set("u", 0.0)
    assert torch.allclose(s.moved(x)[:, 0], torch.zeros(2))  # engaged at 0: the coordinate is set to 0
