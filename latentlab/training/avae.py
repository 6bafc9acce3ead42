"""The Adversarial Variational Auto-Encoder (seed 002 ch. 3): its losses and one training step; the parts are
:class:`latentlab.generators.avae.AVAE`.

An encoder E (x → μ_e(x), with a posterior spread σ_e that does not depend on x and is learnt
directly), a decoder D (the VAE's, z → μ_d(z)), a generator G (z → x, trained as a GAN) and a
critic C (x → the probability that x is *generated*). Each part is trained by its own loss only
(Fig. 3.4):

- E and D by the VAE loss, eq. 3.5 (with β on the KL term, §3.4):
  ½‖μ_d(z) − x‖² + β · ½ Σ_j (σ²_j + μ_e(x)²_j − 1 − log σ²_j), z = μ_e(x) + σ_e ε;
- C by eq. 3.9: −log(1 − C(x)) on data, −log C(x̂) on generated images;
- G by L_G = L_Z^b + L_M: the latent reconstruction loss of eq. 3.12,
  ½‖(μ_e(G(z)) − √(1 − σ²) z) / σ‖² for z from the prior (E and σ held fixed), which asks the
  encoder to read from a generated image the code a *real* image of that content would get
  (μ_e(x) ~ N(0, I − Σ) on data), plus eq. 3.11, logit C(G(z)), an estimate of KL(p_G ‖ p_data).

G never sees a pixel loss: it learns what data look like from C, and what a code means from E.
σ is kept in (0, 1) (eq. 3.12 needs √(1 − σ²)) by a sigmoid.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from latentlab.generators.avae import AVAE


def vae_loss(x: torch.Tensor, reconstruction: torch.Tensor, mean: torch.Tensor, sigma: torch.Tensor,
             beta: float = 1.0) -> torch.Tensor:
    """Eq. 3.5 with β on the KL (mean over the batch; sums over pixels and latent coordinates)."""
    pixels = 0.5 * (reconstruction - x).pow(2).flatten(1).sum(dim=1)
    kl = 0.5 * (sigma.pow(2) + mean.pow(2) - 1 - 2 * sigma.log()).sum(dim=1)
    return (pixels + beta * kl).mean()


def latent_loss(encoded: torch.Tensor, z: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Eq. 3.12: ½‖(μ_e(G(z)) − √(1 − σ²) z) / σ‖², mean over the batch (σ held fixed: it trains G only)."""
    sigma = sigma.detach()
    return (0.5 * ((encoded - (1 - sigma.pow(2)).sqrt() * z) / sigma).pow(2).sum(dim=1)).mean()


def critic_loss(logit_real: torch.Tensor, logit_fake: torch.Tensor) -> torch.Tensor:
    """Eq. 3.9 with C = sigmoid(logit) the probability of *generated*: −log(1 − C(x)) − log C(x̂)."""
    return (F.binary_cross_entropy_with_logits(logit_real, torch.zeros_like(logit_real))
            + F.binary_cross_entropy_with_logits(logit_fake, torch.ones_like(logit_fake)))


def manifold_loss(logit_fake: torch.Tensor) -> torch.Tensor:
    """Eq. 3.11: logit C(G(z)), mean over the batch (log p_G / p_data at the optimal critic)."""
    return logit_fake.mean()


@dataclass
class AVAEOptimizers:
    """One optimiser per loss: E and σ with D (the VAE loss), G (L_G), C (eq. 3.9)."""

    vae: torch.optim.Optimizer
    generator: torch.optim.Optimizer
    critic: torch.optim.Optimizer

    @classmethod
    def adam(cls, model: AVAE, lr: float = 2e-4, betas: tuple[float, float] = (0.5, 0.999)) -> AVAEOptimizers:
        """Adam for each part (DCGAN's settings, which the chapter follows)."""
        return cls(torch.optim.Adam([*model.encoder_parameters(), *model.decoder.parameters()], lr=lr, betas=betas),
                   torch.optim.Adam(model.generator.parameters(), lr=lr, betas=betas),
                   torch.optim.Adam(model.critic.parameters(), lr=lr, betas=betas))


def avae_step(model: AVAE, x: torch.Tensor, optimizers: AVAEOptimizers, *, beta: float = 1.0,
              generator: torch.Generator | None = None, adversarial: bool = True) -> dict[str, float]:
    """One iteration of Fig. 3.4 on a data batch ``x``: every part steps on its own loss, in the order E and D, C,
    G (the figure updates them together from one forward pass; here each step sees the parts the previous ones
    left). ``adversarial=False`` trains the plain VAE only (the baseline, same encoder and decoder)."""
    n = x.shape[0]
    eps = torch.randn(n, model.latent_dim, generator=generator).to(x.device)
    mean, sigma = model.encode(x)
    reconstruction = model.decoder(mean + sigma * eps)
    loss_vae = vae_loss(x, reconstruction, mean, sigma, beta)
    optimizers.vae.zero_grad(set_to_none=True)
    loss_vae.backward()
    optimizers.vae.step()
    out = {"vae": loss_vae.item()}
    if not adversarial:
        return out

    z = torch.randn(n, model.latent_dim, generator=generator).to(x.device)
    fake = model.generator(z)
    loss_c = critic_loss(model.critic(x), model.critic(fake.detach()))
    optimizers.critic.zero_grad(set_to_none=True)
    loss_c.backward()
    optimizers.critic.step()

    loss_z = latent_loss(model.encoder(fake), z, model.sigma)
    loss_m = manifold_loss(model.critic(fake))
    optimizers.generator.zero_grad(set_to_none=True)
    (loss_z + loss_m).backward()  # E and C receive gradients here too; only G's optimiser steps on them
    optimizers.generator.step()
    return {**out, "critic": loss_c.item(), "latent": loss_z.item(), "manifold": loss_m.item()}


def vae_gan_step(model: AVAE, x: torch.Tensor, optimizers: AVAEOptimizers, *, beta: float = 1.0, gamma: float = 1.0,
                 generator: torch.Generator | None = None) -> dict[str, float]:
    """One iteration of the VAE-GAN hybrid the chapter compares against (Larsen et al.): the decoder D is also the
    GAN's generator, trained by the VAE loss plus ``gamma`` × eq. 3.11 on its samples and reconstructions, against
    the critic C; G is unused. This is the realism/reconstruction trade-off the AVAE avoids."""
    n = x.shape[0]
    eps = torch.randn(n, model.latent_dim, generator=generator).to(x.device)
    z = torch.randn(n, model.latent_dim, generator=generator).to(x.device)
    mean, sigma = model.encode(x)
    reconstruction = model.decoder(mean + sigma * eps)
    sample = model.decoder(z)
    fakes = torch.cat([reconstruction, sample])
    loss_c = critic_loss(model.critic(x), model.critic(fakes.detach()))
    optimizers.critic.zero_grad(set_to_none=True)
    loss_c.backward()
    optimizers.critic.step()
    loss_vae = vae_loss(x, reconstruction, mean, sigma, beta)
    loss_m = manifold_loss(model.critic(fakes))
    optimizers.vae.zero_grad(set_to_none=True)
    (loss_vae + gamma * loss_m).backward()
    optimizers.vae.step()
    return {"vae": loss_vae.item(), "critic": loss_c.item(), "manifold": loss_m.item()}
