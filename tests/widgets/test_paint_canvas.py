"""The PaintCanvas explorer, driven headless through its event handlers."""

import numpy as np
import pytest
import torch

from latentlab.widgets.paint_canvas import PaintCanvas, PaintSession

FAST = {"generations": 3, "population": 6}


@pytest.fixture
def canvas(shipped_generator):
    return PaintCanvas(shipped_generator, seed=3, classes="star", scale=4, text="a blue star", **FAST)


def drag(canvas, points):
    canvas.on_mouse_down(*points[0])
    for p in points[1:]:
        canvas.on_mouse_move(*p)
    canvas.on_mouse_up(*points[-1])


def test_strokes_build_the_mask_with_undo_and_erase(canvas):
    s = canvas.session
    drag(canvas, [(40, 80), (120, 80)])  # screen pixels; scale 4 → image row 20, columns 10…30
    assert s.mask[20, 10:30].all() and s.mask[5, :].sum() == 0 and len(s.undo_stack) == 1
    painted = s.mask.copy()
    canvas.mode.value = "erase"
    drag(canvas, [(80, 80)])
    assert s.mask.sum() < painted.sum() and s.mask[20, 20] == 0
    canvas.undo()
    assert np.array_equal(s.mask, painted)
    canvas.brush.value = 8.0
    assert s.brush == 8.0
    canvas.clear()
    assert not s.mask.any()
    canvas.undo()
    assert np.array_equal(s.mask, painted)
    canvas.on_mouse_move(10, 10)  # moving without a pressed button paints nothing
    assert np.array_equal(s.mask, painted)


def test_paint_accept_and_continue(canvas):
    drag(canvas, [(48, 48), (144, 144)])
    before = canvas.session.image.clone()
    canvas.paint(blocking=True)
    assert not canvas.errors, canvas.errors
    result = canvas.session.pending
    assert result is not None and canvas.progress.value == FAST["generations"]
    assert canvas.after.value and not canvas.accept_button.disabled and "→" in canvas.status.value
    canvas.accept()
    assert len(canvas.session.accepted) == 1 and len(canvas.strip.children) == 1
    assert torch.equal(canvas.session.image, result.image) and not torch.equal(canvas.session.image, before)
    assert not canvas.session.mask.any()
    # a second edit elsewhere starts from the accepted one
    drag(canvas, [(220, 220), (240, 240)])
    canvas.text.value = "a red star"
    canvas.paint(blocking=True)
    assert not canvas.errors
    assert torch.allclose(canvas.session.pending.before, result.image, atol=1e-5)
    assert len(canvas.session.pending.edits) == 2


def test_errors_show_in_the_widget(canvas):
    canvas.paint_button.click()  # empty mask: reported in the widget, not raised
    assert len(canvas.errors) == 1 and "mask is empty" in str(canvas.errors[0])
    assert "mask is empty" in canvas.capture.output.outputs[-1]["text"]
    drag(canvas, [(40, 40), (80, 80)])
    canvas.text.value = "   "
    canvas.paint(blocking=True)
    assert "non-empty description" in str(canvas.errors[-1]) and not canvas.paint_button.disabled
    canvas.accept_button.click()
    assert "no edit to accept" in str(canvas.errors[-1])


def test_paint_runs_in_the_background(canvas):
    drag(canvas, [(48, 48), (144, 144)])
    canvas.paint()
    canvas.wait(timeout=120)
    assert canvas.session.pending is not None and not canvas.paint_button.disabled


def test_session_bad_input(shipped_generator):
    session = PaintSession(shipped_generator, torch.zeros(120), classes=0)
    with pytest.raises(ValueError, match="brush mode"):
        session.set_mode("spray")
    with pytest.raises(ValueError, match="radius"):
        session.set_brush(0)
    with pytest.raises(ValueError, match="paint one first"):
        session.accept()
