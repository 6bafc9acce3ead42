"""`latentlab invert` and `latentlab edit`: your own picture into a latent space, edited, from the command line."""

import contextlib
import importlib
import io
import json
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import latentlab
from latentlab.cli import main
from latentlab.methods import EditedImage, InversionResult

STEPS = "6"
FAST = ["--steps", "2", "--class", "star"]  # the class held: one candidate, no search
INVERSION_FILES = ("target.png", "reconstruction.png", "latents.safetensors", "loss.png", "result.json")
EDIT_FILES = ("edited.png", "edit.safetensors", "before_after.png", "edit.json")


def _pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.float32)


@pytest.fixture(scope="module")
def picture(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("picture") / "shape.png"
    latentlab.save_image(latentlab.render_shapes(1, seed=3).images, path)
    return path


@pytest.fixture(scope="module")
def inverted(tmp_path_factory, picture) -> tuple[Path, str]:
    """A W+ inversion of the picture (the class searched), and what the command printed."""
    out = tmp_path_factory.mktemp("inverted") / "me"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["invert", str(picture), "--model", "shapes-stylegan", "--space", "w+", "--steps", STEPS,
                     "--out", str(out)]) == 0
    return out, printed.getvalue()


def test_invert_writes_the_folder_and_a_sane_result_json(inverted, picture):
    out, printed = inverted
    for name in INVERSION_FILES:
        assert (out / name).is_file(), name
        assert f"wrote {out / name}" in printed
    assert "PSNR" in printed and "dB after 6 of 6 steps in w+" in printed
    record = json.loads((out / "result.json").read_text())
    assert record["model"] == "shapes-stylegan" and record["space"] == "w+" and record["loss"] == "mse"
    assert record["steps"] == 6 and record["steps_taken"] == 6 and len(record["history"]) == 6
    assert record["interrupted"] is False and record["fit"] == "crop" and record["image"] == str(picture.absolute())
    assert record["info"]["stages"] == [["w", 3], ["w+", 3]] and record["info"]["classes_searched"] is True
    generator = latentlab.load_generator("shapes-stylegan")
    assert len(record["classes"]) == 1 and record["classes"][0] in generator.class_names
    assert record["psnr"] > 10  # six steps from the mean style already land in the picture's colours
    assert 0 < record["final_loss"] <= max(record["history"]) and record["seconds"] > 0
    saved = InversionResult.load(out)
    assert record["psnr"] == pytest.approx(float(saved.psnr()[0]), abs=1e-3)
    assert saved.space == "w+" and saved.info["cli"]["model"] == "shapes-stylegan"
    assert np.array_equal(_pixels(out / "target.png"), _pixels(picture))  # already 64x64: loaded as it is
    assert Image.open(out / "loss.png").size[0] > 300


def test_running_a_finished_inversion_again_does_nothing(inverted, picture, capsys):
    out, _ = inverted
    stamps = {name: (out / name).stat().st_mtime_ns for name in INVERSION_FILES}
    assert main(["invert", str(picture), "--steps", STEPS, "--out", str(out)]) == 0
    assert "already holds this inversion, finished after 6 steps" in capsys.readouterr().out
    assert {name: (out / name).stat().st_mtime_ns for name in INVERSION_FILES} == stamps


def test_other_settings_are_refused_and_restart_starts_over(tmp_path, picture, capsys):
    out = tmp_path / "run"
    assert main(["invert", str(picture), *FAST, "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["invert", str(picture), "--steps", "3", "--class", "star", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "steps: was 2, now 3" in err and "--restart" in err and "Traceback" not in err
    assert json.loads((out / "result.json").read_text())["steps"] == 2  # the saved run is left as it was
    assert main(["invert", str(picture), "--steps", "3", "--class", "star", "--restart", "--out", str(out)]) == 0
    record = json.loads((out / "result.json").read_text())
    assert record["steps"] == 3 and len(record["history"]) == 3 and record["classes"] == ["star"]


def test_ctrl_c_keeps_the_best_and_the_same_command_resumes_to_the_same_result(tmp_path, picture, monkeypatch, capsys):
    args = ["invert", str(picture), "--steps", "4", "--class", "star"]
    assert main([*args, "--out", str(tmp_path / "whole")]) == 0
    module = importlib.import_module("latentlab.methods.invert")
    ramp, calls = module.lr_ramp, []

    def interrupting_ramp(t):  # the projector asks for the learning rate once per step: Ctrl-C in the 3rd (W+) step
        calls.append(t)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return ramp(t)

    monkeypatch.setattr(module, "lr_ramp", interrupting_ramp)
    out = tmp_path / "cut"
    capsys.readouterr()
    assert main([*args, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "interrupted; run the same command again to resume" in printed and "after 2 of 4 steps" in printed
    for name in INVERSION_FILES:
        assert (out / name).is_file(), name
    cut = json.loads((out / "result.json").read_text())
    assert cut["interrupted"] is True and cut["steps_taken"] == 2 and len(cut["history"]) == 2
    monkeypatch.undo()
    assert main([*args, "--out", str(out)]) == 0
    assert "resuming step 3 of 4" in capsys.readouterr().out
    done = json.loads((out / "result.json").read_text())
    whole = json.loads((tmp_path / "whole" / "result.json").read_text())
    assert done["interrupted"] is False and done["steps_taken"] == 4 and len(done["history"]) == 4
    assert done["history"] == pytest.approx(whole["history"], rel=1e-5)  # resuming continues the same run
    assert done["psnr"] == pytest.approx(whole["psnr"], abs=1e-3)


def test_edit_moves_along_sefa_repaints_and_chains(inverted, tmp_path, capsys):
    out, _ = inverted
    assert main(["edit", str(out), "--direction", "sefa:0", "--amount", "2"]) == 0
    first = out / "edit"  # the default --out
    printed = capsys.readouterr().out
    for name in EDIT_FILES:
        assert (first / name).is_file(), name
        assert f"wrote {first / name}" in printed
    assert "sefa-w0 × 2" in printed
    assert np.abs(_pixels(first / "edited.png") - _pixels(out / "reconstruction.png")).mean() > 0.5
    record = json.loads((first / "edit.json").read_text())
    assert [s["op"] for s in record["steps"]] == ["invert", "direction"] and record["model"] == "shapes-stylegan"
    assert record["steps"][1]["name"] == "sefa-w0" and record["steps"][1]["amount"] == 2.0
    strip = Image.open(first / "before_after.png")
    assert strip.size[0] > 2.5 * strip.size[1]  # target | reconstruction | edited

    second = tmp_path / "painted"  # a chained edit: the first edit's folder, repainted in a rectangle
    assert main(["edit", str(first), "--paint-rect", "8", "8", "40", "40", "--text", "a blue star",
                 "--generations", "2", "--population", "4", "--out", str(second)]) == 0
    assert "painted 'a blue star'" in capsys.readouterr().out
    record = json.loads((second / "edit.json").read_text())
    assert [s["op"] for s in record["steps"]] == ["invert", "direction", "paint"]
    change = np.abs(_pixels(second / "edited.png") - _pixels(first / "edited.png")).mean(axis=-1)
    inside = np.zeros(change.shape, bool)
    inside[8:40, 8:40] = True
    assert change[inside].mean() > 2 * change[~inside].mean()  # the rectangle changed, the rest much less

    third = tmp_path / "moved"  # a direction on top of the painted region, in some W+ layers only
    assert main(["edit", str(second), "--direction", "pca:1", "--amount", "3", "--layers", "0-3", "--out", str(third)]) == 0
    edit = EditedImage.load(third)
    assert [s["op"] for s in edit.steps] == ["invert", "direction", "paint", "direction"]
    assert edit.steps[-1]["layers"] == [0, 1, 2, 3] and len(edit.edits) == 1 and edit.edits[0].text == "a blue star"


@pytest.fixture
def odd_pictures(tmp_path) -> dict[str, Path]:
    paths = {"text": tmp_path / "notes.png", "empty": tmp_path / "empty.png", "one": tmp_path / "one.png",
             "grey16": tmp_path / "grey16.png", "big": tmp_path / "big.jpg"}
    paths["text"].write_text("this is not a picture\n")
    paths["empty"].write_bytes(b"")
    Image.new("RGB", (1, 1), (200, 30, 30)).save(paths["one"])
    Image.fromarray(np.linspace(0, 65535, 48 * 64).reshape(48, 64).astype(np.uint16)).save(paths["grey16"])
    ramp = np.linspace(0, 255, 4000, dtype=np.float32)[None, :, None] * np.linspace(0.2, 1, 3000, dtype=np.float32)[:, None, None]
    Image.fromarray(np.broadcast_to(ramp, (3000, 4000, 3)).astype(np.uint8)).save(paths["big"], quality=80)
    return paths


@pytest.mark.parametrize("which, args, message", [
    ("text", [], "is not an image PIL can read"),
    ("empty", [], "is not an image PIL can read"),
    ("missing", [], "does not exist"),
    ("one", ["--model", "shapes-stylgan"], "Did you mean 'shapes-stylegan'"),
    ("one", ["--space", "ww"], "unknown latent space 'ww'"),
    ("one", ["--model", "shapes-biggan", "--space", "w+"], "offers the latent spaces ['z', 'z+class']"),
    ("one", ["--fit", "stretch"], "unknown fit 'stretch'"),
    ("one", ["--steps", "0"], "--steps"),
    ("one", ["--init", "encoder"], "has no encoder"),
])
def test_invert_bad_input_is_one_clean_error_and_writes_nothing(tmp_path, odd_pictures, capsys, which, args, message):
    image = odd_pictures.get(which, tmp_path / "missing.png")
    out = tmp_path / "out"
    assert main(["invert", str(image), *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith("latentlab invert: error:") and "Traceback" not in err
    assert not out.exists()


def test_odd_but_valid_pictures_invert(tmp_path, odd_pictures, monkeypatch):
    module = importlib.import_module("latentlab.image_loading")
    load, seconds = module.load_image, {}

    def timed(source, **kwargs):
        started = time.perf_counter()
        try:
            return load(source, **kwargs)
        finally:
            seconds[Path(source).name] = time.perf_counter() - started

    monkeypatch.setattr(module, "load_image", timed)
    for which in ("one", "grey16", "big"):
        out = tmp_path / which
        assert main(["invert", str(odd_pictures[which]), *FAST, "--out", str(out)]) == 0, which
        target = _pixels(out / "target.png")
        assert target.shape == (64, 64, 3), which
        assert json.loads((out / "result.json").read_text())["psnr"] > 0
    one = _pixels(tmp_path / "one" / "target.png")
    assert np.abs(one - np.array([200, 30, 30])).max() <= 1  # a 1x1 picture fills the square with its colour
    grey = _pixels(tmp_path / "grey16" / "target.png")
    assert np.array_equal(grey[..., 0], grey[..., 2]) and grey.max() - grey.min() > 100  # 16-bit grey: a grey ramp
    assert seconds["big.jpg"] < 5  # 4000x3000 is shrunk while decoding


def test_edit_bad_input_is_one_clean_error(inverted, tmp_path, picture, capsys):
    out, _ = inverted
    cases = [
        ([str(tmp_path), "--direction", "sefa:0"], "holds no inversion"),
        ([str(tmp_path / "nowhere"), "--direction", "sefa:0"], "does not exist"),
        ([str(out), "--direction", "north"], "sefa:K"),
        ([str(out), "--direction", str(tmp_path / "d.safetensors")], "no such direction file"),
        ([str(out), "--direction", "sefa:0", "--layers", "0-99"], "out of range"),
        ([str(out), "--direction", "sefa:0", "--layers", "3-1"], "runs backwards"),
        ([str(out), "--paint-rect", "8", "8", "40", "40"], "go together"),
        ([str(out), "--paint-rect", "8", "8", "90", "40", "--text", "a star"], "is not a rectangle inside the 64x64 image"),
        ([str(out)], "say what to change"),
    ]
    for args, message in cases:
        assert main(["edit", *args, "--out", str(tmp_path / "e")]) == 2, args
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, (args, err)
        assert not (tmp_path / "e").exists()
    w_only = tmp_path / "w"  # layers choose W+ layers: an image inverted into W has none to choose
    assert main(["invert", str(picture), *FAST, "--space", "w", "--out", str(w_only)]) == 0
    assert main(["edit", str(w_only), "--direction", "sefa:0", "--layers", "coarse"]) == 2
    assert "only in W+" in capsys.readouterr().err


def test_a_model_with_an_encoder_starts_from_it(tmp_path, picture):
    import torch

    from latentlab.assessors.distances import blurred_mse
    from latentlab.generators.avae import ShapesAVAE, ShapesAVAEConfig
    from latentlab.zoo.checkpoints import save_generator

    torch.manual_seed(0)
    model = ShapesAVAE(ShapesAVAEConfig(latent_dim=8, width=4))
    weights = save_generator(model, tmp_path / "avae.safetensors")
    out = tmp_path / "enc"
    assert main(["invert", str(picture), "--model", str(weights), "--space", "z", "--init", "encoder", "--steps", "3",
                 "--out", str(out)]) == 0
    result = json.loads((out / "result.json").read_text())
    assert result["space"] == "z" and len(result["history"]) == 3
    target = latentlab.load_image(picture, size=64)
    with torch.no_grad():  # the first step is measured at the encoder's latents
        start = blurred_mse(model(model.encoder_latents(target)).clamp(0, 1), target, 3.0)
    assert result["history"][0] == pytest.approx(float(start), rel=1e-4)
