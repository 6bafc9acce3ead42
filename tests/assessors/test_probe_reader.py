"""The one shapes-probe reader: what it reads, where it reads, and that it never moves a shared probe."""

import pytest
import torch
import torch.nn.functional as F

from latentlab.assessors import ClassProbability, HueCloseness, ObjectSize, ProbeFactor, ProbeReader, ProbeReading, object_mask
from latentlab.assessors.probe_reader import as_reader, default_probe, read_probe
from latentlab.data import render_shapes
from latentlab.metrics import FactorReadout, class_consistency, read_factors
from latentlab.probes import ShapesProbe


@pytest.fixture(scope="module")
def batch():
    return render_shapes(12, seed=3)


def _params_device(module):
    return next(module.parameters()).device


def test_a_reading_is_what_the_probe_outputs(batch, shipped_probe):
    with torch.no_grad():
        out = shipped_probe(batch.images)
    reading = ProbeReader(shipped_probe).read(batch.images, with_mask=True, batch_size=5)
    assert isinstance(reading, ProbeReading) and len(reading) == 12
    assert torch.equal(reading.shape, out.shape)
    for name in ("x", "y", "scale", "hue", "hue_vector", "logits", "mask"):
        torch.testing.assert_close(getattr(reading, name), getattr(out, name), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(reading.geometry, out.geometry, rtol=1e-5, atol=1e-5)
    assert reading.images is None and read_probe(batch.images, shipped_probe).images.shape == batch.images.shape


def test_the_differentiable_reading_stays_on_the_images_device_and_passes_gradients(batch):
    images = batch.images[:4].clone().requires_grad_(True)
    reading = ProbeReader()(images, with_mask=True)
    (reading.x.sum() + reading.mask.sum()).backward()
    assert images.grad is not None and images.grad.abs().sum() > 0
    assert reading.mask.shape == (4, 1, 64, 64) and reading.x.device == images.device


def test_other_sizes_are_resized_for_the_probe_and_the_mask_back(batch, shipped_probe):
    reader = ProbeReader(shipped_probe)
    big = F.interpolate(batch.images, size=(128, 128), mode="bilinear", align_corners=False)
    small, large = reader.read(batch.images, with_mask=True), reader.read(big, with_mask=True)
    assert large.mask.shape == (12, 1, 128, 128)
    assert (large.x - small.x).abs().max() < 0.03 and torch.equal(large.shape, small.shape)


def test_the_embedded_probe_is_kept_once_per_device():
    cpu = default_probe()
    assert default_probe("cpu") is cpu and default_probe(torch.device("cpu")) is cpu
    assert ProbeReader().on("cpu") is cpu and ProbeFactor("x").reader.on(torch.device("cpu")) is cpu
    assert _params_device(cpu).type == "cpu" and not cpu.training


def test_a_given_probe_is_copied_once_to_another_device_and_never_moved():
    probe = ShapesProbe().eval()
    reader = as_reader(probe)
    assert as_reader(probe) is reader and reader.on("cpu") is probe
    elsewhere = reader.on("meta")  # any other device: a copy there, made once
    assert elsewhere is not probe and _params_device(elsewhere).type == "meta" and reader.on("meta") is elsewhere
    assert _params_device(probe).type == "cpu"


def test_moving_an_assessor_moves_no_probe(batch):
    assessor = ProbeFactor("scale")
    assert list(assessor.parameters()) == []  # the probe is read through the reader, not held as a submodule
    assessor.to("meta")
    assert _params_device(default_probe()).type == "cpu"
    torch.testing.assert_close(assessor(batch.images), ProbeFactor("scale")(batch.images))


def test_probe_assessors_read_on_the_images_device_with_their_probe(batch, shipped_probe):
    images = batch.images[:6]
    with torch.no_grad():
        out = shipped_probe(images, with_mask=False)
    torch.testing.assert_close(ProbeFactor("x", shipped_probe)(images), out.x)
    torch.testing.assert_close(ClassProbability("star", shipped_probe)(images), torch.softmax(out.logits, 1)[:, 3])
    assert HueCloseness("red", ProbeReader(shipped_probe))(images).shape == (6,)
    assert ObjectSize()(images).shape == (6,)


def test_an_assessors_identity_names_its_probe_weights():
    assert ProbeFactor("x").identity() == ProbeFactor("x").identity()
    assert ProbeFactor("x").identity()["weights"] != ProbeFactor("x", ShapesProbe()).identity()["weights"]


def test_the_old_reading_names_are_the_one_reading(batch, shipped_probe):
    from latentlab.methods.dissection import ProbeReading as DissectionReading
    from latentlab.methods.dissection import read_probe as dissection_read_probe

    assert FactorReadout is ProbeReading and DissectionReading is ProbeReading and dissection_read_probe is read_probe
    by_probe, by_reader = read_factors(shipped_probe, batch.images), read_factors(ProbeReader(shipped_probe), batch.images)
    assert torch.equal(by_probe.shape, by_reader.shape) and torch.equal(by_probe.x, by_reader.x)
    assert class_consistency(read_factors(None, batch.images), batch.factors.shape) > 0.9
    built = FactorReadout(torch.tensor([1]), torch.tensor([0.5]), torch.tensor([0.5]), torch.tensor([0.4]), torch.tensor([0.25]))
    torch.testing.assert_close(built.hue_vector, torch.tensor([[0.0, 1.0]]), atol=1e-6, rtol=0)


def test_object_mask_lives_with_the_reader(batch, shipped_probe):
    masks = object_mask(batch.images, grow=0, probe=shipped_probe)
    assert masks.shape == (12, 64, 64) and masks.device.type == "cpu"
    assert ((masks > 0.5) == (batch.masks[:, 0] > 0.5)).float().mean() > 0.95
    with pytest.raises(ImportError, match="latentlab.assessors import object_mask"):
        from latentlab.masks import object_mask as _  # noqa: F401


def test_a_reader_refuses_what_is_not_a_probe():
    with pytest.raises(ValueError, match="ShapesProbe"):
        ProbeReader("shapes-probe")
    with pytest.raises(ValueError, match=r"\[N, 3, H, W\]"):
        ProbeReader().read(torch.zeros(3, 64, 64))
