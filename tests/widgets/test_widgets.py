"""Explorers driven headless: through their state objects, their widgets and their button handlers."""

import asyncio
import io
import sys
import threading
import time
import types

import pytest
import torch
from PIL import Image
from torch import nn

from latentlab.assessors import Redness
from latentlab.generators.module_adapter import ModuleGenerator
from latentlab.widgets import (
    ClassMixer,
    ErrorCapture,
    EvolutionGallery,
    LatentWalk,
    LatestValueThrottle,
    PixelReadout,
    TruncationExplorer,
    common,
    figure_to_png,
    image_bytes,
    new_figure,
    show_image,
    video,
)
from latentlab.widgets.truncation import pixel_diversity

PNG, JPEG = b"\x89PNG", b"\xff\xd8\xff"


@pytest.fixture
def unconditional() -> ModuleGenerator:
    torch.manual_seed(0)
    return ModuleGenerator(nn.Sequential(nn.Linear(8, 3 * 16 * 16), nn.Tanh()), 8, output_shape=(3, 16, 16))


class ManualScheduler:
    """Collects scheduled callbacks; the test decides when an interval ends."""

    def __init__(self):
        self.calls = []

    def __call__(self, delay, fn):
        entry = [fn, True]
        self.calls.append(entry)
        return lambda: entry.__setitem__(1, False)

    def fire(self):
        fn, live = self.calls.pop(0)
        if live:
            fn()


# --- shared helpers -----------------------------------------------------------------------
def test_error_capture_shows_callback_errors_instead_of_raising():
    capture = ErrorCapture()

    @capture
    def callback(x):
        raise RuntimeError(f"bad value {x}")

    assert callback(3) is None
    assert [str(e) for e in capture.errors] == ["bad value 3"]
    shown = capture.output.outputs[-1]
    assert shown["name"] == "stderr" and "RuntimeError: bad value 3" in shown["text"]
    with capture:
        raise ValueError("second")
    assert len(capture.errors) == 2 and len(capture.output.outputs) == 2

    @capture
    def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):  # not an error of the callback: let it through
        interrupted()
    capture.clear()
    assert capture.errors == [] and capture.output.outputs == ()


def test_throttle_runs_the_first_value_at_once_and_then_only_the_latest():
    calls, settled, scheduler = [], [], ManualScheduler()
    throttle = LatestValueThrottle(calls.append, 0.05, on_settle=settled.append, scheduler=scheduler)
    throttle.submit(1)
    assert calls == [1] and settled == []
    for value in (2, 3, 4):
        throttle.submit(value)
    assert calls == [1] and throttle.pending
    scheduler.fire()  # end of the interval: only the latest value runs
    assert calls == [1, 4] and settled == []
    scheduler.fire()  # a quiet interval: settle once with the last value
    assert settled == [4] and not throttle.pending
    throttle.submit(5)
    throttle.submit(6)
    throttle.submit(7)
    throttle.flush()  # synchronous: pending value, then settle, interval cancelled
    assert calls == [1, 4, 5, 7] and settled == [4, 7]
    scheduler.fire()  # the cancelled interval does nothing
    assert calls == [1, 4, 5, 7] and settled == [4, 7]


def test_throttle_without_interval_runs_every_value():
    calls, settled = [], []
    throttle = LatestValueThrottle(calls.append, 0, on_settle=settled.append)
    for value in range(3):
        throttle.submit(value)
    assert calls == [0, 1, 2] and settled == [0, 1, 2]
    with pytest.raises(ValueError, match="interval_s"):
        LatestValueThrottle(calls.append, -1)


def test_throttle_fires_on_a_timer_thread_and_on_a_running_event_loop():
    calls, settled = [], []
    throttle = LatestValueThrottle(calls.append, 0.02, on_settle=settled.append)
    for value in range(5):
        throttle.submit(value)
    deadline = time.time() + 5
    while not settled and time.time() < deadline:
        time.sleep(0.01)
    assert calls == [0, 4] and settled == [4]

    async def in_a_kernel_like_loop():
        done, got = asyncio.Event(), []
        t = LatestValueThrottle(got.append, 0.01, on_settle=lambda v: done.set())
        for value in "abc":
            t.submit(value)
        await asyncio.wait_for(done.wait(), 5)
        return got, threading.current_thread()

    got, thread = asyncio.run(in_a_kernel_like_loop())
    assert got == ["a", "c"] and thread is threading.main_thread()


def test_image_bytes_encode_grids_and_enlarge_small_images():
    images = torch.rand(6, 3, 16, 16)
    png, jpeg = image_bytes(images, "png", nrow=3), image_bytes(images[0], "jpeg", min_size=64)
    assert png.startswith(PNG) and jpeg.startswith(JPEG)
    assert Image.open(io.BytesIO(png)).size == (3 * 18 + 2, 2 * 18 + 2)  # grid with 2-px padding
    assert Image.open(io.BytesIO(jpeg)).size == (64, 64)
    import ipywidgets

    widget = ipywidgets.Image()
    show_image(widget, images[0], "jpg")
    assert widget.format == "jpeg" and bytes(widget.value).startswith(JPEG)
    with pytest.raises(ValueError, match="'png' or 'jpeg'"):
        image_bytes(images, "bmp")


def test_figures_render_to_png_without_pyplot():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    fig = new_figure()
    fig.add_subplot().plot([0, 1], [1, 0])
    data = figure_to_png(fig)
    assert data.startswith(PNG) and Image.open(io.BytesIO(data)).size == (320, 208)
    assert plt.get_fignums() == before


def test_colab_widget_manager_is_enabled_once_and_only_in_colab(monkeypatch):
    monkeypatch.setattr(common, "_colab_enabled", False)
    assert common.enable_colab_widgets() is False  # not in Colab: nothing happens
    calls = []
    output = types.SimpleNamespace(enable_custom_widget_manager=lambda: calls.append(1))
    colab = types.ModuleType("google.colab")
    colab.output = output
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab.output", output)
    assert common.enable_colab_widgets() is True and common.enable_colab_widgets() is True
    assert calls == [1]


# --- LatentWalk ---------------------------------------------------------------------------
def test_walk_endpoints_are_the_generators_images_and_slerp_differs_from_lerp(shipped_generator):
    G = shipped_generator
    walk = LatentWalk(G, 3, 4, classes="star", steps=5)
    a, b = G.sample_latents(1, seed=3)[0], G.sample_latents(1, seed=4)[0]
    frames = walk.state.frames()
    with torch.no_grad():
        ends = G(torch.stack([a, b]), G.classes("star", 2))
    assert frames.shape == (5, 3, 64, 64)
    assert torch.allclose(frames[0], ends[0], atol=1e-5) and torch.allclose(frames[-1], ends[1], atol=1e-5)
    assert torch.allclose(walk.state.frame(2), frames[2], atol=1e-5)
    slerp_middle = walk.state.latents()[2]
    walk.method.value = "lerp"
    lerp_middle = walk.state.latents()[2]
    assert torch.allclose(lerp_middle, (a + b) / 2, atol=1e-6)
    assert slerp_middle.norm() > lerp_middle.norm() * 1.2  # slerp keeps a typical norm mid-way
    # given latents instead of seeds, and two classes mixed along the path
    given = LatentWalk(G, a, b, classes=("circle", "heart"), steps=3)
    y = given.state.class_vectors()
    assert torch.allclose(y[1], 0.5 * (torch.eye(5)[0] + torch.eye(5)[4]))
    assert given.seed_a.disabled and given.seed_b.disabled


def test_moving_the_walk_slider_changes_the_image_and_keeps_only_the_latest(tiny_generator):
    walk = LatentWalk(tiny_generator, 0, 1, steps=8, throttle_s=60)
    first = walk.image.value
    assert walk.image.format == "png" and bytes(first).startswith(PNG)  # settled at construction
    rendered = []
    original = walk._render
    walk._render = lambda index, fmt: (rendered.append((index, fmt)), original(index, fmt))
    walk.position.value = 7  # leading edge: renders at once, as a JPEG
    assert rendered == [(7, "jpeg")] and walk.image.format == "jpeg" and walk.image.value != first
    for position in (2, 3, 5):
        walk.position.value = position
    assert rendered == [(7, "jpeg")] and walk.state.position == 5
    walk.flush()
    assert rendered == [(7, "jpeg"), (5, "jpeg"), (5, "png")]
    assert walk.image.value == image_bytes(walk.state.frame(5), "png", min_size=256)
    before = walk.image.value
    walk.seed_b.value = 9  # another end point changes the picture at the same position
    walk.flush()
    assert walk.image.value != before and walk.state.position == 5
    walk.steps.value = 4  # fewer steps pull the position (and the sliders) back into range
    assert walk.state.position == 3 and walk.position.max == 3 and walk.play.max == 3
    assert walk.errors == []


def test_walk_exports_a_gif_with_one_frame_per_step_and_an_mp4(tiny_generator, tmp_path, monkeypatch):
    walk = LatentWalk(tiny_generator, 0, 1, steps=6)
    walk.path.value = str(tmp_path / "walk.gif")
    walk.save_gif.click()
    gif = Image.open(tmp_path / "walk.gif")
    assert gif.n_frames == 6 and gif.size == (128, 128) and "6 frames" in walk.status.value
    assert walk.state.export(tmp_path / "bounce.gif", bounce=True, min_size=0).exists()
    assert Image.open(tmp_path / "bounce.gif").n_frames == 10
    walk.save_mp4.click()
    mp4 = (tmp_path / "walk.mp4").read_bytes()
    assert mp4[4:8] == b"ftyp" and len(mp4) > 1000 and walk.errors == []
    monkeypatch.setattr(video, "ffmpeg_executable", lambda: None)
    walk.save_mp4.click()  # without ffmpeg: a clear message inside the widget, no exception
    assert "pip install imageio-ffmpeg" in str(walk.errors[-1]) and "imageio-ffmpeg" in walk.capture.output.outputs[-1]["text"]
    with pytest.raises(ValueError, match=r"\.gif or \.mp4"):
        walk.state.export(tmp_path / "walk.avi")


def test_errors_in_a_walk_callback_appear_in_the_widget(tiny_generator, monkeypatch):
    walk = LatentWalk(tiny_generator, 0, 1, steps=4, throttle_s=0)

    def broken(index=None):
        raise RuntimeError("generator exploded")

    monkeypatch.setattr(walk.state, "frame", broken)
    walk.position.value = 2  # must not raise
    assert [str(e) for e in walk.errors] == ["generator exploded", "generator exploded"]  # the JPEG and the settled PNG
    assert "generator exploded" in walk.capture.output.outputs[-1]["text"]


def test_bad_walk_settings_fail_clearly(tiny_generator, unconditional):
    with pytest.raises(ValueError, match="steps must be an integer >= 2"):
        LatentWalk(tiny_generator, steps=1)
    with pytest.raises(ValueError, match="unknown interpolation 'cubic'"):
        LatentWalk(tiny_generator, method="cubic")
    with pytest.raises(ValueError, match="seed \\(int\\) or a latent"):
        LatentWalk(tiny_generator, "zero", 1)
    with pytest.raises(ValueError, match="unknown class 'dog'"):
        LatentWalk(tiny_generator, classes="dog")
    with pytest.raises(ValueError, match="unconditional"):
        LatentWalk(unconditional, classes="circle")
    walk = LatentWalk(unconditional, torch.zeros(8), 1, steps=3)  # unconditional generators walk too
    assert walk.state.frames().shape == (3, 3, 16, 16) and not hasattr(walk, "class_a")
    with pytest.raises(ValueError, match="position must be in 0..2"):
        walk.state.position = 3
    with pytest.raises(ValueError, match="8 values"):
        walk.state.latent_a = torch.zeros(5)


# --- TruncationExplorer -------------------------------------------------------------------
def test_truncation_grid_keeps_its_seeds_and_the_readout_follows_psi(shipped_generator):
    explorer = TruncationExplorer(shipped_generator, psi=1.5, n=8, readout_n=48, throttle_s=0)
    wide_png = explorer.grid.value
    wide = explorer.readout_html()
    assert "class consistency" in wide and "x spread" in wide and "real" in wide
    explorer.psi.value = 0.25
    assert explorer.grid.value != wide_png and explorer.state.psi == 0.25
    narrow, broad = explorer.state.readout(0.25), explorer.state.readout(1.5)
    assert narrow["x spread"] < 0.75 * broad["x spread"]  # truncation trades variety away
    assert narrow["pixel diversity"] < broad["pixel diversity"]
    assert 0.0 <= narrow["class consistency"] <= 1.0
    assert explorer.state.readout(0.25) is narrow  # cached per ψ
    # the same seeds re-truncated: every entry already inside ±ψ is kept
    z, z_wide, z_narrow = (shipped_generator.sample_latents(8, seed=0, truncation=p) for p in (None, 1.5, 0.25))
    inside = z.abs() <= 0.25
    assert inside.any() and torch.equal(z_wide[inside], z[inside]) and torch.equal(z_narrow[inside], z[inside])
    assert (z_narrow.abs() <= 0.25).all() and not torch.equal(z_narrow, z_wide)
    assert torch.equal(explorer.state.grid(1.5), explorer.state.grid(1.5))
    curve = explorer.measure_curve([0.5])
    assert [p for p, _ in curve] == [0.25, 0.5, 1.5] and bytes(explorer.plot.value).startswith(PNG)
    assert explorer.errors == []
    with pytest.raises(ValueError, match="truncation must be a finite number > 0"):
        explorer.state.psi = 0.0


def test_truncation_explorer_measures_any_generator_by_pixel_diversity(unconditional):
    explorer = TruncationExplorer(unconditional, n=4, readout_n=16, throttle_s=0)
    assert isinstance(explorer.state.readout_fn, PixelReadout)
    assert explorer.state.readout(0.05)["pixel diversity"] < explorer.state.readout(2.0)["pixel diversity"]
    same = torch.rand(1, 3, 8, 8).repeat(4, 1, 1, 1)
    assert pixel_diversity(same) == pytest.approx(0.0, abs=1e-6)
    pair = torch.stack([torch.zeros(3, 32, 32), torch.ones(3, 32, 32)])
    assert pixel_diversity(pair) == pytest.approx(1.0, abs=1e-5)


# --- ClassMixer ---------------------------------------------------------------------------
def test_class_mixer_ends_are_the_pure_classes(shipped_generator):
    G = shipped_generator
    mixer = ClassMixer(G, "circle", "star", seed=5, rows=2, steps=4, throttle_s=0)
    z = G.sample_latents(2, seed=5)
    with torch.no_grad():
        circles, stars = G(z, G.classes("circle", 2)), G(z, G.classes("star", 2))
    assert torch.allclose(mixer.state.images(0.0), circles, atol=1e-5)
    assert torch.allclose(mixer.state.images(1.0), stars, atol=1e-5)
    strip = mixer.state.strip().reshape(2, 4, 3, 64, 64)
    assert torch.allclose(strip[:, 0], circles, atol=1e-5) and torch.allclose(strip[:, -1], stars, atol=1e-5)
    middle = mixer.state.images(0.5)
    assert not torch.allclose(middle, circles, atol=1e-3) and not torch.allclose(middle, stars, atol=1e-3)
    before = mixer.mix.value
    mixer.t.value = 1.0
    assert mixer.mix.value != before and mixer.mix.format == "png"
    mixer.swap.click()
    assert (mixer.state.class_a, mixer.state.class_b) == ("star", "circle") and mixer.class_a.value == "star"
    assert torch.allclose(mixer.state.images(), circles, atol=1e-5)  # t = 1 is now the circle
    assert mixer.errors == []


def test_class_mixer_rejects_unconditional_generators_and_bad_weights(unconditional, tiny_generator):
    with pytest.raises(ValueError, match="needs a class-conditional generator; ModuleGenerator is unconditional"):
        ClassMixer(unconditional)
    mixer = ClassMixer(tiny_generator, throttle_s=0)
    assert (mixer.state.class_a, mixer.state.class_b) == ("circle", "square")
    with pytest.raises(ValueError, match=r"t must be in \[0, 1\]"):
        mixer.state.t = 1.5
    with pytest.raises(ValueError, match="Did you mean 'star'"):
        mixer.state.class_b = "starr"


# --- EvolutionGallery ---------------------------------------------------------------------
def test_gallery_shows_each_generation_and_stop_keeps_the_best_so_far(tiny_generator):
    gallery = EvolutionGallery("red", tiny_generator, Redness(), optimizer="ga", generations=30, population=8, space="z", classes="heart")
    seen = []

    def watch(change):
        seen.append(gallery.tiles.children[0].children[0].value)
        if change["new"] == 3:
            gallery.stop()

    gallery.state.observe(watch, names="generation")
    result = gallery.run(blocking=True)
    assert result.run.interrupted and len(result.history) == 3 and gallery.state.generation == 3
    assert len(gallery.tiles.children) == 8 and len(set(seen)) == 3  # a new population picture every generation
    best = max(h["best"] for h in gallery.state.history)
    assert gallery.state.best_fitness == pytest.approx(best, abs=1e-6)
    assert gallery.state.best_fitness == pytest.approx(result.best_fitness, abs=1e-6)
    with torch.no_grad():  # the kept best image is what the best latent makes, and it scores the best fitness
        again = tiny_generator(gallery.state.best_latent[None], tiny_generator.classes("heart", 1))
    assert torch.allclose(again[0], gallery.state.best_image, atol=1e-5)
    assert Redness()(again)[0].item() == pytest.approx(gallery.state.best_fitness, abs=1e-5)
    fitness = [float(b.description) for b in (t.children[1] for t in gallery.tiles.children)]
    assert fitness == sorted(fitness, reverse=True)  # tiles show the population best first
    assert bytes(gallery.plot.value).startswith(PNG) and "stopped after 3 generations" in gallery.status.value
    assert not gallery.state.running and gallery.errors == []


def test_gallery_runs_in_a_thread_and_continues_from_a_favourite(tiny_generator):
    gallery = EvolutionGallery("red", tiny_generator, Redness(), optimizer="ga", generations=500, population=8)
    gallery.run()  # returns at once: the kernel stays free
    assert gallery.state.running and gallery.stop_button.disabled is False
    deadline = time.time() + 20
    while gallery.state.generation < 2 and time.time() < deadline:
        time.sleep(0.02)
    gallery.stop_button.click()
    assert gallery.wait(20) and gallery.state.result.run.interrupted
    done = gallery.state.generation
    assert 2 <= done < 500 and gallery.run_button.disabled is False
    gallery.tiles.children[3].children[1].click()  # pick the fourth fittest
    assert gallery.state.favourite == 3 and gallery.tiles.children[3].children[1].button_style == "success"
    favourite = gallery.state.latents[3].clone()
    first = []
    gallery.state.observe(lambda c: first.append(gallery.state.latents.clone()) if not first else None, names="generation")
    gallery.state.generations = 2
    result = gallery.continue_from_favourite(blocking=True)
    assert len(result.history) == 2 and gallery.state.run_starts == [0, done] and gallery.state.generation == done + 2
    around = (first[0] - favourite).norm(dim=1).mean()
    assert around < 0.85 * first[0].norm(dim=1).mean()  # the new population starts around the favourite
    assert [h["generation"] for h in gallery.state.history] == list(range(1, done + 3))


def test_gallery_errors_are_shown_and_bad_picks_fail_clearly(tiny_generator):
    def broken(images):
        raise RuntimeError("assessor exploded")

    gallery = EvolutionGallery("red", tiny_generator, broken, generations=2, population=8)
    assert gallery.run(blocking=True) is None
    assert "assessor exploded" in str(gallery.errors[-1]) and not gallery.state.running
    assert "assessor exploded" in gallery.capture.output.outputs[-1]["text"] and "failed" in gallery.status.value
    with pytest.raises(ValueError, match="pick a favourite first"):
        gallery.continue_from_favourite()
    with pytest.raises(ValueError, match="favourite must index"):
        gallery.pick(0)
    with pytest.raises(ValueError, match="unknown optimizer 'cmaes'"):
        gallery.state.optimizer = "cmaes"
    with pytest.raises(ValueError, match="prompt"):
        EvolutionGallery("  ", tiny_generator, Redness())
