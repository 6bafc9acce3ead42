"""Test and benchmark helpers for the real third-party files in ``shared/realdata``.

Model definitions written from that folder's README (not copied from the source repositories),
loaders that read the files with ``torch.load(..., weights_only=True)``, an MNIST idx reader and
the standard wrappings into latentlab generators and assessors. The package never needs these.
"""

from __future__ import annotations

import gzip
import os
import re
import struct
from collections import OrderedDict
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from latentlab.assessors.base import check_images
from latentlab.assessors.classifier import ClassifierAssessor
from latentlab.errors import coerce_latents
from latentlab.generators.base import Generator, SplitGenerator
from latentlab.generators.module_adapter import ModuleGenerator
from latentlab.images import from_pil

DIGITS = tuple(str(d) for d in range(10))
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
CIFAR_MEAN, CIFAR_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
#: penultimate LeNet layer (84 features after ReLU) used as the FID feature space
LENET_FEATURE_LAYER = "fc.relu6"


def realdata_dir() -> Path:
    """``$LATENTLAB_REALDATA`` if set, else ``shared/realdata`` beside the repository or beside a folder above it
    (a clone kept one level deeper finds the same files); the nearest one beside the repository if none exists."""
    env = os.environ.get("LATENTLAB_REALDATA")
    if env:
        return Path(env)
    repository = Path(__file__).resolve().parents[1]
    candidates = [folder / "shared" / "realdata" for folder in repository.parents]
    return next((c for c in candidates if c.is_dir()), candidates[0])


def _load(path: str | Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)


# --- models --------------------------------------------------------------------------------------
def mnist_mlp_gan_generator() -> nn.Sequential:
    """Linear(64→256)·ReLU·Linear(256→256)·ReLU·Linear(256→784)·Tanh: z [N, 64] → flat images in [-1, 1]."""
    return nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 784), nn.Tanh())


class MnistVAE(nn.Module):
    """The MNIST MLP VAE: fc1 784→400 · ReLU · fc21 / fc22 400→20 (mean, log-variance); fc3 20→400 · ReLU · fc4 400→784 · Sigmoid."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance [N, 20] of flat digits [N, 784] in [0, 1]."""
        h = F.relu(self.fc1(x))
        return self.fc21(h), self.fc22(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Flat digits [N, 784] in [0, 1] from latents [N, 20]."""
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))


class LeNet5(nn.Module):
    """LeNet-5 for 1×32×32 digits; returns log-probabilities [N, 10]."""

    def __init__(self):
        super().__init__()
        self.convnet = nn.Sequential(OrderedDict([
            ("c1", nn.Conv2d(1, 6, 5)), ("relu1", nn.ReLU()), ("s2", nn.MaxPool2d(2)),      # 6×28×28 → 6×14×14
            ("c3", nn.Conv2d(6, 16, 5)), ("relu3", nn.ReLU()), ("s4", nn.MaxPool2d(2)),     # 16×10×10 → 16×5×5
            ("c5", nn.Conv2d(16, 120, 5)), ("relu5", nn.ReLU()),                           # 120×1×1
        ]))
        self.fc = nn.Sequential(OrderedDict([
            ("f6", nn.Linear(120, 84)), ("relu6", nn.ReLU()), ("f7", nn.Linear(84, 10)), ("sig7", nn.LogSoftmax(dim=1)),
        ]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.convnet(x).flatten(1))


class _BasicBlock(nn.Module):
    """Two 3×3 conv-BN layers; option-A shortcut: stride-2 subsampling and zero-padded channels."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.stride, self.extra = stride, cout - cin

    def shortcut(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == 1 and self.extra == 0:
            return x
        x = x[:, :, ::self.stride, ::self.stride]
        return F.pad(x, (0, 0, 0, 0, self.extra // 2, self.extra - self.extra // 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class ResNet20(nn.Module):
    """CIFAR ResNet-20: 3 stages × 3 basic blocks at 16/32/64 channels, global pooling, linear → logits [N, 10]."""

    def __init__(self, num_classes: int = 10, blocks: int = 3):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        widths, cin = (16, 32, 64), 16
        for stage, width in enumerate(widths, start=1):
            layers = []
            for b in range(blocks):
                layers.append(_BasicBlock(cin, width, 2 if stage > 1 and b == 0 else 1))
                cin = width
            setattr(self, f"layer{stage}", nn.Sequential(*layers))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.linear = nn.Linear(64, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.linear(self.pool(x).flatten(1))


# --- loaders -------------------------------------------------------------------------------------
def load_mnist_gan(root: Path | None = None) -> nn.Sequential:
    model = mnist_mlp_gan_generator()
    model.load_state_dict(_load((root or realdata_dir()) / "pretrained" / "mnist_mlp_gan_G.ckpt"))
    return model.eval()


def load_mnist_vae(root: Path | None = None) -> MnistVAE:
    model = MnistVAE()
    model.load_state_dict(_load((root or realdata_dir()) / "pretrained" / "mnist_vae.pth"))
    return model.eval()


def load_lenet(root: Path | None = None) -> LeNet5:
    model = LeNet5()
    model.load_state_dict(_load((root or realdata_dir()) / "pretrained" / "mnist_lenet.pth"))
    return model.eval()


def load_resnet20(root: Path | None = None) -> ResNet20:
    checkpoint = _load((root or realdata_dir()) / "pretrained" / "cifar10_resnet20.th")
    state = {k.removeprefix("module."): v for k, v in checkpoint["state_dict"].items()}
    model = ResNet20()
    model.load_state_dict(state)
    return model.eval()


def read_idx(path: str | Path) -> torch.Tensor:
    """An idx file (optionally gzipped) as a uint8 tensor: big-endian header, then the raw array."""
    path = Path(path)
    data = (gzip.open if path.suffix == ".gz" else open)(path, "rb").read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path} is not a uint8 idx file (magic {data[:4].hex()})")
    shape = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    body = data[4 + 4 * ndim:]
    if len(body) != int(torch.tensor(shape).prod()):
        raise ValueError(f"{path}: header says {shape} but holds {len(body)} bytes")
    return torch.frombuffer(bytearray(body), dtype=torch.uint8).reshape(shape)


def load_mnist_test(root: Path | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST test images [10000, 3, 28, 28] in [0, 1] (grey repeated to RGB) and labels [10000]."""
    folder = (root or realdata_dir()) / "mnist"
    images = read_idx(folder / "t10k-images-idx3-ubyte.gz").float().div(255)
    labels = read_idx(folder / "t10k-labels-idx1-ubyte.gz").long()
    return images[:, None].repeat(1, 3, 1, 1), labels


def load_samples(prefix: str, root: Path | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Sample photos ``<prefix>_<i>_<label>.*`` as images [N, 3, H, W] in [0, 1] and labels [N]."""
    from PIL import Image

    paths = sorted((root or realdata_dir()).joinpath("samples").glob(f"{prefix}_*"))
    if not paths:
        raise FileNotFoundError(f"no sample files {prefix}_* in {(root or realdata_dir()) / 'samples'}")
    labels = [int(re.findall(r"\d+", p.stem)[-1]) for p in paths]
    return from_pil([Image.open(p).convert("RGB") for p in paths]), torch.tensor(labels)


# --- latentlab wrappings -------------------------------------------------------------------------
class MnistGANGenerator(ModuleGenerator):
    """The MNIST MLP GAN as a :class:`ModuleGenerator` that names the layer reading z (for SeFa)."""

    def first_latent_weight(self) -> torch.Tensor:
        """The first Linear's weight [256, 64]."""
        return self.module[0].weight


def mnist_gan_generator(root: Path | None = None) -> MnistGANGenerator:
    """The MNIST GAN as a latentlab generator: z ~ N(0, I₆₄) → [N, 3, 28, 28] in [0, 1]."""
    return MnistGANGenerator(load_mnist_gan(root), 64, output_range=(-1, 1), output_shape=(1, 28, 28))


class MnistVAEGenerator(Generator):
    """The MNIST VAE's decoder as a latentlab generator: z ~ N(0, I₂₀) → grey digits [N, 3, 28, 28] in [0, 1].

    :meth:`encode` reads images back; ``layer_names()`` is ``["fc3"]`` (400 features after its ReLU).
    """

    latent_dim, resolution = 20, 28

    def __init__(self, vae: MnistVAE):
        super().__init__()
        self.vae = vae.eval()

    def encode(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance [N, 20] of images [N, 3, H, W] in [0, 1] (grey, resized to 28 px when needed)."""
        x = check_images(images).mean(dim=1, keepdim=True)
        if tuple(x.shape[-2:]) != (28, 28):
            x = F.interpolate(x, size=(28, 28), mode="bilinear", align_corners=False, antialias=True)
        return self.vae.encode(x.flatten(1))

    def first_latent_weight(self) -> torch.Tensor:
        """fc3's weight [400, 20]."""
        return self.vae.fc3.weight

    def _image(self, h: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.vae.fc4(h)).reshape(-1, 1, 28, 28).repeat(1, 3, 1, 1)

    def synthesize(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        return self._image(F.relu(self.vae.fc3(z)))

    def layer_names(self) -> list[str]:
        return ["fc3"]

    def split(self, layer: str = "fc3") -> SplitGenerator:
        self._check_layer(layer)

        def f(z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
            return F.relu(self.vae.fc3(coerce_latents(z, self.latent_dim, self.latent_dtype)))

        return SplitGenerator(layer, f, lambda features, z=None, y=None: self._image(features))


def mnist_vae_generator(root: Path | None = None) -> MnistVAEGenerator:
    """The MNIST VAE as a latentlab generator with ``encode``."""
    return MnistVAEGenerator(load_mnist_vae(root))


def lenet_assessor(target: int | str | None = None, root: Path | None = None) -> ClassifierAssessor:
    """LeNet-5 on MNIST-style images: grey, resized 28 → 32, pixels in [0, 1], log-probability outputs.

    The README says the 28-pixel digits were padded to 32; measured on the 10,000 test digits,
    resizing matches the weights better (99.08 % vs 98.61 % when zero-padding by 2), so the
    classifier was evidently trained on resized digits.
    """
    return ClassifierAssessor(load_lenet(root), target, class_names=DIGITS, input_size=32, channels=1,
                              output="log_probabilities")


def resnet20_assessor(target: int | str | None = None, root: Path | None = None) -> ClassifierAssessor:
    """The CIFAR-10 ResNet-20 on 32×32 RGB images with ImageNet mean/std normalisation."""
    return ClassifierAssessor(load_resnet20(root), target, class_names=CIFAR10_CLASSES, input_size=32,
                              mean=CIFAR_MEAN, std=CIFAR_STD, output="logits")
