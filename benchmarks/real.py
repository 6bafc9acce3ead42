"""Real third-party files: latentlab's bring-your-own wrappers checked on models nobody on the project made.

    python -m benchmarks.real [--quick]

Reads ``shared/realdata`` beside the repository (or ``$LATENTLAB_REALDATA``): LeNet-5 accuracy on
the 10,000 MNIST test digits; FID between the MNIST MLP GAN's samples and real digits in
LeNet's penultimate features (through torch-fidelity), beside the real-vs-real floor of two
random halves of the test set; the GAN's class histogram by LeNet; ResNet-20 on the 20
CIFAR-10 sample photos; BigGAN-deep's parity with its reference implementation; and plain BigGAN's
against outputs recorded from BigGAN-PyTorch (`tests/data/biggan_plain_reference.safetensors`).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

from benchmarks._report import parse_args, print_table, write_results
from latentlab.metrics.fidelity import fid

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # a site-packages 'tests' may shadow ours
import real_models as rm  # noqa: E402

HALVES_SEED = 0
BARS = {"lenet_mnist_acc": (">=", 0.98), "resnet20_cifar_samples_acc": (">=", 0.85),
        "mnist_gan_top_class_share": (">=", 0.2)}


def lenet_accuracy(root=None) -> float:
    images, labels = rm.load_mnist_test(root)
    return float((rm.lenet_assessor(root=root).predict(images) == labels).float().mean())


def mnist_gan_fid(n: int, root=None) -> tuple[float, float]:
    """(FID of n GAN samples vs n real digits, FID of n vs n real digits) in LeNet features."""
    images, _ = rm.load_mnist_test(root)
    order = torch.randperm(images.shape[0], generator=torch.Generator().manual_seed(HALVES_SEED))
    real_a, real_b = images[order[:n]], images[order[n:2 * n]]
    features = rm.lenet_assessor(root=root).features(rm.LENET_FEATURE_LAYER)
    fake = rm.mnist_gan_generator(root).generate(n, seed=0)
    return fid(fake, real_a, feature_extractor=features), fid(real_a, real_b, feature_extractor=features)


def mnist_gan_histogram(n: int, root=None) -> dict[str, int]:
    """How many of n GAN samples LeNet reads as each digit."""
    predicted = rm.lenet_assessor(root=root).predict(rm.mnist_gan_generator(root).generate(n, seed=0))
    return dict(zip(rm.DIGITS, torch.bincount(predicted, minlength=10).tolist()))


def resnet20_accuracy(root=None) -> float:
    images, labels = rm.load_samples("cifar10", root)
    return float((rm.resnet20_assessor(root=root).predict(images) == labels).float().mean())


def main() -> dict:
    args = parse_args(__doc__)
    root = rm.realdata_dir()
    if not root.is_dir():
        raise SystemExit(f"real data folder {root} is absent; set LATENTLAB_REALDATA to its path")
    n_fid = 2000 if args.quick else 5000
    start = time.perf_counter()
    from benchmarks.biggan_parity import max_abs_difference, plain_fixture_difference

    parity = max_abs_difference()
    gan_fid, floor = mnist_gan_fid(n_fid, root)
    histogram = mnist_gan_histogram(10_000, root)
    results = {
        "biggan_parity_max_abs": parity,
        "biggan_plain_parity_max_abs": plain_fixture_difference(),  # against BigGAN-PyTorch's recorded outputs
        "lenet_mnist_acc": round(lenet_accuracy(root), 4),
        "mnist_gan_fid_lenet": round(gan_fid, 3),
        "mnist_real_fid_lenet_floor": round(floor, 3),
        "mnist_gan_class_histogram": histogram,
        "mnist_gan_top_class_share": round(max(histogram.values()) / sum(histogram.values()), 4),
        "resnet20_cifar_samples_acc": round(resnet20_accuracy(root), 4),
        "settings": {"fid_samples_per_set": n_fid, "fid_feature_layer": f"LeNet {rm.LENET_FEATURE_LAYER}",
                     "histogram_samples": 10_000, "mnist_test_images": 10_000, "cifar10_samples": 20, "gan_seed": 0,
                     "realdata": str(root)},
        "seconds": round(time.perf_counter() - start, 1),
    }
    rows = [("biggan_parity_max_abs", f"{parity:.2e}", "", ""),
            ("biggan_plain_parity_max_abs", f"{results['biggan_plain_parity_max_abs']:.2e}", "", "")]
    for key in ("lenet_mnist_acc", "mnist_gan_fid_lenet", "mnist_real_fid_lenet_floor", "mnist_gan_top_class_share",
                "resnet20_cifar_samples_acc"):
        op, bar = BARS.get(key, ("", ""))
        ok = "" if not op else "PASS" if results[key] >= bar else "FAIL"
        rows.append((key, results[key], f"{op} {bar}".strip(), ok))
    ok = results["mnist_gan_fid_lenet"] > 10 * results["mnist_real_fid_lenet_floor"]
    rows.append(("gan FID / real floor", round(gan_fid / floor, 1), "> 10", "PASS" if ok else "FAIL"))
    results["bars_met"] = ok and all(r[3] == "PASS" for r in rows if r[3])
    print_table(rows, ("metric", "value", "bar", ""))
    print("GAN class histogram by LeNet: " + ", ".join(f"{d}: {c}" for d, c in histogram.items()))
    write_results("real", results)
    return results


if __name__ == "__main__":
    main()
