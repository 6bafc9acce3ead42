"""A 32 px DCGAN (generator and discriminator) of the shape of the CelebA face model ``celeba-dcgan32``.

Generator: z [N, 100] drawn **uniformly in [-1, 1]**, read as a 1×1 map of 100 channels, then

- block 0: ConvTranspose(100→256, k4, s1, p0, no bias) + BatchNorm, no activation (1 → 4 px);
- block 1: Conv(256→128, k3, s1, p1, no bias) + BatchNorm + LeakyReLU(0.2) (4 px);
- blocks 2–3: ConvTranspose(128→64→32, k4, s2, p1, no bias) + BatchNorm + LeakyReLU(0.2) (8, 16 px);
- block 4: ConvTranspose(32→3, k4, s2, p1, with bias) + Tanh (32 px), mapped from [-1, 1] to [0, 1].

Discriminator: images in [-1, 1] [N, 3, 32, 32] → Conv(3→32, k4, s2, p1) + LeakyReLU(0.2), then
32→64→128→256 Conv(k4, s2, p1, no bias) + BatchNorm + LeakyReLU(0.2), flatten (1024), Linear → one logit.

Module names follow the published state dicts (``generator_deconv.{0..4}.*``, ``discriminator.{0..5}.*``),
so they load strictly. The generator is built in eval mode (BatchNorm on its running statistics);
the discriminator's BatchNorm statistics are a setting (see :class:`DCGANDiscriminator`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from latentlab.errors import check_count, check_float, check_seed, coerce_latents, unknown_name_error
from latentlab.generators.base import Generator, SplitGenerator, state_mismatch
from latentlab.latents import seeded_generator

LATENT_DIM, RESOLUTION = 100, 32
LEAK = 0.2


def _block(conv: nn.Module, channels: int, activation: bool = True) -> nn.Sequential:
    layers = [conv, nn.BatchNorm2d(channels)]
    return nn.Sequential(*layers, nn.LeakyReLU(LEAK)) if activation else nn.Sequential(*layers)


def load_strict(model: nn.Module, state: dict[str, torch.Tensor], what: str) -> nn.Module:
    """``state`` loaded into ``model`` strictly (mismatches named together), in eval mode.

    BatchNorm counters (``num_batches_tracked``) that files from older PyTorch versions lack are
    filled with zeros: eval mode never reads them.
    """
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"the weights of {what} must be a state dict (names → tensors), got {type(state).__name__}")
    counters = {k: v for k, v in model.state_dict().items() if k.endswith(".num_batches_tracked")}
    state = {**counters, **state}
    error = state_mismatch(model, state, what)
    if error is not None:
        raise error
    model.load_state_dict(state, strict=True)
    return model.eval()


class DCGANGenerator(Generator):
    """The 32 px DCGAN generator: z ~ U(-1, 1)¹⁰⁰ → images [N, 3, 32, 32] in [0, 1]; unconditional.

    ``layer_names()`` are ``block0``..``block3`` (the feature maps after each hidden block:
    256×4×4, 128×4×4, 64×8×8, 32×16×16); block 4 makes the image itself.
    """

    latent_dim = LATENT_DIM
    resolution = RESOLUTION
    class_names = ()

    def __init__(self):
        super().__init__()
        self.generator_deconv = nn.Sequential(
            _block(nn.ConvTranspose2d(LATENT_DIM, 256, 4, 1, 0, bias=False), 256, activation=False),
            _block(nn.Conv2d(256, 128, 3, 1, 1, bias=False), 128),
            _block(nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), 64),
            _block(nn.ConvTranspose2d(64, 32, 4, 2, 1, bias=False), 32),
            nn.Sequential(nn.ConvTranspose2d(32, 3, 4, 2, 1, bias=True), nn.Tanh()),
        )
        self.eval()

    @classmethod
    def from_state_dict(cls, state: dict[str, torch.Tensor]) -> DCGANGenerator:
        """A generator holding ``state`` (the published ``generator.pt`` keys, loaded strictly), in eval mode."""
        return load_strict(cls(), state, "the 32 px DCGAN generator (generator_deconv.0-4)")

    # latents -----------------------------------------------------------------------------------
    def effective_truncation(self, truncation: float | None) -> float | None:
        """A uniform prior lives in [-1, 1]: ψ > 1 truncates nothing."""
        return None if truncation is not None and truncation > 1 else truncation

    def project_latents(self, z: torch.Tensor) -> torch.Tensor:
        """Into the uniform prior's support, the box [-1, 1]."""
        return z.clamp(-1.0, 1.0)

    def sample_latents(self, n: int, seed: int | None = None, truncation: float | None = None) -> torch.Tensor:
        """Reproducible prior samples [n, 100]: uniform in [-1, 1], or in [-ψ, ψ] with ``truncation`` ψ ∈ (0, 1].

        The prior is uniform, so truncation narrows the cube instead of cutting a normal's tails;
        ψ = 1 (or None) is the full prior. ψ outside (0, 1] is refused.
        """
        n, seed = check_count("n", n), check_seed("seed", seed)
        width = 1.0 if truncation is None else check_float(
            "truncation", truncation, above=0.0, maximum=1.0,
            hint="the prior is uniform in [-1, 1]; ψ samples uniformly in [-ψ, ψ]")
        z = torch.rand(n, self.latent_dim, generator=seeded_generator(seed)) * 2 - 1
        return (z * width).to(self.device)

    def first_latent_weight(self) -> torch.Tensor:
        """The first layer's weight on z as a matrix [256·4·4, 100], rows in the (channel, y, x) order of its output.

        On a 1×1 input the transposed convolution is linear in z: output[c, i, j] = Σₖ W[k, c, i, j] zₖ.
        """
        weight = self.generator_deconv[0][0].weight  # [100, 256, 4, 4]
        return weight.reshape(weight.shape[0], -1).t()

    # synthesis ---------------------------------------------------------------------------------
    def _run(self, x: torch.Tensor, start: int, stop: int) -> torch.Tensor:
        for block in self.generator_deconv[start:stop]:
            x = block(x)
        return x

    def synthesize(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        return (self._run(z[:, :, None, None], 0, len(self.generator_deconv)) + 1) / 2

    # splitting ---------------------------------------------------------------------------------
    def layer_names(self) -> list[str]:
        return [f"block{i}" for i in range(len(self.generator_deconv) - 1)]

    def split(self, layer: str = "block1") -> SplitGenerator:
        """Cut after ``layer``: f(z) → its feature map, h(features, z) → images in [0, 1] (y must be None)."""
        cut = self._check_layer(layer) + 1

        def f(z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
            z = coerce_latents(z, self.latent_dim, self.latent_dtype)
            self._check_classes(z, y)
            return self._run(z[:, :, None, None], 0, cut)

        def h(features: torch.Tensor, z: torch.Tensor | None = None, y: torch.Tensor | None = None) -> torch.Tensor:
            return (self._run(features, cut, len(self.generator_deconv)) + 1) / 2

        return SplitGenerator(layer, f, h)


class DCGANDiscriminator(nn.Module):
    """The 32 px DCGAN discriminator: images [N, 3, 32, 32] in [-1, 1] → realism logits [N] (higher = more real).

    The published one was trained as a least-squares GAN (target 1 for real, 0 for generated
    batches) with BatchNorm always on batch statistics, each batch all real or all generated.
    ``statistics`` says what its BatchNorm layers normalise with:

    - ``"image"`` (default): each image's own feature statistics (a batch of one), so every
      image's score is its own, whatever else is in the batch;
    - ``"batch"``: the statistics of the batch passed in, as in training (scores then depend on
      the batch: meaningful for a batch of one kind of image);
    - ``"running"``: the running averages stored in the file (plain ``eval()`` semantics). With
      them the discriminator ranks out-of-distribution images (noise, shuffled pixels) above the
      generator's own samples, so it is no realism measure in this mode.

    Running statistics are never updated, in any mode.
    """

    def __init__(self, statistics: str = "image"):
        super().__init__()
        self.statistics = check_statistics(statistics)
        self.discriminator = nn.Sequential(
            nn.Sequential(nn.Conv2d(3, 32, 4, 2, 1, bias=True), nn.LeakyReLU(LEAK)),
            _block(nn.Conv2d(32, 64, 4, 2, 1, bias=False), 64),
            _block(nn.Conv2d(64, 128, 4, 2, 1, bias=False), 128),
            _block(nn.Conv2d(128, 256, 4, 2, 1, bias=False), 256),
            nn.Flatten(),
            nn.Linear(256 * 2 * 2, 1),
        )
        self.eval()

    @classmethod
    def from_state_dict(cls, state: dict[str, torch.Tensor], statistics: str = "image") -> DCGANDiscriminator:
        """A discriminator holding ``state`` (the published ``discriminator.pt`` keys, loaded strictly), in eval mode."""
        return load_strict(cls(statistics), state, "the 32 px DCGAN discriminator (discriminator.0-5)")

    def forward(self, x: torch.Tensor, statistics: str | None = None) -> torch.Tensor:
        """Logits [N] of images [N, 3, 32, 32] in [-1, 1]; ``statistics`` overrides :attr:`statistics` for this call."""
        if not isinstance(x, torch.Tensor) or x.dim() != 4 or tuple(x.shape[1:]) != (3, RESOLUTION, RESOLUTION):
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"the DCGAN discriminator takes images [N, 3, {RESOLUTION}, {RESOLUTION}] in [-1, 1], got {shape}")
        mode = self.statistics if statistics is None else check_statistics(statistics)
        first, *blocks, flatten, linear = self.discriminator
        x = first(x)
        for conv, norm, activation in blocks:
            x = activation(_normalise(norm, conv(x), mode))
        return linear(flatten(x))[:, 0]


STATISTICS = ("image", "batch", "running")


def check_statistics(statistics: str) -> str:
    """One of :data:`STATISTICS` (what a discriminator's BatchNorm layers normalise with)."""
    if statistics not in STATISTICS:
        raise unknown_name_error("BatchNorm statistics", statistics, STATISTICS)
    return statistics


def _normalise(norm: nn.BatchNorm2d, x: torch.Tensor, statistics: str) -> torch.Tensor:
    """BatchNorm ``norm`` applied with the given statistics, never updating its running averages."""
    if statistics == "image":
        return F.instance_norm(x, weight=norm.weight, bias=norm.bias, use_input_stats=True, eps=norm.eps)
    if statistics == "batch":
        return F.batch_norm(x, None, None, norm.weight, norm.bias, training=True, eps=norm.eps)
    return F.batch_norm(x, norm.running_mean, norm.running_var, norm.weight, norm.bias, training=False, eps=norm.eps)


__all__ = ["STATISTICS", "DCGANDiscriminator", "DCGANGenerator", "check_statistics", "load_strict"]
