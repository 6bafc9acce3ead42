import json

import pytest
import torch
from safetensors.torch import save_file

from latentlab import load_generator, load_probe
from latentlab.zoo.cache import cache_dir, sha256
from latentlab.zoo.checkpoints import save_generator
from latentlab.zoo.loader import build_from_file, embedded_path, manifest
from latentlab.zoo.registry import MODELS, ModelEntry, get_model_entry, register_model


@pytest.mark.parametrize("name", [n for n, e in MODELS.items() if e.embedded])
def test_embedded_weights_match_their_manifest_and_are_small(name):
    path = embedded_path(MODELS[name])
    record = manifest()[path.name]
    assert sha256(path) == record["sha256"] and path.stat().st_size == record["bytes"]
    limit = 25_000_000 if MODELS[name].kind == "clip" else 10_000_000  # shapes-clip: ≤ 25 MB; generators, probes: < 10 MB
    assert record["bytes"] <= limit


def test_load_by_name_gives_frozen_eval_models(shipped_generator, shipped_probe):
    for model in (shipped_generator, shipped_probe):
        assert not model.training and not any(p.requires_grad for p in model.parameters())


def test_unknown_names_suggest_close_matches():
    with pytest.raises(ValueError, match="Did you mean 'shapes-biggan'"):
        load_generator("shapes_bigan")
    with pytest.raises(ValueError, match="shapes-probe"):
        load_probe("shape-probe")


def test_known_models_without_loader_fail_clearly():
    from latentlab.zoo.loader import load_model

    with pytest.raises(ValueError, match="no loader"):
        load_model("inception-v3-fid")


def test_load_from_a_path_round_trips(tmp_path, tiny_generator):
    path = save_generator(tiny_generator, tmp_path / "g.safetensors")
    loaded = load_generator(str(path))
    z, y = tiny_generator.sample_latents(3, seed=0), tiny_generator.sample_classes(3, seed=0)
    assert torch.equal(loaded(z, y), tiny_generator(z, y))


def test_files_without_known_architecture_are_refused(tmp_path):
    path = tmp_path / "x.safetensors"
    save_file({"w": torch.zeros(2)}, str(path), metadata={"architecture": "os.system"})
    with pytest.raises(ValueError, match="known architecture"):
        build_from_file(path)


def test_corrupted_embedded_weights_are_detected(tmp_path, monkeypatch):
    import latentlab.zoo.embedded as embedded

    fake_dir = tmp_path / "weights"
    fake_dir.mkdir()
    real = embedded_path(MODELS["shapes-probe"])
    data = bytearray(real.read_bytes())
    data[-1] ^= 0xFF
    (fake_dir / real.name).write_bytes(bytes(data))
    monkeypatch.setattr(embedded, "embedded_path", lambda entry: fake_dir / real.name)
    with pytest.raises(ValueError, match="checksum"):
        load_probe()


def test_registry_validates_kind_and_cache_dir_honours_env(monkeypatch, tmp_path):
    with pytest.raises(ValueError, match="model kind"):
        register_model(ModelEntry("x", "generatr", "A", "url", "MIT", "d"))
    monkeypatch.setenv("LATENTLAB_CACHE", str(tmp_path))
    assert cache_dir() == tmp_path
    assert get_model_entry("shapes-biggan").recipe.endswith("shapes_biggan")
    meta = json.loads(json.dumps(manifest()))
    assert set(meta) >= {"shapes-biggan.safetensors", "shapes-probe.safetensors"}


def test_models_loaded_on_the_cpu_use_channels_last_weights():
    generator = load_generator("shapes-biggan")
    convs = [m for m in generator.modules() if isinstance(m, torch.nn.Conv2d)]
    assert convs and all(m.weight.is_contiguous(memory_format=torch.channels_last) for m in convs)
    plain = build_from_file(embedded_path(get_model_entry("shapes-biggan"))).to(memory_format=torch.contiguous_format)
    assert not plain.out_conv.weight.is_contiguous(memory_format=torch.channels_last)  # the same weights, NCHW
    z, y = generator.sample_latents(4, seed=0), generator.classes("star", 4)
    with torch.no_grad():
        torch.testing.assert_close(generator(z, y), plain(z, y), atol=1e-5, rtol=0)


def test_importing_the_zoo_fills_its_registries():
    """Any import of the zoo (here its registry module alone, in a fresh interpreter) registers the built-ins."""
    import subprocess
    import sys

    code = ("from latentlab.zoo.registry import ARCHITECTURES, MODELS; "
            "assert {'shapes-biggan', 'shapes-stylegan', 'shapes-probe', 'shapes-clip'} <= set(MODELS), sorted(MODELS); "
            "assert {'CompactBigGAN', 'ShapesProbe', 'OpenCLIP', 'StyleGAN2'} <= set(ARCHITECTURES), sorted(ARCHITECTURES)")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)


def test_a_name_is_registered_once_unless_replaced_deliberately(monkeypatch):
    from latentlab.zoo import registry
    from latentlab.zoo.registry import register_architecture

    monkeypatch.setattr(registry, "MODELS", dict(registry.MODELS))
    monkeypatch.setattr(registry, "ARCHITECTURES", dict(registry.ARCHITECTURES))
    mine = ModelEntry("shapes-biggan", "generator", "CompactBigGAN", "package:mine.safetensors", "MIT", "my own")
    with pytest.raises(ValueError, match=r"'shapes-biggan' is already registered .*replace=True"):
        register_model(mine)
    assert registry.MODELS["shapes-biggan"].source == "package:shapes-biggan.safetensors"
    register_model(mine, replace=True)
    assert registry.MODELS["shapes-biggan"] is mine
    with pytest.raises(ValueError, match=r"architecture named 'ShapesProbe' is already registered.*replace=True"):
        register_architecture("ShapesProbe", lambda cfg: None)
    build = lambda cfg: None  # noqa: E731
    register_architecture("ShapesProbe", build, replace=True)
    assert registry.ARCHITECTURES["ShapesProbe"] is build
    register_model(ModelEntry("my-generator", "generator", "CompactBigGAN", "https://example.org/g", "MIT", "mine"))
    assert "my-generator" in registry.MODELS
    with pytest.raises(ValueError, match="ModelEntry"):
        register_model({"name": "x"})


@pytest.mark.parametrize("name", [n for n, e in MODELS.items() if e.recipe])
def test_recipes_live_in_latentlab_recipes(name):
    import importlib

    recipe = MODELS[name].recipe
    assert recipe.startswith("latentlab.recipes."), recipe
    assert callable(importlib.import_module(recipe).train)


def test_the_zoo_holds_no_recipes():
    import importlib

    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("latentlab.zoo.recipes")
