"""BigGAN-deep: parity with pytorch-pretrained-BigGAN, its checkpoint format, names, splitting, contract."""

import json
import math

import pytest
import torch

from latentlab import load_generator
from latentlab.generators import BigGANDeep, BigGANDeepConfig, imagenet_class_names, search_imagenet_classes
from latentlab.latents import truncated_normal
from latentlab.zoo import biggan_checkpoints
from latentlab.zoo.biggan_checkpoints import checkpoint_folder, load_biggan, read_checkpoint
from latentlab.zoo.registry import MODELS

TRUNCATIONS = (1.0, 0.73, 0.4)  # 0.4 / 0.02 lands just above a grid point: the reference's interpolation quirk


# --- helpers ---------------------------------------------------------------------------------------
def reference_biggan(channel_width: int = 8, seed: int = 0):
    """The reference BigGAN-deep 128 px (optionally narrow) with every weight and statistic random."""
    ppb = pytest.importorskip("pytorch_pretrained_biggan")
    from pytorch_pretrained_biggan.convert_tf_to_pytorch import BigGAN128

    config = ppb.BigGANConfig.from_dict({**BigGAN128.to_dict(), "channel_width": channel_width})
    torch.manual_seed(seed)
    model = ppb.BigGAN(config).eval()
    gen = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for module in model.modules():
            if hasattr(module, "weight_u"):  # converged u, v, as in the real checkpoints
                w, u = module.weight_orig.reshape(module.weight_orig.shape[0], -1), module.weight_u
                for _ in range(20):
                    v = torch.nn.functional.normalize(w.t() @ u, dim=0)
                    u = torch.nn.functional.normalize(w @ v, dim=0)
                module.weight_u.copy_(u)
                module.weight_v.copy_(v)
        for name, t in model.state_dict().items():
            if name.endswith("running_means") or name.endswith("bias"):
                t.copy_(0.3 * torch.randn(t.shape, generator=gen))
            elif name.endswith("running_vars") or name.endswith("gamma") or name == "generator.bn.weight":
                t.copy_(0.5 + torch.rand(t.shape, generator=gen))
            elif name == "embeddings.weight":
                t.copy_(torch.randn(t.shape, generator=gen))
    return model


def inputs(n: int = 2, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """The reference's prior 0.5 · TN(-2, 2) and soft class vectors (a one-hot and a mix)."""
    gen = torch.Generator().manual_seed(seed)
    z = 0.5 * truncated_normal(n, 128, 2.0, generator=gen)
    y = torch.zeros(n, 1000)
    y[0, 207] = 1.0
    y[-1] = torch.softmax(3 * torch.randn(1000, generator=gen), dim=0)
    return z, y


def ours_from(reference, truncation: float = 1.0) -> BigGANDeep:
    state = {k: v.clone() for k, v in reference.state_dict().items()}
    return BigGANDeep.from_state_dict(BigGANDeepConfig.from_json(reference.config.to_dict()), state, truncation=truncation)


def write_checkpoint(reference, folder, legacy: bool = True):
    """The real on-disk format: config.json (the reference's JSON) + pytorch_model.bin (torch.save of the state dict)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(reference.config.to_json_string(), encoding="utf-8")
    torch.save(reference.state_dict(), folder / "pytorch_model.bin", _use_new_zipfile_serialization=not legacy)
    return folder


@pytest.fixture(scope="module")
def narrow_reference():
    return reference_biggan(channel_width=8)


@pytest.fixture(scope="module")
def tiny() -> BigGANDeep:
    torch.manual_seed(0)
    return BigGANDeep(BigGANDeepConfig(channel_width=8)).eval()


# --- (a) parity ------------------------------------------------------------------------------------
@torch.no_grad()
def test_parity_with_the_reference():
    # a quarter of the published width keeps this to seconds on CPU; the full-width
    # 128/256/512 px comparison is benchmarks/biggan_parity.py
    reference = reference_biggan(channel_width=32)
    ours = ours_from(reference, truncation=0.4)
    z, y = inputs()
    expected = reference(z, y, 0.4)
    got = ours(z, y)
    assert got.shape == expected.shape == (2, 3, 128, 128)
    assert expected.std() > 0.05  # a meaningful comparison: outputs vary and are not saturated
    assert (2 * got - 1 - expected).abs().max() < 1e-5  # in the reference's [-1, 1] range


@torch.no_grad()
@pytest.mark.parametrize("truncation", TRUNCATIONS)
def test_parity_over_truncations_and_plain_load_state_dict(narrow_reference, truncation):
    ours = BigGANDeep(BigGANDeepConfig.from_json(narrow_reference.config.to_dict()), truncation=truncation).eval()
    ours.load_state_dict(narrow_reference.state_dict(), strict=True)  # checkpoint keys, unchanged
    z, y = inputs(seed=1)
    assert (2 * ours(z, y) - 1 - narrow_reference(z, y, truncation)).abs().max() < 1e-5


# --- (b) checkpoints on disk -----------------------------------------------------------------------
@pytest.mark.parametrize("legacy", [True, False])
def test_checkpoint_folder_loads_to_the_same_model(narrow_reference, tmp_path, legacy):
    folder = write_checkpoint(narrow_reference, tmp_path / "ckpt", legacy)
    config, state = read_checkpoint(folder)
    assert config.to_json() == json.loads(narrow_reference.config.to_json_string())
    assert state.keys() == narrow_reference.state_dict().keys()
    z, y = inputs()
    for model in (load_biggan(folder, truncation=0.73), load_biggan(folder / "pytorch_model.bin", truncation=0.73),
                  load_generator(str(folder))):
        model.truncation = 0.73
        assert not model.training and not any(p.requires_grad for p in model.parameters())
        with torch.no_grad():
            assert (2 * model(z, y) - 1 - narrow_reference(z, y, 0.73)).abs().max() < 1e-5


def test_checkpoint_errors_are_clear(narrow_reference, tmp_path):
    with pytest.raises(FileNotFoundError, match="config.json"):
        load_biggan(tmp_path)
    folder = write_checkpoint(narrow_reference, tmp_path / "ckpt")
    torch.save({"weights": torch.nn.Linear(2, 2)}, folder / "pytorch_model.bin")  # pickled module, not tensors
    with pytest.raises(ValueError, match="weights_only=True"):
        load_biggan(folder)
    state = dict(narrow_reference.state_dict())
    state.pop("embeddings.weight")
    torch.save(state, folder / "pytorch_model.bin")
    with pytest.raises(ValueError, match="1 missing"):
        load_biggan(folder)
    (folder / "config.json").write_text(json.dumps({"z_dim": 128, "colour": "red"}))
    with pytest.raises(ValueError, match="colour"):
        load_biggan(folder)
    with pytest.raises(FileNotFoundError, match="biggan-deep-128"):
        load_biggan("biggan-deep-1024")


# --- (c) by name: cache, offline, downloads ---------------------------------------------------------
def test_offline_by_name_says_what_to_download_and_where(monkeypatch, tmp_path):
    monkeypatch.setenv("LATENTLAB_CACHE", str(tmp_path))
    with pytest.raises(OSError) as info:
        load_generator("biggan-deep-256")
    message = str(info.value)
    assert str(tmp_path / "biggan" / "biggan-deep-256") in message and "LATENTLAB_CACHE" in message
    assert "biggan-deep-256-pytorch_model.bin" in message and "config.json" in message and "fetch_biggan" in message
    assert not (tmp_path / "biggan" / "biggan-deep-256").exists() or not any((tmp_path / "biggan" / "biggan-deep-256").iterdir())


def test_registered_names_load_from_the_cache(monkeypatch, tmp_path, narrow_reference):
    monkeypatch.setenv("LATENTLAB_CACHE", str(tmp_path))
    write_checkpoint(narrow_reference, checkpoint_folder("biggan-deep-128"))
    generator = load_generator("biggan-deep-128")
    assert isinstance(generator, BigGANDeep) and generator.resolution == 128
    entry = MODELS["biggan-deep-512"]
    assert entry.loadable and entry.licence == "Apache-2.0" and entry.size_mb > 200


def test_downloads_are_atomic(monkeypatch, tmp_path, narrow_reference):
    import huggingface_hub

    import latentlab.zoo.cache as hf  # the plain (non-Hub) downloader: download_url(url, handle, **kwargs)

    source = write_checkpoint(narrow_reference, tmp_path / "remote")
    monkeypatch.setenv("LATENTLAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(biggan_checkpoints, "_offline", lambda: False)

    def broken(url, handle, **kwargs):
        handle.write(b"half a file")
        raise ConnectionError("connection reset")

    monkeypatch.setattr(hf, "download_url", broken)
    with pytest.raises(OSError, match="connection reset"):
        load_generator("biggan-deep-512")
    folder = checkpoint_folder("biggan-deep-512")
    assert list(folder.iterdir()) == []  # nothing half-written, no temporary files left

    def served(url, handle, **kwargs):
        handle.write((source / url.rsplit("-", 1)[-1]).read_bytes())  # .../biggan-deep-512-config.json

    monkeypatch.setattr(hf, "download_url", served)
    generator = load_generator("biggan-deep-512")  # no known digest: checked by loading only
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "pytorch_model.bin"]
    assert generator.latent_dim == 128

    def hub(repo_id, filename, *, revision, local_files_only=False, **kwargs):  # the 128 px files come from the Hub
        assert (repo_id, revision) == ("osanseviero/BigGAN-deep-128", biggan_checkpoints.BIGGAN_DEEP_128_REVISION)
        path = tmp_path / "hf-cache" / "snapshots" / "0123abc" / filename  # as in the Hugging Face cache
        if local_files_only and not path.is_file():
            raise huggingface_hub.utils.LocalEntryNotFoundError(f"{filename} is not cached")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes((source / filename).read_bytes())
        return str(path)

    monkeypatch.setattr(hf, "download_url", broken)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", hub)
    assert isinstance(load_generator("biggan-deep-128"), BigGANDeep)
    assert not checkpoint_folder("biggan-deep-128").exists()  # into the Hugging Face cache, not latentlab's folder
    assert sorted(p.name for p in (tmp_path / "hf-cache" / "snapshots" / "0123abc").iterdir()) == ["config.json",
                                                                                                 "pytorch_model.bin"]


def test_the_published_256_config_digest_pins_the_block_layout():
    """The reference package writes config.json as sorted, 2-space-indented JSON; ours must hash to the published file."""
    import hashlib

    source = biggan_checkpoints.SOURCES["biggan-deep-256"]
    size, sha = source.digest("config.json")
    text = (json.dumps(BigGANDeepConfig.published(256).to_json(), indent=2, sort_keys=True) + "\n").encode()
    assert (len(text), hashlib.sha256(text).hexdigest()) == (size, sha)
    assert source.digest("pytorch_model.bin")[0] == 234_411_737
    assert "5900ef4065047e3aa0d1b66197b7f2664dceb59b27080e414ad57e203c485bc5" in biggan_checkpoints.offline_message("biggan-deep-256")


def test_downloads_with_a_known_digest_are_checked(monkeypatch, tmp_path, narrow_reference):
    import dataclasses
    import hashlib

    import latentlab.zoo.cache as hf  # the plain (non-Hub) downloader: download_url(url, handle, **kwargs)

    source = write_checkpoint(narrow_reference, tmp_path / "remote")
    monkeypatch.setenv("LATENTLAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(biggan_checkpoints, "_offline", lambda: False)
    monkeypatch.setattr(hf, "download_url", lambda url, handle, **kw: handle.write((source / url.rsplit("-", 1)[-1]).read_bytes()))
    folder = checkpoint_folder("biggan-deep-256")
    with pytest.raises(biggan_checkpoints.ChecksumError, match="not the published file") as info:
        load_generator("biggan-deep-256")  # a narrow test model is not DeepMind's 256 px one
    assert "234,411,737 bytes" in str(info.value) or "715 bytes" in str(info.value)
    assert list(folder.iterdir()) == []  # refused files are not kept

    digests = tuple((f, (source / f).stat().st_size, hashlib.sha256((source / f).read_bytes()).hexdigest())
                    for f in ("config.json", "pytorch_model.bin"))
    monkeypatch.setitem(biggan_checkpoints.SOURCES, "biggan-deep-256",
                        dataclasses.replace(biggan_checkpoints.SOURCES["biggan-deep-256"], digests=digests))
    assert isinstance(load_generator("biggan-deep-256"), BigGANDeep)  # the same files, once they are the expected ones
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "pytorch_model.bin"]


# --- (d) class names -------------------------------------------------------------------------------
def test_class_names_search_and_suggestions(tiny):
    names = imagenet_class_names()
    assert len(names) == len({n.lower() for n in names}) == 1000
    assert tiny.classes("golden retriever").tolist() == [207]
    assert tiny.classes(["Golden_Retriever", "tench", 1]).tolist() == [207, 0, 1]
    assert tiny.classes("missile").tolist() == [657] and tiny.classes("projectile").tolist() == [744]
    with pytest.raises(ValueError, match="Did you mean 'Golden Retriever'"):
        tiny.classes("golden retreiver")
    hits = dict(search_imagenet_classes("retriever"))
    assert hits[207] == "Golden Retriever" and len(hits) >= 4
    assert search_imagenet_classes("goldfsh")[0] == (1, "goldfish")


# --- (e) splitting ---------------------------------------------------------------------------------
@torch.no_grad()
def test_split_parity_at_every_layer(tiny):
    z, y = tiny.sample_latents(2, seed=3), tiny.classes(["tench", "goldfish"])
    full = tiny(z, y)
    assert tiny.split().layer == "block1" and tiny.split().f(z, y).shape == (2, 8 * 16, 4, 4)
    assert tiny.layer_names() == ["stem", *[f"block{i}" for i in range(1, 9)], "attention", "block9", "block10"]
    for layer in ("stem", "block1", "attention", "block9", "block10"):
        cut = tiny.split(layer)
        assert torch.allclose(cut.h(cut.f(z, y), z, y), full, atol=1e-6), layer
    with pytest.raises(ValueError, match="attention"):
        tiny.split("atention")


# --- (f) the generator contract --------------------------------------------------------------------
@torch.no_grad()
def test_generator_contract(tiny):
    images = tiny.generate(2, seed=0, truncation=0.5)
    assert images.shape == (2, 3, 128, 128) and images.min() >= 0 and images.max() <= 1
    assert torch.equal(images, tiny.generate(2, seed=0, truncation=0.5))
    assert not torch.equal(images, tiny.generate(2, seed=1, truncation=0.5))
    z = tiny.sample_latents(2, seed=0, truncation=0.5)
    assert z.shape == (2, 128) and z.abs().max() <= 0.5
    with pytest.raises(ValueError, match="truncation"):
        tiny.sample_latents(2, truncation=-1)
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        tiny.truncation = 1.5
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        BigGANDeep(BigGANDeepConfig(channel_width=8), truncation=0)
    with pytest.raises(ValueError, match="class vectors"):
        tiny(z, torch.zeros(2, 10))
    with pytest.raises(ValueError, match="class_embed_dim"):
        BigGANDeep(BigGANDeepConfig(channel_width=8, class_embed_dim=64))
    with pytest.raises(ValueError, match="256"):
        BigGANDeep(BigGANDeepConfig(channel_width=8, output_dim=256))
    assert BigGANDeepConfig.published(512).output_dim == 512 and math.isclose(tiny.truncation, 1.0)


def test_sefa_and_region_split_on_biggan_deep(tiny):
    from latentlab.masks import rect_mask
    from latentlab.methods.sefa import sefa_directions
    from latentlab.spaces import RegionSpace

    directions = sefa_directions(tiny, k=3)
    a = tiny.first_latent_weight().double()
    for d in directions:  # unit eigenvectors of AᵀA over the latent columns of the stem
        v = d.vector.double()
        assert abs(float(v.norm()) - 1) < 1e-5
        assert torch.allclose(a.T @ (a @ v), d.info["eigenvalue"] * v, atol=1e-3 * d.info["eigenvalue"])
    z = tiny.sample_latents(1, seed=0, truncation=0.5)
    mask = rect_mask(tiny.resolution, 16, 16, 80, 80)
    region = RegionSpace.for_image(tiny, "z", z, 1, mask)
    with torch.no_grad():
        original = tiny(z, tiny.classes(1, 1))
        assert torch.allclose(region.render(z), original, atol=1e-5)
        edited = region.render(tiny.sample_latents(2, seed=1, truncation=0.5))
    far = rect_mask(tiny.resolution, 100, 100, 128, 128)
    change = lambda region_mask: float(((edited - original).abs() * region_mask).sum() / region_mask.sum())  # noqa: E731
    assert change(mask) > 2 * change(far)  # the region changes far more than a corner away from it
