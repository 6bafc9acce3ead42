"""``PaintCanvas``: brush a region on a generated image, type a word, and paint it there.

The state (:class:`PaintSession`) is plain Python: the mask is a NumPy array stamped from
stroke coordinates once per stroke, with an undo stack; edits come from
:func:`latentlab.methods.paint.paint_by_word` and, once accepted, the next edit builds on them.
The view draws the image and a translucent mask layer on an ipycanvas ``MultiCanvas``
(strokes are drawn as they come, in batches, and the mask layer is redrawn from the array when
a stroke ends), with the controls, a progress bar, before/after images and a history strip.
"""

from __future__ import annotations

import threading

import ipywidgets as widgets
import numpy as np
import torch

from latentlab.errors import InvalidInputError, check_float, check_int, check_seed
from latentlab.masks import stamp_stroke
from latentlab.methods.paint import PaintResult, paint_by_word
from latentlab.widgets.common import Explorer, image_bytes, show_image

MASK_RGBA = (255, 40, 150, 110)  # translucent magenta
MODES = ("paint", "erase")


class PaintSession:
    """The editing state: base latents, accepted edits, the mask being painted and its undo stack."""

    def __init__(self, generator, latents: torch.Tensor, classes=None, **paint_options):
        self.generator = generator
        try:
            self.latents = torch.as_tensor(latents, dtype=torch.float32).reshape(-1).cpu()
        except (TypeError, ValueError, RuntimeError):
            raise InvalidInputError(f"latents must be a tensor of {generator.latent_dim} numbers, got "
                                    f"{type(latents).__name__}") from None
        if self.latents.numel() != generator.latent_dim or not torch.isfinite(self.latents).all():
            raise InvalidInputError(f"latents must be {generator.latent_dim} finite numbers (one latent of the generator), "
                                    f"got {self.latents.numel()} values with shape {tuple(torch.as_tensor(latents).shape)}")
        self.classes = classes
        self.paint_options = paint_options
        self.size = generator.resolution
        self.mask = np.zeros((self.size, self.size), dtype=np.float32)
        self.undo_stack: list[np.ndarray] = []
        self.stroke: list[tuple[float, float]] = []
        self.brush, self.mode = 4.0, "paint"
        self.accepted: list[PaintResult] = []
        self.pending: PaintResult | None = None
        with torch.no_grad():
            y = None if classes is None else generator.classes(classes, 1)
            self.image = generator(self.latents[None].to(generator.device), y)[0].cpu()  # [3, R, R] the current image

    # --- the mask ---------------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"brush mode must be one of {list(MODES)}, got {mode!r}")
        self.mode = mode

    def set_brush(self, radius: float) -> None:
        self.brush = check_float("brush radius", radius, above=0, maximum=4 * self.size, hint="image pixels")

    def _point(self, x: float, y: float) -> tuple[float, float]:
        return check_float("stroke x", x, hint="image pixels"), check_float("stroke y", y, hint="image pixels")

    def begin_stroke(self, x: float, y: float) -> None:
        """Start a stroke at image pixel (x, y)."""
        self.stroke = [self._point(x, y)]

    def extend_stroke(self, x: float, y: float) -> None:
        if self.stroke:
            self.stroke.append(self._point(x, y))

    def end_stroke(self) -> bool:
        """Stamp the stroke into the mask (one undo step); returns whether there was one."""
        if not self.stroke:
            return False
        self.undo_stack.append(self.mask.copy())
        stamp_stroke(self.mask, self.stroke, self.brush, 1.0 if self.mode == "paint" else 0.0)
        self.stroke = []
        return True

    def clear(self) -> None:
        if self.mask.any():
            self.undo_stack.append(self.mask.copy())
            self.mask[:] = 0

    def undo(self) -> bool:
        """Go back one stroke or clear; returns whether anything was undone."""
        if not self.undo_stack:
            return False
        self.mask = self.undo_stack.pop()
        return True

    # --- edits --------------------------------------------------------------------------------
    def paint(self, text: str, callbacks=(), **options) -> PaintResult:
        """Run paint by word on the current mask; the result waits to be accepted or discarded."""
        if not self.mask.any():
            raise ValueError("the mask is empty: brush over the region to change first")
        edits = self.accepted[-1].edits if self.accepted else []
        settings = {"progress": False, **self.paint_options, **options}
        self.pending = paint_by_word(self.generator, self.latents, torch.from_numpy(self.mask.copy()), text,
                                     classes=self.classes, edits=edits, callbacks=callbacks, **settings)
        return self.pending

    def accept(self) -> PaintResult:
        """Keep the pending edit: it becomes the image the next edit starts from."""
        if self.pending is None:
            raise ValueError("there is no edit to accept: paint one first")
        if not self.pending.split:
            raise ValueError("only edits made with the split generator (split=True) can be built on")
        result, self.pending = self.pending, None
        self.accepted.append(result)
        self.image = result.image.clone()
        self.undo_stack.append(self.mask.copy())
        self.mask[:] = 0
        return result

    def discard(self) -> None:
        self.pending = None


class PaintCanvas(Explorer):
    """Paint by word in a notebook: brush a mask, type a text, press Paint, accept or discard.

    ``generator`` is a name or a generator; the image is G(latents, classes) with latents drawn
    from ``seed`` unless given. ``scale`` is how many screen pixels show one image pixel. Other
    keyword arguments go to :func:`~latentlab.methods.paint.paint_by_word` (``optimizer``,
    ``generations``, ``population``, ``lambda_img``, ``space``, …).
    """

    def __init__(self, generator="shapes-biggan", *, seed: int = 0, latents: torch.Tensor | None = None, classes=None,
                 truncation: float | None = None, scale: int = 6, text: str = "", **paint_options):
        import latentlab.errors as errors

        seed, scale = check_seed("seed", seed), check_int("scale", scale, minimum=1, hint="screen pixels per image pixel")
        if not isinstance(text, str):
            raise InvalidInputError(f"text must be a string (what to paint, e.g. 'a blue star'), got {text!r}")
        super().__init__()
        from ipycanvas import MultiCanvas

        from latentlab.zoo import load_generator

        generator = load_generator(generator) if isinstance(generator, str) else generator
        most = max(1, errors.MAX_DISPLAY_SIZE // generator.resolution)
        scale = check_int("scale", scale, minimum=1, maximum=most, cap="MAX_DISPLAY_SIZE",
                          hint=f"screen pixels per image pixel; the canvas is {generator.resolution} × scale pixels wide")
        if latents is None:
            latents = generator.sample_latents(1, seed=seed, truncation=truncation)[0]
        if generator.conditional and classes is None:
            classes = int(generator.sample_classes(1, seed=seed)[0])
        self.session = PaintSession(generator, latents, classes, **paint_options)
        self.scale = int(scale)
        side = self.session.size * self.scale
        self.canvas = MultiCanvas(2, width=side, height=side, layout=widgets.Layout(width=f"{side}px", height=f"{side}px"))
        self.image_layer, self.mask_layer = self.canvas[0], self.canvas[1]
        self.canvas.on_mouse_down(self.capture(self.on_mouse_down))
        self.canvas.on_mouse_move(self.capture(self.on_mouse_move))
        self.canvas.on_mouse_up(self.capture(self.on_mouse_up))
        self.canvas.on_mouse_out(self.capture(self.on_mouse_up))
        self._drawing = False
        self._thread: threading.Thread | None = None

        self.brush = widgets.FloatSlider(value=4.0, min=1.0, max=16.0, step=0.5, description="brush", readout_format=".1f")
        self.mode = widgets.ToggleButtons(options=list(MODES), value="paint")
        self.clear_button = widgets.Button(description="clear", icon="eraser")
        self.undo_button = widgets.Button(description="undo", icon="undo")
        self.text = widgets.Text(value=text, placeholder="e.g. a blue star", description="text")
        self.paint_button = widgets.Button(description="Paint", button_style="primary", icon="paint-brush")
        self.accept_button = widgets.Button(description="accept", button_style="success", disabled=True)
        self.discard_button = widgets.Button(description="discard", disabled=True)
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="search")
        self.status = widgets.HTML("brush over the region to change, type a text, press Paint")
        self.before = widgets.Image(format="png", layout=widgets.Layout(width="128px", height="128px"))
        self.after = widgets.Image(format="png", layout=widgets.Layout(width="128px", height="128px", visibility="hidden"))
        self.strip = widgets.HBox([])

        self.brush.observe(self.capture(lambda change: self.session.set_brush(change["new"])), names="value")
        self.mode.observe(self.capture(lambda change: self.session.set_mode(change["new"])), names="value")
        self.clear_button.on_click(self.capture(lambda _: self.clear()))
        self.undo_button.on_click(self.capture(lambda _: self.undo()))
        self.paint_button.on_click(self.capture(lambda _: self.paint()))
        self.accept_button.on_click(self.capture(lambda _: self.accept()))
        self.discard_button.on_click(self.capture(lambda _: self.discard()))

        controls = widgets.VBox([self.brush, self.mode, widgets.HBox([self.clear_button, self.undo_button]), self.text,
                                 self.paint_button, self.progress, self.status,
                                 widgets.HBox([widgets.VBox([widgets.Label("before"), self.before]),
                                               widgets.VBox([widgets.Label("after"), self.after])]),
                                 widgets.HBox([self.accept_button, self.discard_button])])
        self.children = [widgets.HBox([self.canvas, controls]), widgets.Label("accepted edits"), self.strip, self.capture.output]
        self.draw_image()
        show_image(self.before, self.session.image, "png", min_size=128)  # "after" stays hidden until an edit exists

    # --- drawing ------------------------------------------------------------------------------
    def draw_image(self) -> None:
        """Show the current image on the image layer."""
        pixels = (self.session.image.clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()
        self.image_layer.put_image_data(np.kron(pixels, np.ones((self.scale, self.scale, 1), dtype=np.uint8)), 0, 0)

    def draw_mask(self) -> None:
        """Redraw the mask layer from the mask array (once per stroke, not per mouse event)."""
        from ipycanvas import hold_canvas

        rgba = np.zeros((*self.session.mask.shape, 4), dtype=np.uint8)
        rgba[self.session.mask > 0.5] = MASK_RGBA
        with hold_canvas():
            self.mask_layer.clear()
            self.mask_layer.put_image_data(np.kron(rgba, np.ones((self.scale, self.scale, 1), dtype=np.uint8)), 0, 0)

    def _to_image(self, x: float, y: float) -> tuple[float, float]:
        return x / self.scale, y / self.scale

    def on_mouse_down(self, x: float, y: float) -> None:
        self._drawing = True
        self.session.begin_stroke(*self._to_image(x, y))
        self._dab(x, y)

    def on_mouse_move(self, x: float, y: float) -> None:
        if self._drawing:
            previous = self.session.stroke[-1]
            self.session.extend_stroke(*self._to_image(x, y))
            self._dab(x, y, (previous[0] * self.scale, previous[1] * self.scale))

    def on_mouse_up(self, x: float, y: float) -> None:
        if self._drawing:
            self._drawing = False
            self.session.extend_stroke(*self._to_image(x, y))
            if self.session.end_stroke():
                self.draw_mask()

    def _dab(self, x: float, y: float, start: tuple[float, float] | None = None) -> None:
        """Immediate feedback while dragging: a line and a disc in the brush colour (or a cleared disc)."""
        from ipycanvas import hold_canvas

        radius = self.session.brush * self.scale
        with hold_canvas():
            if self.session.mode == "erase":
                self.mask_layer.clear_rect(x - radius, y - radius, 2 * radius, 2 * radius)
                return
            r, g, b, a = MASK_RGBA
            self.mask_layer.fill_style = self.mask_layer.stroke_style = f"rgba({r}, {g}, {b}, {a / 255:.2f})"
            if start is not None:
                self.mask_layer.line_width = 2 * radius
                self.mask_layer.stroke_line(start[0], start[1], x, y)
            self.mask_layer.fill_circle(x, y, radius)

    # --- actions ------------------------------------------------------------------------------
    def clear(self) -> None:
        self.session.clear()
        self.draw_mask()

    def undo(self) -> None:
        self.session.undo()
        self.draw_mask()

    def paint(self, blocking: bool = False) -> None:
        """Start the edit in a background thread (the kernel stays responsive), or run it now with ``blocking``."""
        if self._thread is not None and self._thread.is_alive():
            raise RuntimeError("an edit is already running; wait for it to finish")
        if not self.session.mask.any():
            raise ValueError("the mask is empty: brush over the region to change first")
        generations = int(self.session.paint_options.get("generations", 30))
        self.progress.max, self.progress.value = generations, 0
        self.paint_button.disabled = True
        self.status.value = f"painting {self.text.value!r} …"

        def on_generation(generation: int, x, fitness, result) -> None:
            self.progress.value = generation

        def work() -> None:
            with self.capture:
                try:
                    self.show_result(self.session.paint(self.text.value, callbacks=[on_generation]))
                finally:
                    self.paint_button.disabled = False
            if self.capture.errors and self.session.pending is None:
                self.status.value = "the edit failed: see the message below"

        if blocking:
            work()
        else:
            self._thread = threading.Thread(target=work, daemon=True)
            self._thread.start()

    def wait(self, timeout: float | None = None) -> None:
        """Block until a running edit has finished."""
        if self._thread is not None:
            self._thread.join(timeout)

    def show_result(self, result: PaintResult) -> None:
        show_image(self.before, result.before, "png", min_size=128)
        show_image(self.after, result.image, "png", min_size=128)
        self.after.layout.visibility = "visible"
        s = result.scores
        self.status.value = (f"masked score {s['inside_before']:.3f} → {s['inside_after']:.3f}; "
                             f"outside change {result.outside_change['l2']:.5f}")
        self.accept_button.disabled = self.discard_button.disabled = False

    def accept(self) -> None:
        result = self.session.accept()
        self.draw_image()
        self.draw_mask()
        thumb = widgets.Image(value=image_bytes(result.image, "png", min_size=64), format="png",
                              layout=widgets.Layout(width="64px", height="64px"), tooltip=result.text)
        self.strip.children = (*self.strip.children, widgets.VBox([thumb, widgets.Label(result.text[:24])]))
        show_image(self.before, self.session.image, "png", min_size=128)
        self.after.layout.visibility = "hidden"
        self.accept_button.disabled = self.discard_button.disabled = True
        self.status.value = f"accepted {result.text!r}; paint the next region"

    def discard(self) -> None:
        self.session.discard()
        self.after.layout.visibility = "hidden"
        self.accept_button.disabled = self.discard_button.disabled = True
        self.status.value = "discarded; change the mask or the text and paint again"

    def summary(self) -> str:
        return f"PaintCanvas({len(self.session.accepted)} accepted edits, mask {int(self.session.mask.sum())} px)"

