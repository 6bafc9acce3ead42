"""Parity of latentlab's StyleGAN2 with NVIDIA's stylegan2-ada-pytorch code (which latentlab does not ship).

    python -m benchmarks.stylegan2_parity --ada-src PATH/TO/stylegan2-ada-pytorch [--quick]

For each architecture (skip, orig, resnet) a small random NVIDIA ``Generator`` is pickled by NVIDIA's own
persistence code, read back by latentlab's safe loader (no code from the pickle runs) and both
networks render the same latents. Writes ``benchmarks/results/stylegan2_parity.json`` with the largest
absolute image difference per architecture (bar: ≤ 1e-5).
"""

from __future__ import annotations

import argparse
import copy
import pickle
import sys
import tempfile
from pathlib import Path

import torch

from benchmarks._report import print_table, write_results
from latentlab.generators.stylegan2 import StyleGAN2, StyleGAN2Config, randomize_weights
from latentlab.zoo.stylegan2_checkpoints import load_stylegan2


def compare(networks, architecture: str, folder: Path) -> float:
    reference = networks.Generator(z_dim=16, c_dim=3, w_dim=16, img_resolution=32, img_channels=3,
                                   mapping_kwargs={"num_layers": 2},
                                   synthesis_kwargs={"channel_base": 256, "channel_max": 32, "architecture": architecture,
                                                     "conv_clamp": 256}).eval()
    ours = randomize_weights(StyleGAN2.from_state_dict(StyleGAN2Config.from_nvidia_kwargs(reference.init_kwargs),
                                               reference.state_dict()), 8)
    reference.load_state_dict(ours.state_dict())
    path = folder / f"{architecture}.pkl"
    path.write_bytes(pickle.dumps({"G": reference, "D": None, "G_ema": copy.deepcopy(reference)}))
    loaded = load_stylegan2(path)
    z, c = torch.randn(3, 16, generator=torch.Generator().manual_seed(0)), torch.eye(3)
    with torch.no_grad():
        expected = reference(z, c, noise_mode="const", force_fp32=True)
        got = loaded.synthesis_raw(loaded.broadcast(loaded.mapping(z, c)))
    return float((got - expected).abs().max())


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ada-src", required=True, help="a stylegan2-ada-pytorch checkout (training/, torch_utils/, dnnlib/)")
    parser.add_argument("--quick", action="store_true", help="accepted for symmetry with the other suites; the run is already short")
    args = parser.parse_args()
    if not (Path(args.ada_src) / "training" / "networks.py").exists():
        raise SystemExit(f"--ada-src {args.ada_src!r} has no training/networks.py; point it at a stylegan2-ada-pytorch checkout")
    sys.path.insert(0, args.ada_src)
    import training.networks as networks  # NVIDIA's code, from the given checkout

    with tempfile.TemporaryDirectory() as folder:
        diffs = {a: compare(networks, a, Path(folder)) for a in ("skip", "orig", "resnet")}
    print_table([(a, f"{d:.2e}", "≤ 1e-5", "PASS" if d <= 1e-5 else "FAIL") for a, d in diffs.items()],
                ("architecture", "max |Δ image|", "bar", ""))
    results = {"max_abs_difference": diffs, "bars_met": all(d <= 1e-5 for d in diffs.values())}
    write_results("stylegan2_parity", results)
    return results


if __name__ == "__main__":
    main()
