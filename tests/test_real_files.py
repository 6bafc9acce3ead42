"""Bring-your-own generators, classifiers and feature spaces: tiny random modules and real third-party files.

The real-file tests read ``shared/realdata`` (or ``$LATENTLAB_REALDATA``) and skip only when it is absent.
"""

from __future__ import annotations

import gzip
import math

import pytest
import real_models as rm  # tests/ is on sys.path under pytest's default import mode
import torch
from torch import nn

from latentlab.assessors import ClassifierAssessor, ImagePreprocess
from latentlab.generators.module_adapter import ModuleGenerator
from latentlab.latents import lerp, slerp
from latentlab.methods import evolve
from latentlab.metrics.fidelity import LayerFeatures, fid, fid_from_statistics, fid_statistics

REALDATA = rm.realdata_dir()
needs_realdata = pytest.mark.skipif(not REALDATA.is_dir(), reason=f"real data folder {REALDATA} is absent")


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


# --- tiny modules ---------------------------------------------------------------------------------
def constant_module(latent_dim: int, values: int, fill: float) -> nn.Linear:
    """A module whose every output value is ``fill``, whatever the latents."""
    module = nn.Linear(latent_dim, values)
    nn.init.zeros_(module.weight)
    nn.init.constant_(module.bias, fill)
    return module


class TwoInputs(nn.Module):
    """A conditional module that takes (z, y) and records y."""

    def __init__(self, latent_dim: int, classes: int, by_index: bool):
        super().__init__()
        self.embed = nn.Embedding(classes, 4) if by_index else nn.Linear(classes, 4)
        self.out = nn.Linear(latent_dim + 4, 3 * 8 * 8)

    def forward(self, z, y):
        self.seen = y
        return torch.tanh(self.out(torch.cat([z, self.embed(y)], 1))).reshape(-1, 3, 8, 8)


@pytest.mark.parametrize("output_range, fill, expected", [
    ((-1, 1), -1.0, 0.0), ((-1, 1), 0.0, 0.5), ((-1, 1), 1.0, 1.0), ((0, 1), 0.25, 0.25), ((0, 255), 127.5, 0.5),
    ((-1, 1), 3.0, 1.0),  # out-of-range pixels are clamped
])
def test_module_generator_maps_the_output_range_to_0_1(output_range, fill, expected):
    G = ModuleGenerator(constant_module(4, 3 * 8 * 8, fill), 4, output_range=output_range)
    images = G(G.sample_latents(2, seed=0))
    assert images.shape == (2, 3, 8, 8)
    assert torch.allclose(images, torch.full_like(images, expected))


def test_module_generator_reshapes_flat_outputs_and_repeats_grey_to_rgb():
    grey = ModuleGenerator(nn.Sequential(nn.Linear(4, 36), nn.Tanh()), 4)  # 36 = 1 × 6 × 6, inferred
    images = grey(grey.sample_latents(3, seed=1))
    assert images.shape == (3, 3, 6, 6) and grey.resolution == 6 and grey.image_size == (6, 6)
    assert torch.equal(images[:, 0], images[:, 1]) and torch.equal(images[:, 0], images[:, 2])
    colour = ModuleGenerator(nn.Sequential(nn.Linear(4, 3 * 5 * 5), nn.Tanh()), 4)  # inferred 3 × 5 × 5
    assert colour(colour.sample_latents(2)).shape == (2, 3, 5, 5)
    wide = ModuleGenerator(nn.Sequential(nn.Linear(4, 24), nn.Tanh()), 4, output_shape=(1, 4, 6))
    assert wide(wide.sample_latents(2)).shape == (2, 3, 4, 6) and wide.image_size == (4, 6)
    conv = ModuleGenerator(nn.Sequential(nn.Unflatten(1, (4, 1, 1)), nn.ConvTranspose2d(4, 1, 7), nn.Sigmoid()), 4,
                           output_range=(0, 1))
    assert conv(conv.sample_latents(2)).shape == (2, 3, 7, 7)


def test_module_generator_works_without_parameters_and_samples_reproducibly():
    G = ModuleGenerator(nn.Tanh(), 16)  # z itself is the 1 × 4 × 4 image
    assert G.device == torch.device("cpu")
    assert torch.equal(G.sample_latents(5, seed=3), G.sample_latents(5, seed=3))
    assert not torch.equal(G.sample_latents(5, seed=3), G.sample_latents(5, seed=4))
    assert G.sample_latents(100, seed=0, truncation=0.5).abs().max() <= 0.5
    assert torch.equal(G.generate(5, seed=3), G(G.sample_latents(5, seed=3)))


def test_module_generator_uniform_prior():
    G = ModuleGenerator(nn.Tanh(), 16, prior="uniform")
    z = G.sample_latents(500, seed=0)
    assert z.min() >= -1 and z.max() <= 1 and z.min() < -0.9 and z.max() > 0.9
    assert torch.equal(z, G.sample_latents(500, seed=0))
    assert G.sample_latents(500, seed=0, truncation=0.5).abs().max() <= 0.5


def test_module_generator_feeds_classes_concatenated_to_z():
    module = nn.Sequential(nn.Linear(4 + 3, 64), nn.Tanh())
    G = ModuleGenerator(module, 4, class_names=("a", "b", "c"))
    z = G.sample_latents(2, seed=0)
    one_hot = torch.eye(3)[[1, 1]]
    assert torch.allclose(G(z, G.classes("b", 2)), G.to_images(module(torch.cat([z, one_hot], 1))))
    mixed = G(z, torch.tensor([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]]))  # soft class vectors mix classes
    assert mixed.shape == (2, 3, 8, 8)
    assert G.generate(4, seed=0).shape == (4, 3, 8, 8)
    with pytest.raises(ValueError, match="class-conditional"):
        G(z)
    with pytest.raises(ValueError, match="Did you mean 'b'"):
        G.classes("B ", 2)


def test_module_generator_feeds_classes_as_a_second_argument():
    by_vector = TwoInputs(4, 3, by_index=False)
    G = ModuleGenerator(by_vector, 4, class_names=("a", "b", "c"), class_input="vector")
    G(G.sample_latents(2), G.classes(["a", "c"]))
    assert torch.equal(by_vector.seen, torch.eye(3)[[0, 2]])
    by_index = TwoInputs(4, 3, by_index=True)
    G = ModuleGenerator(by_index, 4, class_names=("a", "b", "c"), class_input="index")
    G(G.sample_latents(2), G.classes(["a", "c"]))
    assert by_index.seen.tolist() == [0, 2]
    with pytest.raises(ValueError, match="not mixtures"):
        G(G.sample_latents(1), torch.tensor([[0.5, 0.5, 0.0]]))


@pytest.mark.parametrize("make, match", [
    (lambda: ModuleGenerator(nn.Linear(4, 2 * 8 * 8), 4, output_shape=(2, 8, 8)), "1 or 3 channels"),
    (lambda: ModuleGenerator(nn.Linear(4, 50), 4), "cannot tell the image shape .* 50 values"),
    (lambda: ModuleGenerator(nn.Linear(4, 100), 4, output_shape=(1, 8, 8)), "100 values .* output_shape"),
    (lambda: ModuleGenerator(nn.Sequential(nn.Linear(4, 128), nn.Unflatten(1, (2, 8, 8))), 4), r"1- or 3-channel"),
    (lambda: ModuleGenerator(nn.Linear(5, 64), 4), r"could not run the module on latents \[2, 4\]"),
    (lambda: ModuleGenerator(nn.Linear(4, 64), 4, output_range=(1, -1)), "low < high"),
    (lambda: ModuleGenerator(nn.Linear(4, 64), 4, output_range=1), r"\(low, high\)"),
    (lambda: ModuleGenerator(nn.Linear(4, 64), 4, prior="normall"), "Did you mean 'normal'"),
    (lambda: ModuleGenerator(nn.Linear(4, 64), 4, class_input="concatenate"), "Did you mean 'concat'"),
    (lambda: ModuleGenerator(nn.Linear(4, 64), 0), "latent_dim must be a positive integer"),
    (lambda: ModuleGenerator(lambda z: z, 4), "must be a torch.nn.Module"),
    (lambda: ModuleGenerator(nn.Linear(4, 64), 4, class_names=("a", "a")), "distinct"),
    (lambda: ModuleGenerator(nn.Linear(4, 64), 4, split_layers=["0"]), "needs an nn.Sequential"),
    (lambda: ModuleGenerator(nn.Sequential(nn.Linear(4, 64)), 4, split_layers=["3"]), "unknown layer '3'"),
])
def test_module_generator_rejects_bad_settings_clearly(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_module_generator_rejects_bad_latents():
    G = ModuleGenerator(nn.Sequential(nn.Linear(4, 64), nn.Tanh()), 4)
    with pytest.raises(ValueError, match=r"shape \[N, 4\]"):
        G(torch.zeros(2, 5))
    with pytest.raises(ValueError, match="unconditional"):
        G(torch.zeros(2, 4), torch.tensor([0, 1]))


def test_module_generator_splits_only_at_named_layers():
    module = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 64), nn.Tanh())
    with pytest.raises(ValueError, match="no named split layers"):
        ModuleGenerator(module, 4).split("1")
    G = ModuleGenerator(module, 4, split_layers=["1"])
    z = G.sample_latents(3, seed=0)
    cut = G.split("1")
    features = cut.f(z)
    assert features.shape == (3, 16) and G.layer_names() == ["1"]
    assert torch.allclose(cut.h(features, z), G(z))
    with pytest.raises(ValueError, match="unknown layer"):
        G.split("2")
    mapped = ModuleGenerator(module, 4, split_layers={"hidden": (module[:2], lambda h, z, y: module[2:](h))})
    assert torch.allclose(mapped.split("hidden").h(mapped.split("hidden").f(z), z), G(z))


# --- classifier assessor --------------------------------------------------------------------------
class Recorder(nn.Module):
    """Records its input; logits from the mean of each image."""

    def __init__(self, classes: int = 4):
        super().__init__()
        self.head = nn.Linear(1, classes)

    def forward(self, x):
        self.seen = x
        return self.head(x.mean(dim=(1, 2, 3))[:, None])


def test_classifier_preprocessing_resizes_pads_greys_and_normalises():
    recorder = Recorder()
    A = ClassifierAssessor(recorder, 0, input_size=16, pad=2, channels=1, mean=0.5, std=0.25)
    images = torch.ones(2, 3, 8, 8) * torch.tensor([0.3, 0.6, 0.9])[None, :, None, None]
    A(images)
    assert recorder.seen.shape == (2, 1, 20, 20)
    assert torch.allclose(recorder.seen[:, :, 2:-2, 2:-2], torch.full((2, 1, 16, 16), (0.6 - 0.5) / 0.25))
    assert torch.allclose(recorder.seen[:, :, 0, 0], torch.full((2, 1), (0.0 - 0.5) / 0.25))  # zero padding in pixel space
    rgb = ClassifierAssessor(recorder, 0, mean=(0.5, 0.5, 0.5), std=(0.5, 0.25, 0.125))
    rgb(images)
    expected = (torch.tensor([0.3, 0.6, 0.9]) - 0.5) / torch.tensor([0.5, 0.25, 0.125])
    assert recorder.seen.shape == (2, 3, 8, 8) and torch.allclose(recorder.seen[0, :, 0, 0], expected)


def test_classifier_output_kinds_agree_and_scores_are_differentiable():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 5))
    names = ("zero", "one", "two", "three", "four")
    images = torch.rand(6, 3, 8, 8)
    by_logits = ClassifierAssessor(net, "two", class_names=names)
    by_logp = ClassifierAssessor(nn.Sequential(net, nn.LogSoftmax(dim=1)), 2, class_names=names, output="log_probabilities")
    by_p = ClassifierAssessor(nn.Sequential(net, nn.Softmax(dim=1)), "two", class_names=names, output="probabilities")
    expected = torch.softmax(net(images), dim=1)[:, 2]
    for assessor in (by_logits, by_logp, by_p):
        assert torch.allclose(assessor(images), expected, atol=1e-6)
    log_score = ClassifierAssessor(net, "two", class_names=names, score="log_probability")
    assert torch.allclose(log_score(images), expected.log(), atol=1e-5)
    assert by_logits.name == "p(two)" and log_score.name == "log p(two)" and by_logits.unit == "probability"
    assert torch.equal(by_p.predict(images), net(images).argmax(dim=1))
    pixels = images.clone().requires_grad_(True)
    by_logits(pixels).sum().backward()
    assert pixels.grad is not None and pixels.grad.abs().sum() > 0
    assert (2.0 * by_logits - by_p)(images).shape == (6,)  # composes like any assessor


@pytest.mark.parametrize("make, match", [
    (lambda: ClassifierAssessor(Recorder(), "sevn", class_names=("six", "seven", "eight", "nine")), "Did you mean 'seven'"),
    (lambda: ClassifierAssessor(Recorder(), 4, class_names=("a", "b", "c", "d")), r"out of range 0\.\.3"),
    (lambda: ClassifierAssessor(Recorder(), "cat"), "no class_names"),
    (lambda: ClassifierAssessor(Recorder(), -1), "index >= 0"),
    (lambda: ClassifierAssessor(Recorder(), 0, channels=2), "channels must be 1 .* or 3"),
    (lambda: ClassifierAssessor(Recorder(), 0, mean=(0.5, 0.5)), "one per channel"),
    (lambda: ClassifierAssessor(Recorder(), 0, std=0), "std must be > 0"),
    (lambda: ClassifierAssessor(Recorder(), 0, input_size=(0, 4)), "input_size"),
    (lambda: ClassifierAssessor(Recorder(), 0, pad=-1), "pad must be"),
    (lambda: ClassifierAssessor(Recorder(), 0, output="logit"), "Did you mean 'logits'"),
    (lambda: ClassifierAssessor(Recorder(), 0, score="prob"), "unknown score kind"),
    (lambda: ClassifierAssessor(lambda x: x, 0), "must be a torch.nn.Module"),
])
def test_classifier_assessor_rejects_bad_settings_clearly(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_classifier_assessor_rejects_bad_inputs_clearly():
    with pytest.raises(ValueError, match="no target class"):
        ClassifierAssessor(Recorder())(torch.rand(2, 3, 8, 8))
    with pytest.raises(ValueError, match="returns 4 classes but 3 class_names"):
        ClassifierAssessor(Recorder(), 0, class_names=("a", "b", "c"))(torch.rand(2, 3, 8, 8))
    with pytest.raises(ValueError, match=r"out of range 0\.\.3 for this classifier"):
        ClassifierAssessor(Recorder(), 7)(torch.rand(2, 3, 8, 8))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        ClassifierAssessor(Recorder(), 0)(torch.rand(2, 3, 8, 8) * 2 - 1)
    with pytest.raises(ValueError, match=r"\[N, 3, H, W\]"):
        ClassifierAssessor(Recorder(), 0)(torch.rand(2, 1, 8, 8))
    with pytest.raises(ValueError, match=r"must return \[N, classes\]"):
        ClassifierAssessor(nn.Identity(), 0)(torch.rand(2, 3, 8, 8))


# --- any layer as a torch-fidelity feature extractor ----------------------------------------------
def tiny_features() -> tuple[nn.Module, LayerFeatures]:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(16, 3))
    return net, LayerFeatures(net, "3", ImagePreprocess(channels=1, mean=0.5, std=0.5))


def test_any_layer_is_a_torch_fidelity_feature_space():
    net, features = tiny_features()
    net.train()
    a, b = torch.rand(64, 3, 12, 12), torch.rand(64, 3, 12, 12) * 0.5
    assert features(a).shape == (64, 16) and features(a).dtype == torch.float64
    assert fid(a, a, feature_extractor=features) < 1e-3
    distance = fid(a, b, feature_extractor=features)
    assert math.isfinite(distance) and distance > 0.01
    statistics = fid_from_statistics(fid_statistics(a, feature_extractor=features), fid_statistics(b, feature_extractor=features))
    assert statistics == pytest.approx(distance, rel=1e-6)
    assert net.training and all(p.requires_grad for p in net.parameters())  # the caller's model is left as it was
    logits = LayerFeatures(net, preprocess=features.preprocess)  # no layer: the module's output
    assert logits(a).shape == (64, 3) and torch.allclose(logits(a), net.eval()(features.preprocess(a)).double())


def test_layer_features_reject_bad_settings_clearly():
    net, features = tiny_features()
    with pytest.raises(ValueError, match="unknown layer '9'"):
        LayerFeatures(net, "9")
    with pytest.raises(ValueError, match="LayerFeatures"):
        fid(torch.rand(4, 3, 8, 8), torch.rand(4, 3, 8, 8), feature_extractor=net)
    with pytest.raises(ValueError, match="not both"):
        fid_statistics(torch.rand(4, 3, 8, 8), feature_extractor=features, probe_weights="shapes-probe")
    classifier = ClassifierAssessor(net, 0, channels=1)
    assert classifier.features("1").module is net


# --- real files -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mnist():
    return rm.load_mnist_test()


@pytest.fixture(scope="module")
def gan():
    return rm.mnist_gan_generator()


@pytest.fixture(scope="module")
def lenet():
    return rm.lenet_assessor()


@needs_realdata
def test_idx_reader_reads_the_real_mnist_files(mnist, tmp_path):
    images, labels = mnist
    assert images.shape == (10_000, 3, 28, 28) and labels.shape == (10_000,)
    assert images.min() == 0 and images.max() == 1 and set(labels.tolist()) == set(range(10))
    assert labels[:8].tolist() == [7, 2, 1, 0, 4, 1, 4, 9]  # the well-known first test digits
    bad = tmp_path / "bad-idx.gz"
    bad.write_bytes(gzip.compress(b"\x00\x00\x0d\x01" + b"\x00" * 8))
    with pytest.raises(ValueError, match="not a uint8 idx file"):
        rm.read_idx(bad)


@needs_realdata
def test_lenet_classifies_the_real_mnist_test_set(mnist, lenet):
    images, labels = mnist
    accuracy = float((lenet.predict(images) == labels).float().mean())  # all 10,000 digits, about a second
    assert accuracy >= 0.98, accuracy


@needs_realdata
def test_mnist_gan_meets_the_generator_contract(gan):
    assert gan.latent_dim == 64 and gan.resolution == 28 and not gan.conditional
    z = gan.sample_latents(16, seed=0)
    images = gan(z)
    assert images.shape == (16, 3, 28, 28) and images.min() >= 0 and images.max() <= 1
    assert torch.equal(images[:, 0], images[:, 2])
    assert torch.equal(gan.generate(16, seed=0), images)
    assert not torch.equal(gan.generate(16, seed=1), images)
    assert images.std() > 0.2  # digits on black, not a flat grey
    cut = ModuleGenerator(rm.load_mnist_gan(), 64, output_shape=(1, 28, 28), split_layers=["1", "3"]).split("3")
    assert torch.allclose(cut.h(cut.f(z), z), images)


@needs_realdata
@pytest.mark.parametrize("interpolate", [lerp, slerp])
def test_latent_walk_through_the_mnist_gan(gan, interpolate):
    ends = gan.sample_latents(2, seed=3)
    path = interpolate(ends[0], ends[1], 9)
    frames = gan(path)
    assert path.shape == (9, 64) and frames.shape == (9, 3, 28, 28)
    assert torch.allclose(frames[[0, -1]], gan(ends), atol=1e-5)
    steps = (frames[1:] - frames[:-1]).abs().mean(dim=(1, 2, 3))
    assert steps.max() < (frames[-1] - frames[0]).abs().mean()  # a walk: each step is smaller than the whole way


@needs_realdata
def test_evolution_toward_a_rare_digit_raises_its_probability(gan):
    assessor = rm.lenet_assessor("2")  # the GAN draws a 2 in about 2 % of samples
    result = evolve("digit 2", gan, assessor, optimizer="cma", generations=10, population=16, seed=0, progress=False)
    start, end = result.history[0]["mean"], result.history[-1]["mean"]
    assert end > start + 0.1, (start, end)
    with torch.no_grad():
        assert float(assessor(result.best_image[None])) == pytest.approx(result.best_fitness, abs=1e-4)
    assert result.best_fitness > 0.5


@needs_realdata
def test_fid_in_lenet_features_separates_gan_samples_from_real_digits(mnist, gan, lenet):
    images = mnist[0]
    half = torch.randperm(10_000, generator=torch.Generator().manual_seed(0))
    real_a, real_b = images[half[:5000]], images[half[5000:]]
    features = lenet.features(rm.LENET_FEATURE_LAYER)
    gan_vs_real = fid(gan.generate(5000, seed=0), real_a, feature_extractor=features)
    real_vs_real = fid(real_a, real_b, feature_extractor=features)
    assert math.isfinite(gan_vs_real) and math.isfinite(real_vs_real)
    assert gan_vs_real > 10 * real_vs_real, (gan_vs_real, real_vs_real)  # measured: about 127 vs 1.6


@needs_realdata
def test_the_mnist_gan_is_partly_mode_collapsed(gan, lenet):
    counts = torch.bincount(lenet.predict(gan.generate(10_000, seed=0)), minlength=10)
    share = counts.float() / counts.sum()
    assert share.max() >= 2 * 0.1, counts.tolist()  # measured: a third of the samples are 1s
    assert int(share.argmax()) == 1


@needs_realdata
def test_resnet20_classifies_the_cifar10_sample_photos():
    images, labels = rm.load_samples("cifar10")
    assert images.shape == (20, 3, 32, 32)
    accuracy = float((rm.resnet20_assessor().predict(images) == labels).float().mean())
    assert accuracy >= 0.85, accuracy  # measured: 20 of 20
