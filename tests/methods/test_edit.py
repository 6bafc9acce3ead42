"""Editing an inverted image: directions (with W+ layer ranges), walks, repaints over W/W+ styles, evolve from it,
and the edit saved and loaded."""

from __future__ import annotations

import pytest
import torch

from latentlab import EditedImage, invert, load_generator, render_shapes
from latentlab.errors import CorruptFileError, InvalidInputError
from latentlab.methods import style_sefa_directions
from latentlab.spaces import Direction, resolve_space


@pytest.fixture(scope="module")
def g():
    return load_generator("shapes-stylegan")


@pytest.fixture(scope="module")
def found(g):
    return invert(g, render_shapes(1, seed=21).images, space="w+", steps=40)


@pytest.fixture(scope="module")
def direction(g):
    return style_sefa_directions(g)[0]


def test_an_inversion_starts_an_edit_that_renders_its_reconstruction(g, found):
    edit = EditedImage.from_inversion(found, model="shapes-stylegan")
    assert edit.space == "w+" and edit.steps[0]["op"] == "invert" and edit.steps[0]["psnr"] > 15
    assert torch.allclose(edit.render(g), found.images, atol=1e-5)
    with pytest.raises(InvalidInputError, match="index"):
        EditedImage.from_inversion(found, index=3)


def test_a_w_direction_moves_its_layers_or_a_chosen_range(g, found, direction):
    edit = EditedImage.from_inversion(found)
    everywhere, coarse = edit.moved(g, direction, 3.0), edit.moved(g, direction, 3.0, layers="coarse")
    ws = lambda e: resolve_space("w+", g).decode(e.latents.to(g.device))[0]  # noqa: E731
    changed = (ws(coarse) - ws(edit)).abs().sum(dim=1) > 0  # per layer
    assert changed.tolist() == [i in g.mix_layers("coarse") for i in range(g.num_ws)]
    own = (ws(everywhere) - ws(edit)).abs().sum(dim=1) > 0  # without layers=: the direction's own layers
    assert own.tolist() == [i in direction.layers for i in range(g.num_ws)] and own.sum() > changed.sum()
    assert float((everywhere.render(g) - edit.render(g)).abs().mean()) > 1e-3
    assert everywhere.steps[-1]["op"] == "direction" and everywhere.steps[-1]["amount"] == 3.0
    frames = edit.walk(g, direction, [-2.0, 0.0, 2.0])
    assert frames.shape == (3, 3, 64, 64) and torch.allclose(frames[1], edit.render(g)[0], atol=1e-5)
    with pytest.raises(InvalidInputError, match="space"):
        edit.moved(g, Direction(torch.ones(g.latent_dim), space="z"), 1.0)


def test_layers_need_a_w_direction_and_a_wplus_image(g, direction):
    in_w = EditedImage.from_inversion(invert(g, render_shapes(1, seed=22).images, space="w", steps=5))
    with pytest.raises(InvalidInputError, match="W\\+"):
        in_w.moved(g, direction, 1.0, layers="coarse")
    assert float((in_w.moved(g, direction, 2.0).render(g) - in_w.render(g)).abs().mean()) > 1e-3


def test_a_repaint_changes_the_region_and_builds_on_the_moves(g, found, direction, tmp_path):
    edit = EditedImage.from_inversion(found).moved(g, direction, 2.0)
    mask = torch.zeros(64, 64)
    mask[8:36, 8:36] = 1
    painted = edit.repainted(g, mask, "a blue star", generations=3, population=8, seed=0, progress=False)
    assert len(painted.edits) == 1 and painted.paint_space == "w" and painted.steps[-1]["op"] == "paint"
    before, after = edit.render(g), painted.render(g)
    inside = (after - before).abs()[..., 8:36, 8:36].mean()
    outside = (after - before).abs()[..., 40:, 40:].mean()
    assert float(inside) > 2 * float(outside)
    painted.save(tmp_path / "edit", g)
    assert (tmp_path / "edit" / "edited.png").is_file()
    loaded = EditedImage.load(tmp_path / "edit")
    assert torch.allclose(loaded.render(g), after, atol=1e-5) and loaded.steps == painted.steps
    moved_again = loaded.moved(g, direction, -1.0)  # a move after a paint keeps the painted region on top
    assert len(moved_again.edits) == 1 and not torch.allclose(moved_again.render(g), after)
    (tmp_path / "edit" / "edit.safetensors").write_bytes(b"oops")
    with pytest.raises(CorruptFileError):
        EditedImage.load(tmp_path / "edit")


def test_a_z_inversion_is_repainted_in_z_with_its_class(g):
    found = invert(g, render_shapes(1, seed=23).images, space="z", classes="star", steps=5)
    edit = EditedImage.from_inversion(found)
    mask = torch.zeros(64, 64)
    mask[:32] = 1
    painted = edit.repainted(g, mask, "a red circle", generations=2, population=6, progress=False)
    assert painted.paint_space == "z" and painted.edits[0].z is not None
    assert painted.render(g).shape == (1, 3, 64, 64)


def test_evolve_starts_at_the_inverted_image(g, found):
    edit = EditedImage.from_inversion(found)
    result = edit.evolve(g, "a red circle", optimizer="cma", generations=1, population=6, progress=False,
                         options={"sigma": 1e-4})
    # with a tiny step every candidate is the inverted image itself
    assert float((result.images - found.images.cpu()).abs().max()) < 0.05

