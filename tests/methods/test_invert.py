"""Inversion in every space: class search, named and composed losses, masks, the projector recipe (w̄ start,
lr schedule, noise inputs, W → W+), Ctrl-C, resume, save and load."""

from __future__ import annotations

import math

import pytest
import torch

from latentlab import load_generator, render_shapes
from latentlab.errors import CorruptFileError, InvalidInputError, RunMismatchError
from latentlab.generators.stylegan2 import StyleGAN2, StyleGAN2Config, randomize_weights
from latentlab.methods import InversionResult, invert
from latentlab.methods.inversion_losses import resolve_loss
from latentlab.methods.projector import lr_ramp, noise_penalty
from latentlab.spaces import resolve_space


@pytest.fixture(scope="module")
def g():
    return load_generator("shapes-stylegan")


@pytest.fixture(scope="module")
def made(g):
    """Two images the generator made, with their classes: an inversion can reach them exactly."""
    y = g.classes(["star", "triangle"])
    with torch.no_grad():
        return g(g.sample_latents(2, seed=11), y), y


def psnr(a, b):
    return float(-10 * torch.log10(((a - b) ** 2).mean()))


def test_losses_by_name_compose_and_report_their_name():
    a, b = torch.rand(2, 3, 16, 16), torch.rand(2, 3, 16, 16)
    mse = resolve_loss("mse")(a, b, None)
    assert torch.allclose(mse, ((a - b) ** 2).mean(dim=(1, 2, 3)))
    both = resolve_loss("mse+0.5*blurred_mse", sigma=1.0)
    assert both.name == "mse+0.5*blurred_mse(sigma=1)"
    assert torch.allclose(both(a, b, None), mse + 0.5 * resolve_loss("blurred_mse", sigma=1.0)(a, b, None))
    assert resolve_loss({"mse": 2.0}).name == "2*mse"
    mask = torch.zeros(2, 1, 16, 16)
    mask[..., :8] = 1
    c = b.clone()
    c[..., 8:] = 0.5  # differs only outside the mask
    assert torch.allclose(resolve_loss("mse")(c, b, mask), torch.zeros(2), atol=1e-7)
    assert torch.allclose(resolve_loss("probe")(c, b, mask), torch.zeros(2), atol=1e-6)
    assert float(resolve_loss("probe")(c, b, None).min()) > 0
    with pytest.raises(ValueError, match="Did you mean 'mse'"):
        resolve_loss("mse2")
    with pytest.raises(ValueError, match="weight"):
        resolve_loss({"mse": -1.0})


def test_lpips_offline_fails_clearly_and_points_to_the_probe(monkeypatch):
    import latentlab.methods.inversion_losses as losses

    def offline(*args, **kwargs):
        raise RuntimeError("LPIPS('alex') needs torchvision's pretrained alex backbone, which could not be loaded")

    monkeypatch.setattr(losses, "LPIPSDistance", offline)
    with pytest.raises(RuntimeError, match="loss='probe'"):
        resolve_loss("lpips")


def test_the_projector_schedule_ramps_up_then_down():
    assert lr_ramp(0.0) == 0 and lr_ramp(0.5) == pytest.approx(1.0) and lr_ramp(1.0) == pytest.approx(0.0)
    assert 0 < lr_ramp(0.02) < lr_ramp(0.04) < 1 and 1 > lr_ramp(0.85) > lr_ramp(0.95) > 0
    smooth = torch.ones(1, 1, 16, 16)
    white = torch.randn(1, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    assert float(noise_penalty([smooth])) > 100 * float(noise_penalty([white]))


def test_wplus_projection_runs_w_then_wplus_and_beats_w(g, made):
    target, y = made
    w = invert(g, target, space="w", classes=y, steps=60)
    wp = invert(g, target, space="w+", classes=y, steps=60)
    assert w.info["stages"] == [["w", 60]] and wp.info["stages"] == [["w", 30], ["w+", 30]]
    assert w.info["recipe"] == wp.info["recipe"] == "projector" and wp.loss_name == "mse"
    assert wp.z.shape == (2, g.num_ws * g.w_dim) and wp.space == "w+"
    assert float(wp.psnr().mean()) > float(w.psnr().mean()) > 20
    # the reconstruction is the space's render of the latents returned
    assert torch.allclose(resolve_space("w+", g).render(wp.z).clamp(0, 1), wp.images, atol=1e-5)
    # the start is the mean style: a single step moves little from it
    one = invert(g, target[:1], space="w", classes=y[:1], steps=1)
    mean = resolve_space("w", g).encode(g.sample_latents(512, seed=7), y[:1].expand(512)).mean(dim=0)
    assert torch.allclose(one.z[0], mean, atol=1e-4)


def test_the_class_of_a_conditional_generator_is_searched_when_not_given(g, made):
    target, y = made
    found = invert(g, target, space="z", loss="mse", lr=0.05, steps=60, restarts=2)
    assert found.classes.tolist() == y.tolist()
    assert psnr(found.images, target.cpu()) > 20
    held = invert(g, target, space="z", classes="circle", loss="mse", steps=5)
    assert held.classes.tolist() == [g.class_index("circle")] * 2


def test_a_mask_inverts_only_the_known_part(g, made):
    target, y = made
    spoiled = target.clone()
    spoiled[..., 32:] = torch.rand_like(spoiled[..., 32:])  # garbage on the right ...
    mask = torch.zeros(1, 1, 64, 64)
    mask[..., :32] = 1  # ... which the mask leaves out
    found = invert(g, spoiled, space="w+", classes=y, mask=mask, steps=60)
    left = found.images[..., :32].cpu()
    assert psnr(left, target[..., :32].cpu()) > 24
    assert psnr(found.images[..., 32:].cpu(), spoiled[..., 32:].cpu()) < 15  # the garbage was not fitted
    with pytest.raises(InvalidInputError, match="selects no pixel"):
        invert(g, target, space="w", classes=y, mask=torch.zeros(1, 1, 64, 64), steps=1)


def test_bad_targets_and_settings_are_refused_clearly(g, made):
    target, y = made
    with pytest.raises(InvalidInputError, match="load_image"):
        invert(g, torch.rand(1, 3, 32, 32), space="w")
    with pytest.raises(ValueError, match="unknown recipe"):
        invert(g, target, space="w", recipe="projektor", steps=1)
    with pytest.raises(InvalidInputError, match="style-based"):
        invert(load_generator("shapes-biggan"), torch.rand(1, 3, 64, 64), recipe="projector", steps=1)
    with pytest.raises(InvalidInputError, match="noise inputs"):
        invert(g, target, space="z", classes=y, noise=True, steps=1)
    with pytest.raises(InvalidInputError, match="lr"):
        invert(g, target, space="w", lr=-1, steps=1)


def test_ctrl_c_keeps_the_best_so_far_and_the_run_resumes_to_the_same_end(g, made):
    target, y = made
    full = invert(g, target, space="w+", classes=y, steps=40, seed=3)

    def interrupt(progress):
        if progress.step == 25:
            raise KeyboardInterrupt

    stopped = invert(g, target, space="w+", classes=y, steps=40, seed=3, callback=interrupt)
    assert stopped.interrupted and stopped.state.step == 25 and len(stopped.history) == 25
    assert float(stopped.loss.mean()) < stopped.history[0]
    resumed = invert(g, target, space="w+", classes=y, steps=40, seed=3, resume=stopped)
    assert not resumed.interrupted and len(resumed.history) == 40
    assert torch.allclose(resumed.z, full.z, atol=1e-4)
    with pytest.raises(RunMismatchError, match="loss"):
        invert(g, target, space="w+", classes=y, steps=40, seed=3, loss="blurred_mse", resume=stopped)
    with pytest.raises(RunMismatchError, match="target"):
        invert(g, target.flip(-1), space="w+", classes=y, steps=40, seed=3, resume=stopped)


def test_results_save_and_load_with_their_state(g, made, tmp_path):
    target, y = made
    stopped = invert(g, target, space="w+", classes=y, steps=20, seed=1,
                     callback=lambda p: (_ for _ in ()).throw(KeyboardInterrupt) if p.step == 12 else None)
    path = stopped.save(tmp_path / "run")
    assert {p.name for p in (tmp_path / "run").iterdir()} == {"latents.safetensors", "target.png", "reconstruction.png"}
    loaded = InversionResult.load(tmp_path / "run")
    assert torch.equal(loaded.z, stopped.z.cpu()) and loaded.space == "w+" and loaded.history == stopped.history
    assert loaded.classes.tolist() == y.tolist() and loaded.interrupted
    finished = invert(g, target, space="w+", classes=y, steps=20, seed=1, resume=loaded)
    straight = invert(g, target, space="w+", classes=y, steps=20, seed=1)
    assert torch.allclose(finished.z, straight.z, atol=1e-4)
    path.write_bytes(b"not a safetensors file")
    with pytest.raises(CorruptFileError, match="not a latentlab inversion file"):
        InversionResult.load(path)
    with pytest.raises(InvalidInputError, match="does not exist"):
        InversionResult.load(tmp_path / "nowhere")


def test_noise_inputs_are_optimised_where_they_matter():
    torch.manual_seed(0)
    config = StyleGAN2Config(z_dim=16, w_dim=16, img_resolution=32, mapping_layers=2, channel_base=256, channel_max=32)
    sg = randomize_weights(StyleGAN2(config), 0).eval()
    for layer in sg.noise_layers():
        layer.noise_strength.data.fill_(0.3)  # noise that visibly changes the image
    with torch.no_grad(), sg.noise_inputs(sg.noise_maps(1, seed=99)):  # noise other than the stored maps
        target = sg(sg.sample_latents(1, seed=2)).clamp(0, 1)
    plain = invert(sg, target, space="w", steps=40, noise=False)
    noisy = invert(sg, target, space="w", steps=40)
    assert noisy.info["noise"] and noisy.noise is not None and len(noisy.noise) == len(sg.noise_layers())
    assert all(m.shape[0] == 1 for m in noisy.noise)
    with sg.noise_inputs(noisy.noise):  # the reconstruction is reproduced with the maps the result holds
        again = resolve_space("w", sg).render(noisy.z).clamp(0, 1)
    assert torch.allclose(again, noisy.images, atol=1e-5)
    assert float(noisy.loss) < float(plain.loss)
    assert not invert(load_generator("shapes-stylegan"), render_shapes(1, seed=1).images, space="w", steps=1).info["noise"]


def test_z_inversion_keeps_the_ball_and_the_seed002_recipe(g, made):
    target, y = made
    found = invert(g, target, space="z", classes=y, steps=10)
    assert found.info["recipe"] == "seed002" and found.loss_name == "blurred_mse(sigma=3)"
    assert (found.z.norm(dim=1) <= math.sqrt(g.latent_dim) + 1e-4).all()
