"""ImageEditor: bring your own image — upload it or draw it — invert it into the generator, then edit it.

The state (:class:`~latentlab.widgets.image_editor_state.ImageEditorState`) holds the logic; the
view (:class:`ImageEditor`) is a ``FileUpload``, an ipycanvas drawing pad, an Invert button with a progress bar and the reconstruction refreshing every few steps, the image /
reconstruction / edited row, a slider per direction, a mask canvas with a text box and a Paint
button, and a Save button. Inversion and painting run in a background thread (as in
:class:`~latentlab.widgets.EvolutionGallery`), so the kernel stays responsive and the progress
reaches the page while they run; ``blocking=True`` runs them in the caller's thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import torch

from latentlab.errors import InvalidInputError, check_display_size, check_int, check_throttle
from latentlab.masks import stamp_stroke
from latentlab.widgets.common import Explorer, LatestValueThrottle, show_image
from latentlab.widgets.direction_explorer import _label
from latentlab.widgets.image_editor_state import DEFAULT_STEPS, ImageEditorState, _as_mask
from latentlab.widgets.paint_canvas import MASK_RGBA, MODES


# --- the view -------------------------------------------------------------------------------------
def _pixels(image: torch.Tensor) -> np.ndarray:
    """[1, 3, H, W] or [3, H, W] floats in [0, 1] → uint8 [H, W, 3]."""
    image = image[0] if image.dim() == 4 else image
    return (image.detach().float().cpu().clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()


def _colour(hex_colour: str) -> np.ndarray:
    from PIL import ImageColor

    try:
        return np.array(ImageColor.getrgb(hex_colour)[:3], dtype=np.uint8)
    except ValueError:
        raise InvalidInputError(f"{hex_colour!r} is not a colour (e.g. '#ff0000' or 'red')") from None


class StrokePad:
    """An ipycanvas ``MultiCanvas`` (a picture layer under an ink layer) that turns mouse drags into strokes.

    Each drag is drawn on the ink layer as it comes; when it ends, ``on_stroke(points)`` receives its
    points in image pixels (x, y). ``style()`` gives the ink colour (None erases) and the brush
    radius in image pixels. :meth:`show` redraws the picture (and an RGBA overlay) from arrays.
    """

    def __init__(self, size: int, scale: int, on_stroke: Callable[[list[tuple[float, float]]], None],
                 style: Callable[[], tuple[str | None, float]], capture):
        from ipycanvas import MultiCanvas

        self.size, self.scale, self.on_stroke, self.style = size, scale, on_stroke, style
        side = size * scale
        self.canvas = MultiCanvas(2, width=side, height=side, layout=widgets.Layout(width=f"{side}px", height=f"{side}px"))
        self.picture, self.ink = self.canvas[0], self.canvas[1]
        self.points: list[tuple[float, float]] = []
        self.drawing = False
        self.canvas.on_mouse_down(capture(self.on_mouse_down))
        self.canvas.on_mouse_move(capture(self.on_mouse_move))
        self.canvas.on_mouse_up(capture(self.on_mouse_up))
        self.canvas.on_mouse_out(capture(self.on_mouse_up))

    def on_mouse_down(self, x: float, y: float) -> None:
        self.drawing = True
        self.points = [(x / self.scale, y / self.scale)]
        self._dab(x, y)

    def on_mouse_move(self, x: float, y: float) -> None:
        if self.drawing:
            px, py = self.points[-1]
            self.points.append((x / self.scale, y / self.scale))
            self._dab(x, y, (px * self.scale, py * self.scale))

    def on_mouse_up(self, x: float, y: float) -> None:
        if self.drawing:
            self.drawing = False
            self.points.append((x / self.scale, y / self.scale))
            points, self.points = self.points, []
            self.on_stroke(points)

    def drag(self, points: Sequence[tuple[float, float]]) -> None:
        """A whole drag through ``points`` in screen pixels (what the mouse would do; for scripts and tests)."""
        self.on_mouse_down(*points[0])
        for p in points[1:]:
            self.on_mouse_move(*p)
        self.on_mouse_up(*points[-1])

    def _dab(self, x: float, y: float, start: tuple[float, float] | None = None) -> None:
        from ipycanvas import hold_canvas

        colour, radius = self.style()
        radius *= self.scale
        with hold_canvas():
            if colour is None:
                self.ink.clear_rect(x - radius, y - radius, 2 * radius, 2 * radius)
                return
            self.ink.fill_style = self.ink.stroke_style = colour
            if start is not None:
                self.ink.line_width = 2 * radius
                self.ink.stroke_line(start[0], start[1], x, y)
            self.ink.fill_circle(x, y, radius)

    def show(self, pixels: np.ndarray, overlay: np.ndarray | None = None) -> None:
        """Draw ``pixels`` uint8 [H, W, 3] on the picture layer and ``overlay`` uint8 [H, W, 4] (or nothing) on the ink layer."""
        from ipycanvas import hold_canvas

        block = np.ones((self.scale, self.scale, 1), dtype=np.uint8)
        with hold_canvas():
            self.picture.put_image_data(np.kron(pixels, block), 0, 0)
            self.ink.clear()
            if overlay is not None and overlay[..., 3].any():
                self.ink.put_image_data(np.kron(overlay, block), 0, 0)


class ImageEditor(Explorer):
    """Explorer of your own image: upload or draw it, invert it, move it along directions, repaint regions, save.

    ``generator`` is a zoo name or a generator (default ``shapes-stylegan``); ``space`` where the
    image is inverted (default 'w+' for a style-based generator, else 'z'); ``steps`` of the
    inversion; ``directions`` a mapping name → :class:`~latentlab.spaces.Direction` (default the
    first four SeFa directions) with ``amount_range`` the sliders' range. ``scale`` is screen pixels
    per image pixel of the two canvases; ``invert_options`` go to :func:`~latentlab.methods.invert`,
    ``paint_options`` to :func:`~latentlab.paint_by_word` (``population``, ``seed``, ``lambda_img`` …).
    """

    def __init__(self, generator="shapes-stylegan", *, space: str | None = None, steps: int = DEFAULT_STEPS, directions=None,
                 amount_range: tuple[float, float] | None = None, model: str | None = None, scale: int = 4,
                 display_size: int = 160, preview_every: int = 10, throttle_s: float = 0.05, text: str = "",
                 generations: int = 30, invert_options: Mapping | None = None, paint_options: Mapping | None = None):
        import latentlab.errors as errors

        display_size, throttle_s = check_display_size("display_size", display_size), check_throttle(throttle_s)
        generations = check_int("generations", generations, minimum=1, maximum=10_000, hint="paint search generations")
        if not isinstance(text, str):
            raise InvalidInputError(f"text must be a string (what to paint, e.g. 'a blue star'), got {text!r}")
        super().__init__()
        self.state = ImageEditorState(generator, space=space, steps=steps, directions=directions, amount_range=amount_range,
                                      model=model, preview_every=preview_every, invert_options=invert_options,
                                      paint_options=paint_options)
        size = self.state.size
        most = max(1, errors.MAX_DISPLAY_SIZE // size)
        self.scale = check_int("scale", scale, minimum=1, maximum=most, cap="MAX_DISPLAY_SIZE",
                               hint=f"screen pixels per image pixel; the canvases are {size} × scale pixels wide")
        self.display_size = display_size
        self.mask = np.zeros((size, size), dtype=np.float32)
        self.drawing = np.zeros((size, size, 3), dtype=np.uint8)
        self._thread: threading.Thread | None = None
        self._mask_background: np.ndarray | None = None  # the edited image under the mask
        self.throttle = LatestValueThrottle(self.capture(lambda _: self._render("jpeg")), throttle_s,
                                            on_settle=self.capture(lambda _: self._render("png")))
        self.children = self._build_view(text, generations)
        self.clear_drawing()
        self.draw_mask()

    # --- view ---------------------------------------------------------------------------------
    def _build_view(self, text: str, generations: int) -> list[widgets.Widget]:
        s = self.state
        wide = {"description_width": "initial"}
        # 1. the image: upload or draw
        self.upload = widgets.FileUpload(accept="image/*", multiple=False, description="upload image")
        self.upload.observe(self.capture(self._on_upload), names="value")
        self.pen = widgets.ColorPicker(value="#e03c3c", description="pen", concise=False, style=wide)
        self.background = widgets.ColorPicker(value="#303048", description="background", style=wide)
        self.pen_size = widgets.FloatSlider(value=4.0, min=1.0, max=16.0, step=0.5, description="pen size", readout_format=".1f")
        self.clear_drawing_button = widgets.Button(description="clear drawing", icon="eraser")
        self.use_drawing = widgets.Button(description="use drawing", icon="check", tooltip="take the drawing as the image")
        self.clear_drawing_button.on_click(self.capture(lambda _: self.clear_drawing()))
        self.use_drawing.on_click(self.capture(lambda _: self.state.draw(self.drawing.copy())))
        self.pad = StrokePad(s.size, self.scale, self.capture(self._drawn), lambda: (self.pen.value, self.pen_size.value), self.capture)
        # 2. the inversion
        self.invert_button = widgets.Button(description="Invert", button_style="primary", icon="magic")
        self.stop_button = widgets.Button(description="stop", icon="stop", disabled=True)
        self.invert_button.on_click(self.capture(lambda _: self.invert()))
        self.stop_button.on_click(self.capture(lambda _: s.stop()))
        self.progress = widgets.FloatProgress(value=0.0, min=0.0, max=1.0, description="inversion")
        self.status = widgets.Label(value=s.status)
        size = widgets.Layout(width=f"{self.display_size}px", height=f"{self.display_size}px")
        self.target_view = widgets.Image(format="png", layout=size)
        self.reconstruction = widgets.Image(format="png", layout=widgets.Layout(width=f"{self.display_size}px", height=f"{self.display_size}px"))
        self.edited_view = widgets.Image(format="png", layout=widgets.Layout(width=f"{self.display_size}px", height=f"{self.display_size}px"))
        images = widgets.HBox([widgets.VBox([widgets.Label(label), view]) for label, view in
                               (("image", self.target_view), ("reconstruction", self.reconstruction), ("edited", self.edited_view))])
        # 3. the directions
        step = (s.amount_max - s.amount_min) / 80
        self.sliders = {name: widgets.FloatSlider(value=s.values[name], min=s.amount_min, max=s.amount_max, step=step,
                                                  description=_label(name, d), readout_format=".2f", style=wide,
                                                  disabled=True)
                        for name, d in s.directions.items()}
        for name, slider in self.sliders.items():
            slider.observe(self.capture(lambda change, name=name: s.set(name, change["new"])), names="value")
        self.reset_button = widgets.Button(description="reset sliders", icon="undo", disabled=True)
        self.reset_button.on_click(self.capture(lambda _: s.reset()))
        # 4. painting a region
        self.brush = widgets.FloatSlider(value=6.0, min=1.0, max=32.0, step=0.5, description="brush", readout_format=".1f")
        self.mode = widgets.ToggleButtons(options=list(MODES), value="paint")
        self.clear_mask_button = widgets.Button(description="clear mask", icon="eraser")
        self.clear_mask_button.on_click(self.capture(lambda _: self.clear_mask()))
        self.text = widgets.Text(value=text, placeholder="e.g. a blue star", description="text")
        self.generations = widgets.BoundedIntText(value=generations, min=1, max=10_000, description="generations", style=wide)
        self.paint_button = widgets.Button(description="Paint", icon="paint-brush", button_style="primary", disabled=True)
        self.paint_button.on_click(self.capture(lambda _: self.paint()))
        self.paint_progress = widgets.IntProgress(value=0, min=0, max=1, description="search")

        def mask_style() -> tuple[str | None, float]:
            r, g, b, a = MASK_RGBA
            return (None if self.mode.value == "erase" else f"rgba({r}, {g}, {b}, {a / 255:.2f})"), self.brush.value

        self.mask_pad = StrokePad(s.size, self.scale, self.capture(self._masked), mask_style, self.capture)
        # 5. saving
        self.path = widgets.Text(value="my-edit", description="folder")
        self.save_button = widgets.Button(description="Save", icon="save", disabled=True)
        self.save_button.on_click(self.capture(lambda _: self.save()))

        s.observe(lambda c: setattr(self.status, "value", c["new"]), names="status")
        s.observe(lambda c: setattr(self.progress, "value", c["new"]), names="progress")
        s.observe(self.capture(self._show_target), names="target")
        s.observe(self.capture(self._show_preview), names="preview")
        s.observe(self.capture(self._show_result), names="result")
        s.observe(self.capture(lambda c: self._sync_sliders()), names="values")
        s.observe(self.capture(lambda c: self.throttle.submit(dict(s.values))), names=["values", "edited"])
        s.observe(self.capture(lambda c: self._show_running()), names=["running", "edited"])

        draw = widgets.VBox([widgets.HTML("<b>1. your image</b>: upload one, or draw one and press <i>use drawing</i>"),
                             self.upload, widgets.HBox([self.pad.canvas, widgets.VBox([
                                 self.pen, self.background, self.pen_size, self.clear_drawing_button, self.use_drawing])])])
        invert = widgets.VBox([widgets.HTML("<b>2. invert it</b>"), widgets.HBox([self.invert_button, self.stop_button]),
                               self.progress, self.status, images])
        move = widgets.VBox([widgets.HTML(f"<b>3. move it</b> (directions in {s.space})"), *self.sliders.values(), self.reset_button])
        paint = widgets.VBox([widgets.HTML("<b>4. repaint a region</b>: brush over it, describe it, press Paint"),
                              widgets.HBox([self.mask_pad.canvas, widgets.VBox([
                                  self.brush, self.mode, self.clear_mask_button, self.text, self.generations,
                                  self.paint_button, self.paint_progress])])])
        save = widgets.VBox([widgets.HTML("<b>5. save</b>"), widgets.HBox([self.path, self.save_button])])
        return [draw, invert, move, paint, save, self.capture.output]

    # --- the image ----------------------------------------------------------------------------
    def _on_upload(self, change) -> None:
        files = change["new"]
        if not files:
            return
        try:
            self.state.load(files[0]["content"])
        finally:
            self.upload.value = ()  # the same file can be uploaded again

    def _drawn(self, points) -> None:
        stroke = stamp_stroke(np.zeros(self.drawing.shape[:2], dtype=np.float32), points, self.pen_size.value)
        self.drawing[stroke > 0] = _colour(self.pen.value)
        self.pad.show(self.drawing)

    def clear_drawing(self) -> None:
        """Fill the drawing pad with the background colour."""
        self.drawing[:] = _colour(self.background.value)
        self.pad.show(self.drawing)

    def _show_target(self, change) -> None:
        target = change["new"]
        if target is None:
            return
        show_image(self.target_view, target, "png", min_size=self.display_size)
        self.drawing[:] = _pixels(target)  # draw over it next
        self.pad.show(self.drawing)
        for view in (self.reconstruction, self.edited_view):
            view.value = b""
        self._mask_background = None
        self.clear_mask()

    def _show_preview(self, change) -> None:
        if change["new"] is not None:
            show_image(self.reconstruction, change["new"], "jpeg", min_size=self.display_size)

    def _show_result(self, change) -> None:
        if change["new"] is not None:
            show_image(self.reconstruction, change["new"].images[:1], "png", min_size=self.display_size)

    # --- running ------------------------------------------------------------------------------
    def _busy(self) -> bool:
        return self.state.running or (self._thread is not None and self._thread.is_alive())

    def _start(self, work: Callable[[], None], blocking: bool) -> None:
        if blocking:
            work()
        else:
            self._thread = threading.Thread(target=work, name="latentlab-image-editor", daemon=True)
            self._thread.start()

    def invert(self, blocking: bool = False) -> None:
        """Invert the image in a background thread (or now, with ``blocking``); errors show in the widget."""
        if self._busy():
            raise RuntimeError("an inversion or a paint is already running; wait for it (or stop it)")
        if self.state.target is None:
            raise ValueError("there is no image to invert: upload or draw one first")
        self.stop_button.disabled = False

        def work() -> None:
            with self.capture:
                self.state.invert()

        self._start(work, blocking)

    def paint(self, blocking: bool = False) -> None:
        """Repaint the masked region toward the text, in a background thread (or now, with ``blocking``)."""
        if self._busy():
            raise RuntimeError("an inversion or a paint is already running; wait for it")
        self.state.current()  # refuses before anything starts: nothing inverted yet,
        mask = _as_mask(self.mask, self.state.size)  # or an empty mask
        text = self.text.value
        generations = int(self.generations.value)
        self.paint_progress.max, self.paint_progress.value = generations, 0

        def on_generation(generation: int, x, fitness, result) -> None:
            self.paint_progress.value = generation

        def work() -> None:
            with self.capture:
                self.state.paint(mask, text, generations=generations, callbacks=[on_generation])
                self.clear_mask()

        self._start(work, blocking)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for a background inversion or paint to end; returns whether it has."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self._busy()

    def _show_running(self) -> None:
        running, ready = self.state.running, self.state.edited is not None
        self.invert_button.disabled = running
        self.stop_button.disabled = not running
        self.paint_button.disabled = self.save_button.disabled = self.reset_button.disabled = running or not ready
        for slider in self.sliders.values():
            slider.disabled = running or not ready

    # --- the edit -----------------------------------------------------------------------------
    def _sync_sliders(self) -> None:
        for name, value in self.state.values.items():
            if self.sliders[name].value != value:
                self.sliders[name].value = value

    def _render(self, format: str) -> None:
        if self.state.edited is None:
            return
        image = self.state.image()
        show_image(self.edited_view, image, format, min_size=self.display_size)
        if format == "png":
            self._mask_background = _pixels(image)
            self.draw_mask()

    def flush(self) -> None:
        """Render the latest edit now."""
        self.throttle.flush()

    def _masked(self, points) -> None:
        stamp_stroke(self.mask, points, self.brush.value, 0.0 if self.mode.value == "erase" else 1.0)
        self.draw_mask()

    def draw_mask(self) -> None:
        """Redraw the mask canvas: the edited image (or a blank) under the translucent mask."""
        background = self._mask_background
        if background is None:
            background = np.full((*self.mask.shape, 3), 255, dtype=np.uint8)
        overlay = np.zeros((*self.mask.shape, 4), dtype=np.uint8)
        overlay[self.mask > 0.5] = MASK_RGBA
        self.mask_pad.show(background, overlay)

    def clear_mask(self) -> None:
        self.mask[:] = 0
        self.draw_mask()

    def save(self) -> Path:
        """Save the edit into the folder typed in the box (see :meth:`ImageEditorState.save`)."""
        return self.state.save(self.path.value)

    def summary(self) -> str:
        s = self.state
        return f"ImageEditor({s.space}, {len(s.directions)} directions, {s.steps} steps; {s.summary()})"
