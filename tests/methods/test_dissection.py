"""Network dissection on the shipped shapes-biggan: object units, their causal effect, and bad input."""

import matplotlib

matplotlib.use("Agg")

import pytest
import torch
from torch import nn

from latentlab.generators.module_adapter import ModuleGenerator
from latentlab.masks import rect_mask
from latentlab.methods.dissection import (
    CONCEPTS,
    UnitRanking,
    causal_effect,
    causal_sweep,
    edit_features,
    intervene,
    measure_concept,
    rank_units,
    read_probe,
    record_units,
    unit_iou,
)

LAYER = "block4"  # 16 units at 64×64, where switching a few off removes the object


@pytest.fixture(scope="module")
def recording(shipped_generator):
    return record_units(shipped_generator, LAYER, n=48, seed=0)


@pytest.fixture(scope="module")
def objects(recording, shipped_probe):
    return rank_units(recording, "object", probe=shipped_probe)


def test_recording_is_reproducible_from_the_seed(shipped_generator):
    g = shipped_generator
    a, b = record_units(g, LAYER, n=5, seed=3, batch_size=2), record_units(g, LAYER, n=5, seed=3)
    assert a.features.shape == (5, 16, 64, 64) and a.images.shape == (5, 3, 64, 64) and a.n_units == 16
    assert torch.equal(a.latents, b.latents) and torch.equal(a.classes, b.classes)
    assert torch.allclose(a.features, b.features, atol=1e-5) and torch.allclose(a.images, b.images, atol=1e-5)
    with torch.no_grad():
        assert torch.allclose(a.images, g(a.latents, a.classes), atol=1e-5)  # h(f(z)) is the generator's image
    other = record_units(g, LAYER, n=5, seed=4)
    assert not torch.allclose(other.features, a.features)
    stars = record_units(g, LAYER, n=3, seed=3, classes="star")
    assert stars.classes.tolist() == [g.class_index("star")] * 3


def test_object_units_match_the_object_far_better_than_random_units(objects, recording):
    assert isinstance(objects, UnitRanking) and objects.method == "iou" and objects.layer == LAYER
    assert len(objects.units) == 16 and sorted(objects.units.tolist()) == list(range(16))
    assert torch.all(objects.scores[:-1] >= objects.scores[1:])  # best first
    random_units = torch.randperm(16, generator=torch.Generator().manual_seed(0))[:8]
    random_mean = float(torch.stack([torch.tensor(objects.score(int(u))) for u in random_units]).mean())
    top = objects.scores[:3]
    assert top.min() > 0.45 and top.min() > objects.mean_score + 0.2 and top.min() > random_mean + 0.2, (objects.table(5), random_mean)
    assert objects.top(3) == objects.units[:3].tolist() and objects.score(objects.top(1)[0]) == pytest.approx(float(top[0]))
    # shapes-biggan draws its object upright and centred and places it: its object units match in that frame
    assert recording.object_grids is not None and all(objects.is_placed(u) for u in objects.top(3))
    unplaced = unit_iou(recording, recording.concept("object"), 0.9)
    assert unplaced.max() < top.min() - 0.1
    # GAN dissection's 0.99 quantile caps the IoU at 0.01 / object area (~0.07 here) where maps are not moved
    assert unit_iou(recording, recording.concept("object"), 0.99).max() < 0.1


def test_ablating_object_units_removes_objects_more_than_random_units(shipped_generator, recording, objects, shipped_probe):
    effect = causal_effect(shipped_generator, recording, objects, k=4, probe=shipped_probe, control_draws=3)
    assert effect["units"] == objects.top(4) and len(effect["control_units"]) == 3
    before, after, control = effect["before"], effect["after"], effect["control"]
    assert before == pytest.approx(effect["readouts"]["object_fraction"]["before"]) and 0.08 < before < 0.25
    assert after < 0.75 * before and after < control - 0.03, effect
    assert effect["difference"] == pytest.approx(after - control) and effect["effect"] < effect["control_effect"]
    # switching the units to their "off" level (1st percentile) instead of 0 removes most objects
    off = causal_effect(shipped_generator, recording, objects, k=4, quantile=0.01, probe=shipped_probe, control_draws=2)
    assert off["after"] < 0.4 * off["before"] and off["control"] > 0.7 * off["before"], off
    assert off["readouts"]["object_present"]["after"] < off["readouts"]["object_present"]["control"] - 0.2


def test_inserting_object_units_adds_object_inside_the_region(shipped_generator, recording, objects, shipped_probe):
    region = rect_mask(64, 4, 4, 28, 28)
    effect = causal_effect(shipped_generator, recording, objects, k=1, mode="insert", region=region, probe=shipped_probe)
    assert effect["after"] > effect["before"] + 0.05 and effect["after"] > effect["control"] + 0.05, effect
    # intervene on fresh latents: the object grows inside the region
    z, y = recording.latents[:8], recording.classes[:8]
    inserted = intervene(shipped_generator, z, y, LAYER, objects.top(1), "insert", region=region, recording=recording)
    inside = measure_concept("object", inserted, shipped_probe, region=region[None, None])
    base = measure_concept("object", recording.images[:8], shipped_probe, region=region[None, None])
    assert inside.mean() > base.mean() + 0.05


def test_intervene_edits_the_split_features(shipped_generator, recording):
    g = shipped_generator
    z, y, units = recording.latents[:2], recording.classes[:2], [1, 5]
    split = g.split(LAYER)
    with torch.no_grad():
        w = split.f(z, y)
        w0 = w.clone()
        w0[:, units] = 0
        assert torch.allclose(intervene(g, z, y, LAYER, units), split.h(w0, z, y), atol=1e-6)
    high = recording.unit_quantile(0.99)[units]
    assert torch.allclose(intervene(g, z, y, LAYER, units, "insert", recording=recording),
                          intervene(g, z, y, LAYER, units, "insert", value=high), atol=1e-6)
    region = torch.zeros(64, 64)
    region[:32] = 1  # top half → top 32 rows of the 64×64 map
    edited = edit_features(w, units, "insert", torch.tensor([7.0, 7.0]), region[None, None])
    assert torch.all(edited[:, units, :32] == 7.0) and torch.equal(edited[:, units, 32:], w[:, units, 32:])
    assert torch.equal(edited[:, [0, 2]], w[:, [0, 2]])


def test_per_image_concepts(shipped_generator, recording, shipped_probe):
    assert {"object", "object_size", "background_brightness", "red", "blue"} <= set(CONCEPTS)
    # the background's brightness is set by conditional BatchNorm gains, not by units of their own
    assert rank_units(recording, "background_brightness", probe=shipped_probe).method == "spearman"
    # the object's size is set by the placement head that scales it, not by units of this layer
    size = rank_units(recording, "object_size", probe=shipped_probe)
    assert size.method == "spearman" and size.scores[0] < 0.5
    measured = measure_concept("object_size", recording.reading(shipped_probe))
    with torch.no_grad():
        placed = shipped_generator.placement(recording.latents, recording.classes).size
    ranks = lambda x: x.argsort().argsort().float()  # noqa: E731
    assert torch.corrcoef(torch.stack([ranks(placed), ranks(measured)]))[0, 1] > 0.9
    red = rank_units(recording, "red", method="pearson", probe=shipped_probe)
    assert red.method == "pearson" and red.scores[0] > 0.3
    values = measure_concept("object_size", read_probe(recording.images[:4], shipped_probe))
    assert values.shape == (4,) and torch.all((values > 0) & (values < 1))


def test_sweep_and_plots(shipped_generator, recording, objects, shipped_probe):
    sweep = causal_sweep(shipped_generator, recording, objects, ks=[1, 4], probe=shipped_probe, control_draws=1)
    assert sweep.ks == [1, 4] and sweep.after[1] < sweep.after[0] and sweep.after[1] < sweep.control[1]
    assert objects.plot(k=8).get_title() == "units for 'object'"
    assert sweep.plot().get_xlabel().startswith("k units ablated")
    import matplotlib.pyplot as plt

    plt.close("all")


def test_any_generator_with_spatial_layers():
    torch.manual_seed(0)
    module = nn.Sequential(nn.Linear(6, 4 * 8 * 8), nn.Unflatten(1, (4, 8, 8)), nn.Conv2d(4, 3, 3, padding=1), nn.Tanh())
    g = ModuleGenerator(module, 6, split_layers=["0", "1"])
    rec = record_units(g, "1", n=6, seed=1)
    assert rec.features.shape == (6, 4, 8, 8) and rec.classes is None
    images = intervene(g, rec.latents, None, "1", [0, 3], "insert", recording=rec)
    assert images.shape == (6, 3, 8, 8) and not torch.allclose(images, rec.images)
    with pytest.raises(ValueError, match=r"not a feature map.*choose one of \['1'\]"):
        record_units(g, "0", n=2)


def test_bad_input(shipped_generator, recording, objects):
    g = shipped_generator
    z, y = recording.latents[:1], recording.classes[:1]
    with pytest.raises(ValueError, match=r"unknown layer 'blok4'.*Did you mean 'block4'"):
        record_units(g, "blok4", n=2)
    with pytest.raises(ValueError, match=r"unknown layer 'blok3'"):
        intervene(g, z, y, "blok3", [0])
    with pytest.raises(ValueError, match=r"unit 40 is out of range: valid units of layer 'block4' are 0\.\.15"):
        intervene(g, z, y, LAYER, [3, 40])
    with pytest.raises(ValueError, match=r"unit -1 is out of range"):
        causal_effect(g, recording, [-1])
    with pytest.raises(ValueError, match="units is empty"):
        intervene(g, z, y, LAYER, [])
    for k in (0, -2):
        with pytest.raises(ValueError, match="k must be a positive integer"):
            causal_effect(g, recording, objects, k=k)
        with pytest.raises(ValueError, match="k must be a positive integer"):
            objects.top(k)
    with pytest.raises(ValueError, match="exceeds the 16 units"):
        objects.top(33)
    with pytest.raises(ValueError, match="give k"):
        causal_effect(g, recording, objects)
    with pytest.raises(ValueError, match=r"unknown concept 'objekt'.*Did you mean 'object'"):
        rank_units(recording, "objekt")
    with pytest.raises(ValueError, match=r"unknown mode 'remove'"):
        intervene(g, z, y, LAYER, [0], mode="remove")
    with pytest.raises(ValueError, match="quantile must lie strictly between 0 and 1"):
        rank_units(recording, "object", quantile=1.5)
    with pytest.raises(ValueError, match="one per unit"):
        intervene(g, z, y, LAYER, [0, 1], value=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="mask is"):
        intervene(g, z, y, LAYER, [0], "insert", region=torch.ones(32, 32))
    with pytest.raises(ValueError, match="n must be a positive integer"):
        record_units(g, LAYER, n=0)
    with pytest.raises(ValueError, match="ranking is of layer 'block4'"):
        causal_effect(g, record_units(g, "block2", n=2), objects, k=1)


def test_the_style_generator_draws_its_object_with_two_units_of_its_last_block(shipped_probe):
    from latentlab.zoo import load_generator

    g = load_generator("shapes-stylegan")
    ranking = rank_units(record_units(g, "b64", n=48, seed=0), "object", probe=shipped_probe)
    assert ranking.scores[1] > 0.6 and all(ranking.is_placed(u) for u in ranking.top(2)), ranking.table(4)
    effect = causal_effect(g, record_units(g, "b64", n=48, seed=1), ranking, k=2, probe=shipped_probe, control_draws=3)
    assert effect["after"] < 0.1 * effect["before"] and effect["control"] > 0.8 * effect["before"], effect
