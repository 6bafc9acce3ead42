"""Paint by word: the split generator, the losses, the method, masks and the CLI."""

import json

import numpy as np
import pytest
import torch
from torch import nn

from latentlab.assessors import object_mask
from latentlab.assessors.consistency import OutsideConsistency, perceptual_distance
from latentlab.generators.base import Generator
from latentlab.generators.module_adapter import ModuleGenerator
from latentlab.masks import dilate, rect_mask, stamp_stroke
from latentlab.methods.paint import paint_by_word
from latentlab.spaces import RegionSpace

BOX = rect_mask(64, 8, 8, 40, 40)
FAR = 1 - dilate(BOX, 12)  # pixels well away from the box


def region_of(g, z0, y0, mask, **options) -> RegionSpace:
    """G_{z0,m} searched in z, the class held at y0."""
    return RegionSpace.for_image(g, "z", z0, y0, mask, **options)


def outside_change(images, reference, region):
    return float(((images - reference).abs() * region).sum() / (3 * region.sum() * images.shape[0]))


def test_split_generator_reproduces_the_original_exactly(shipped_generator, tiny_generator):
    for g in (shipped_generator, tiny_generator):
        z = g.sample_latents(1, seed=3)
        mask = rect_mask(g.resolution, 2, 2, g.resolution // 2, g.resolution // 2)
        region = region_of(g, z, 1, mask)
        with torch.no_grad():
            assert torch.equal(region.render(z), g(z, g.classes(1, 1)))
            assert torch.equal(region.render(region.start()[None]), g(z, g.classes(1, 1)))
            assert torch.equal(region.current(), g(z, g.classes(1, 1)))


def test_split_generator_changes_only_the_region(shipped_generator):
    g = shipped_generator
    z0, y = g.sample_latents(1, seed=3), g.classes("star", 12)
    region = region_of(g, z0, "star", BOX)
    with torch.no_grad():
        original = g(z0, y[:1])
        new = g.sample_latents(12, seed=11)
        split, whole = region.render(new), g(new, y)
    inside = outside_change(split, original, BOX)
    assert inside > 0.05  # the region does change
    assert outside_change(split, original, FAR) < 0.2 * outside_change(whole, original, FAR)
    # the generic split (later layers keep the original condition) also keeps the outside
    with torch.no_grad():
        generic = Generator.synthesize_edits(g, (z0.expand(12, -1), g.class_vectors(y)), [(new, g.class_vectors(y), BOX[None, None])], "block1")
    assert outside_change(generic, original, FAR) < 0.2 * outside_change(whole, original, FAR)


def test_accepted_edits_stack(shipped_generator):
    g = shipped_generator
    z0 = g.sample_latents(1, seed=3)
    first = region_of(g, z0, "star", BOX)
    z1 = g.sample_latents(1, seed=9)
    with torch.no_grad():
        edited = first.render(z1)
    corner = rect_mask(64, 44, 44, 62, 62)
    accepted = first.edit(z1[0], "moved")
    assert torch.equal(accepted.z, z1[0]) and torch.equal(accepted.y, g.class_vectors(g.classes("star", 1))[0])
    assert torch.equal(accepted.mask, BOX) and accepted.text == "moved" and accepted.styles is None
    second = region_of(g, z0, "star", corner, edits=[first.edit(z1[0])])
    with torch.no_grad():
        assert torch.allclose(second.current(), edited, atol=1e-5)
        again = second.render(g.sample_latents(4, seed=5))
    core = rect_mask(64, 12, 12, 36, 36)  # the first edit survives the second
    assert outside_change(again, edited, core) < 0.25 * outside_change(edited, g(z0, g.classes("star", 1)), core)


def test_generators_that_cannot_be_split_say_so(shipped_generator):
    flat = ModuleGenerator(nn.Sequential(nn.Linear(8, 3 * 16 * 16), nn.Tanh()), latent_dim=8, output_range=(-1, 1),
                           output_shape=(3, 16, 16), split_layers=["0"])
    with pytest.raises(ValueError, match="cannot be split spatially at layer '0'"):
        region_of(flat, torch.zeros(8), None, rect_mask(16, 2, 2, 8, 8), layer="0")
    with pytest.raises(ValueError, match="block1"):
        region_of(shipped_generator, torch.zeros(120), 0, BOX, layer="blok1")


def test_outside_consistency_ignores_the_inside():
    torch.manual_seed(0)
    reference = torch.rand(1, 3, 64, 64)
    changed_inside = reference + 0.3 * BOX * (torch.rand(1, 3, 64, 64) - 0.5)
    changed_outside = reference + 0.3 * (1 - BOX) * (torch.rand(1, 3, 64, 64) - 0.5)
    loss = OutsideConsistency(reference, BOX, perceptual="none")
    d = loss.distances(torch.cat([reference, changed_inside.clamp(0, 1), changed_outside.clamp(0, 1)]))
    assert d["l2"][0] == 0 and d["l2"][1] < 1e-12 and d["l2"][2] > 1e-3
    assert torch.allclose(loss(torch.cat([reference, changed_outside.clamp(0, 1)])), -d["l2"][[0, 2]])
    with pytest.raises(ValueError, match="perceptual distance"):
        perceptual_distance("lpipz")


def test_paint_by_word_raises_the_masked_score_and_keeps_the_outside(shipped_generator):
    g = shipped_generator
    z = g.sample_latents(1, seed=3)
    result = paint_by_word(g, z, BOX, "a red star", classes="star", generations=10, population=16, progress=False)
    assert result.scores["inside_after"] > result.scores["inside_before"]
    assert result.inside_gain == pytest.approx(result.scores["inside_after"] - result.scores["inside_before"])
    assert result.outside_change["l2"] < 0.01 and result.perceptual == "probe"
    assert len(result.history) == 10 and len(result.edits) == 1 and result.edits[0].text == "a red star"
    with torch.no_grad():  # the edit's latents reproduce the image through the split generator
        region = region_of(g, z, "star", BOX)
        assert torch.allclose(region.render(result.latents[None]), result.image[None], atol=1e-5)
    unsplit = paint_by_word(g, z, BOX, "a red star", classes="star", split=False, generations=10, population=16, progress=False)
    assert unsplit.edits == [] and unsplit.outside_change["l2"] > result.outside_change["l2"]
    # reproducible from the seed
    again = paint_by_word(g, z, BOX, "a red star", classes="star", generations=10, population=16, progress=False)
    assert torch.equal(again.image, result.image)


def test_paint_with_adam_and_class_search(shipped_generator):
    g = shipped_generator
    z = g.sample_latents(1, seed=4)
    result = paint_by_word(g, z, BOX, "a red heart", classes=0, optimizer="adam", space="z+class", generations=4, population=2,
                           progress=False)
    assert result.classes.shape == (5,) and torch.isclose(result.classes.sum(), torch.tensor(1.0))
    assert result.history[-1]["best_so_far"] >= result.history[0]["best"]


def test_paint_interrupt_keeps_the_best_and_resumes(shipped_generator, tmp_path):
    g = shipped_generator
    z = g.sample_latents(1, seed=3)

    def stop_after_two(generation, x, fitness, result):
        if generation == 2:
            raise KeyboardInterrupt

    state = tmp_path / "state.safetensors"
    first = paint_by_word(g, z, BOX, "a green star", classes="star", generations=4, population=6, callbacks=[stop_after_two],
                          state_path=state, progress=False)
    assert first.run.interrupted and len(first.history) == 2 and state.exists()
    resumed = paint_by_word(g, z, BOX, "a green star", classes="star", generations=4, population=6, state_path=state, progress=False)
    full = paint_by_word(g, z, BOX, "a green star", classes="star", generations=4, population=6, progress=False)
    assert len(resumed.history) == 4 and torch.allclose(resumed.image, full.image, atol=1e-5)


@pytest.mark.parametrize("mask, text, options, message", [
    (torch.zeros(64, 64), "a blue star", {}, "mask is empty"),
    (torch.ones(64, 64), "a blue star", {}, "whole image"),
    (torch.ones(32, 32), "a blue star", {}, r"\(32, 32\) but the images are \(64, 64\)"),
    (torch.ones(2, 2, 64, 64), "a blue star", {}, r"mask must be"),
    (BOX, "  ", {}, "non-empty description"),
    (BOX, "a blue star", {"optimizer": "cmaa"}, "cma"),
    (BOX, "a blue star", {"space": "x"}, "unknown latent space"),
    (BOX, "a blue star", {"space": "w+"}, "need a style-based generator"),
    (BOX, "a blue star", {"layer": "block9"}, "block1"),
    (BOX, "a blue star", {"lambda_img": -1}, "lambda_img"),
])
def test_paint_bad_input(shipped_generator, mask, text, options, message):
    with pytest.raises(ValueError, match=message):
        paint_by_word(shipped_generator, torch.zeros(120), mask, text, classes=0, generations=1, population=4, progress=False, **options)


def test_masks():
    assert rect_mask(8, 1, 2, 3, 5).sum() == 2 * 3 and rect_mask(8, 1, 2, 3, 5)[2, 1] == 1
    with pytest.raises(ValueError, match="left < right"):
        rect_mask(8, 4, 0, 2, 8)
    canvas = np.zeros((32, 32), dtype=np.float32)
    stamp_stroke(canvas, [(4, 16), (28, 16)], radius=2)  # a horizontal line 4 px thick, no gaps
    assert canvas[16, 4:28].all() and canvas[16 + 3, :].sum() == 0 and canvas[:, 16].sum() == 4
    stamp_stroke(canvas, [(16, 16)], radius=3, value=0)  # erase a disc
    assert canvas[16, 14:19].sum() == 0 and canvas[16, 8] == 1
    with pytest.raises(ValueError, match="radius"):
        stamp_stroke(canvas, [(1, 1)], radius=0)


def test_object_mask_finds_the_rendered_object(shipped_probe):
    from latentlab.data import render_shapes

    batch = render_shapes(4, seed=0)
    masks = object_mask(batch.images, grow=0, probe=shipped_probe)
    truth = batch.masks[:, 0] > 0.5
    iou = (masks.bool() & truth).sum() / (masks.bool() | truth).sum()
    assert masks.shape == (4, 64, 64) and iou > 0.8


def test_cli_paint_writes_the_edit(tmp_path, capsys):
    from latentlab.cli import main

    out = tmp_path / "edit"
    code = main(["paint", "--seed", "3", "--class", "star", "--mask-rect", "8", "8", "40", "40", "--text", "a blue star",
                 "--generations", "2", "--population", "6", "--out", str(out)])
    assert code == 0
    for name in ("before.png", "after.png", "mask.png", "comparison.png", "result.json", "state.safetensors"):
        assert (out / name).exists(), name
    summary = json.loads((out / "result.json").read_text())
    assert summary["text"] == "a blue star" and len(summary["latents"]) == 120 and len(summary["history"]) == 2
    assert main(["paint", "--mask-rect", "8", "8", "80", "40", "--text", "x", "--out", str(tmp_path / "bad")]) == 2
    assert "RIGHT <= 64" in capsys.readouterr().err
