"""The ImageEditor explorer, driven headless: upload → invert → move → paint → save, and its errors."""

import numpy as np
import pytest
import torch

import latentlab
from latentlab.images import to_bytes
from latentlab.methods import EditedImage, InversionResult
from latentlab.widgets import ImageEditor, ImageEditorState

STEPS = 40
FAST_PAINT = {"population": 4}


@pytest.fixture(scope="module")
def stylegan():
    return latentlab.load_generator("shapes-stylegan")


@pytest.fixture(scope="module")
def png() -> bytes:
    return to_bytes(latentlab.render_shapes(1, seed=2).images[0])


def upload(editor: ImageEditor, content: bytes, name: str = "shape.png") -> None:
    """What the browser's FileUpload does: a state update with one file, its bytes a memoryview (as comm buffers arrive)."""
    editor.upload.set_state({"value": [{"name": name, "type": "image/png", "size": len(content), "content": memoryview(content),
                                        "last_modified": 1_700_000_000_000}]})


@pytest.fixture(scope="module")
def inverted(stylegan, png):
    """An editor with the uploaded shape inverted (shared: the tests after this one build on it in order)."""
    editor = ImageEditor(stylegan, steps=STEPS, throttle_s=0, scale=2, generations=2, paint_options=FAST_PAINT)
    previews = []
    editor.state.observe(lambda c: previews.append(c["new"]), names="preview")
    upload(editor, png)
    assert not editor.errors, editor.errors
    assert editor.state.target.shape == (1, 3, 64, 64) and bytes(editor.target_view.value).startswith(b"\x89PNG")
    assert editor.upload.value == () and "press Invert" in editor.status.value
    assert editor.sliders["sefa-w0"].disabled and editor.paint_button.disabled  # nothing to edit yet
    editor.invert_button.click()
    assert editor.wait(timeout=120), "the inversion did not finish"
    editor.flush()
    return editor, previews


def test_upload_and_invert(inverted):
    editor, previews = inverted
    s = editor.state
    assert not editor.errors, editor.errors
    assert s.progress == 1.0 and editor.progress.value == 1.0 and not s.running
    assert isinstance(s.result, InversionResult) and s.result.space == "w+" and not s.result.interrupted
    assert s.psnr() > 18, f"reconstruction PSNR {s.psnr():.1f} dB"
    assert "PSNR" in editor.status.value
    assert len(previews) == STEPS // 10 - 1 and all(p.shape == (1, 3, 64, 64) for p in previews)  # steps 10, 20, 30
    assert bytes(editor.reconstruction.value).startswith(b"\x89PNG") and bytes(editor.edited_view.value).startswith(b"\x89PNG")
    assert torch.allclose(s.image(), s.result.images[:1].clamp(0, 1), atol=1e-5)  # no move yet: the reconstruction
    assert not editor.sliders["sefa-w0"].disabled and not editor.paint_button.disabled and editor.stop_button.disabled
    assert "PSNR" in repr(editor) and "w+" in repr(editor)


def test_a_slider_moves_the_edited_image(inverted):
    editor, _ = inverted
    s = editor.state
    before_bytes, before = bytes(editor.edited_view.value), s.image()
    editor.sliders["sefa-w0"].value = 8.0
    editor.flush()
    assert s.values["sefa-w0"] == 8.0 and not editor.errors, editor.errors
    assert bytes(editor.edited_view.value) != before_bytes and not torch.allclose(s.image(), before)
    assert s.current().steps[-1]["op"] == "direction" and s.current().steps[-1]["amount"] == 8.0
    editor.reset_button.click()
    assert editor.sliders["sefa-w0"].value == 0.0 and torch.allclose(s.image(), before)
    editor.sliders["sefa-w1"].value = 6.0  # stays moved for the paint
    editor.flush()


def test_paint_bakes_the_moves_in_and_changes_the_masked_region(inverted):
    editor, _ = inverted
    s = editor.state
    moved = s.image()
    editor.mask_pad.drag([(32, 32), (96, 96)])  # scale 2: image pixels 16…48 along the diagonal
    assert editor.mask[32, 32] == 1 and editor.mask[2, 60] == 0
    mask = torch.from_numpy(editor.mask.copy())
    editor.text.value = "a blue star"
    editor.paint_button.click()
    assert editor.wait(timeout=120)
    assert not editor.errors, editor.errors
    assert editor.paint_progress.value == 2 and s.values["sefa-w1"] == 0.0 and editor.sliders["sefa-w1"].value == 0.0
    assert len(s.edited.edits) == 1 and [step["op"] for step in s.edited.steps] == ["invert", "direction", "paint"]
    after = s.image()
    change = (after - moved).abs().mean(dim=1)[0]
    inside, outside = float(change[mask > 0].mean()), float(change[mask == 0].mean())
    assert inside > 3 * outside and inside > 0.01, (inside, outside)
    assert not editor.mask.any() and "painted 'a blue star'" in editor.status.value


def test_save_round_trips(inverted, tmp_path, stylegan):
    editor, _ = inverted
    s = editor.state
    editor.sliders["sefa-w2"].value = -4.0
    editor.path.value = str(tmp_path / "edit")
    editor.save_button.click()
    assert not editor.errors, editor.errors
    folder = tmp_path / "edit"
    for name in ("edited.png", "edit.safetensors", "latents.safetensors", "target.png", "reconstruction.png"):
        assert (folder / name).is_file(), name
    loaded = EditedImage.load(folder)
    assert len(loaded.edits) == 1 and loaded.steps[-1]["op"] == "direction" and loaded.space == "w+"
    assert torch.allclose(loaded.render(stylegan), s.image(), atol=1e-5)
    assert torch.allclose(InversionResult.load(folder).z, s.result.z)
    assert "saved to" in editor.status.value


def test_drawing_becomes_the_target(stylegan):
    editor = ImageEditor(stylegan, steps=2, throttle_s=0, scale=2)
    editor.background.value = "#000000"
    editor.clear_drawing()
    editor.pen.value = "#ff0000"
    editor.pen_size.value = 5.0
    editor.pad.drag([(20, 64), (108, 64)])  # a red bar across the middle (image row 32)
    assert tuple(editor.drawing[32, 30]) == (255, 0, 0) and tuple(editor.drawing[5, 5]) == (0, 0, 0)
    editor.use_drawing.click()
    t = editor.state.target
    assert t.shape == (1, 3, 64, 64) and t[0, 0, 32, 30] == 1.0 and t[0, 1, 32, 30] == 0.0 and t[0, :, 5, 5].sum() == 0
    assert "drawing" in editor.status.value and not editor.errors
    editor.invert(blocking=True)
    assert editor.state.progress == 1.0 and editor.state.result is not None and not editor.errors


def test_stop_keeps_the_best_so_far(stylegan, png):
    state = ImageEditorState(stylegan, steps=500)
    state.load(png)
    result = state.invert(callback=lambda p: p.step == 5 and state.stop())
    assert result.interrupted and state.progress < 0.1 and state.edited is not None and "stopped" in state.status


def test_bad_input_is_shown_not_raised(stylegan, png):
    editor = ImageEditor(stylegan, steps=2, throttle_s=0)
    upload(editor, b"this is a text file, not a picture", "notes.txt")
    assert len(editor.errors) == 1 and "InvalidInputError" in editor.capture.output.outputs[-1]["text"]
    assert editor.state.target is None and editor.upload.value == ()
    editor.invert_button.click()
    assert "no image to invert" in str(editor.errors[-1])
    upload(editor, png)  # a good file afterwards works
    assert editor.state.target is not None and len(editor.errors) == 2
    editor.paint_button.click()  # disabled in the page; called anyway: refused with a message
    assert "nothing to edit yet" in str(editor.errors[-1])
    editor.invert(blocking=True)
    editor.paint_button.click()
    assert "mask is empty" in str(editor.errors[-1])
    with pytest.raises(ValueError, match=r"amount must lie in \[-10, 10\]"):
        editor.state.set("sefa-w0", 50)
    with pytest.raises(ValueError, match="direction"):
        editor.state.set("nope", 1.0)
    with pytest.raises(latentlab.errors.InvalidInputError, match="mask must be"):
        editor.state.paint(np.ones((8, 8)), "a star")


def test_z_generator_defaults(shipped_generator, png):
    state = ImageEditorState(shipped_generator, steps=3)
    assert state.space == "z" and list(state.directions) == ["sefa0", "sefa1", "sefa2", "sefa3"]
    assert (state.amount_min, state.amount_max) == (-3.0, 3.0)
    state.load(png)
    state.invert()
    state.set("sefa0", 2.0)
    assert state.image().shape == (1, 3, 64, 64) and state.current().space == "z"
    with pytest.raises(ValueError, match="non-empty mapping"):
        ImageEditorState(shipped_generator, directions={})


def test_a_generator_with_an_encoder_starts_the_inversion_there():
    from latentlab.assessors.distances import blurred_mse
    from latentlab.generators.avae import ShapesAVAE, ShapesAVAEConfig

    torch.manual_seed(0)
    model = ShapesAVAE(ShapesAVAEConfig(latent_dim=8, width=4))
    state = ImageEditorState(model, steps=2)
    target = latentlab.render_shapes(1, seed=8).images
    state.load(target)
    result = state.invert()
    with torch.no_grad():
        start = blurred_mse(model(model.encoder_latents(target)).clamp(0, 1), target, 3.0)
    assert result.space == "z" and result.history[0] == pytest.approx(float(start), rel=1e-4)
