"""The AVAE's losses are the chapter's equations, each part trains on its own loss, and a toy run learns."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from latentlab.training.avae import AVAE, AVAEOptimizers, avae_step, critic_loss, latent_loss, manifold_loss, vae_loss


def small(seed: int = 0) -> AVAE:
    torch.manual_seed(seed)

    def mlp(a, b):
        return nn.Sequential(nn.Linear(a, 16), nn.LeakyReLU(0.2), nn.Linear(16, b))

    class Flat(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = mlp(2, 1)

        def forward(self, x):
            return self.net(x)[:, 0]

    return AVAE(mlp(2, 1), mlp(1, 2), mlp(1, 2), Flat(), latent_dim=1)


def test_the_vae_loss_is_eq_3_5():
    x, recon = torch.zeros(2, 3), torch.ones(2, 3)
    mean, sigma = torch.tensor([[1.0], [0.0]]), torch.tensor([[0.5], [0.5]])
    kl = 0.5 * (0.25 + torch.tensor([1.0, 0.0]) - 1 - math.log(0.25))
    assert float(vae_loss(x, recon, mean, sigma, beta=2.0)) == pytest.approx(float((1.5 + 2 * kl).mean()))


def test_the_latent_loss_vanishes_where_the_encoder_reads_sqrt_one_minus_sigma_squared_z():
    z, sigma = torch.randn(5, 3), torch.full((3,), 0.6)
    assert float(latent_loss(0.8 * z, z, sigma)) == pytest.approx(0.0, abs=1e-10)
    assert float(latent_loss(z, z, sigma)) == pytest.approx(float((0.5 * ((0.2 * z / 0.6) ** 2).sum(dim=1)).mean()))
    s, encoded = torch.full((3,), 0.6, requires_grad=True), z.clone().requires_grad_(True)
    latent_loss(encoded, z, s).backward()
    assert s.grad is None and encoded.grad is not None  # σ is held fixed: the latent loss trains G only


def test_the_critic_reads_the_probability_of_generated():
    sure = torch.full((4,), 20.0)
    assert float(critic_loss(-sure, sure)) < 1e-6  # C(real) ≈ 0, C(fake) ≈ 1: nothing to learn
    assert float(critic_loss(sure, -sure)) > 30
    assert float(manifold_loss(torch.tensor([1.0, 3.0]))) == 2.0


def test_each_part_steps_on_its_own_loss_only():
    model = small()
    optimizers = AVAEOptimizers.adam(model, lr=1e-2)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    avae_step(model, torch.randn(8, 2), optimizers, adversarial=False)
    moved = {name for name, p in model.named_parameters() if not torch.equal(p, before[name])}
    assert moved and all(name.startswith(("encoder", "decoder", "sigma")) for name in moved)
    assert not any(name.startswith(("generator", "critic")) for name in moved)
    out = avae_step(model, torch.randn(8, 2), optimizers)
    assert set(out) == {"vae", "critic", "latent", "manifold"}
    assert all(math.isfinite(v) for v in out.values())
    assert 0 < float(model.sigma[0]) < 1


def test_reconstruction_maps_a_data_code_back_to_the_prior_latent():
    model = small()
    with torch.no_grad():
        model.sigma_logit.fill_(torch.logit(torch.tensor(0.6)))
        mean = torch.tensor([[0.8]])
        assert torch.allclose(model.code_to_latent(mean), torch.tensor([[1.0]]))


def test_a_short_toy_run_fits_the_data_better_than_at_the_start():
    from benchmarks.avae import toy_data, train_toy

    data = toy_data(500, seed=9)
    untrained, trained = train_toy(True, 1, 64), train_toy(True, 300, 128)
    with torch.no_grad():
        err = lambda m: float((m.vae_reconstruct(data) - data).pow(2).sum(dim=1).mean())  # noqa: E731
    assert err(trained) < 0.5 * err(untrained)
