"""Plain BigGAN: BigGAN-PyTorch's state-dict layout, parity with its recorded outputs, loading, names, contract."""

import json
from pathlib import Path

import pytest
import torch

from latentlab.generators.biggan import BigGAN, BigGANConfig
from latentlab.generators.imagenet_classes import imagenet_class_names
from latentlab.zoo.biggan_pytorch_checkpoints import is_biggan_pytorch_file, load_biggan_pytorch, read_biggan_pytorch

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "biggan_plain_reference.safetensors"


# --- the reference's layout ------------------------------------------------------------------------
def reference_layout_128() -> dict[str, tuple[int, ...]]:
    """Key -> shape of BigGAN-PyTorch's ``BigGAN.Generator`` with TFHub/converter.py's ``get_config(128)``.

    Read off the reference: ``G_arch(96, '64')[128]`` gives the blocks' (in, out) channels and puts
    ``layers.Attention`` after block 3 (64 px); ``hier`` with ``dim_z=120`` makes 6 chunks of 20, so
    each ``ccbn`` reads 128 + 20 = 148 entries. ``layers.SN`` adds ``u0`` [1, out] and ``sv0`` [1] to
    every SNLinear/SNConv2d; ``ccbn`` holds ``gain``/``bias`` (SNLinear, no bias) and stored
    statistics; ``layers.bn`` holds ``gain``, ``bias`` and stored statistics; ``Attention.gamma`` is 0-d.
    """
    blocks, cond, attention_block = [(1536, 1536), (1536, 768), (768, 384), (384, 192), (192, 96)], 148, 3
    shapes: dict[str, tuple[int, ...]] = {"shared.weight": (1000, 128)}

    def sn(prefix: str, shape: tuple[int, ...], bias: bool = True) -> None:
        shapes[f"{prefix}.weight"] = shape
        if bias:
            shapes[f"{prefix}.bias"] = (shape[0],)
        shapes[f"{prefix}.u0"], shapes[f"{prefix}.sv0"] = (1, shape[0]), (1,)

    sn("linear", (1536 * 4 * 4, 20))
    for i, (cin, cout) in enumerate(blocks):
        block = f"blocks.{i}.0"
        sn(f"{block}.conv1", (cout, cin, 3, 3))
        sn(f"{block}.conv2", (cout, cout, 3, 3))
        sn(f"{block}.conv_sc", (cout, cin, 1, 1))
        for bn, c in (("bn1", cin), ("bn2", cout)):
            shapes[f"{block}.{bn}.stored_mean"] = shapes[f"{block}.{bn}.stored_var"] = (c,)
            sn(f"{block}.{bn}.gain", (c, cond), bias=False)
            sn(f"{block}.{bn}.bias", (c, cond), bias=False)
        if i == attention_block:
            sn(f"blocks.{i}.1.theta", (cout // 8, cout, 1, 1), bias=False)
            sn(f"blocks.{i}.1.phi", (cout // 8, cout, 1, 1), bias=False)
            sn(f"blocks.{i}.1.g", (cout // 2, cout, 1, 1), bias=False)
            sn(f"blocks.{i}.1.o", (cout, cout // 2, 1, 1), bias=False)
            shapes[f"blocks.{i}.1.gamma"] = ()
    for name in ("gain", "bias", "stored_mean", "stored_var"):
        shapes[f"output_layer.0.{name}"] = (96,)
    sn("output_layer.2", (3, 96, 3, 3))
    return shapes


def meta_model(config: BigGANConfig) -> BigGAN:
    imagenet_class_names()  # import the table outside the meta-device context
    with torch.device("meta"):
        return BigGAN(config)


def test_state_dict_layout_equals_the_reference():
    expected = reference_layout_128()
    assert len(expected) == 166 and sum(torch.Size(s).numel() for s in expected.values()) == 70_497_632
    for config in (BigGANConfig.published(128), BigGANConfig()):  # converted TF-Hub model, released 138k model
        ours = {k: tuple(v.shape) for k, v in meta_model(config).state_dict().items()}
        assert ours == expected
    # 256 and 512 px: key count and size of the reference's published configs
    for resolution, keys, size in ((256, 194, 82_169_703), (512, 222, 82_370_302)):
        state = meta_model(BigGANConfig.published(resolution)).state_dict()
        assert (len(state), sum(v.numel() for v in state.values())) == (keys, size)
        converted = {k: v for k, v in state.items() if not k.endswith(".sv0")}  # as TFHub/converter.py writes it
        assert BigGANConfig.from_state_dict(converted) == BigGANConfig.published(resolution)
    assert BigGANConfig.from_state_dict({k: torch.empty(s, device="meta") for k, s in expected.items()}) == BigGANConfig()


# --- parity with the reference's recorded outputs -------------------------------------------------
def fixture() -> tuple[BigGANConfig, dict[str, torch.Tensor], dict[str, torch.Tensor], dict[str, str]]:
    from safetensors import safe_open

    with safe_open(str(FIXTURE), framework="pt") as handle:
        meta = handle.metadata()
        tensors = {k: handle.get_tensor(k) for k in handle.keys()}
    state = {k.removeprefix("state/"): v for k, v in tensors.items() if k.startswith("state/")}
    return BigGANConfig.from_json(json.loads(meta["config"])), state, tensors, meta


@pytest.fixture(scope="module")
def recorded():
    return fixture()


@torch.no_grad()
def test_outputs_match_the_reference(recorded):
    config, state, tensors, meta = recorded
    assert meta["reference"] == "ajbrock/BigGAN-PyTorch" and "BigGAN.py" in json.loads(meta["reference_files"])
    assert BigGANConfig.from_state_dict(state) == config and config.attention == (32,) and config.resolution == 128
    z, classes, soft, expected = (tensors[k] for k in ("inputs/z", "inputs/classes", "inputs/class_vectors", "outputs/images"))
    assert expected.shape == (2, 3, 128, 128) and expected.std() > 0.1 and expected.abs().max() < 1
    plain = BigGAN(config).eval()
    plain.load_state_dict(state, strict=True)  # the reference's keys, unchanged
    models = {"float32": BigGAN.from_state_dict(None, state), "load_state_dict": plain,
              "channels_last": BigGAN.from_state_dict(config, state).to(memory_format=torch.channels_last),
              "float64": BigGAN.from_state_dict(config, state).double()}  # as the reference was run: no rounding of ours
    for name, model in models.items():
        dtype = next(model.parameters()).dtype
        got = torch.cat([model(z[:1].to(dtype), classes), model(z[1:].to(dtype), soft)])  # image 0 from an index, 1 from a mix
        error = (2 * got.double() - 1 - expected.double()).abs().max()
        assert error < (1e-6 if name == "float64" else 1e-5), (name, float(error))
    # the float64 comparison tells the eps apart: 1e-4 in the conditional BNs here, and 1e-5 in the output BN
    # (the reference builds that one without BN_eps)
    wrong_cbn = BigGAN.from_state_dict(BigGANConfig(**{**config.to_json(), "bn_eps": 1e-5}), state).double()
    wrong_output = BigGAN.from_state_dict(config, state).double()
    wrong_output.output_layer[0].eps = 1e-4
    for wrong in (wrong_cbn, wrong_output):
        assert (2 * wrong(z[:1].double(), classes).float() - 1 - expected[:1]).abs().max() > 5e-6


# --- loading .pth files ---------------------------------------------------------------------------
def save(obj, path: Path, legacy: bool = False) -> Path:
    torch.save(obj, path, _use_new_zipfile_serialization=not legacy)
    return path


@torch.no_grad()
def test_loader_round_trip_bare_wrapped_and_converted(recorded, tmp_path):
    config, state, tensors, _ = recorded  # the fixture is in the converter's form: no sv0
    z, classes = tensors["inputs/z"][:1], tensors["inputs/classes"]
    reference = BigGAN.from_state_dict(config, state)
    expected = reference(z, classes)
    gen = torch.Generator().manual_seed(0)
    trained = {**state, **{k[:-2] + "sv0": 1 + torch.rand(1, generator=gen) for k in state if k.endswith(".u0")}}
    files = {  # name: (object saved, legacy format?, written by BigGAN-PyTorch's training?)
        "G_ema.pth": (trained, False, True),
        "legacy.pth": (trained, True, True),
        "wrapped.pth": ({"G_ema": trained, "itr": torch.tensor(138000)}, False, True),
        "state_dict.pt": ({"state_dict": trained}, False, True),
        "parallel.pth": ({f"module.{k}": v for k, v in trained.items()}, False, True),
        "biggan-128.pth": (state, False, False),
    }
    for name, (obj, legacy, from_training) in files.items():
        path = save(obj, tmp_path / name, legacy)
        assert is_biggan_pytorch_file(path), name
        model = load_biggan_pytorch(path)  # inferred: the eps follow from whether the file has sv0
        assert not model.training and not any(p.requires_grad for p in model.parameters())
        assert (model.config.bn_eps, model.config.sn_eps) == ((1e-5, 1e-6) if from_training else (1e-4, 1e-4)), name
        assert model.config == BigGANConfig(**{**config.to_json(), "bn_eps": model.config.bn_eps, "sn_eps": model.config.sn_eps})
        model = load_biggan_pytorch(path, config=config)
        loaded = model.state_dict()
        assert all(torch.equal(loaded[k], v) for k, v in (trained if from_training else reference.state_dict()).items()), name
        if name in ("G_ema.pth", "biggan-128.pth"):
            assert (model(z, classes) - expected).abs().max() < 1e-6, name
    assert read_biggan_pytorch(tmp_path / "wrapped.pth").keys() == trained.keys()


def test_detection_reads_names_without_unpickling(tmp_path):
    other = {"stylegan.pt": {"g_ema": {"style.1.weight": torch.zeros(2, 2)}},
             "deep.bin": {"embeddings.weight": torch.zeros(2, 2), "generator.gen_z.weight_orig": torch.zeros(2)}}
    for name, obj in other.items():
        assert not is_biggan_pytorch_file(save(obj, tmp_path / name))
    (tmp_path / "notes.pth").write_text("shared.weight output_layer.2.weight bn1.gain.weight")  # not a torch file
    assert is_biggan_pytorch_file(tmp_path / "notes.pth")  # detection only peeks; loading then refuses it
    with pytest.raises(ValueError, match="weights_only=True"):
        load_biggan_pytorch(tmp_path / "notes.pth")
    assert not is_biggan_pytorch_file(tmp_path / "missing.pth") and not is_biggan_pytorch_file(tmp_path)


def test_bad_files_are_refused_with_clear_errors(recorded, tmp_path):
    config, state, _, _ = recorded
    with pytest.raises(FileNotFoundError, match="missing.pth"):
        load_biggan_pytorch(tmp_path / "missing.pth")
    with pytest.raises(ValueError, match="weights_only=True"):  # a pickled module, not tensors
        load_biggan_pytorch(save({"G_ema": torch.nn.Linear(2, 2)}, tmp_path / "module.pth"))
    with pytest.raises(ValueError, match=r"wrapped under.*'param_groups'"):  # an optimizer's state (G_optim.pth)
        load_biggan_pytorch(save({"state": {}, "param_groups": [{"lr": 1e-4}]}, tmp_path / "G_optim.pth"))
    with pytest.raises(ValueError, match=r"lacks \['shared.weight'"):  # the discriminator (D.pth)
        load_biggan_pytorch(save({"blocks.0.0.conv1.weight": torch.zeros(4, 3, 3, 3), "embed.weight": torch.zeros(10, 4)},
                                 tmp_path / "D.pth"))
    broken = dict(state)
    broken.pop("blocks.1.0.conv2.u0")
    broken["extra.weight"] = torch.zeros(3)
    broken["blocks.0.0.conv1.bias"] = torch.zeros(5)
    with pytest.raises(ValueError) as info:
        load_biggan_pytorch(save(broken, tmp_path / "broken.pth"))
    message = str(info.value)
    assert "broken.pth" in message and "1 missing ['blocks.1.0.conv2.u0']" in message
    assert "1 unexpected ['extra.weight']" in message and "blocks.0.0.conv1.bias (5,) (expected (32,))" in message
    with pytest.raises(ValueError, match="wrong shape"):  # a config that does not fit the tensors
        load_biggan_pytorch(save(state, tmp_path / "G.pth"), config=BigGANConfig(ch=4, shared_dim=16, attention=(32,)))


# --- names, classes, truncation, soft classes ----------------------------------------------------
@pytest.fixture(scope="module")
def tiny() -> BigGAN:
    torch.manual_seed(0)
    return BigGAN(BigGANConfig(ch=4, shared_dim=16, attention=(32,))).eval()  # attention at 32 px: 16× cheaper than at 64


def test_class_names(tiny):
    assert tiny.class_names == imagenet_class_names() and tiny.conditional
    assert tiny.classes("golden retriever").tolist() == [207]
    assert tiny.classes(["Golden_Retriever", "tench", 1]).tolist() == [207, 0, 1]
    assert tiny.classes("goldfish", 3).tolist() == [1, 1, 1]
    with pytest.raises(ValueError, match="Did you mean 'Golden Retriever'"):
        tiny.classes("golden retreiver")
    with pytest.raises(ValueError, match="out of range"):
        tiny.classes(1000)
    small = BigGAN(BigGANConfig(ch=4, shared_dim=8, n_classes=10, resolution=32, dim_z=16, attention=()))
    assert small.class_names[:2] == ("class 0", "class 1") and small.classes("Class 3").tolist() == [3]


@torch.no_grad()
def test_truncation_range_and_determinism(tiny):
    z = tiny.sample_latents(4, seed=0, truncation=0.4)
    assert z.shape == (4, 120) and z.abs().max() <= 0.4
    assert torch.equal(z, tiny.sample_latents(4, seed=0, truncation=0.4))
    with pytest.raises(ValueError, match="truncation"):
        tiny.sample_latents(2, truncation=0)
    images = tiny.generate(2, seed=0, truncation=0.5)
    assert images.shape == (2, 3, 128, 128) and images.min() >= 0 and images.max() <= 1 and images.std() > 0.01
    assert torch.equal(images, tiny.generate(2, seed=0, truncation=0.5))
    assert not torch.equal(images, tiny.generate(2, seed=1, truncation=0.5))
    with pytest.raises(ValueError, match=r"shape \[N, 120\]"):
        tiny(torch.zeros(2, 128), tiny.classes(0, 2))


@torch.no_grad()
def test_soft_class_vectors_mix_embeddings(tiny):
    z = tiny.sample_latents(1, seed=2)
    onehot = torch.nn.functional.one_hot(torch.tensor([207]), 1000).float()
    assert torch.allclose(tiny(z, onehot), tiny(z, torch.tensor([207])), atol=1e-6)
    mix = 0.5 * onehot + 0.5 * torch.nn.functional.one_hot(torch.tensor([1]), 1000).float()
    assert torch.allclose(tiny.embed(mix), (tiny.shared.weight[207] + tiny.shared.weight[1]) / 2, atol=1e-6)
    mixed = tiny(z, mix)
    assert (mixed - tiny(z, onehot)).abs().max() > 1e-3 and (mixed - tiny(z, torch.tensor([1]))).abs().max() > 1e-3
    with pytest.raises(ValueError, match="class vectors"):
        tiny(z, torch.zeros(1, 10))


# --- splitting, SeFa, configs -----------------------------------------------------------------------
@torch.no_grad()
def test_split_parity_at_every_layer(tiny):
    z, y = tiny.sample_latents(2, seed=3), tiny.classes(["tench", "goldfish"])
    full = tiny(z, y)
    assert tiny.layer_names() == ["stem", "block1", "block2", "block3", "attention", "block4", "block5"]
    assert tiny.split().layer == "block1" == tiny.edit_layer and tiny.split().f(z, y).shape == (2, 64, 8, 8)
    for layer in tiny.layer_names():
        cut = tiny.split(layer)
        assert torch.allclose(cut.h(cut.f(z, y), z, y), full, atol=1e-6), layer
    with pytest.raises(ValueError, match="attention"):
        tiny.split("atention")
    two = BigGAN(BigGANConfig(ch=4, shared_dim=8, resolution=64, dim_z=20, attention=(16, 32)))
    assert two.layer_names() == ["stem", "block1", "block2", "attention1", "block3", "attention2", "block4"]


def test_sefa_reads_the_first_chunk(tiny):
    from latentlab.methods.sefa import sefa_directions

    weight = tiny.first_latent_weight()
    assert weight.shape == (64 * 16, 120) and weight[:, 20:].abs().max() == 0 and weight[:, :20].abs().max() > 0
    directions = sefa_directions(tiny, k=3)
    assert all(float(d.vector[20:].abs().max()) == 0 and abs(float(d.vector.norm()) - 1) < 1e-5 for d in directions)


def test_configs():
    for resolution, dim_z, attention in ((128, 120, 64), (256, 140, 128), (512, 128, 64)):
        config = BigGANConfig.published(resolution)
        assert (config.dim_z, config.attention, config.ch, config.shared_dim) == (dim_z, (attention,), 96, 128)
        assert (config.bn_eps, config.sn_eps, config.hier) == (1e-4, 1e-4, True)
        assert BigGANConfig.from_json(json.loads(json.dumps(config.to_json()))) == config
    assert BigGANConfig().to_reference_kwargs()["G_attn"] == "64"
    with pytest.raises(ValueError, match=r"no published BigGAN at 1024 px; expected one of \[128, 256, 512\]"):
        BigGANConfig.published(1024)
    with pytest.raises(ValueError, match="colour"):
        BigGANConfig.from_json({"ch": 4, "colour": "red"})
    bad = {"no architecture for 100 px": {"resolution": 100}, "multiple of the 6 latent chunks": {"dim_z": 128},
           r"attention at \[48\] px": {"attention": (48,)}, "at least 8 channels": {"ch": 2},
           "ch must be a positive integer": {"ch": 0}, "bn_eps must be a number > 0": {"bn_eps": 0.0}}
    for message, change in bad.items():
        with pytest.raises(ValueError, match=message):
            BigGAN(BigGANConfig(**{"ch": 4, "shared_dim": 8, **change}))


def test_load_generator_dispatches_biggan_pytorch_files(recorded, tmp_path):
    from latentlab import load_generator

    config, state, tensors, _ = recorded
    model = load_generator(str(save(state, tmp_path / "G_ema.pth")))
    assert isinstance(model, BigGAN) and model.config == config


# --- by name ---------------------------------------------------------------------------------------
def test_published_names_load_from_the_cache_or_say_how_to_get_the_file(recorded, tmp_path, monkeypatch):
    from latentlab import load_generator
    from latentlab.zoo.biggan_pytorch_checkpoints import published_path
    from latentlab.zoo.registry import MODELS

    monkeypatch.setenv("LATENTLAB_CACHE", str(tmp_path))
    with pytest.raises(FileNotFoundError) as info:
        load_generator("biggan-256")
    message = str(info.value)
    assert str(tmp_path / "biggan-pytorch" / "biggan-256" / "biggan-256.pth") in message
    assert "TFHub/converter.py --resolution 256" in message and "load_generator('/path/to/biggan-256.pth')" in message
    with pytest.raises(FileNotFoundError, match="1nAle7FCVFZdix2--ks0r5JBkFnKw8ctW"):
        load_generator("biggan-pytorch-128")
    assert not (tmp_path / "biggan-pytorch").exists()  # nothing is created or fetched
    with pytest.raises(ValueError, match="biggan-256"):
        load_generator("biggan-265")

    config, state, _, _ = recorded
    path = published_path("biggan-pytorch-128")
    path.parent.mkdir(parents=True)
    save(state, path)
    model = load_generator("biggan-pytorch-128")
    assert isinstance(model, BigGAN) and model.config == config
    assert all(MODELS[n].manual and MODELS[n].architecture == "BigGAN" for n in ("biggan-128", "biggan-256", "biggan-512"))


def test_methods_run_unchanged_on_plain_biggan(tiny):
    """Evolution and paint by word (split after block1) take the plain BigGAN like any generator."""
    from latentlab.masks import rect_mask
    from latentlab.methods import evolve
    from latentlab.methods.paint import paint_by_word

    def redness(images: torch.Tensor) -> torch.Tensor:
        return images[:, 0].mean(dim=(1, 2)) - images[:, 1:].mean(dim=(1, 2, 3))

    result = evolve("red", tiny, redness, optimizer="ga", generations=3, population=6, space="z", classes="goldfish",
                    progress=False)
    assert result.images.shape == (6, 3, 128, 128) and result.best_fitness >= result.history[0]["best"]
    z = tiny.sample_latents(1, seed=0, truncation=0.5)
    box = rect_mask(tiny.resolution, 0, 0, 64, 64)
    edit = paint_by_word(tiny, z, box, "a red fish", classes="goldfish", generations=2, population=4, perceptual="none",
                         progress=False)
    outside = ~box.bool()
    assert edit.image.shape == edit.before.shape == (3, 128, 128)
    assert (edit.image - edit.before).abs()[:, outside].mean() < 0.5 * (edit.image - edit.before).abs()[:, box.bool()].mean()
