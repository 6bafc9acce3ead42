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
