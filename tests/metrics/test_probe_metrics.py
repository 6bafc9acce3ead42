import numpy as np
import pytest
import scipy.linalg
import torch

from latentlab.data import render, sample_factors
from latentlab.metrics import factor_errors, factor_spread, fid, fid_from_statistics, fid_statistics, read_factors


def test_shipped_probe_reads_fresh_renders(shipped_probe):
    truth = sample_factors(400, seed=31337)
    images, masks = render(truth)
    errors = factor_errors(read_factors(shipped_probe, images), truth)
    assert errors["class_acc"] >= 0.98
    assert errors["xy_err"] <= 0.03 and errors["scale_err"] <= 0.03 and errors["hue_err"] <= 0.05
    predicted = shipped_probe(images[:50]).mask
    iou = ((predicted > 0.5) & (masks[:50] > 0.5)).sum() / ((predicted > 0.5) | (masks[:50] > 0.5)).sum()
    assert iou > 0.8


def _reference_fid(fa: np.ndarray, fb: np.ndarray) -> float:
    mu_a, mu_b = fa.mean(0), fb.mean(0)
    ca, cb = np.cov(fa, rowvar=False), np.cov(fb, rowvar=False)
    covmean = scipy.linalg.sqrtm(ca @ cb).real
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(ca + cb - 2 * covmean))


@pytest.mark.filterwarnings("ignore::scipy.linalg.LinAlgWarning")
def test_torch_fidelity_fid_matches_the_reference_formula(shipped_probe):
    a = render(sample_factors(300, seed=1))[0]
    b = render(sample_factors(300, seed=2, shape="star"))[0]
    quantise = lambda x: (x * 255).round() / 255  # noqa: E731  (torch-fidelity sees uint8 images)
    with torch.no_grad():
        fa = shipped_probe.features(quantise(a)).double().numpy()
        fb = shipped_probe.features(quantise(b)).double().numpy()
    expected = _reference_fid(fa, fb)
    assert fid(a, b) == pytest.approx(expected, rel=1e-3)
    assert fid(a, a) < 1e-3 * expected
    # the cached-statistics path gives torch-fidelity's end-to-end value
    assert fid_from_statistics(fid_statistics(a), fid_statistics(b)) == pytest.approx(fid(a, b), rel=1e-6)


def test_factor_spread_sees_lost_variety(shipped_probe):
    real = read_factors(shipped_probe, render(sample_factors(300, seed=5))[0])
    same = read_factors(shipped_probe, render(sample_factors(300, seed=6))[0])
    centred = read_factors(shipped_probe, render(sample_factors(300, seed=7, x=0.5, y=0.5))[0])
    assert factor_spread(centred, real)["x"] > 5 * factor_spread(same, real)["x"]


def test_fid_rejects_bad_shapes():
    with pytest.raises(ValueError, match="images_a"):
        fid(torch.rand(1, 3, 64, 64), torch.rand(4, 3, 64, 64))
