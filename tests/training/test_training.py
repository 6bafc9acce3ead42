import json
from dataclasses import replace

import pytest
import torch

from latentlab.data import SHAPES, ShapesDataset
from latentlab.generators.compact_biggan import CompactBigGAN, CompactBigGANConfig
from latentlab.probes.shapes_probe import ShapesProbe
from latentlab.recipes.shapes_probe import probe_loss
from latentlab.training.discriminator import ProjectionDiscriminator
from latentlab.training.ema import EMA, standing_stats
from latentlab.training.gan import GANTrainConfig, train_gan


def _batches(size=8):
    def stream(start):
        dataset = ShapesDataset(batch_size=size, seed=0, size=32)
        index = start
        while True:
            b = dataset.batch(index)
            yield b.images, b.factors.shape
            index += 1
    return stream


def _tiny():
    torch.manual_seed(0)
    g = CompactBigGAN(CompactBigGANConfig(latent_dim=12, embed_dim=8, channels=(32, 16, 8, 8), spectral_norm=True))
    d = ProjectionDiscriminator(len(SHAPES), channels=(8, 16, 16, 16))
    return g, d


def test_gan_training_logs_samples_and_resumes(tmp_path):
    config = GANTrainConfig(steps=2, batch_size=8, log_every=1, sample_every=2, checkpoint_every=1, ema_start=0)
    g, d = _tiny()
    sample = lambda gen, step: gen(gen.sample_latents(4, seed=0), gen.sample_classes(4, seed=0))  # noqa: E731
    train_gan(g, d, _batches(), config, tmp_path, n_classes=len(SHAPES), sample=sample)
    two_steps = {k: v.clone() for k, v in g.state_dict().items()}
    state = torch.load(tmp_path / "state.pt", weights_only=True)
    assert state["step"] == 2
    assert (tmp_path / "samples" / "step_000002.png").exists()
    lines = [json.loads(x) for x in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in lines] == [1, 2] and all(r["loss_d"] >= 0 for r in lines)
    # a second run with more steps resumes from the saved step instead of restarting
    g2, d2 = _tiny()
    train_gan(g2, d2, _batches(), replace(config, steps=3), tmp_path, n_classes=len(SHAPES))
    assert torch.load(tmp_path / "state.pt", weights_only=True)["step"] == 3
    lines = [json.loads(x) for x in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in lines] == [1, 2, 3]
    # resuming from step 2 gives exactly what an uninterrupted 3-step run gives
    g3, d3 = _tiny()
    train_gan(g3, d3, _batches(), replace(config, steps=3), tmp_path / "straight", n_classes=len(SHAPES))
    for key, value in g3.state_dict().items():
        assert torch.allclose(value, g2.state_dict()[key], atol=1e-6), key
    assert any(not torch.equal(v, two_steps[k]) for k, v in g2.state_dict().items())


def test_gradient_accumulation_and_d_steps_run(tmp_path):
    config = GANTrainConfig(steps=1, batch_size=4, accumulate=2, d_steps=2, log_every=1)
    g, d = _tiny()
    before = [p.clone() for p in g.parameters()]
    train_gan(g, d, _batches(4), config, tmp_path, n_classes=len(SHAPES))
    assert any(not torch.equal(a, b) for a, b in zip(before, g.parameters()))


def test_auxiliary_class_loss_trains_the_class_head(tmp_path):
    g, _ = _tiny()
    with pytest.raises(ValueError, match="class head"):
        train_gan(g, ProjectionDiscriminator(len(SHAPES), channels=(8, 16, 16, 16)), _batches(),
                  GANTrainConfig(steps=1, aux_class_weight=1.0), tmp_path / "no_head", n_classes=len(SHAPES))
    torch.manual_seed(0)
    d = ProjectionDiscriminator(len(SHAPES), channels=(8, 16, 16, 16), aux_classifier=True)
    head = d.classify.parametrizations.weight.original.clone()
    config = GANTrainConfig(steps=2, batch_size=8, log_every=1, aux_class_weight=1.0)
    train_gan(g, d, _batches(), config, tmp_path / "aux", n_classes=len(SHAPES), progress=False)
    assert not torch.equal(head, d.classify.parametrizations.weight.original)
    images = torch.rand(3, 3, 32, 32)
    scores, logits = d(images, torch.eye(len(SHAPES))[:3], return_logits=True)
    assert scores.shape == (3,) and logits.shape == (3, len(SHAPES))
    with pytest.raises(ValueError, match="aux_classifier"):
        ProjectionDiscriminator(len(SHAPES), channels=(8, 16, 16, 16))(images, torch.eye(len(SHAPES))[:3], return_logits=True)


def test_ema_tracks_weights_and_standing_stats_reset_bn():
    model = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.BatchNorm1d(3))
    ema = EMA(model, decay=0.5, start=0)
    with torch.no_grad():
        model[0].weight.add_(1.0)
    ema.update(model, step=1)
    assert torch.allclose(ema.shadow[0].weight, model[0].weight - 0.5)
    inputs = [torch.randn(64, 3) * 4 + 2 for _ in range(4)]
    standing_stats(model, lambda i: model(inputs[i]), batches=4)
    with torch.no_grad():
        expected = torch.stack([model[0](x).mean(0) for x in inputs]).mean(0)
    assert not model.training and torch.allclose(model[1].running_mean, expected, atol=1e-5)


def test_probe_loss_decreases_on_a_fixed_batch():
    torch.manual_seed(0)
    probe = ShapesProbe()
    batch = next(iter(ShapesDataset(batch_size=16, seed=0)))
    opt = torch.optim.Adam(probe.parameters(), lr=1e-3)
    first = probe_loss(probe, batch)
    for _ in range(5):
        opt.zero_grad()
        probe_loss(probe, batch).backward()
        opt.step()
    assert probe_loss(probe, batch) < first


def test_mixed_precision_modes():
    from latentlab.training.precision import autocast_dtype

    assert autocast_dtype("off") is None
    assert autocast_dtype("bf16") is torch.bfloat16
    assert autocast_dtype("auto") in (None, torch.bfloat16)
    with pytest.raises(ValueError, match="'auto', 'bf16', 'off'"):
        autocast_dtype("fp8")


def _paired_tiny():
    from latentlab.data import LatentFactorMap, render_layers

    torch.manual_seed(0)
    config = CompactBigGANConfig(latent_dim=40, embed_dim=8, channels=(32, 16, 8, 8), spectral_norm=True,
                                 class_in_stem=True, colour_hidden=16)
    g = CompactBigGAN(config)
    factor_map = LatentFactorMap(40, 10, seed=0)

    def loss(gen, z, y):
        background, alpha, colour = render_layers(factor_map(z, y), size=32)
        images = gen(z, y)
        return (images - (background + alpha * (colour - background))).abs().mean(), images

    return g, ProjectionDiscriminator(len(SHAPES), channels=(8, 16, 16, 16)), loss


def test_paired_training_runs_without_discriminator_until_adversarial_start(tmp_path):
    g, d, loss = _paired_tiny()
    d_before = {k: v.clone() for k, v in d.state_dict().items()}
    config = GANTrainConfig(steps=3, batch_size=8, log_every=1, ema_start=0, adversarial_start=2, lr_g=1e-3)
    train_gan(g, d, _batches(), config, tmp_path, n_classes=len(SHAPES), reconstruction=loss, progress=False)
    lines = [json.loads(x) for x in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert ["loss_d" in r for r in lines] == [False, False, True]
    assert all(r["loss_rec"] > 0 for r in lines)
    assert any(not torch.equal(v, d_before[k]) for k, v in d.state_dict().items())  # D trained at step 3 only


def test_paired_loss_falls_with_training(tmp_path):
    g, d, loss = _paired_tiny()
    config = GANTrainConfig(steps=40, batch_size=16, log_every=1, ema_start=0, adversarial_start=40, lr_g=2e-3)
    train_gan(g, d, _batches(), config, tmp_path, n_classes=len(SHAPES), reconstruction=loss, progress=False)
    rec = [json.loads(x)["loss_rec"] for x in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert sum(rec[-5:]) / 5 < 0.6 * sum(rec[:5]) / 5


def test_adversarial_start_needs_a_reconstruction_loss(tmp_path):
    g, d = _tiny()
    with pytest.raises(ValueError, match="adversarial_start=5 needs a reconstruction loss"):
        train_gan(g, d, _batches(), GANTrainConfig(steps=1, adversarial_start=5), tmp_path, n_classes=len(SHAPES))


def test_placement_head_fit_puts_objects_within_a_pixel_or_two():
    from latentlab.recipes.shapes_biggan import ARCHITECTURE, LATENT_FACTORS
    from latentlab.training.paired import fit_placement_head

    torch.manual_seed(0)
    g = CompactBigGAN(CompactBigGANConfig(latent_dim=120, embed_dim=8, channels=(16, 8, 8, 8, 8), class_in_stem=True,
                                          rotate_object=True, scale_object=True, placement_hidden=64,
                                          chunk_knee=ARCHITECTURE.chunk_knee))
    z, y = g.sample_latents(256, seed=1), g.sample_classes(256, seed=1)
    factors = LATENT_FACTORS(z, y)

    def centre_error() -> float:
        with torch.no_grad():
            centre = g.placement(z, y).centre
        return (centre - torch.stack([factors.x, factors.y], 1)).norm(dim=1).mean().item() * 64

    before = centre_error()
    fit_placement_head(g, LATENT_FACTORS, steps=300, batch_size=256)
    assert before > 8 and centre_error() < 2.5, (before, centre_error())
    size = g.placement(z, y).size.detach()
    assert (size / factors.scale - 1).abs().mean() < 0.08


def test_output_layer_refit_lowers_the_paired_loss_and_touches_nothing_else():
    from latentlab.data import LatentFactorMap
    from latentlab.training.paired import fit_output_layer, paired_loss

    torch.manual_seed(0)
    g = CompactBigGAN(CompactBigGANConfig(latent_dim=40, embed_dim=8, channels=(32, 16, 8, 8), class_in_stem=True)).eval()
    factor_map = LatentFactorMap(40, 10, seed=0)
    z, y = g.sample_latents(64, seed=5), g.sample_classes(64, seed=5)
    before = {k: v.clone() for k, v in g.state_dict().items()}
    with torch.no_grad():
        loss_before = paired_loss(g, z, y, factor_map(z, y))[0].item()
    fit_output_layer(g, factor_map, steps=60, batch_size=32, lr=1e-2)
    with torch.no_grad():
        loss_after = paired_loss(g, z, y, factor_map(z, y))[0].item()
    assert loss_after < 0.8 * loss_before, (loss_before, loss_after)
    changed = {k for k, v in g.state_dict().items() if not torch.equal(v, before[k])}
    assert changed == {"out_conv.weight", "out_conv.bias"}
    assert all(p.requires_grad for p in g.parameters())  # unfrozen again


def test_drawn_factors_placed_by_the_true_placement_are_the_rendered_objects():
    from latentlab.data import render_layers, sample_factors
    from latentlab.generators.placement import Placement, place, placement_grid
    from latentlab.training.paired import drawn_factors

    factors = sample_factors(64, seed=3)
    alpha = render_layers(factors, 64)[1]
    drawn = render_layers(drawn_factors(factors, 0.5), 64)[1]
    rows, cols = torch.meshgrid(torch.arange(64.0) + 0.5, torch.arange(64.0) + 0.5, indexing="ij")
    mass = drawn.sum((1, 2, 3))
    centroid = torch.stack([(drawn[:, 0] * cols).sum((1, 2)) / mass, (drawn[:, 0] * rows).sum((1, 2)) / mass], 1) / 64
    assert (centroid[factors.shape == 0] - 0.5).abs().max() < 0.01  # circles sit at the middle
    truth = Placement(torch.stack([factors.x, factors.y], 1),
                      torch.stack([torch.cos(factors.rotation), torch.sin(factors.rotation)], 1), factors.scale)
    placed = place(drawn, placement_grid(truth, 64, 0.5))
    iou = ((placed > 0.5) & (alpha > 0.5)).sum((1, 2, 3)) / ((placed > 0.5) | (alpha > 0.5)).sum((1, 2, 3))
    assert iou.min() > 0.93, iou.min()
