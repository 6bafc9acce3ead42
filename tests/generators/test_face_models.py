"""The CelebA face models (32 px DCGAN and its discriminator, 64 px VAE) and the MNIST VAE.

Random-weight instances are checked against straightforward functional forwards written here;
the published files (``shared/realdata/pretrained``, or ``$LATENTLAB_REALDATA``) are loaded by
name from a cache seeded with them. Nothing is downloaded: the tests that exercise the
downloader serve it the bytes themselves.
"""

from __future__ import annotations

import math
import shutil

import pytest
import real_models as rm  # tests/ is on sys.path (tests/conftest.py's folder, pytest's default import mode)
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from latentlab.assessors.realism import DiscriminatorAssessor
from latentlab.errors import CorruptFileError, InvalidInputError
from latentlab.generators.base import Generator
from latentlab.generators.dcgan import DCGANDiscriminator, DCGANGenerator
from latentlab.generators.face_vae import FaceVAE
from latentlab.images import from_pil
from latentlab.zoo import face_models
from latentlab.zoo.registry import MODELS

REALDATA = rm.realdata_dir()
PRETRAINED = REALDATA / "pretrained"
needs_realdata = pytest.mark.skipif(not REALDATA.is_dir(), reason=f"real data folder {REALDATA} is absent")
FILES = {"celeba-dcgan32": "celeba_dcgan32_G.pt", "celeba-dcgan32-d": "celeba_dcgan32_D.pt",
         "celeba-vae64": "celeba_vae64.pth"}


def randomised(cls: type[nn.Module], seed: int = 0) -> nn.Module:
    """A ``cls()`` with seeded random weights (PyTorch's default initialisation) and random BatchNorm
    affine parameters and running statistics, in eval mode."""
    torch.manual_seed(seed)
    model = cls()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                for tensor in (module.weight, module.running_var):
                    tensor.copy_(0.5 + torch.rand(tensor.shape, generator=gen))
                for tensor in (module.bias, module.running_mean):
                    tensor.copy_(0.2 * torch.randn(tensor.shape, generator=gen))
    return model.eval()


def bn(x: torch.Tensor, state: dict, prefix: str, *, batch: bool = False) -> torch.Tensor:
    """BatchNorm by hand: running statistics, or (``batch``) the biased statistics of x over N, H, W."""
    if batch:
        mean, var = x.mean(dim=(0, 2, 3)), x.var(dim=(0, 2, 3), unbiased=False)
    else:
        mean, var = state[f"{prefix}.running_mean"], state[f"{prefix}.running_var"]
    shape = (1, -1, 1, 1)
    return ((x - mean.reshape(shape)) / (var.reshape(shape) + 1e-5).sqrt() * state[f"{prefix}.weight"].reshape(shape)
            + state[f"{prefix}.bias"].reshape(shape))


def reference_dcgan(state: dict, z: torch.Tensor) -> torch.Tensor:
    p = "generator_deconv"
    x = z[:, :, None, None]
    x = bn(F.conv_transpose2d(x, state[f"{p}.0.0.weight"], stride=1, padding=0), state, f"{p}.0.1")  # no activation
    x = F.leaky_relu(bn(F.conv2d(x, state[f"{p}.1.0.weight"], padding=1), state, f"{p}.1.1"), 0.2)
    for i in (2, 3):
        x = F.leaky_relu(bn(F.conv_transpose2d(x, state[f"{p}.{i}.0.weight"], stride=2, padding=1), state, f"{p}.{i}.1"), 0.2)
    x = torch.tanh(F.conv_transpose2d(x, state[f"{p}.4.0.weight"], state[f"{p}.4.0.bias"], stride=2, padding=1))
    return (x + 1) / 2


def reference_discriminator(state: dict, x: torch.Tensor, *, batch: bool = False) -> torch.Tensor:
    p = "discriminator"
    x = F.leaky_relu(F.conv2d(x, state[f"{p}.0.0.weight"], state[f"{p}.0.0.bias"], stride=2, padding=1), 0.2)
    for i in (1, 2, 3):
        x = F.leaky_relu(bn(F.conv2d(x, state[f"{p}.{i}.0.weight"], stride=2, padding=1), state, f"{p}.{i}.1", batch=batch), 0.2)
    return F.linear(x.reshape(x.shape[0], -1), state[f"{p}.5.weight"], state[f"{p}.5.bias"])[:, 0]


def reference_vae_decode(state: dict, z: torch.Tensor) -> torch.Tensor:
    x = F.relu(F.linear(z, state["d1.weight"], state["d1.bias"])).reshape(-1, 64, 4, 4)
    for conv, norm in (("d2", "bn6"), ("d3", "bn7"), ("d4", "bn8")):
        x = F.leaky_relu(bn(F.conv_transpose2d(x, state[f"{conv}.weight"], state[f"{conv}.bias"], stride=2, padding=1),
                            state, norm), 0.2)
    return torch.sigmoid(F.conv_transpose2d(x, state["d5.weight"], state["d5.bias"], stride=2, padding=1))


def reference_vae_encode(state: dict, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    for i in range(1, 5):
        x = F.leaky_relu(bn(F.conv2d(x, state[f"e{i}.weight"], state[f"e{i}.bias"], stride=2, padding=1), state, f"bn{i}"), 0.2)
    x = x.reshape(x.shape[0], -1)
    return F.linear(x, state["fc1.weight"], state["fc1.bias"]), F.linear(x, state["fc2.weight"], state["fc2.bias"])


def shuffled_pixels(images: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """The same pixels (all channels together) at randomly permuted positions."""
    n, c, h, w = images.shape
    order = torch.randperm(h * w, generator=torch.Generator().manual_seed(seed))
    return images.flatten(2)[:, :, order].reshape(n, c, h, w)


def correlation(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(torch.corrcoef(torch.stack([a.flatten(), b.flatten()]))[0, 1])


# --- architectures against the reference forwards -----------------------------------------------------
def test_dcgan_generator_matches_the_reference_and_splits_after_each_block():
    g = randomised(DCGANGenerator)
    z = g.sample_latents(5, seed=1)
    state = g.state_dict()
    with torch.no_grad():
        images = g(z)
        torch.testing.assert_close(images, reference_dcgan(state, z), atol=1e-5, rtol=1e-4)
        assert images.shape == (5, 3, 32, 32) and images.min() >= 0 and images.max() <= 1
        assert g.layer_names() == ["block0", "block1", "block2", "block3"]
        shapes = {"block0": (256, 4, 4), "block1": (128, 4, 4), "block2": (64, 8, 8), "block3": (32, 16, 16)}
        for layer, shape in shapes.items():
            split = g.split(layer)
            features = split.f(z, None)
            assert features.shape == (5, *shape)
            torch.testing.assert_close(split.h(features, z, None), images, atol=1e-6, rtol=0)
        assert g.spatial_layers() == list(shapes)
    assert g.latent_dim == 100 and g.resolution == 32 and not g.conditional
    with pytest.raises(ValueError, match="unknown layer 'block4'"):
        g.split("block4")
    with pytest.raises(ValueError, match="unconditional"):
        g(z, torch.zeros(5, dtype=torch.long))


def test_dcgan_first_latent_weight_is_the_linear_map_from_z_to_the_first_layer():
    g = randomised(DCGANGenerator, seed=2)
    weight = g.first_latent_weight()
    assert weight.shape == (256 * 4 * 4, 100)
    z = g.sample_latents(3, seed=0)
    with torch.no_grad():
        first = g.generator_deconv[0][0](z[:, :, None, None])  # the transposed convolution, before its BatchNorm
    torch.testing.assert_close(z @ weight.t(), first.flatten(1), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("statistics", ["image", "batch", "running"])
def test_dcgan_discriminator_matches_the_reference_and_never_updates_its_statistics(statistics):
    d = randomised(DCGANDiscriminator, seed=3)
    state = {k: v.clone() for k, v in d.state_dict().items()}
    x = torch.rand(6, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    with torch.no_grad():
        if statistics == "image":  # each image a batch of its own
            expected = torch.cat([reference_discriminator(state, x[i:i + 1], batch=True) for i in range(6)])
        else:
            expected = reference_discriminator(state, x, batch=statistics == "batch")
        torch.testing.assert_close(d(x, statistics=statistics), expected, atol=1e-5, rtol=1e-4)
        d.train()  # the module's mode does not change what it computes
        torch.testing.assert_close(d(x, statistics=statistics), expected, atol=1e-5, rtol=1e-4)
    for key, value in d.state_dict().items():
        assert torch.equal(value, state[key]), key
    assert DCGANDiscriminator().statistics == "image"
    with pytest.raises(ValueError, match="unknown BatchNorm statistics 'batches'.*Did you mean 'batch'"):
        d(x, statistics="batches")
    with pytest.raises(ValueError, match=r"takes images \[N, 3, 32, 32\]"):
        d(x[:, :, :16, :16])


def test_face_vae_matches_the_reference_decoder_and_encoder():
    vae = randomised(FaceVAE, seed=4)
    state = vae.state_dict()
    z = vae.sample_latents(4, seed=0)
    with torch.no_grad():
        images = vae(z)
        torch.testing.assert_close(images, reference_vae_decode(state, z), atol=1e-5, rtol=1e-4)
        assert images.shape == (4, 3, 64, 64)
        x = torch.rand(4, 3, 64, 64, generator=torch.Generator().manual_seed(1))
        for got, expected in zip(vae.encode(x), reference_vae_encode(state, x)):
            torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-4)
        small = torch.rand(4, 3, 32, 32, generator=torch.Generator().manual_seed(2))  # other sizes are resized to 64
        resized = F.interpolate(small, size=(64, 64), mode="bilinear", align_corners=False, antialias=True)
        torch.testing.assert_close(vae.encode(small)[0], reference_vae_encode(state, resized)[0], atol=1e-5, rtol=1e-4)
        shapes = {"d1": (64, 4, 4), "d2": (64, 8, 8), "d3": (32, 16, 16), "d4": (32, 32, 32)}
        assert vae.layer_names() == list(shapes)
        for layer, shape in shapes.items():
            split = vae.split(layer)
            features = split.f(z)
            assert features.shape == (4, *shape)
            torch.testing.assert_close(split.h(features, z), images, atol=1e-6, rtol=0)
    assert vae.first_latent_weight().shape == (1024, 32) and vae.first_latent_weight() is vae.d1.weight
    with pytest.raises(ValueError, match=r"images must have shape \[N, 3, H, W\]"):
        vae.encode(torch.rand(4, 1, 64, 64))
    with pytest.raises(ValueError, match=r"images must be finite and lie in \[0, 1\]; got values in \[2, 2\]"):
        vae.encode(torch.full((1, 3, 64, 64), 2.0))


# --- the uniform prior ----------------------------------------------------------------------------------
def test_dcgan_latents_are_uniform_reproducible_and_truncation_narrows_the_cube():
    g = DCGANGenerator()
    z = g.sample_latents(500, seed=7)
    assert torch.equal(z, g.sample_latents(500, seed=7)) and not torch.equal(z, g.sample_latents(500, seed=8))
    assert z.shape == (500, 100) and z.abs().max() <= 1 and z.min() < -0.99 and z.max() > 0.99
    assert abs(float(z.mean())) < 0.01 and abs(float(z.var()) - 1 / 3) < 0.01  # U(-1, 1): mean 0, variance 1/3
    for psi in (0.25, 0.5, 1.0):
        narrow = g.sample_latents(200, seed=7, truncation=psi)
        assert narrow.abs().max() <= psi and narrow.abs().max() > 0.98 * psi
        assert torch.equal(narrow, g.sample_latents(200, seed=7, truncation=psi))
    assert torch.equal(g.sample_latents(10, seed=3, truncation=1.0), g.sample_latents(10, seed=3))
    for bad in (0, -0.5, 1.5, math.nan, math.inf, "half", True):
        with pytest.raises(InvalidInputError, match=r"truncation must be a finite number > 0 and <= 1 .*uniform"):
            g.sample_latents(4, truncation=bad)
    with pytest.raises(InvalidInputError, match="n must be"):
        g.sample_latents(0)


# --- the published files, by name, from the cache -------------------------------------------------------
@pytest.fixture
def no_downloads(monkeypatch):
    def refuse(source, target):
        raise AssertionError(f"a test tried to download {source.url}")

    monkeypatch.setattr(face_models, "_download", refuse)


@pytest.fixture
def face_cache(tmp_path, monkeypatch, no_downloads):
    """A cache holding the three published files (copied from the real-data folder)."""
    if not REALDATA.is_dir():
        pytest.skip(f"real data folder {REALDATA} is absent")
    monkeypatch.setenv("LATENTLAB_CACHE", str(tmp_path / "cache"))
    for name, filename in FILES.items():
        target = face_models.checkpoint_path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(PRETRAINED / filename, target)
    return tmp_path / "cache"


def test_registry_entries_name_their_source_licence_and_checksums():
    assert {n: MODELS[n].kind for n in FILES} == {"celeba-dcgan32": "generator", "celeba-dcgan32-d": "metric",
                                                 "celeba-vae64": "generator"}
    for name in FILES:
        entry, source = MODELS[name], face_models.SOURCES[name]
        assert entry.source.startswith("https://raw.githubusercontent.com/") and entry.loadable and not entry.embedded
        assert "non-commercial" in entry.licence and "CelebA" in entry.description
        assert len(source.sha256) == 64 and source.size > 1_000_000
    assert "50ce2ed215d2ed1331a3c34b07518f8aa408f063/generator.pt" in MODELS["celeba-dcgan32"].source
    assert "98ebd17119d6065d4d89e93d6e0c11d82d49eb33/CelebA/vae.pth" in MODELS["celeba-vae64"].source
    assert "Apache-2.0" in MODELS["celeba-dcgan32"].licence and "MIT" in MODELS["celeba-vae64"].licence


@needs_realdata
def test_recorded_checksums_are_those_of_the_real_files():
    from latentlab.zoo.cache import sha256

    for name, filename in FILES.items():
        source = face_models.SOURCES[name]
        assert (PRETRAINED / filename).stat().st_size == source.size
        assert sha256(PRETRAINED / filename) == source.sha256


def test_checkpoints_load_strictly_and_by_name_from_the_cache(face_cache):
    from latentlab import load_generator
    from latentlab.zoo import load_model

    g, d, vae = load_generator("celeba-dcgan32"), load_model("celeba-dcgan32-d"), load_generator("celeba-vae64")
    assert isinstance(g, DCGANGenerator) and isinstance(g, Generator) and isinstance(vae, FaceVAE)
    assert isinstance(d, DCGANDiscriminator)
    for model, filename in ((g, FILES["celeba-dcgan32"]), (d, FILES["celeba-dcgan32-d"]), (vae, FILES["celeba-vae64"])):
        raw = torch.load(PRETRAINED / filename, map_location="cpu", weights_only=True)
        for key, value in raw.items():
            assert torch.equal(model.state_dict()[key], value), key
        assert not any(p.requires_grad for p in model.parameters()) and not model.training
    with pytest.raises(ValueError, match="unknown generator 'celeba-dcgan32-d'"):
        load_generator("celeba-dcgan32-d")  # a discriminator is not a generator
    raw = torch.load(PRETRAINED / FILES["celeba-dcgan32"], map_location="cpu", weights_only=True)
    with pytest.raises(ValueError, match=r"1 missing \['generator_deconv.4.0.bias'\], 1 unexpected \['extra'\]"):
        DCGANGenerator.from_state_dict({**{k: v for k, v in raw.items() if k != "generator_deconv.4.0.bias"},
                                        "extra": torch.zeros(1)})


def test_an_empty_cache_offline_says_what_to_download_and_where(tmp_path, monkeypatch, no_downloads):
    from latentlab import load_generator
    from latentlab.zoo import biggan_checkpoints

    monkeypatch.setenv("LATENTLAB_CACHE", str(tmp_path))
    for offline in (True, False):
        monkeypatch.setattr(biggan_checkpoints, "_offline", lambda offline=offline: offline)

        def unreachable(source, target):
            raise ConnectionError(f"cannot reach {source.url}")

        monkeypatch.setattr(face_models, "_download", unreachable)
        with pytest.raises(OSError) as info:
            load_generator("celeba-dcgan32")
        message, source = str(info.value), face_models.SOURCES["celeba-dcgan32"]
        assert source.url in message and str(face_models.checkpoint_path("celeba-dcgan32")) in message
        assert "LATENTLAB_CACHE" in message and source.sha256 in message and "fetch_face_model" in message
        assert offline or "ConnectionError: cannot reach" in message
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


@needs_realdata
def test_downloads_are_checked_against_the_recorded_checksum(tmp_path, monkeypatch):
    import latentlab.zoo.cache as hf  # the plain (non-Hub) downloader: download_url(url, handle, **kwargs)
    from latentlab import load_generator
    from latentlab.zoo import biggan_checkpoints
    from latentlab.zoo.biggan_checkpoints import ChecksumError

    monkeypatch.setenv("LATENTLAB_CACHE", str(tmp_path))
    monkeypatch.setattr(biggan_checkpoints, "_offline", lambda: False)
    target = face_models.checkpoint_path("celeba-vae64")
    monkeypatch.setattr(hf, "download_url", lambda url, handle, **kwargs: handle.write(b"not the published file"))
    with pytest.raises(ChecksumError, match="is not the published file"):
        load_generator("celeba-vae64")
    assert list(target.parent.iterdir()) == []  # refused and not kept

    urls = []

    def served(url, handle, **kwargs):
        urls.append(url)
        handle.write((PRETRAINED / FILES["celeba-vae64"]).read_bytes())

    monkeypatch.setattr(hf, "download_url", served)
    assert isinstance(load_generator("celeba-vae64"), FaceVAE) and target.is_file()
    load_generator("celeba-vae64")  # from the cache: no second download
    assert urls == [face_models.SOURCES["celeba-vae64"].url]


def test_a_damaged_cached_file_is_refused_naming_it(tmp_path, monkeypatch, no_downloads):
    from latentlab import load_generator

    monkeypatch.setenv("LATENTLAB_CACHE", str(tmp_path))
    target = face_models.checkpoint_path("celeba-dcgan32")
    target.parent.mkdir(parents=True)
    target.write_bytes(b"truncated")
    with pytest.raises(CorruptFileError, match=f"cached file of 'celeba-dcgan32' at {target} is not the published one"):
        load_generator("celeba-dcgan32")


# --- what the published weights do ------------------------------------------------------------------------
def test_the_face_vae_reconstructs_its_own_samples(face_cache):
    from latentlab import load_generator

    vae = load_generator("celeba-vae64")
    z = vae.sample_latents(64, seed=0)
    with torch.no_grad():
        mean, logvar = vae.encode(vae(z))
    assert mean.shape == logvar.shape == (64, 32)
    assert correlation(mean, z) >= 0.9  # 0.97 measured


def test_the_discriminator_scores_dcgan_faces_above_noise_and_shuffled_pixels(face_cache):
    from latentlab import load_generator

    g, realism = load_generator("celeba-dcgan32"), DiscriminatorAssessor.load()
    assert realism.unit == "logit" and realism.statistics == "image" and realism.identity()["statistics"] == "image"
    with torch.no_grad():
        faces = g.generate(64, seed=0)
        noise = torch.rand(64, 3, 32, 32, generator=torch.Generator().manual_seed(1))
        scores = {"faces": realism(faces), "noise": realism(noise), "shuffled": realism(shuffled_pixels(faces))}
        assert scores["faces"].mean() > scores["noise"].mean() + 0.3
        assert scores["faces"].mean() > scores["shuffled"].mean() + 0.3
        assert (scores["faces"] > scores["noise"]).float().mean() >= 0.8  # 0.94 measured
        assert (scores["faces"] > scores["shuffled"]).float().mean() >= 0.8  # 0.97 measured
        torch.testing.assert_close(realism(faces[:5]), scores["faces"][:5])  # each image scored on its own
        photo = from_pil([Image.open(REALDATA / "samples" / "photo_astronaut_portrait.png").convert("RGB")])
        photo = photo[:, :, 20:250, 120:330]  # a real portrait photograph, cropped to the head
        assert realism(photo).item() > scores["faces"].mean() + 0.2  # -0.34 vs -0.76 measured
        # the stored running statistics rank out-of-distribution images higher (as its docstring says)
        running = DiscriminatorAssessor(realism.discriminator, statistics="running")
        assert running(noise).mean() > running(faces).mean()
    faces = faces[:2].clone().requires_grad_()
    realism(faces).sum().backward()
    assert faces.grad.abs().sum() > 0


# --- the MNIST VAE ------------------------------------------------------------------------------------------
@needs_realdata
def test_the_mnist_vae_round_trips_and_reconstructs_digits():
    vae = rm.mnist_vae_generator()
    z = vae.sample_latents(64, seed=0)
    with torch.no_grad():
        images = vae(z)
        assert images.shape == (64, 3, 28, 28) and torch.equal(images[:, 0], images[:, 2])
        assert correlation(vae.encode(images)[0], z) >= 0.85  # 0.93 measured
        digits, _ = rm.load_mnist_test()
        digits = digits[:200]
        mean, _ = vae.encode(digits)
        error = (vae(mean) - digits).square().mean()
        assert error < (digits - digits.mean(0)).square().mean() / 4  # 0.0085 vs 0.062 for the mean digit
        split = vae.split("fc3")
        torch.testing.assert_close(split.h(split.f(z), z), images)
    assert vae.first_latent_weight().shape == (400, 20)


@needs_realdata
def test_the_mnist_gan_is_a_generator_with_its_first_latent_weight():
    gan = rm.mnist_gan_generator()
    assert isinstance(gan, Generator) and gan.first_latent_weight().shape == (256, 64)
    assert gan.generate(2, seed=0).shape == (2, 3, 28, 28)
