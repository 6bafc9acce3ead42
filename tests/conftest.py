import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never download: fail fast instead of retrying

import pytest
import torch

from latentlab.generators.compact_biggan import CompactBigGAN, CompactBigGANConfig


@pytest.fixture(autouse=True)
def _few_threads():
    torch.set_num_threads(2)


@pytest.fixture
def tiny_generator() -> CompactBigGAN:
    torch.manual_seed(0)
    return CompactBigGAN(CompactBigGANConfig(latent_dim=12, embed_dim=8, channels=(32, 16, 8, 8))).eval()


@pytest.fixture(scope="session")
def shipped_generator():
    from latentlab import load_generator

    return load_generator("shapes-biggan")


@pytest.fixture(scope="session")
def shipped_probe():
    from latentlab import load_probe

    return load_probe("shapes-probe")
