"""Directions: inversion, GANalyze, PCA/SeFa, Plumerault's continuous factors and their evaluation."""

import math

import pytest
import torch

from latentlab.assessors import Assessor, Brightness
from latentlab.data.sprites import barycentre, render_sprites
from latentlab.generators.base import Generator
from latentlab.generators.vae import ConvVAE, ConvVAEConfig
from latentlab.methods.directions import Direction, check_t_values, t_grid
from latentlab.methods.factors import ContinuousFactor, fit_factor
from latentlab.methods.ganalyze import GANalyzeResult, ganalyze
from latentlab.methods.invert import invert
from latentlab.methods.pca import pca_directions, principal_axes
from latentlab.methods.sefa import first_layer, sefa_directions
from latentlab.methods.trajectories import estimate_trajectories
from latentlab.methods.transforms import TRANSFORMATIONS, get_transformation
from latentlab.methods.validation import fit_slope
from latentlab.metrics.control import ControlReadout, control_report
from latentlab.training.vae import train_vae


@pytest.fixture(autouse=True)
def _one_thread():
    """These models are tiny: one thread is fastest and stays fast on a busy machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


class BlobGenerator(Generator):
    """A generator whose factor is known: a white blob at x = 0.5 + 0.12·z₀ (y from z₁), z₂ sets the background."""

    latent_dim, resolution = 4, 32

    def __init__(self):
        super().__init__()
        self.anchor = torch.nn.Parameter(torch.zeros(1), requires_grad=False)  # gives the module a device

    def synthesize(self, z, y):
        c = (torch.arange(self.resolution, dtype=z.dtype) + 0.5) / self.resolution
        x0, y0 = 0.5 + 0.12 * z[:, 0], 0.5 + 0.12 * z[:, 1]
        blob = torch.exp(-((c[None, None, :] - x0[:, None, None]) ** 2 + (c[None, :, None] - y0[:, None, None]) ** 2) / (2 * 0.08**2))
        background = 0.1 + 0.05 * torch.tanh(z[:, 2])[:, None, None]
        return (background + 0.8 * blob).clamp(0, 1)[:, None].expand(-1, 3, -1, -1)


def blob_x(images):
    """Horizontal position of the blob: barycentre of the image above its flat background."""
    return barycentre(images - images.amin(dim=(-2, -1), keepdim=True))[0]


class MeanRed(Assessor):
    name = "mean red"

    def score(self, images):
        return images[:, 0].mean(dim=(1, 2))


class Frozen(Assessor):
    name = "frozen"

    def score(self, images):
        return images.mean(dim=(1, 2, 3)).detach()


# --- directions -----------------------------------------------------------------------------------
def test_direction_moves_and_bad_inputs():
    z = torch.randn(6, 5, generator=torch.Generator().manual_seed(0))
    d = Direction(torch.tensor([3.0, 0, 4.0, 0, 0]), projection=True)
    assert torch.allclose(d.vector.norm(), torch.tensor(1.0))
    moved = d.move(z, 1.5)
    assert torch.allclose(moved @ d.vector, torch.full((6,), 1.5), atol=1e-5)  # the coordinate is set to t
    rest = lambda w: w - (w @ d.vector)[:, None] * d.vector  # noqa: E731
    assert torch.allclose(rest(moved), rest(z), atol=1e-5)  # and nothing else changes
    add = Direction(torch.tensor([1.0, 2, 0, 0, 0]))
    assert torch.allclose(add.move(z, 2.0) - z, torch.tensor([2.0, 4, 0, 0, 0]).expand(6, -1))
    kept = Direction(torch.tensor([1.0, 2, 0, 0, 0]), keep_norm=True).move(z, 2.0)
    assert torch.allclose(kept.norm(dim=1), z.norm(dim=1), atol=1e-5)
    assert d.sweep(z, [-1, 0, 1]).shape == (6, 3, 5)
    with pytest.raises(ValueError, match="zero norm"):
        Direction(torch.zeros(5))
    with pytest.raises(ValueError, match="non-empty"):
        check_t_values([])
    with pytest.raises(ValueError, match=r"empty.*\(0\.5, 0\.5\)"):
        t_grid(0.5, 0.5, 5)
    with pytest.raises(ValueError, match="latents must be"):
        d.move(torch.randn(2, 4), 0.0)
    again = Direction.from_json(d.flipped().to_json())
    assert torch.allclose(again.vector, -d.vector)


# --- SeFa and PCA -------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["tiny", "shipped"])
def test_sefa_vectors_are_unit_eigenvectors_of_ata(which, tiny_generator, shipped_generator):
    generator = tiny_generator if which == "tiny" else shipped_generator
    full = first_layer(generator)  # [out, latent_dim]: the stem reads the first chunk only
    part = slice(0, generator.chunk)
    assert full.shape[1] == generator.latent_dim and full[:, part.stop:].abs().max() == 0
    weight = full[:, part]
    dirs = sefa_directions(generator, k=3)
    ata = weight.T.double() @ weight.double()
    eigenvalues = []
    for d in dirs:
        v = d.vector.double()
        assert torch.isclose(v.norm(), torch.tensor(1.0, dtype=torch.float64), atol=1e-5)
        assert v[part.stop:].abs().max() == 0  # only the entries the first layer reads
        lam = float(v[part] @ ata @ v[part])
        assert torch.allclose(ata @ v[part], lam * v[part], atol=1e-4 * max(lam, 1.0))  # an eigenvector
        eigenvalues.append(lam)
    assert eigenvalues == sorted(eigenvalues, reverse=True)
    assert eigenvalues[0] == pytest.approx(float(torch.linalg.eigvalsh(ata)[-1]), rel=1e-4)
    with pytest.raises(ValueError, match="k=999"):
        sefa_directions(generator, k=999)


def test_pca_components_are_orthonormal_and_match_the_covariance(tiny_generator):
    gen = torch.Generator().manual_seed(1)
    scales = torch.tensor([5.0, 3.0, 1.0] + [0.3] * 9)
    latents = torch.randn(4000, 12, generator=gen) * scales  # dominant axes 0, 1, 2
    dirs = pca_directions(tiny_generator, latents=latents, k=3)
    basis = torch.stack([d.vector for d in dirs])
    assert torch.allclose(basis @ basis.T, torch.eye(3), atol=1e-5)
    for i, d in enumerate(dirs):
        assert abs(float(d.vector[i])) > 0.99
    mean, comps, ratio = principal_axes(latents, 3)
    cov = torch.cov(latents.T.double())
    top = torch.linalg.eigh(cov).eigenvectors[:, -3:].flip(1).T.float()
    assert torch.allclose((comps * top).sum(dim=1).abs(), torch.ones(3), atol=1e-4)
    assert (ratio[:-1] >= ratio[1:]).all()
    feats = pca_directions(tiny_generator, layer="block1", k=4, n_samples=200)
    assert all(torch.isclose(d.vector.norm(), torch.tensor(1.0)) for d in feats)
    assert feats[0].info["explained_variance"] >= feats[-1].info["explained_variance"]
    with pytest.raises(ValueError, match="layer"):
        pca_directions(tiny_generator, layer="nope", n_samples=10)


# --- inversion ------------------------------------------------------------------------------------
def test_invert_recovers_a_known_image_better_than_the_start(tiny_generator):
    z_true = tiny_generator.sample_latents(3, seed=4)
    y = tiny_generator.sample_classes(3, seed=4)
    with torch.no_grad():
        target = tiny_generator(z_true, y)
    found = invert(tiny_generator, target, classes=y, steps=80, lr=0.05, restarts=2, sigma=1.0, seed=0)
    assert found.z.shape == (3, 12) and found.images.shape == target.shape
    assert (found.z.norm(dim=1) <= math.sqrt(12) + 1e-4).all()  # ‖z‖ ≤ √d
    assert found.history[-1] < 0.5 * found.history[0]
    start = tiny_generator(torch.randn(3, 12, generator=torch.Generator().manual_seed(0)), y)
    assert ((found.images - target) ** 2).mean() < ((start - target) ** 2).mean()
    with pytest.raises(ValueError, match="unknown loss"):
        invert(tiny_generator, target, classes=y, loss="l7", steps=1)
    with pytest.raises(ValueError, match="unknown optimizer"):
        invert(tiny_generator, target, classes=y, optimizer="sgdd", steps=1)


def test_invert_ignores_undefined_regions():
    g = BlobGenerator()
    with torch.no_grad():
        target = g(torch.tensor([[0.8, 0.0, 0.0, 0.0]]))
    spoiled = target.clone()
    spoiled[..., :16] = 1.0  # garbage in the left half ...
    valid = torch.ones(1, 1, 32, 32)
    valid[..., :16] = 0  # ... which the mask declares undefined
    found = invert(g, spoiled, valid=valid, steps=150, lr=0.05, sigma=1.0, z_init=torch.zeros(1, 4))
    assert float(found.z[0, 0]) == pytest.approx(0.8, abs=0.1)


# --- GANalyze -------------------------------------------------------------------------------------
def test_ganalyze_learns_a_direction_with_positive_slope(tiny_generator):
    result = ganalyze(tiny_generator, MeanRed(), steps=40, batch_size=8, lr=0.1, alpha_range=(-0.1, 0.1), seed=0, progress=False)
    assert result.theta.shape == (12,)
    sweep = result.validation(tiny_generator, MeanRed(), alphas=[-0.1, 0.0, 0.1], n=40)
    fit = sweep.fit()
    assert fit.ci_low > 0 and fit.ci_low <= fit.slope <= fit.ci_high
    assert sweep.means[-1] > sweep.means[0]
    strip = result.visual_definition(tiny_generator, n=2, alphas=[-0.1, 0.1])
    assert strip.shape == (2, 2, 3, 32, 32)
    grid = result.visual_definition_grid(tiny_generator, n=2, alphas=[-0.1, 0.1])
    assert grid.shape[0] == 3 and grid.shape[-1] > 2 * 32
    again = GANalyzeResult.from_json(result.to_json())
    assert torch.equal(again.theta, result.theta)


def test_ganalyze_variants_and_bad_inputs(tiny_generator):
    result = ganalyze(tiny_generator, Brightness(), steps=2, batch_size=4, class_dependent=True, rescale=True, progress=False)
    assert result.theta.shape == (5, 12)
    z, y = torch.randn(4, 12), torch.tensor([0, 1, 2, 3])
    moved = result.transform(z, 0.3, y)
    assert torch.allclose(moved.norm(dim=1), z.norm(dim=1), atol=1e-4)  # rescaled to the original norm
    assert torch.allclose(result.direction(2).move(z[2:3], 0.3), moved[2:3], atol=1e-5)
    with pytest.raises(ValueError, match="differentiable"):
        ganalyze(tiny_generator, Frozen(), steps=1, batch_size=2, progress=False)
    with pytest.raises(ValueError, match=r"alpha_range is empty.*\(0\.2, -0\.2\)"):
        ganalyze(tiny_generator, Brightness(), alpha_range=(0.2, -0.2))


def test_fit_slope_matches_least_squares_with_per_latent_intercepts():
    gen = torch.Generator().manual_seed(3)
    alphas = torch.tensor([-0.2, -0.1, 0.0, 0.1, 0.2])
    scores = 2.0 * alphas + torch.randn(50, 1, generator=gen) + 0.05 * torch.randn(50, 5, generator=gen)
    fit = fit_slope(alphas, scores)
    design = torch.cat([alphas.repeat(50)[:, None], torch.eye(50).repeat_interleave(5, dim=0)], dim=1).double()
    reference = torch.linalg.lstsq(design, scores.reshape(-1, 1).double()).solution[0, 0]
    assert fit.slope == pytest.approx(float(reference), rel=1e-6)
    assert fit.ci_low < 2.0 < fit.ci_high and fit.ci_high - fit.ci_low < 0.2


# --- transformations, trajectories and factors -----------------------------------------------------
def test_transformations_move_content_and_mark_undefined_regions():
    images, factors = render_sprites(4, seed=0, size=32, scale=0.3, x=0.5, y=0.5)
    rgb = images.expand(-1, 3, -1, -1)
    shifted, valid = TRANSFORMATIONS["shift_x"](rgb, 0.25)
    x0, _ = barycentre(rgb)
    x1, _ = barycentre(shifted)
    assert torch.allclose(x1 - x0, torch.full((4,), 0.25), atol=0.02)
    assert valid[..., :8].sum() == 0 and valid[..., 9:].min() == 1  # the uncovered strip is undefined
    down, _ = get_transformation("shift_y")(rgb, -0.125)
    assert torch.allclose(barycentre(down)[1] - barycentre(rgb)[1], torch.full((4,), -0.125), atol=0.02)
    _, zoom_valid = TRANSFORMATIONS["zoom"](rgb, -math.log(2))  # zoom out ×½: the border is undefined
    assert zoom_valid[..., 0].sum() == 0 and zoom_valid[..., 16, 16].min() == 1
    brighter, bvalid = TRANSFORMATIONS["brightness"](rgb * 0.5, 0.1)
    assert torch.allclose(brighter, rgb * 0.5 + 0.1) and bvalid.min() == 1
    with pytest.raises(ValueError, match=r"shift_x parameter 1\.5 is out of range"):
        TRANSFORMATIONS["shift_x"](rgb, 1.5)
    with pytest.raises(ValueError, match="unknown transformation"):
        get_transformation("rotate")


def test_trajectories_find_the_known_factor_direction():
    g = BlobGenerator()
    found = estimate_trajectories(g, "shift_x", n=12, steps=3, iterations=25, t_max=0.12, lr=0.05, sigma=1.0, seed=0, progress=False)
    assert len(found.dt) == 36 and len(found) == 32  # the worst 10% dropped (threshold Θ)
    assert (found.loss[found.kept] <= found.threshold).all()
    factor = fit_factor(found, steps=200, refine_steps=100)
    assert abs(float(factor.u[0])) > 0.95  # the latent axis that moves the blob horizontally
    assert float(factor.g(torch.tensor(1.0))) == pytest.approx(0.12, abs=0.03)  # 0.12 of the width per unit
    z = torch.randn(64, 4, generator=torch.Generator().manual_seed(5))
    x = blob_x(g(factor.control(z, 1.0)))
    assert x.std() < 0.02  # every latent lands at the same x
    assert float(x.mean()) == pytest.approx(0.5 + 0.12 * float(factor.u[0].sign()), abs=0.03)
    assert float(x.mean()) > float(blob_x(g(factor.control(z, -1.0))).mean())
    with pytest.raises(ValueError, match="t_max"):
        estimate_trajectories(g, "shift_x", n=2, t_max=1.5)


def test_factor_sampling_follows_the_chosen_distribution():
    knots = torch.linspace(-4, 4, 9)
    factor = ContinuousFactor("shift_x", "x", torch.tensor([1.0, 0, 0, 0]), knots, 0.1 * knots)
    z = torch.randn(4000, 4, generator=torch.Generator().manual_seed(0))
    sampled = factor.sample(z, torch.distributions.Uniform(-0.2, 0.2))
    t = factor.predict(sampled)
    assert float(t.min()) >= -0.2 - 1e-4 and float(t.max()) <= 0.2 + 1e-4
    assert torch.allclose(torch.quantile(t, torch.tensor([0.25, 0.5, 0.75])), torch.tensor([-0.1, 0.0, 0.1]), atol=0.02)
    assert torch.allclose(sampled[:, 1:], z[:, 1:])  # only the coordinate along u changes
    changed = factor.change(z[:5], 0.05)
    assert torch.allclose(factor.predict(changed) - factor.predict(z[:5]), torch.full((5,), 0.05), atol=1e-4)
    with pytest.raises(ValueError, match="icdf"):
        factor.sample(z, object())


# --- evaluation, sprites and the β-VAE -------------------------------------------------------------
def test_control_report_reads_spread_monotonicity_and_entanglement():
    ts = torch.tensor([-1.0, 0.0, 1.0])
    x = torch.tensor([[0.2, 0.5, 0.8], [0.3, 0.5, 0.7]])
    hue = torch.tensor([[0.95, 0.0, 0.05], [0.95, 0.0, 0.05]])  # wraps around 0
    zeros = torch.zeros(2, 3)
    readout = ControlReadout(ts, {"x": x, "y": zeros, "scale": zeros + 0.4, "brightness": zeros + 0.3, "hue": hue},
                             torch.tensor([[1, 1, 1], [2, 2, 0]]))
    report = control_report(readout, "x")
    assert report["monotonic"] and report["max_std"] == pytest.approx(float(x[:, 0].std()), abs=1e-4)
    assert report["range"] == pytest.approx(0.5, abs=1e-4)
    assert report["entanglement"]["hue"] == pytest.approx(0.1, abs=1e-4) and report["entanglement"]["class"] == 0.5
    hue_report = control_report(readout, "hue")
    assert hue_report["monotonic"] and hue_report["range"] == pytest.approx(0.1, abs=1e-4) and hue_report["max_std"] < 1e-3
    with pytest.raises(ValueError, match="unknown factor"):
        control_report(readout, "size")


def test_sprites_are_white_on_black_and_the_vae_is_a_generator():
    images, factors = render_sprites(8, seed=1, size=32, scale=0.3)
    assert images.shape == (8, 1, 32, 32) and float(images.min()) == 0.0 and float(images.max()) > 0.99
    x, y = barycentre(images)
    assert torch.allclose(x, factors.x, atol=0.03) and torch.allclose(y, factors.y, atol=0.03)
    model, history = train_vae(4.0, steps=3, batch_size=8, data=images, config=ConvVAEConfig(latent_dim=3, channels=4, hidden=16, resolution=32),
                               progress=False)
    out = model(model.sample_latents(2, seed=0)).detach()
    assert out.shape == (2, 3, 32, 32) and 0 <= float(out.min()) <= float(out.max()) <= 1
    assert {"loss", "recon", "kl"} <= set(history[-1])
    with pytest.raises(ValueError, match="power of two"):
        ConvVAE(ConvVAEConfig(resolution=48))
    with pytest.raises(ValueError, match="beta"):
        train_vae(-1.0, steps=1, data=images)


def test_sefa_refuses_z_of_a_style_generator_and_finds_w_directions_that_move_the_image():
    """z of shapes-stylegan only reaches its mapping network (the first Linear of the right width is a hidden
    colour-head layer): SeFa in z is refused by construction; SeFa in W reads the style affines of the modulated
    convolutions and each of its top 5 directions moves the image more than the median of 5 random W
    directions of the same length."""
    from latentlab import load_generator
    from latentlab.methods.sefa import sefa_directions, style_sefa_directions

    g = load_generator("shapes-stylegan")
    with pytest.raises(ValueError, match="style_sefa_directions"):
        sefa_directions(g)
    directions = style_sefa_directions(g, k=5)
    assert all(d.space == "w" and abs(float(d.vector.norm()) - 1) < 1e-5 for d in directions)
    assert all(".conv" in name for name in directions[0].info["affines"]) and directions[0].layers == tuple(range(9))
    with torch.no_grad():
        z, y = g.sample_latents(32, seed=0), g.sample_classes(32, seed=0)
        w = g.to_w(z, y)
        base = g.from_w(w)

        def change(v: torch.Tensor) -> float:
            return float((g.from_w(w + 3 * v) - base).abs().mean())

        rng = torch.Generator().manual_seed(1)
        random = sorted(change(v / v.norm()) for v in (torch.randn(g.w_dim, generator=rng) for _ in range(5)))
        found = [change(d.vector) for d in directions]
    assert all(f > random[2] for f in found), (found, random)
    every = style_sefa_directions(g, k=2, layers="all")  # the 2048-channel input affine dominates that sum
    assert every[0].layers == tuple(range(g.num_ws)) and not torch.allclose(every[0].vector.abs(), directions[0].vector.abs())
    with pytest.raises(ValueError, match="layers must be indices"):
        style_sefa_directions(g, layers=[99])
