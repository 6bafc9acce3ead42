"""BigGAN-deep parity: latentlab's model against the reference pytorch-pretrained-BigGAN (random weights).

    python -m benchmarks.biggan_parity [--quick]

Builds the reference ``BigGAN`` from the published config (``BigGAN128`` … in the reference's
converter), fills every weight and statistic with seeded random values (u, v converged by
power iteration, as in the real checkpoints), copies its state dict into
:class:`latentlab.generators.biggan_deep.BigGANDeep` and compares images for the same latents,
soft class vectors and truncations. The difference is taken in the reference's [-1, 1] range
(latentlab's [0, 1] output mapped back as ``2x - 1``). Needs the ``pytorch-pretrained-biggan``
package (dev extra); downloads nothing.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch

from latentlab.generators.biggan_deep import BigGANDeep, BigGANDeepConfig
from latentlab.latents import seeded_generator, truncated_normal

TRUNCATIONS = (1.0, 0.73, 0.4)  # 0.4 exercises the reference's interpolation quirk (0.4 / 0.02 > 20)


def reference_config(resolution: int = 128, channel_width: int | None = None):
    """The reference's published config for ``resolution`` (optionally narrower, for fast tests)."""
    from pytorch_pretrained_biggan.convert_tf_to_pytorch import BigGAN128, BigGAN256, BigGAN512

    configs = {128: BigGAN128, 256: BigGAN256, 512: BigGAN512}
    if resolution not in configs:
        raise ValueError(f"resolution must be one of {sorted(configs)}, got {resolution!r}")
    config = type(configs[resolution]).from_dict(configs[resolution].to_dict())
    if channel_width is not None:
        config.channel_width = channel_width
    return config


@torch.no_grad()
def random_reference(config, seed: int = 0) -> torch.nn.Module:
    """A reference ``BigGAN`` in eval mode with every parameter and buffer set from ``seed``."""
    from pytorch_pretrained_biggan import BigGAN

    torch.manual_seed(seed)
    model = BigGAN(config).eval()
    gen = seeded_generator(seed + 1)
    for module in model.modules():
        if hasattr(module, "weight_u"):  # converge u, v so σ is the spectral norm
            w = module.weight_orig.reshape(module.weight_orig.shape[0], -1)
            u = module.weight_u
            for _ in range(20):
                v = torch.nn.functional.normalize(w.t() @ u, dim=0)
                u = torch.nn.functional.normalize(w @ v, dim=0)
            module.weight_u.copy_(u)
            module.weight_v.copy_(v)
    for name, tensor in model.state_dict().items():
        if name.endswith("running_means"):
            tensor.copy_(0.3 * torch.randn(tensor.shape, generator=gen))
        elif name.endswith("running_vars"):
            tensor.copy_(0.5 + torch.rand(tensor.shape, generator=gen))
        elif name.endswith("gamma"):
            tensor.copy_(0.5 + torch.rand(tensor.shape, generator=gen))
        elif name == "embeddings.weight":
            tensor.copy_(torch.randn(tensor.shape, generator=gen))
        elif name == "generator.bn.weight":
            tensor.copy_(1.0 + 0.2 * torch.randn(tensor.shape, generator=gen))
        elif name == "generator.bn.bias" or name.endswith(".bias"):
            tensor.copy_(0.1 * torch.randn(tensor.shape, generator=gen))
    return model


def latentlab_copy(reference: torch.nn.Module, truncation: float = 1.0) -> BigGANDeep:
    """latentlab's BigGAN-deep with the reference's state dict loaded unchanged (strict)."""
    model = BigGANDeep(BigGANDeepConfig.from_json(reference.config.to_dict()), truncation=truncation).eval()
    model.load_state_dict(reference.state_dict(), strict=True)
    return model


def parity_inputs(n: int, num_classes: int, z_dim: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Latents as the reference samples them (0.5 · TN(-2, 2)) and soft class vectors (one-hot and a mix)."""
    gen = seeded_generator(seed + 2)
    z = 0.5 * truncated_normal(n, z_dim, 2.0, generator=gen)
    y = torch.zeros(n, num_classes)
    y[torch.arange(n), torch.randint(num_classes, (n,), generator=gen)] = 1.0
    y[-1] = torch.softmax(3 * torch.randn(num_classes, generator=gen), dim=0)  # a soft mix
    return z, y


@torch.no_grad()
def compare(reference: torch.nn.Module, ours: BigGANDeep, z: torch.Tensor, y: torch.Tensor,
            truncations=TRUNCATIONS) -> dict[float, dict[str, float]]:
    """Per truncation: max abs difference in [-1, 1] and the share of unsaturated reference pixels."""
    out = {}
    for t in truncations:
        expected = reference(z, y, t)
        ours.truncation = t
        got = 2.0 * ours(z, y) - 1.0
        out[t] = {"max_abs_difference": float((got - expected).abs().max()),
                  "unsaturated": float((expected.abs() < 0.99).float().mean())}
    return out


def max_abs_difference(resolution: int = 128, seed: int = 0) -> float:
    """Largest |latentlab − reference| over a batch of 2 and the truncations 1.0, 0.73, 0.4 (random weights)."""
    reference = random_reference(reference_config(resolution), seed)
    ours = latentlab_copy(reference)
    z, y = parity_inputs(2, reference.config.num_classes, reference.config.z_dim, seed)
    return max(r["max_abs_difference"] for r in compare(reference, ours, z, y).values())


PLAIN_FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "data" / "biggan_plain_reference.safetensors"


@torch.no_grad()
def plain_fixture_difference(path: Path = PLAIN_FIXTURE) -> float:
    """Largest |latentlab − reference| for plain BigGAN on the outputs recorded from BigGAN-PyTorch's ``Generator``.

    The fixture holds a small random state dict, latents, class inputs and the reference's images
    (in [-1, 1]); image 0 comes from a class index, image 1 from a soft class vector.
    """
    from safetensors.torch import load_file

    from latentlab.generators.biggan import BigGAN

    tensors = load_file(str(path))
    state = {k.removeprefix("state/"): v for k, v in tensors.items() if k.startswith("state/")}
    model = BigGAN.from_state_dict(None, state)
    z = tensors["inputs/z"]
    images = torch.cat([model(z[:1], tensors["inputs/classes"]), model(z[1:], tensors["inputs/class_vectors"])])
    return float((2 * images - 1 - tensors["outputs/images"]).abs().max())


def main() -> None:
    from benchmarks._report import parse_args, print_table, write_results

    args = parse_args(__doc__.splitlines()[0])
    rows, results = [], {}
    for resolution in (128,) if args.quick else (128, 256, 512):
        start = time.perf_counter()
        reference = random_reference(reference_config(resolution), 0)
        ours = latentlab_copy(reference)
        z, y = parity_inputs(2, reference.config.num_classes, reference.config.z_dim, 0)
        for t, r in compare(reference, ours, z, y).items():
            rows.append((resolution, t, f"{r['max_abs_difference']:.2e}", f"{r['unsaturated']:.2f}"))
            results[f"{resolution}/{t}"] = r
        results[f"{resolution}/seconds"] = round(time.perf_counter() - start, 1)
    results["plain_biggan_fixture_max_abs"] = plain_fixture_difference()
    rows.append(("plain BigGAN, recorded", "1.0", f"{results['plain_biggan_fixture_max_abs']:.2e}", ""))
    print_table(rows, ("px", "truncation", "max |Δ| in [-1, 1]", "unsaturated share"))
    write_results("biggan_parity", results)


if __name__ == "__main__":
    main()
