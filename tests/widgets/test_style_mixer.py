import pytest
import torch

from latentlab.widgets import StyleMixer
from latentlab.zoo import load_generator


@pytest.fixture(scope="module")
def g():
    return load_generator("shapes-stylegan")


def test_grid_cells_are_a_with_the_chosen_layers_from_b(g):
    mixer = StyleMixer(g, layers="coarse", seed_a=3, seed_b=4, rows=2, columns=3, throttle_s=0)
    s = mixer.state
    grid = s.grid()
    assert grid.shape == (3 * 4, 3, 64, 64)
    a, b = s.styles("a"), s.styles("b")
    with torch.no_grad():
        assert torch.allclose(grid[1:4], g.from_wplus(b), atol=1e-5)  # top row: B
        assert torch.allclose(grid[4], g.from_wplus(a[:1])[0], atol=1e-5)  # left column: A
        expected = g.from_wplus(g.mix(a[1:2], b[2:3], "coarse"))[0]
    assert torch.allclose(grid[4 * 2 + 3], expected, atol=1e-5)  # row A1, column B2
    first = mixer.image.value
    mixer.layers.value = "fine"
    assert s.layers == "fine" and mixer.image.value != first and mixer.image.format == "png"
    with torch.no_grad():
        fine = g.from_wplus(g.mix(a[1:2], b[2:3], "fine"))[0]
    assert torch.allclose(s.grid()[4 * 2 + 3], fine, atol=1e-5)
    # coarse styles from B move a cell further from A than fine ones do
    cells = lambda layers: g.from_wplus(g.mix(a.repeat_interleave(3, 0), b.repeat(2, 1, 1), layers))  # noqa: E731
    with torch.no_grad():
        base = g.from_wplus(a.repeat_interleave(3, 0))
        assert (cells("coarse") - base).square().mean() > (cells("fine") - base).square().mean()
    assert "fine layers from B" in mixer.summary()


def test_bad_settings_fail_clearly(g):
    with pytest.raises(ValueError, match="style-based generator"):
        StyleMixer(load_generator("shapes-biggan"))
    mixer = StyleMixer(g, rows=1, columns=1, throttle_s=0)
    with pytest.raises(ValueError, match="did you mean 'middle'"):
        mixer.state.layers = "midle"
    with pytest.raises(ValueError, match="ψ must be > 0"):
        mixer.state.truncation = 0.0
    old = mixer.state.styles("a").clone()
    mixer.state.seed_a = 9
    assert not torch.equal(mixer.state.styles("a"), old)
