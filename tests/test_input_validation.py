"""Every public entry point refuses nonsense once, naming the bad value and what it accepts.

One parametrised test per group: CLIP prompts, classes and counts, latent and class dtypes,
widget numbers, devices, and paths / damaged files. Valid inputs next to each group still work.
"""

from __future__ import annotations

import math
import re
from types import SimpleNamespace

import numpy as np
import pytest
import torch

import latentlab
import latentlab.errors as errors
import latentlab.widgets
import latentlab.zoo.open_clip_models
from latentlab.errors import CorruptFileError, InvalidInputError, check_device

# --- shared, module-scoped objects ------------------------------------------------------------------


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    """The embedded models and a folder of bad files, made once for the whole module."""
    from latentlab.zoo.open_clip_models import load_clip

    torch.set_num_threads(2)
    folder = tmp_path_factory.mktemp("bad_files")
    return SimpleNamespace(g=latentlab.load_generator("shapes-biggan"), sg=latentlab.load_generator("shapes-stylegan"),
                           clip=load_clip("shapes-clip"), tmp=folder, files=_bad_files(folder))


def _bad_files(folder) -> dict:
    """Damaged, foreign, mis-shaped and missing weight files (paths as strings)."""
    from safetensors.torch import save_file

    from latentlab.zoo.checkpoints import load_state, read_metadata
    from latentlab.zoo.loader import embedded_path
    from latentlab.zoo.registry import MODELS

    real = embedded_path(MODELS["shapes-biggan"])
    data = real.read_bytes()
    files = {}

    def write(name: str, content: bytes) -> str:
        path = folder / name
        path.write_bytes(content)
        files[name] = str(path)
        return str(path)

    write("truncated.safetensors", data[: len(data) // 2])
    write("text.safetensors", b"hello, this is not a weights file")
    write("empty.safetensors", b"")
    write("empty.pt", b"")
    write("text.pth", b"hello, this is not a checkpoint")
    write("text.pkl", b"Ihello\n.")
    write("notes.txt", b"some notes")
    zipped = folder / "whole.pt"
    torch.save({"g_ema": {"x": torch.zeros(8)}}, zipped)
    write("truncated.pt", zipped.read_bytes()[:200])
    plain = folder / "plain.safetensors"
    save_file({"w": torch.zeros(2)}, str(plain))  # a valid safetensors file without latentlab's metadata
    files["plain.safetensors"] = str(plain)
    state, meta = load_state(real), read_metadata(real)
    key = next(k for k, v in state.items() if v.dim() == 2)
    state[key] = torch.zeros(3, 3)  # one tensor of the wrong shape
    save_file(state, str(folder / "wrong_shape.safetensors"), metadata=meta)
    files["wrong_shape.safetensors"] = str(folder / "wrong_shape.safetensors")
    probe = embedded_path(MODELS["shapes-probe"])
    files["probe.safetensors"] = str(probe)
    files["generator.safetensors"] = str(real)
    deep = folder / "deep"
    deep.mkdir()
    (deep / "config.json").write_text("{not json")
    (deep / "pytorch_model.bin").write_bytes(b"\x00" * 16)
    files["deep"] = str(deep)
    deep2 = folder / "deep2"
    deep2.mkdir()
    (deep2 / "config.json").write_text("{}")
    (deep2 / "pytorch_model.bin").write_bytes(b"garbage that is not a torch file")
    files["deep2"] = str(deep2)
    return files


def _raises(call, ctx, error, match):
    with pytest.raises(error, match=match) as info:
        call(ctx)
    return info.value


# --- 1 + 2: CLIP prompts ------------------------------------------------------------------------------
LONG = "a red star " * 910  # 10,010 characters


def _near_limit_prompt(clip) -> str:
    """A prompt that fits the context alone but not inside the 'photo' templates."""
    words = []
    while clip.token_count(" ".join(words + ["red"])) <= clip.context_length:
        words.append("red")
    return " ".join(words)


def _clip_assessor(*args, **kwargs):
    from latentlab.assessors.clip import CLIPAssessor

    return lambda c: CLIPAssessor(*args, **{"model": c.clip, **kwargs})


def _similarity(texts, **kwargs):
    from latentlab.assessors.clip import similarity_matrix

    return lambda c: similarity_matrix(torch.rand(2, 3, 64, 64), texts, c.clip, **kwargs)


@pytest.mark.parametrize("call, error, match", [
    pytest.param(_clip_assessor(None), InvalidInputError, "got None", id="text-None"),
    pytest.param(_clip_assessor([]), InvalidInputError, re.escape("got []"), id="text-empty-list"),
    pytest.param(_clip_assessor(()), InvalidInputError, re.escape("got ()"), id="text-empty-tuple"),
    pytest.param(_clip_assessor(5), InvalidInputError, "got int 5", id="text-int"),
    pytest.param(_clip_assessor(["a star", None]), InvalidInputError, "NoneType None", id="text-list-with-None"),
    pytest.param(_clip_assessor(LONG), InvalidInputError, r"prompt is \d+ tokens; shapes-clip reads at most 32 .*: 'a red star a red",
                 id="text-10000-chars"),
    pytest.param(_clip_assessor("a star", negatives=["a circle", "a blue circle " * 20]), InvalidInputError,
                 r"negatives prompt is \d+ tokens; shapes-clip reads at most 32 .*: 'a blue circle", id="negative-too-long"),
    pytest.param(lambda c: _clip_assessor(_near_limit_prompt(c.clip), templates="photo")(c), InvalidInputError,
                 r"in template 'a photo of \{\}\.' is \d+ tokens; shapes-clip reads at most 32", id="template-pushes-over"),
    pytest.param(_clip_assessor("a star", templates="{} and {}"), InvalidInputError, re.escape("'{} and {}'"), id="template-two-slots"),
    pytest.param(_clip_assessor("a star", templates=None), InvalidInputError, "got None", id="templates-None"),
    pytest.param(_clip_assessor("a star", negative_weight=math.inf), InvalidInputError, "got inf", id="negative-weight-inf"),
    pytest.param(_clip_assessor("a star", batch_size=0), InvalidInputError, "batch_size .* got 0", id="batch-size-0"),
    pytest.param(_similarity(["a star", LONG]), InvalidInputError, r"texts prompt is \d+ tokens; shapes-clip reads at most 32",
                 id="similarity-too-long"),
    pytest.param(_similarity(None), InvalidInputError, "got None", id="similarity-None"),
])
def test_clip_prompts_are_refused_before_scoring(ctx, call, error, match):
    _raises(call, ctx, error, match)


def test_clip_prompts_that_fit_still_score(ctx):
    from latentlab.assessors.clip import CLIPAssessor, similarity_matrix

    prompt = _near_limit_prompt(ctx.clip)
    assert ctx.clip.token_count(prompt) == ctx.clip.context_length == 32
    images = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.isfinite(CLIPAssessor(prompt, ctx.clip)(images)).all()
        assert torch.isfinite(CLIPAssessor("a red star", ctx.clip, negatives=None)(images)).all()
        assert similarity_matrix(images, ["a star", prompt], ctx.clip).shape == (2, 2)


# --- 3: classes, indices and counts ---------------------------------------------------------------------
@pytest.mark.parametrize("call, match", [
    pytest.param(lambda c: c.g.classes("star", 0), "n must be a positive integer.*got 0", id="classes-n-0"),
    pytest.param(lambda c: c.g.classes(1, -2), "got -2", id="classes-n-negative"),
    pytest.param(lambda c: c.g.classes(1, 2.5), "got 2.5", id="classes-n-fraction"),
    pytest.param(lambda c: c.g.class_index(2.7), "got 2.7 \\(float\\)", id="index-float"),
    pytest.param(lambda c: c.g.class_index(np.float64(1.5)), "1.5", id="index-numpy-float"),
    pytest.param(lambda c: c.g.class_index(torch.tensor(1.5)), "tensor\\(1.5000\\)", id="index-tensor-float"),
    pytest.param(lambda c: c.g.class_index(True), "got True \\(bool\\)", id="index-bool"),
    pytest.param(lambda c: c.g.class_index(None), "got None", id="index-None"),
    pytest.param(lambda c: c.g.class_index([1]), re.escape("got [1] (list)"), id="index-list"),
    pytest.param(lambda c: c.g.class_index(5), "class index 5 is out of range 0..4", id="index-too-large"),
    pytest.param(lambda c: c.g.class_index(-1), "class index -1 is out of range", id="index-negative"),
    pytest.param(lambda c: c.g.classes([]), re.escape("empty sequence ([])"), id="classes-empty"),
    pytest.param(lambda c: c.g.classes(b"ab"), "b'ab'", id="classes-bytes"),
    pytest.param(lambda c: c.g.classes([0, 2.5]), "got 2.5", id="classes-list-with-fraction"),
    pytest.param(lambda c: c.g.generate(10 ** 9), "got 1000000000.*latentlab.errors.MAX_BATCH", id="generate-1e9"),
    pytest.param(lambda c: c.g.generate(0), "n must be a positive integer.*got 0", id="generate-0"),
    pytest.param(lambda c: c.g.generate(2, batch_size=0), "batch_size .*got 0", id="generate-batch-0"),
    pytest.param(lambda c: c.g.sample_latents(2.5), "got 2.5", id="sample-latents-fraction"),
    pytest.param(lambda c: c.g.sample_latents(2, seed="one"), "got 'one'", id="seed-string"),
    pytest.param(lambda c: c.g.sample_classes(-1), "got -1", id="sample-classes-negative"),
])
def test_classes_and_counts_are_refused(ctx, call, match):
    _raises(call, ctx, InvalidInputError, match)


def test_integer_like_classes_and_counts_are_accepted(ctx, monkeypatch):
    g = ctx.g
    assert g.class_index(np.int64(2)) == g.class_index(torch.tensor(2)) == g.class_index(2.0) == 2
    assert g.classes(np.int32(1), 3).tolist() == [1, 1, 1] and g.classes("star").tolist() == [3]
    assert g.classes(np.array([1, 2])).tolist() == g.classes(torch.tensor([1, 2])).tolist() == [1, 2]
    assert g.sample_latents(np.int64(2), seed=np.int64(3)).shape == (2, g.latent_dim)
    monkeypatch.setattr(errors, "MAX_BATCH", 4)  # the cap is read when called: raising it works
    with pytest.raises(InvalidInputError, match="MAX_BATCH = 4"):
        g.sample_latents(5)
    assert g.generate(4, seed=0).shape == (4, 3, 64, 64)


# --- 4: latent and class dtypes ------------------------------------------------------------------------
def _forward(z_dtype=None, y=None, style=False):
    def call(c):
        g = c.sg if style else c.g
        z = g.sample_latents(2, seed=0)
        z = z if z_dtype is None else (z > 0).to(z_dtype) if z_dtype == torch.bool else z.to(z_dtype)
        return g(z, g.classes([0, 1]) if y is None else y(g))
    return call


@pytest.mark.parametrize("call, match", [
    pytest.param(_forward(torch.int64), "dtype torch.int64", id="latents-int64"),
    pytest.param(_forward(torch.int32, style=True), "dtype torch.int32", id="latents-int32-style"),
    pytest.param(_forward(torch.bool), "dtype torch.bool", id="latents-bool"),
    pytest.param(_forward(torch.complex64), "dtype torch.complex64", id="latents-complex"),
    pytest.param(_forward(y=lambda g: torch.tensor([True, False])), "dtype torch.bool", id="classes-bool"),
    pytest.param(_forward(y=lambda g: torch.tensor([0, 1], dtype=torch.complex64)), "dtype torch.complex64", id="classes-complex"),
    pytest.param(_forward(y=lambda g: torch.tensor([0.0, 1.0])), re.escape("got (2,)"), id="classes-1d-float"),
    pytest.param(_forward(y=lambda g: [0, 1]), re.escape("got list [0, 1]"), id="classes-list"),
    pytest.param(_forward(y=lambda g: torch.tensor([0, 9], dtype=torch.int16)), re.escape("got [9]"), id="classes-int16-out-of-range"),
    pytest.param(_forward(y=lambda g: torch.full((2, 5), math.nan, dtype=torch.float64)), "NaN", id="classes-nan-vectors"),
])
def test_latent_and_class_dtypes_are_refused_by_name(ctx, call, match):
    _raises(call, ctx, InvalidInputError, match)


@pytest.mark.parametrize("name", ["g", "sg"])
def test_other_float_and_integer_dtypes_are_cast(ctx, name):
    g = getattr(ctx, name)
    z, y = g.sample_latents(3, seed=1), g.classes([0, 2, 4])
    with torch.no_grad():
        reference = g(z, y)
        assert (g(z.double(), y) - reference).abs().max() <= 1e-6  # float64 gives the float32 images
        for dtype in (torch.int8, torch.int16, torch.int32, torch.uint8):
            assert torch.equal(g(z, y.to(dtype)), reference)
        one_hot = torch.nn.functional.one_hot(y, len(g.class_names)).double()
        assert (g(z, one_hot) - reference).abs().max() <= 1e-6
        for dtype in (torch.float16, torch.bfloat16):  # cast up; rounding of the latents only
            assert (g(z.to(dtype), y) - reference).abs().max() < 0.2


# --- 5: widget numbers -----------------------------------------------------------------------------------
def _direction(c):
    from latentlab.methods.directions import Direction

    return {"random": Direction(torch.randn(c.g.latent_dim, generator=torch.Generator().manual_seed(0)))}


def _widget(kind: str, **kwargs):
    def call(c):
        from latentlab import widgets as w

        if kind == "walk":
            return w.LatentWalk(c.g, **kwargs)
        if kind == "export":
            walk = w.LatentWalk(c.g, steps=2, display_size=64)
            return walk.state.export(c.tmp / kwargs.pop("name", "walk.gif"), **kwargs)
        if kind == "truncation":
            return w.TruncationExplorer(c.g, readout=w.PixelReadout(), n=2, readout_n=2, **kwargs)
        if kind == "mixer":
            return w.ClassMixer(c.g, **kwargs)
        if kind == "direction":
            return w.DirectionExplorer(c.g, _direction(c), **kwargs)
        if kind == "style":
            return w.StyleMixer(c.sg, **kwargs)
        if kind == "gallery":
            return w.EvolutionGallery("a red star", c.g, lambda images: images.mean(dim=(1, 2, 3)), **kwargs)
        if kind == "units":
            return w.UnitsExplorer(c.g, **kwargs)
        if kind == "paint":
            pytest.importorskip("ipycanvas")
            return w.PaintCanvas(c.g, **kwargs)
        raise AssertionError(kind)
    return call


def _gif(fps):
    from latentlab.widgets import save_gif

    return lambda c: save_gif(torch.rand(2, 3, 8, 8), c.tmp / "x.gif", fps=fps)


@pytest.mark.parametrize("call, match", [
    pytest.param(_gif(0), "fps must be a finite number >= 0.002 .*got 0", id="gif-fps-0"),
    pytest.param(_gif(-3), "got -3", id="gif-fps-negative"),
    pytest.param(_gif(math.nan), "got nan", id="gif-fps-nan"),
    pytest.param(_gif(math.inf), "got inf", id="gif-fps-inf"),
    pytest.param(_gif(1000), "<= 100 .*hundredths.*got 1000", id="gif-fps-1000"),
    pytest.param(_gif("8"), "got '8'", id="gif-fps-string"),
    pytest.param(lambda c: latentlab.widgets.save_gif(torch.rand(2, 3, 8, 8), c.tmp / "x.gif", min_size=-1), "min_size .*got -1",
                 id="gif-min-size-negative"),
    pytest.param(lambda c: latentlab.widgets.save_mp4(torch.rand(2, 3, 8, 8), c.tmp / "x.mp4", fps=0), "fps .*got 0", id="mp4-fps-0"),
    pytest.param(lambda c: latentlab.widgets.save_mp4(torch.rand(2, 3, 8, 8), c.tmp / "x.mp4", quality=52), "quality .*got 52",
                 id="mp4-quality-52"),
    pytest.param(_widget("walk", fps=0), "fps .*got 0", id="walk-fps-0"),
    pytest.param(_widget("walk", steps=1), "steps must be an integer >= 2.*got 1", id="walk-steps-1"),
    pytest.param(_widget("walk", steps=2.5), "got 2.5", id="walk-steps-fraction"),
    pytest.param(_widget("walk", display_size=0), "display_size .*got 0", id="walk-display-0"),
    pytest.param(_widget("walk", display_size=10 ** 6), "got 1000000.*MAX_DISPLAY_SIZE", id="walk-display-huge"),
    pytest.param(_widget("walk", throttle_s=-1), "throttle_s .*got -1", id="walk-throttle-negative"),
    pytest.param(_widget("walk", start=1.5), "got 1.5", id="walk-start-float"),
    pytest.param(_widget("export", fps=0), "fps .*got 0", id="export-fps-0"),
    pytest.param(_widget("export", name="walk.png"), "walk.png", id="export-suffix"),
    pytest.param(_widget("truncation", nrow=0), "nrow .*got 0", id="truncation-nrow-0"),
    pytest.param(_widget("truncation", psi=0), "got 0", id="truncation-psi-0"),
    pytest.param(_widget("truncation", display_size=-5), "display_size .*got -5", id="truncation-display-negative"),
    pytest.param(lambda c: latentlab.widgets.TruncationExplorer(c.g, n=0), "n must be a positive integer.*got 0",
                 id="truncation-n-0"),
    pytest.param(lambda c: latentlab.widgets.TruncationState(c.g, readout_n=10 ** 7), "got 10000000.*MAX_BATCH",
                 id="truncation-readout-huge"),
    pytest.param(_widget("mixer", t=1.5), re.escape("t must be in [0, 1] (0: class A, 1: class B), got 1.5"), id="mixer-t"),
    pytest.param(_widget("mixer", rows=0), "rows .*got 0", id="mixer-rows-0"),
    pytest.param(_widget("mixer", display_size=0), "display_size .*got 0", id="mixer-display-0"),
    pytest.param(_widget("direction", t_range=(1, 1)), re.escape("(1, 1)"), id="direction-range-empty"),
    pytest.param(_widget("direction", t_range=(0, math.inf)), "got inf", id="direction-range-inf"),
    pytest.param(_widget("direction", t_range=2.0), "got 2.0", id="direction-range-number"),
    pytest.param(_widget("direction", steps=1), "steps .*got 1", id="direction-steps-1"),
    pytest.param(_widget("style", truncation=math.inf), "got inf", id="style-psi-inf"),
    pytest.param(_widget("style", cell_size=0), "cell_size .*got 0", id="style-cell-0"),
    pytest.param(_widget("style", rows=0), "rows .*got 0", id="style-rows-0"),
    pytest.param(_widget("gallery", population=1), "population .*got 1", id="gallery-population-1"),
    pytest.param(_widget("gallery", generations=20_000), "generations .*got 20000", id="gallery-generations-huge"),
    pytest.param(_widget("gallery", columns=0), "columns .*got 0", id="gallery-columns-0"),
    pytest.param(_widget("units", top=0), "top .*got 0", id="units-top-0"),
    pytest.param(_widget("units", quantile=1.5), "quantile .*got 1.5", id="units-quantile"),
    pytest.param(_widget("units", seed=-1), "seed .*got -1", id="units-seed-negative"),
    pytest.param(_widget("paint", scale=0), "scale .*got 0", id="paint-scale-0"),
    pytest.param(_widget("paint", scale=2.5), "scale .*got 2.5", id="paint-scale-fraction"),
    pytest.param(_widget("paint", scale=10 ** 6), "scale .*got 1000000.*MAX_DISPLAY_SIZE", id="paint-scale-huge"),
    pytest.param(lambda c: latentlab.widgets.PaintSession(c.g, torch.zeros(7), 0), "got 7 values", id="paint-latents-size"),
    pytest.param(lambda c: latentlab.widgets.PaintSession(c.g, c.g.sample_latents(1)[0], 0).set_brush(math.inf), "got inf",
                 id="paint-brush-inf"),
    pytest.param(lambda c: latentlab.widgets.image_bytes(torch.rand(2, 3, 8, 8), nrow=0), "nrow .*got 0", id="image-bytes-nrow-0"),
    pytest.param(lambda c: latentlab.widgets.image_bytes(torch.rand(3, 8, 8), quality=0), "quality .*got 0", id="image-bytes-quality-0"),
    pytest.param(lambda c: latentlab.widgets.LatestValueThrottle(print, math.inf), "interval_s .*got inf", id="throttle-inf"),
    pytest.param(lambda c: latentlab.widgets.new_figure(width=0), "width .*got 0", id="figure-width-0"),
])
def test_widget_numbers_are_refused(ctx, call, match):
    _raises(call, ctx, ValueError, match)


def test_widget_numbers_in_range_still_work(ctx):
    from latentlab import widgets as w

    walk = w.LatentWalk(ctx.g, steps=np.int64(3), display_size=64, fps=25.0, throttle_s=0)
    path = walk.state.export(ctx.tmp / "ok.gif", fps=100, min_size=0)
    assert path.stat().st_size > 0
    style = w.StyleMixer(ctx.sg, rows=1, columns=1, truncation=2.0, cell_size=32, throttle_s=0)
    assert style.truncation.value == 2.0 == style.state.truncation  # the slider's range holds ψ instead of clamping it
    trunc = w.TruncationExplorer(ctx.g, psi=0.02, n=2, nrow=1, readout=w.PixelReadout(), readout_n=2, display_size=64, throttle_s=0)
    assert trunc.psi.value == 0.02 == trunc.state.psi


# --- 6: devices ---------------------------------------------------------------------------------------------
NO_CUDA = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
NO_MPS = pytest.mark.skipif(bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()), reason="MPS here")


@pytest.mark.parametrize("call, match", [
    pytest.param(lambda c: check_device("gpu"), "unknown device 'gpu'.*available here: 'cpu'", id="device-gpu"),
    pytest.param(lambda c: check_device(""), "unknown device ''", id="device-empty"),
    pytest.param(lambda c: check_device("cuda:99"), "device 'cuda:99' is not available on this machine", id="device-cuda-99"),
    pytest.param(lambda c: check_device("cuda"), re.escape("device 'cuda' is not available on this machine "
                                                           "(torch.cuda.is_available() is False); use 'cpu'"),
                 id="device-cuda", marks=NO_CUDA),
    pytest.param(lambda c: check_device("mps"), "device 'mps' is not available", id="device-mps", marks=NO_MPS),
    pytest.param(lambda c: check_device("cpu:1"), "device 'cpu:1' is not available", id="device-cpu-1"),
    pytest.param(lambda c: check_device(3.5), "got 3.5", id="device-float"),
    pytest.param(lambda c: latentlab.load_generator("shapes-biggan", device="cuda:99"), "'cuda:99'", id="load-generator-device"),
    pytest.param(lambda c: latentlab.load_probe(device="tpu"), "'tpu'", id="load-probe-device"),
    pytest.param(lambda c: latentlab.zoo.load_model("shapes-clip", device="gpu:0"), "'gpu:0'", id="load-model-device"),
    pytest.param(lambda c: latentlab.zoo.open_clip_models.load_clip("shapes-clip", device="cuda:99"), "'cuda:99'", id="load-clip-device"),
    pytest.param(_clip_assessor("a star", device="cuda:99"), "'cuda:99'", id="clip-assessor-device"),
])
def test_unknown_or_unavailable_devices_are_refused(ctx, call, match):
    _raises(call, ctx, InvalidInputError, match)


def test_available_devices_are_accepted():
    assert check_device("cpu") == check_device(None) == check_device(torch.device("cpu")) == torch.device("cpu")
    assert "cpu" in errors.available_devices()
    if torch.cuda.is_available():
        assert check_device("cuda:0") == torch.device("cuda:0")


# --- 7: paths and damaged files -------------------------------------------------------------------------------
def _load(name: str, loader: str = "generator"):
    def call(c):
        path = c.files.get(name, name)
        if loader == "clip":
            return latentlab.zoo.open_clip_models.load_clip(path)
        if loader == "deep":
            from latentlab.zoo.biggan_checkpoints import load_biggan

            return load_biggan(path)
        return latentlab.load_generator(path)
    return call


def _path(name):
    return lambda c: re.escape(c.files.get(name, name))


@pytest.mark.parametrize("call, error, match", [
    pytest.param(_load("missing.safetensors"), FileNotFoundError, "no such file: 'missing.safetensors'", id="missing-safetensors"),
    pytest.param(_load("/no/such/dir/shapes-biggan.safetensors"), FileNotFoundError,
                 "no such file: '/no/such/dir/shapes-biggan.safetensors'.*Did you mean the registered generator 'shapes-biggan'",
                 id="missing-path-close-to-a-name"),
    pytest.param(_load("./shapes-bigan"), FileNotFoundError, "no such file: './shapes-bigan'.*'shapes-biggan'", id="missing-relative"),
    pytest.param(_load("weights/model.ckpt"), FileNotFoundError, "no such file: 'weights/model.ckpt'", id="missing-ckpt"),
    pytest.param(_load("notes.txt"), InvalidInputError, "notes.txt' is a .txt file latentlab cannot read", id="text-file"),
    pytest.param(_load("plain.safetensors"), ValueError, "plain.safetensors is not a latentlab weights file", id="no-metadata"),
    pytest.param(_load("truncated.safetensors"), CorruptFileError, "truncated.safetensors' is not a readable safetensors",
                 id="truncated-safetensors"),
    pytest.param(_load("text.safetensors"), CorruptFileError, "text.safetensors' is not a readable", id="text-safetensors"),
    pytest.param(_load("empty.safetensors"), CorruptFileError, "empty.safetensors'", id="empty-safetensors"),
    pytest.param(_load("wrong_shape.safetensors"), ValueError, "wrong_shape.safetensors: .*1 of the wrong shape", id="wrong-shape"),
    pytest.param(_load("probe.safetensors"), InvalidInputError, "holds a ShapesProbe, not a generator", id="probe-as-generator"),
    pytest.param(_load("empty.pt"), CorruptFileError, "empty.pt' is empty", id="empty-pt"),
    pytest.param(_load("text.pth"), CorruptFileError, "text.pth' is not a readable", id="text-pth"),
    pytest.param(_load("text.pkl"), CorruptFileError, "text.pkl' is not a readable", id="text-pkl"),
    pytest.param(_load("truncated.pt"), CorruptFileError, "truncated.pt' is not a readable", id="truncated-pt"),
    pytest.param(_load("deep", "deep"), CorruptFileError, "config.json' is not valid JSON", id="deep-config-not-json"),
    pytest.param(_load("deep2", "deep"), CorruptFileError, "pytorch_model.bin' is not a readable", id="deep-weights-garbage"),
    pytest.param(_load("/no/such/clip.safetensors", "clip"), FileNotFoundError, "no such file: '/no/such/clip.safetensors'",
                 id="clip-missing"),
    pytest.param(_load("generator.safetensors", "clip"), InvalidInputError, "holds a 'CompactBigGAN' model, not a CLIP model",
                 id="clip-from-generator-file"),
    pytest.param(_load("notes.txt", "clip"), InvalidInputError, "notes.txt' is not a CLIP weights file", id="clip-text-file"),
    pytest.param(lambda c: latentlab.load_generator(123), InvalidInputError, "got 123 \\(int\\)", id="name-int"),
    pytest.param(lambda c: latentlab.zoo.load_model("shapes-biggan", kind="generatr"), ValueError, "unknown model kind 'generatr'",
                 id="kind-typo"),
])
def test_paths_and_damaged_files_are_reported_as_such(ctx, call, error, match):
    value = _raises(call, ctx, error, match)
    assert not isinstance(value, FileNotFoundError) or "unknown generator" not in str(value)


def test_valid_paths_still_load(ctx, tmp_path):
    from latentlab.zoo.checkpoints import save_generator

    path = save_generator(ctx.g, tmp_path / "copy.safetensors")
    z, y = ctx.g.sample_latents(2, seed=0), ctx.g.classes([0, 1])
    with torch.no_grad():
        assert torch.equal(latentlab.load_generator(path)(z, y), ctx.g(z, y))  # a Path works as well as a string
    assert latentlab.load_generator("shapes-biggan") is not None  # registered names are never taken for paths
