"""StyleGAN2: NVIDIA pickles read without running code, rosinality files, TF pickles, names, and the math.

Every file here is synthetic (random weights, the real key layout, 32 px): nothing downloads.
Parity against NVIDIA's own code needs that code, which latentlab does not ship: run
``python -m benchmarks.stylegan2_parity --ada-src PATH`` with a stylegan2-ada-pytorch checkout.
"""

import argparse
import collections
import importlib.util
import io
import math
import os
import pickle
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch

from latentlab.generators.stylegan2 import StyleGAN2, StyleGAN2Config, randomize_weights
from latentlab.spaces import resolve_space
from latentlab.zoo.safe_pickle import PersistentRecord, UnsafePickleError, read_network_pickle, safe_loads
from latentlab.zoo.stylegan2_checkpoints import SOURCES, checkpoint_path, load_stylegan2, registry_entries


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def tiny_config(**kwargs) -> StyleGAN2Config:
    """32 px, channels 32/32/16/8, 16-d latents: NVIDIA's layout at a size that runs in milliseconds."""
    return StyleGAN2Config(**{"z_dim": 16, "w_dim": 16, "img_resolution": 32, "mapping_layers": 2, "channel_base": 256,
                              "channel_max": 32, **kwargs})




def tiny(seed: int = 0, **kwargs) -> StyleGAN2:
    return randomize_weights(StyleGAN2(tiny_config(**kwargs)), seed)


@pytest.fixture(scope="module")
def model() -> StyleGAN2:
    torch.set_num_threads(1)
    return tiny(0)


# --- writing NVIDIA-style pickles (the fake NVIDIA modules exist only while writing) ----------------
PAYLOAD = "import pathlib\npathlib.Path({marker!r}).write_text('module_src ran')\n"


def _fake_nvidia_modules() -> dict[str, types.ModuleType]:
    """Stand-ins for torch_utils.persistence and dnnlib, so that pickle can name their functions and classes."""
    persistence = types.ModuleType("torch_utils.persistence")

    def _reconstruct_persistent_obj(meta):  # the real one exec()s meta["module_src"]; never called here
        raise AssertionError("unpickling must not call the writer's stand-in")

    _reconstruct_persistent_obj.__module__ = "torch_utils.persistence"
    _reconstruct_persistent_obj.__qualname__ = "_reconstruct_persistent_obj"
    persistence._reconstruct_persistent_obj = _reconstruct_persistent_obj
    torch_utils = types.ModuleType("torch_utils")
    torch_utils.persistence = persistence

    class EasyDict(dict):
        def __getattr__(self, name):
            return self[name]

    EasyDict.__module__, EasyDict.__qualname__ = "dnnlib.util", "EasyDict"
    util = types.ModuleType("dnnlib.util")
    util.EasyDict = EasyDict
    dnnlib = types.ModuleType("dnnlib")
    dnnlib.util, dnnlib.EasyDict = util, EasyDict

    class Network:  # dnnlib.tflib.network.Network pickles its __getstate__ dict
        def __init__(self, state):
            self._state = state

        def __getstate__(self):
            return self._state

    Network.__module__, Network.__qualname__ = "dnnlib.tflib.network", "Network"
    network = types.ModuleType("dnnlib.tflib.network")
    network.Network = Network
    tflib = types.ModuleType("dnnlib.tflib")
    tflib.network = network
    return {"torch_utils": torch_utils, "torch_utils.persistence": persistence, "dnnlib": dnnlib, "dnnlib.util": util,
            "dnnlib.tflib": tflib, "dnnlib.tflib.network": network}


class _Persistent:
    """Pickles like a ``@persistence.persistent_class`` module: ``_reconstruct_persistent_obj(meta)``."""

    def __init__(self, class_name: str, module_src: str, state: dict):
        self.class_name, self.module_src, self.state = class_name, module_src, state

    def __reduce__(self):
        meta = dict(type="class", version=6, module_src=self.module_src, class_name=self.class_name, state=self.state)
        return sys.modules["torch_utils.persistence"]._reconstruct_persistent_obj, (meta,)


def _record(module: torch.nn.Module, module_src: str, class_name: str | None = None, init_kwargs=None) -> _Persistent:
    """A module's ``__dict__`` as NVIDIA pickles it (hooks, flags, init args, numpy-float gains, submodules)."""
    state = {"training": False, "_parameters": collections.OrderedDict(module._parameters),
             "_buffers": collections.OrderedDict(module._buffers), "_non_persistent_buffers_set": set(),
             "_backward_hooks": collections.OrderedDict(), "_forward_hooks": collections.OrderedDict(),
             "_forward_pre_hooks": collections.OrderedDict(), "_state_dict_hooks": collections.OrderedDict(),
             "_load_state_dict_pre_hooks": collections.OrderedDict(),
             "_modules": collections.OrderedDict((n, _record(m, module_src)) for n, m in module._modules.items()),
             "_init_args": (), "_init_kwargs": init_kwargs if init_kwargs is not None else {}}
    for key, value in vars(module).items():
        if not key.startswith("_") and isinstance(value, (int, float, str, bool, type(None))):
            state[key] = np.float64(value) if isinstance(value, float) else value  # NVIDIA's gains are np.float64
    return _Persistent(class_name or type(module).__name__, module_src, state)


def nvidia_init_kwargs(config: StyleGAN2Config, easydict) -> dict:
    """Init kwargs as NVIDIA's training loop passes them (nested EasyDicts, only the options it sets)."""
    return {"z_dim": config.z_dim, "w_dim": config.w_dim, "c_dim": config.c_dim, "img_resolution": config.img_resolution,
            "img_channels": config.img_channels, "mapping_kwargs": easydict(num_layers=config.mapping_layers),
            "synthesis_kwargs": easydict(channel_base=config.channel_base, channel_max=config.channel_max,
                                         num_fp16_res=2, conv_clamp=config.conv_clamp, architecture=config.architecture)}


def write_nvidia_pickle(path: Path, G_ema: StyleGAN2, G: StyleGAN2, module_src: str) -> None:
    """A stylegan2-ada-pytorch ``network-snapshot-*.pkl`` layout: G, D, G_ema, training_set_kwargs, augment_pipe."""
    fake = _fake_nvidia_modules()
    with pytest.MonkeyPatch.context() as mp:
        for name, module in fake.items():
            mp.setitem(sys.modules, name, module)
        easydict = fake["dnnlib.util"].EasyDict
        disc = torch.nn.Module()
        disc.b32 = torch.nn.Conv2d(3, 8, 1)
        disc.b4 = torch.nn.Linear(8, 1)
        augment = torch.nn.Module()
        augment.register_buffer("p", torch.zeros([]))
        augment.register_buffer("Hz_geom", torch.randn(12))
        snapshot = {"training_set_kwargs": {"class_name": "training.dataset.ImageFolderDataset", "path": "faces.zip",
                                            "resolution": 32, "use_labels": False, "max_size": 100},
                    "G": _record(G, module_src, "Generator", nvidia_init_kwargs(G.config, easydict)),
                    "D": _record(disc, module_src, "Discriminator", {"c_dim": 0, "img_resolution": 32}),
                    "G_ema": _record(G_ema, module_src, "Generator", nvidia_init_kwargs(G_ema.config, easydict)),
                    "augment_pipe": _record(augment, module_src, "AugmentPipe", {"xflip": 1})}
        path.write_bytes(pickle.dumps(snapshot, protocol=4))


# --- (a) NVIDIA stylegan2-ada-pytorch pickles --------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{}, {"c_dim": 3, "architecture": "resnet", "conv_clamp": 256}],
                         ids=["skip-unconditional", "resnet-conditional"])
def test_nvidia_pickle_loads_exactly_without_running_module_src(tmp_path, kwargs):
    marker = tmp_path / "pwned_marker"
    G_ema, G = tiny(1, **kwargs), tiny(2, **kwargs)
    path = tmp_path / "network-snapshot-000100.pkl"
    src = PAYLOAD.format(marker=str(marker)) + "class Generator:\n    pass\n"
    write_nvidia_pickle(path, G_ema, G, src)
    assert "torch_utils" not in sys.modules and importlib.util.find_spec("torch_utils") is None

    contents = read_network_pickle(path)
    assert sorted(contents.networks) == ["D", "G", "G_ema", "augment_pipe"]
    assert contents.extras["training_set_kwargs"]["path"] == "faces.zip"
    name, record = contents.generator()
    assert name == "G_ema" and isinstance(record, PersistentRecord) and record.class_name == "Generator"
    assert record.module_src == src and "not run" in repr(record)  # kept as a string only
    assert record.init_kwargs["synthesis_kwargs"]["num_fp16_res"] == 2 and type(record.init_kwargs["mapping_kwargs"]) is dict

    loaded = load_stylegan2(path)
    assert not marker.exists()
    assert loaded.config.to_nvidia_kwargs() == {**G_ema.config.to_nvidia_kwargs(),
                                                "synthesis_kwargs": {**G_ema.config.to_nvidia_kwargs()["synthesis_kwargs"],
                                                                     "num_fp16_res": 2}}
    assert loaded.class_names == G_ema.class_names and loaded.conditional == bool(kwargs)
    expected = G_ema.state_dict()
    got = loaded.state_dict()
    assert set(got) == set(expected) and all(torch.equal(got[k], expected[k]) for k in expected)
    assert not loaded.training and not any(p.requires_grad for p in loaded.parameters())

    z = loaded.sample_latents(3, seed=5)
    y = loaded.classes([0, 2, 1]) if loaded.conditional else None
    with torch.no_grad():
        images = loaded(z, y)
        assert torch.equal(images, loaded(z, y))  # noise_mode="const": deterministic
        assert torch.equal(images, G_ema(z, y))
    assert images.shape == (3, 3, 32, 32) and images.min() >= 0 and images.max() <= 1


def test_state_dict_names_are_the_official_ones(model):
    names = set(model.state_dict())
    for name in ("mapping.fc0.weight", "mapping.fc1.bias", "mapping.w_avg", "synthesis.b4.const",
                 "synthesis.b4.resample_filter", "synthesis.b4.conv1.affine.weight", "synthesis.b4.conv1.noise_const",
                 "synthesis.b4.conv1.noise_strength", "synthesis.b4.torgb.affine.bias", "synthesis.b8.conv0.weight",
                 "synthesis.b8.conv0.resample_filter", "synthesis.b32.conv1.bias", "synthesis.b32.torgb.weight"):
        assert name in names
    assert not any(n.startswith(("w_avg", "mapping_network", "synthesis_network")) for n in names)
    resnet = StyleGAN2(tiny_config(architecture="resnet"))
    assert "synthesis.b8.skip.weight" in resnet.state_dict() and "synthesis.b8.torgb.weight" not in resnet.state_dict()
    assert model.num_ws == 8 and model.layer_resolutions == [4, 8, 8, 16, 16, 32, 32, 32]


# --- (b) code-executing payloads are refused -------------------------------------------------------
class _Payload:
    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _refused(data: bytes) -> str:
    with pytest.raises(UnsafePickleError) as info:
        safe_loads(data)
    return str(info.value)


def test_code_executing_pickles_are_refused_and_never_run(tmp_path):
    marker = tmp_path / "pwned_marker"
    command = f"touch {marker}"
    assert "posix.system" in _refused(pickle.dumps(_Payload(os.system, command)))
    assert "builtins.eval" in _refused(pickle.dumps(_Payload(eval, f"__import__('os').system({command!r})")))
    assert "builtins.exec" in _refused(pickle.dumps(_Payload(exec, f"open({str(marker)!r}, 'w')")))
    assert "subprocess.Popen" in _refused(pickle.dumps(_Payload(subprocess.Popen, ["touch", str(marker)])))
    assert "builtins.getattr" in _refused(pickle.dumps(_Payload(getattr, 1, "real")))
    # hidden deep inside an otherwise plain checkpoint, next to real tensors
    nested = {"G_ema": {"weights": [torch.randn(2), collections.OrderedDict(x=_Payload(os.system, command))]}}
    assert "posix.system" in _refused(pickle.dumps(nested, protocol=4))
    # an ordinary (unknown) class, an old-style reconstructor and a persistent id
    assert "torch.nn.modules.linear.Linear" in _refused(pickle.dumps(torch.nn.Linear(2, 2)))
    assert "._reconstructor" in _refused(pickle.dumps(argparse.Namespace(a=1), protocol=1))
    buffer = io.BytesIO()
    class PersistentPickler(pickle.Pickler):  # (Python 3.13 made the instance attribute read-only)
        def persistent_id(self, obj):
            return "storage0" if isinstance(obj, bytes) else None

    PersistentPickler(buffer, protocol=4).dump({"x": b"data"})
    assert "persistent id" in _refused(buffer.getvalue())
    # BUILD (setting attributes) on an allowed function is refused: it could rewire a torch helper
    build_on_function = b"\x80\x04ctorch._utils\n_rebuild_tensor_v2\n}X\x0c\x00\x00\x00__defaults__N\x86b."
    assert "sets the state" in _refused(build_on_function)
    assert not marker.exists()


def test_payload_file_is_refused_by_the_loader_too(tmp_path):
    marker = tmp_path / "pwned_marker"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"G_ema": _Payload(os.system, f"touch {marker}")}))
    with pytest.raises(UnsafePickleError, match="posix.system"):
        load_stylegan2(path)
    assert not marker.exists()


def test_plain_data_and_numpy_still_load():
    data = {"a": [1, 2.5, "x", None, (True, b"raw")], "s": {1, 2}, "f": frozenset([3]), "t": torch.arange(6.0).reshape(2, 3),
            "p": torch.nn.Parameter(torch.ones(2)), "n": np.float64(0.5), "arr": np.arange(4, dtype=np.float32),
            "od": collections.OrderedDict(k=torch.zeros(1, dtype=torch.int64))}
    back = safe_loads(pickle.dumps(data, protocol=4))
    assert back["a"] == data["a"] and back["s"] == {1, 2} and back["f"] == frozenset([3])
    assert torch.equal(back["t"], data["t"]) and isinstance(back["p"], torch.nn.Parameter) and back["n"] == 0.5
    assert np.array_equal(back["arr"], data["arr"]) and back["od"]["k"].dtype == torch.int64
    view = torch.arange(10.0)[2:8:2]  # storage offsets and strides survive
    assert torch.equal(safe_loads(pickle.dumps(view)), view)


# --- TensorFlow StyleGAN2 pickles (church, car, cat, horse are only published in this format) --------
def tf_variables(model: StyleGAN2) -> dict[str, dict[str, np.ndarray]]:
    """The generator's variables as NVIDIA's TensorFlow StyleGAN2 names and layouts them (legacy.py in reverse)."""
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    own = {"dlatent_avg": state["mapping.w_avg"]}
    mapping = {}
    for i in range(model.config.mapping_layers):
        mapping[f"Dense{i}/weight"], mapping[f"Dense{i}/bias"] = state[f"mapping.fc{i}.weight"].t(), state[f"mapping.fc{i}.bias"]
    synthesis = {}

    def layer(prefix, scope, noise=None, flip=False):
        w = state[f"{prefix}.weight"].permute(2, 3, 1, 0)  # [out, in, kh, kw] -> [kh, kw, in, out]
        synthesis[f"{scope}/weight"] = w.flip([0, 1]) if flip else w
        synthesis[f"{scope}/bias"] = state[f"{prefix}.bias"]
        synthesis[f"{scope}/mod_weight"] = state[f"{prefix}.affine.weight"].t()
        synthesis[f"{scope}/mod_bias"] = state[f"{prefix}.affine.bias"] - 1
        if noise is not None:
            synthesis[f"{scope}/noise_strength"] = state[f"{prefix}.noise_strength"]
            synthesis[f"noise{noise}"] = state[f"{prefix}.noise_const"][None, None]

    for r in model.config.block_resolutions:
        b, s, log2 = f"synthesis.b{r}", f"{r}x{r}", int(math.log2(r))
        if r == 4:
            synthesis["4x4/Const/const"] = state[f"{b}.const"][None]
            layer(f"{b}.conv1", "4x4/Conv", noise=0)
        else:
            layer(f"{b}.conv0", f"{s}/Conv0_up", noise=2 * log2 - 5, flip=True)
            layer(f"{b}.conv1", f"{s}/Conv1", noise=2 * log2 - 4)
        layer(f"{b}.torgb", f"{s}/ToRGB")
    as_np = lambda d: [(k, np.ascontiguousarray(v.numpy())) for k, v in d.items()]  # noqa: E731
    return {"G": as_np(own), "mapping": as_np(mapping), "synthesis": as_np(synthesis)}


def test_tensorflow_pickle_converts_like_legacy_py(tmp_path):
    marker = tmp_path / "pwned_marker"
    original = tiny(3)
    cfg = original.config
    variables = tf_variables(original)
    fake = _fake_nvidia_modules()
    with pytest.MonkeyPatch.context() as mp:
        for name, module in fake.items():
            mp.setitem(sys.modules, name, module)
        Network = fake["dnnlib.tflib.network"].Network

        def net(name, kwargs, variables, components=None):
            return Network({"version": 4, "name": name, "static_kwargs": kwargs, "components": components or {},
                            "build_module_src": PAYLOAD.format(marker=str(marker)), "build_func_name": name,
                            "variables": variables})

        static = {"latent_size": cfg.z_dim, "dlatent_size": cfg.w_dim, "resolution": cfg.img_resolution, "num_channels": 3,
                  "label_size": 0, "mapping_layers": cfg.mapping_layers, "fmap_base": cfg.channel_base // 2,
                  "fmap_max": cfg.channel_max, "truncation_psi": 0.5}
        Gs = net("G", static, variables["G"], {"mapping": net("G_mapping", {}, variables["mapping"]),
                                                 "synthesis": net("G_synthesis", {}, variables["synthesis"])})
        (tmp_path / "stylegan2-tiny-config-f.pkl").write_bytes(pickle.dumps((Gs, Gs, Gs), protocol=4))
    loaded = load_stylegan2(tmp_path / "stylegan2-tiny-config-f.pkl")
    assert not marker.exists()
    assert loaded.config.to_nvidia_kwargs() == cfg.to_nvidia_kwargs()
    expected, got = original.state_dict(), loaded.state_dict()
    assert set(got) == set(expected)
    assert all(torch.allclose(got[k], expected[k], atol=1e-6) for k in expected)  # mod_bias − 1 + 1 rounds
    z = loaded.sample_latents(2, seed=1)
    with torch.no_grad():
        torch.testing.assert_close(loaded(z), original(z), atol=1e-5, rtol=0)


# --- (c) rosinality stylegan2-pytorch checkpoints ------------------------------------------------------
def rosinality_state(model: StyleGAN2) -> dict[str, torch.Tensor]:
    """The generator's weights under rosinality's names and shapes (convert_weight.py's output layout)."""
    s = {k: v.detach().clone() for k, v in model.state_dict().items()}
    kernel = torch.tensor([1.0, 3.0, 3.0, 1.0])
    kernel = torch.outer(kernel, kernel) / 64 * 4
    out = {}
    for i in range(model.config.mapping_layers):
        out[f"style.{i + 1}.weight"], out[f"style.{i + 1}.bias"] = s[f"mapping.fc{i}.weight"], s[f"mapping.fc{i}.bias"]
    out["input.input"] = s["synthesis.b4.const"][None]

    def styled(target, prefix, noise):
        out[f"{target}.conv.weight"] = s[f"{prefix}.weight"][None]
        out[f"{target}.conv.modulation.weight"] = s[f"{prefix}.affine.weight"]
        out[f"{target}.conv.modulation.bias"] = s[f"{prefix}.affine.bias"]
        out[f"{target}.noise.weight"] = s[f"{prefix}.noise_strength"].reshape(1)
        out[f"{target}.activate.bias"] = s[f"{prefix}.bias"]
        out[f"noises.noise_{noise}"] = s[f"{prefix}.noise_const"][None, None]

    def rgb(target, prefix):
        out[f"{target}.conv.weight"] = s[f"{prefix}.weight"][None]
        out[f"{target}.conv.modulation.weight"] = s[f"{prefix}.affine.weight"]
        out[f"{target}.conv.modulation.bias"] = s[f"{prefix}.affine.bias"]
        out[f"{target}.bias"] = s[f"{prefix}.bias"].reshape(1, -1, 1, 1)

    styled("conv1", "synthesis.b4.conv1", 0)
    rgb("to_rgb1", "synthesis.b4.torgb")
    for k, r in enumerate(model.config.block_resolutions[1:]):
        styled(f"convs.{2 * k}", f"synthesis.b{r}.conv0", 2 * k + 1)
        out[f"convs.{2 * k}.conv.blur.kernel"] = kernel
        styled(f"convs.{2 * k + 1}", f"synthesis.b{r}.conv1", 2 * k + 2)
        rgb(f"to_rgbs.{k}", f"synthesis.b{r}.torgb")
        out[f"to_rgbs.{k}.upsample.kernel"] = kernel
    return out


def test_rosinality_checkpoint_loads_to_the_same_generator(tmp_path, model):
    path = tmp_path / "550000.pt"
    torch.save({"g_ema": rosinality_state(model), "latent_avg": model.w_avg.clone(), "g": rosinality_state(tiny(9)),
                "args": argparse.Namespace(size=32, n_mlp=2, channel_multiplier=2)}, path)
    loaded = load_stylegan2(path)
    config = loaded.config
    assert (config.img_resolution, config.z_dim, config.w_dim, config.mapping_layers) == (32, 16, 16, 2)
    assert [loaded.synthesis_network.channels[r] for r in (4, 8, 16, 32)] == [32, 32, 16, 8]
    expected, got = model.state_dict(), loaded.state_dict()
    assert set(got) == set(expected) and all(torch.equal(got[k], expected[k]) for k in expected)
    z = model.sample_latents(3, seed=2)
    with torch.no_grad():
        images = loaded(z)
        assert torch.equal(images, model(z)) and images.min() >= 0 and images.max() <= 1


def test_rosinality_without_latent_avg_estimates_it(tmp_path, model):
    state = rosinality_state(model)
    state.pop("convs.0.conv.blur.kernel")  # blur kernels are optional buffers
    torch.save({"g_ema": state}, tmp_path / "g.pt")
    loaded = load_stylegan2(tmp_path / "g.pt")
    with torch.no_grad():
        reference = model.mapping(torch.randn(20_000, 16, generator=torch.Generator().manual_seed(123)), None).mean(0)
    spread = model.mapping(torch.randn(2000, 16), None).std(0).max()
    assert (loaded.w_avg - reference).abs().max() < 0.05 * spread


def test_bad_files_fail_clearly(tmp_path, model):
    state = rosinality_state(model)
    state["extra.weight"] = torch.zeros(1)
    torch.save({"g_ema": state}, tmp_path / "extra.pt")
    with pytest.raises(ValueError, match="unexpected tensors.*extra.weight"):
        load_stylegan2(tmp_path / "extra.pt")
    torch.save({"g_ema": {"style.1.weight": torch.zeros(2, 2)}}, tmp_path / "partial.pt")
    with pytest.raises(ValueError, match="not a rosinality"):
        load_stylegan2(tmp_path / "partial.pt")
    with pytest.raises(FileNotFoundError, match="stylegan2-ffhq-1024"):
        load_stylegan2("stylegan2-ffhq-1042")
    wrong = tiny_config(channel_max=16)  # the weights are 32 channels wide
    with pytest.raises(ValueError, match="wrong shapes.*synthesis.b4.const"):
        StyleGAN2.from_state_dict(wrong, model.state_dict())
    with pytest.raises(ValueError, match="unsupported StyleGAN2 generator hyper-parameters.*mapping_kwargs.depth"):
        StyleGAN2Config.from_nvidia_kwargs({**model.config.to_nvidia_kwargs(), "mapping_kwargs": {"depth": 3}})


# --- (d) published names, the cache, offline -----------------------------------------------------------
@pytest.fixture
def registered(monkeypatch):
    """The registrations latentlab.zoo.builtin / loader make for StyleGAN2 (idempotent if already there)."""
    import latentlab.zoo.builtin  # noqa: F401
    from latentlab.zoo import loader, registry

    for entry in registry_entries():
        monkeypatch.setitem(registry.MODELS, entry.name, entry)
    monkeypatch.setitem(registry.ARCHITECTURES, "StyleGAN2", lambda cfg: StyleGAN2(StyleGAN2Config.from_json(cfg)))
    original = loader._download_loaders
    monkeypatch.setattr(loader, "_download_loaders", lambda: {**original(), "StyleGAN2": load_stylegan2})


def test_published_names_resolve_to_nvidia_urls(monkeypatch, tmp_path):
    assert SOURCES["stylegan2-ffhq-1024"].url == "https://nvlabs-fi-cdn.nvidia.com/stylegan2-ada-pytorch/pretrained/ffhq.pkl"
    assert SOURCES["stylegan2-church-256"].url == "https://nvlabs-fi-cdn.nvidia.com/stylegan2/networks/stylegan2-church-config-f.pkl"
    assert SOURCES["stylegan2-car-512"].url.endswith("/stylegan2-car-config-f.pkl")
    assert SOURCES["stylegan2-cat-256"].url.endswith("/stylegan2-cat-config-f.pkl")
    assert {s.format for s in SOURCES.values()} == {"pytorch", "tensorflow"}
    monkeypatch.setenv("LATENTLAB_CACHE", str(tmp_path))
    assert checkpoint_path("stylegan2-cat-256") == tmp_path / "stylegan2" / "stylegan2-cat-256" / "stylegan2-cat-config-f.pkl"
    entries = {e.name: e for e in registry_entries()}
    assert entries["stylegan2-ffhq-1024"].architecture == "StyleGAN2" and entries["stylegan2-ffhq-1024"].kind == "generator"


@pytest.mark.parametrize("offline", [True, False], ids=["HF_HUB_OFFLINE", "no-network"])
def test_offline_with_an_empty_cache_says_what_to_download_and_where(monkeypatch, tmp_path, registered, offline):
    import latentlab.zoo.cache as hf  # the plain (non-Hub) downloader: download_url(url, handle, **kwargs)
    from latentlab import load_generator
    from latentlab.zoo import biggan_checkpoints

    def unreachable(url, handle, **kwargs):
        raise ConnectionError(f"cannot reach {url}")

    monkeypatch.setattr(hf, "download_url", unreachable)  # never a real download, whatever the environment
    monkeypatch.setattr(biggan_checkpoints, "_offline", lambda: offline)
    monkeypatch.setenv("LATENTLAB_CACHE", str(tmp_path))
    for load in (lambda: load_stylegan2("stylegan2-church-256"), lambda: load_generator("stylegan2-church-256")):
        with pytest.raises(OSError) as info:
            load()
        message = str(info.value)
        assert SOURCES["stylegan2-church-256"].url in message and "fetch_stylegan2" in message
        assert str(checkpoint_path("stylegan2-church-256")) in message and "LATENTLAB_CACHE" in message
        assert offline or "ConnectionError: cannot reach" in message
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_downloads_are_atomic_and_land_in_the_cache(monkeypatch, tmp_path, registered):
    import latentlab.zoo.cache as hf  # the plain (non-Hub) downloader: download_url(url, handle, **kwargs)
    from latentlab import load_generator
    from latentlab.zoo import biggan_checkpoints

    served_file = tmp_path / "served.pkl"
    original = tiny(4)
    write_nvidia_pickle(served_file, original, original, "class Generator: pass\n")
    monkeypatch.setenv("LATENTLAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(biggan_checkpoints, "_offline", lambda: False)

    def broken(url, handle, **kwargs):
        handle.write(b"half a file")
        raise ConnectionError("connection reset")

    monkeypatch.setattr(hf, "download_url", broken)
    with pytest.raises(OSError, match="connection reset"):
        load_generator("stylegan2-ffhq-1024")
    target = checkpoint_path("stylegan2-ffhq-1024")
    assert list(target.parent.iterdir()) == []  # nothing half-written, no temporary files left

    urls = []

    def served(url, handle, **kwargs):
        urls.append(url)
        handle.write(served_file.read_bytes())

    monkeypatch.setattr(hf, "download_url", served)
    loaded = load_generator("stylegan2-ffhq-1024")
    assert urls == [SOURCES["stylegan2-ffhq-1024"].url] and target.is_file()
    assert isinstance(loaded, StyleGAN2) and torch.equal(loaded.w_avg, original.w_avg)
    load_stylegan2("stylegan2-ffhq-1024")  # from the cache now: no second download
    assert len(urls) == 1


def test_latentlab_weights_file_round_trips(tmp_path, model, registered):
    from latentlab.zoo.checkpoints import save_generator
    from latentlab.zoo.loader import load_model

    save_generator(model, tmp_path / "tiny.safetensors")
    back = load_model(str(tmp_path / "tiny.safetensors"))
    assert isinstance(back, StyleGAN2) and back.config == model.config
    assert all(torch.equal(a, b) for a, b in zip(back.state_dict().values(), model.state_dict().values(), strict=True))
    z = model.sample_latents(2, seed=0)
    with torch.no_grad():  # loaded on the CPU, convolution weights are channels-last: the same sums, another order
        torch.testing.assert_close(back(z), model(z), atol=1e-6, rtol=0)


# --- (e) the implementation's math ---------------------------------------------------------------------
def test_shapes_spaces_and_round_trips(model):
    z = model.sample_latents(4, seed=0)
    with torch.no_grad():
        images = model(z)
        w = model.to_w(z)
        ws = model.to_wplus(z)
        assert images.shape == (4, 3, 32, 32) and images.min() >= 0 and images.max() <= 1
        assert w.shape == (4, 16) and ws.shape == (4, model.num_ws, 16)
        close = lambda a, b: torch.testing.assert_close(a, b, atol=1e-5, rtol=0)  # noqa: E731  (ψ = 1 rounds)
        close(model.from_w(w), images)
        close(model.from_wplus(ws), images)
        assert torch.equal(resolve_space("w+", model).render(ws.flatten(1)), model.from_wplus(ws))
        assert torch.equal(resolve_space("W", model).render(w), model.from_w(w))
        assert torch.equal(resolve_space("z", model).render(z), images)
        assert torch.equal(model.from_w(w), model.from_wplus(model.broadcast(w)))
        raw = model.synthesis_raw(ws)
        assert torch.equal(model.synthesis(ws), (raw * 0.5 + 0.5).clamp(0, 1)) and raw.abs().max() > 0.1
        model.noise_mode = "random"
        try:
            assert not torch.equal(model.from_wplus(ws), images)
        finally:
            model.noise_mode = "const"
    assert resolve_space("w+", model).dim == model.num_ws * 16
    with pytest.raises(ValueError, match="noise mode"):
        model.noise_mode = "constant"


def test_truncation_pulls_towards_w_avg(model):
    z = model.sample_latents(4, seed=1)
    with torch.no_grad():
        w = model.to_w(z)
        assert torch.equal(model.to_w(z, truncation=1.0), w)
        torch.testing.assert_close(model.to_w(z, truncation=0.5), model.w_avg + 0.5 * (w - model.w_avg))
        center = model.from_w(model.w_avg[None])
        distances = [(model.from_w(model.to_w(z, truncation=psi)) - center).square().mean().item() for psi in (1.0, 0.5, 0.1)]
        assert distances[0] > distances[1] > distances[2] and distances[2] < 0.05 * distances[0]


def test_style_mixing_changes_only_the_layers_it_mixes(model):
    """Mixing a range replaces exactly its styles, and nothing computed before its first layer changes.

    (That fine styles change the *pixels* less than coarse ones is a property of trained networks:
    with random weights the last ToRGB's style scales the output directly, so it is not tested.)
    """
    net = model.synthesis_network
    with torch.no_grad():
        a, b = model.to_wplus(model.sample_latents(6, seed=2)), model.to_wplus(model.sample_latents(6, seed=3))
        assert model.mix_layers("coarse") == [0] and model.mix_layers("fine") == [5, 6, 7]
        for name in ("coarse", "middle", "fine"):
            mixed = model.mix(a, b, name)
            layers = model.mix_layers(name)
            assert torch.equal(mixed[:, layers], b[:, layers])
            assert torch.equal(mixed[:, [i for i in range(model.num_ws) if i not in layers]],
                               a[:, [i for i in range(model.num_ws) if i not in layers]])
            first_block = [i for i, r in enumerate(net.block_resolutions) if r == model.layer_resolutions[layers[0]]][0]
            for k in range(len(net.block_resolutions)):
                x_a, img_a = net.run(a, 0, k + 1)
                x_m, img_m = net.run(mixed, 0, k + 1)
                if k < first_block:  # features of earlier blocks are untouched (their ToRGB may share the first style)
                    assert torch.equal(x_a, x_m)
                elif k == first_block:
                    assert not torch.equal(x_a, x_m)
            assert not torch.equal(model.from_wplus(mixed), model.from_wplus(a))
        assert torch.equal(model.from_wplus(model.mix(a, a, "fine")), model.from_wplus(a))


@pytest.mark.parametrize("architecture", ["skip", "resnet"])
def test_split_reproduces_the_forward_pass_at_every_block(architecture):
    model = tiny(5, architecture=architecture, c_dim=2)
    assert model.layer_names() == ["b4", "b8", "b16", "b32"] == model.spatial_layers()
    z, y = model.sample_latents(2, seed=4), model.classes([1, 0])
    with torch.no_grad():
        full = model(z, y)
        for layer, (channels, size) in zip(model.layer_names(), [(32, 4), (32, 8), (16, 16), (8, 32)]):
            split = model.split(layer)
            features = split.f(z, model.class_vectors(y))
            assert features.shape == (2, channels, size, size)
            torch.testing.assert_close(split.h(features, z, model.class_vectors(y)), full, atol=1e-6, rtol=0)
            if layer == "b8":  # edited features reach the image (through b8's ToRGB and every later block)
                assert not torch.equal(split.h(features * 0.5, z, model.class_vectors(y)), full)
    with pytest.raises(ValueError, match="Did you mean 'b16'"):
        model.split("b61")


def test_region_edits_blend_features_and_partial_image(model):
    z0, z1 = model.sample_latents(1, seed=6), model.sample_latents(1, seed=7)
    ones, zeros = torch.ones(1, 1, 32, 32), torch.zeros(1, 1, 32, 32)
    half = zeros.clone()
    half[..., :, :16] = 1
    with torch.no_grad():
        base, other = model(z0), model(z1)
        for layer in ("b8", "b16"):
            torch.testing.assert_close(model.synthesize_edits((z0, None), [(z1, None, zeros)], layer), base, atol=1e-6, rtol=0)
            torch.testing.assert_close(model.synthesize_edits((z0, None), [(z1, None, ones)], layer), other, atol=1e-6, rtol=0)
        edited = model.synthesize_edits((z0, None), [(z1, None, half)], "b16")
        left, right = (edited - other)[..., :12].abs().mean(), (edited - base)[..., 20:].abs().mean()
        assert left < 0.5 * (base - other)[..., :12].abs().mean() and right < 0.5 * (base - other)[..., 20:].abs().mean()


def test_config_round_trips_and_validates(model):
    config = model.config
    assert StyleGAN2Config.from_json(config.to_json()) == config
    assert StyleGAN2Config.from_nvidia_kwargs(config.to_nvidia_kwargs()) == config
    conditional = StyleGAN2Config(c_dim=2)
    assert conditional.class_names == ("class0", "class1")
    assert StyleGAN2Config(class_names=("cat", "dog")).c_dim == 2
    with pytest.raises(ValueError, match="architecture"):
        StyleGAN2Config(architecture="skips")
    with pytest.raises(ValueError, match="power of two"):
        StyleGAN2Config(img_resolution=48)


def test_style_sefa_reads_every_style_affine_of_stylegan2():
    from latentlab.methods.sefa import style_affine_weights, style_sefa_directions

    g = tiny()
    weights = style_affine_weights(g)
    expected = [m for m in g.modules() if getattr(getattr(m, "affine", None), "weight", None) is not None]
    assert len(weights) == len(expected) == len(g.style_layers()) >= 2
    assert all(w.shape == (channels, g.w_dim) for w, (_, _, channels) in zip(weights, g.style_layers()))
    with torch.no_grad():  # s = A w + b: the read-off weights reproduce the style map
        ws = g.to_wplus(g.sample_latents(3, seed=0))
        delta = torch.randn(3, g.w_dim, generator=torch.Generator().manual_seed(0))
        moved = g.style_channels(ws + delta[:, None])
        for before, after, a in zip(g.style_channels(ws), moved, weights):
            torch.testing.assert_close(after - before, delta @ a.T, atol=1e-4, rtol=1e-4)
    directions = style_sefa_directions(g, k=3)
    eigen = [d.info["eigenvalue"] for d in directions]
    assert eigen == sorted(eigen, reverse=True) and eigen[0] > 0


# --- (f) StyleSpace ------------------------------------------------------------------------------------
def _recorded_modulations(model: StyleGAN2) -> dict[str, list[torch.Tensor]]:
    """The style vectors each modulated layer multiplies its weight by, recorded as they are applied."""
    seen = {}
    for name, _, _ in model.style_layers():
        block, part = name.split(".")
        layer = getattr(getattr(model.synthesis_network, block), part)
        seen[name] = []

        def record(x, styles, *args, _apply=layer.modulate, _seen=seen[name], **kwargs):
            _seen.append(styles)
            return _apply(x, styles, *args, **kwargs)

        layer.modulate = record
    return seen


@pytest.mark.parametrize("architecture", ["skip", "resnet", "orig"])
def test_stylespace_reproduces_synthesis_and_edits_one_channel(architecture):
    model = tiny(6, architecture=architecture)
    layers = model.style_layers()
    channels = {4: 32, 8: 32, 16: 16, 32: 8}
    expected = []
    for i, r in enumerate((4, 8, 16, 32)):
        first = 2 * i - 1  # the W+ row of the block's conv0
        expected += [] if r == 4 else [(f"b{r}.conv0", first, channels[r // 2])]
        expected += [(f"b{r}.conv1", first + 1, channels[r])]
        if architecture == "skip" or r == 32:
            expected += [(f"b{r}.torgb", first + 2, channels[r])]
    assert layers == expected and layers[-1].index == model.num_ws - 1
    ws = model.to_wplus(model.sample_latents(3, seed=8))
    with torch.no_grad():
        styles = model.style_channels(ws)
        assert [tuple(s.shape) for s in styles] == [(3, c) for _, _, c in layers]
        images = model.synthesis(ws)
        torch.testing.assert_close(model.synthesis_from_styles(styles), images, atol=1e-6, rtol=0)
        for row in range(model.num_ws):  # each layer reads the W+ row it names, and only that one
            moved = ws.clone()
            moved[:, row] += 0.5
            changed = [name for (name, _, _), a, b in zip(layers, styles, model.style_channels(moved), strict=True)
                       if not torch.equal(a, b)]
            assert changed == [name for name, index, _ in layers if index == row]
        seen = _recorded_modulations(model)
        for k in (0, len(layers) // 2, len(layers) - 1):  # one channel of one layer
            edited = [s.clone() for s in styles]
            edited[k][:, 1] += 2.0
            for v in seen.values():
                v.clear()
            assert not torch.equal(model.synthesis_from_styles(edited), images)
            for (name, _, _), s, given in zip(layers, styles, edited, strict=True):
                assert torch.equal(seen[name][0], given)  # exactly what the layer multiplies its weight by
                if name != layers[k].name:
                    assert torch.equal(given, s)
            assert torch.equal((seen[layers[k].name][0] - styles[k]).ne(0).any(dim=0).nonzero()[:, 0], torch.tensor([1]))
    styles = [s.clone().requires_grad_(True) for s in styles]  # gradients reach every layer's styles
    model.synthesis_from_styles(styles).square().mean().backward()
    assert all(s.grad is not None and s.grad.abs().sum() > 0 for s in styles)


def test_stylespace_noise_follows_synthesis_and_bad_styles_fail_clearly(model):
    ws = model.to_wplus(model.sample_latents(2, seed=9))
    with torch.no_grad():
        styles = model.style_channels(ws)
        assert torch.equal(model.synthesis_from_styles(styles), model.synthesis_from_styles(styles))  # const noise
        model.noise_mode = "random"
        try:
            assert not torch.equal(model.synthesis_from_styles(styles), model.synthesis_from_styles(styles))
        finally:
            model.noise_mode = "const"
    name, _, channels = model.style_layers()[2]
    with pytest.raises(ValueError, match=rf"style layer '{name}' of StyleGAN2 takes a tensor \[2, {channels}\], got \(2, 5\)"):
        model.synthesis_from_styles(styles[:2] + [torch.zeros(2, 5)] + styles[3:])
    with pytest.raises(ValueError, match=rf"takes a tensor \[2, {channels}\], got \(3, {channels}\)"):
        model.synthesis_from_styles(styles[:2] + [torch.zeros(3, channels)] + styles[3:])
    with pytest.raises(ValueError, match=rf"has {len(styles)} style layers .*got {len(styles) - 1} style tensors"):
        model.synthesis_from_styles(styles[:-1])
    with pytest.raises(ValueError, match="sequence of"):
        model.synthesis_from_styles(torch.cat(styles, dim=1))
    with pytest.raises(ValueError, match=f"layer '{name}' contain NaN"):
        model.synthesis_from_styles(styles[:2] + [torch.full((2, channels), float("nan"))] + styles[3:])
    with pytest.raises(ValueError, match=r"\[N, 8, 16\]"):
        model.style_channels(ws[:, :3])


def test_style_generators_without_stylespace_say_so():
    from latentlab.generators.style import StyleGenerator

    class Bare(StyleGenerator):
        pass

    for call in (lambda g: g.style_layers(), lambda g: g.style_channels(torch.zeros(1, 1, 1)),
                 lambda g: g.synthesis_from_styles([])):
        with pytest.raises(NotImplementedError, match="Bare does not expose StyleSpace"):
            call(Bare())
