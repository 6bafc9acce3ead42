"""Helpers shared by the explorers: error capture, a latest-value throttle, image bytes, Colab.

Every helper works without a browser or a kernel, so explorers built on them can be driven
from tests: errors land in an ``ipywidgets.Output`` (and in a list), the throttle can be
flushed synchronously, and images become bytes in an ``ipywidgets.Image``.
"""

from __future__ import annotations

import asyncio
import functools
import io
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import torch

from latentlab.errors import InvalidInputError, check_count, check_display_size, check_float, check_int
from latentlab.images import make_grid, to_bytes, upscale

_NOTHING = object()


# --- errors -------------------------------------------------------------------------------
class ErrorCapture:
    """Show exceptions raised in widget callbacks inside an ``Output`` instead of losing them.

    Use as a decorator (``@capture``) or a context manager (``with capture:``). Each caught
    exception is appended to :attr:`errors` and its traceback to :attr:`output`'s stderr, which
    works from any thread and without a kernel (``Output.capture`` needs the kernel's main
    thread). ``KeyboardInterrupt`` and ``SystemExit`` pass through.
    """

    def __init__(self, output: widgets.Output | None = None, max_shown: int = 3):
        self.output = output if output is not None else widgets.Output(layout=widgets.Layout(max_height="12em", overflow="auto"))
        self.max_shown = check_int("max_shown", max_shown, minimum=1, maximum=1000)
        self.errors: list[BaseException] = []

    def report(self, error: BaseException) -> None:
        """Record ``error`` and show its traceback (the last ``max_shown`` errors stay visible)."""
        self.errors.append(error)
        text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        outputs = tuple(self.output.outputs)[-(self.max_shown - 1):] if self.max_shown > 1 else ()
        self.output.outputs = outputs
        self.output.append_stderr(text)

    def clear(self) -> None:
        """Forget the recorded errors and empty the output."""
        self.errors.clear()
        self.output.outputs = ()

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)
            return None  # reached only when an exception was captured

        return wrapper

    def __enter__(self) -> ErrorCapture:
        return self

    def __exit__(self, etype, error, tb) -> bool:
        if error is not None and isinstance(error, Exception):
            self.report(error)
            return True
        return False


# --- throttle -----------------------------------------------------------------------------
Cancel = Callable[[], None]
Scheduler = Callable[[float, Callable[[], None]], Cancel]


def call_later(delay_s: float, fn: Callable[[], None]) -> Cancel:
    """Run ``fn`` after ``delay_s`` on the running asyncio loop (a kernel's), else on a timer thread."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        timer = threading.Timer(delay_s, fn)
        timer.daemon = True
        timer.start()
        return timer.cancel
    return loop.call_later(delay_s, fn).cancel


class LatestValueThrottle:
    """Call ``fn(value)`` at most once per ``interval_s``, always with the latest value submitted.

    The first value after a quiet spell runs at once; values arriving during the interval
    replace each other and only the last runs when it ends. When an interval ends with nothing
    new, ``on_settle(last_value)`` runs once (e.g. to swap a fast JPEG for a PNG).
    ``interval_s=0`` runs every value immediately. :meth:`flush` runs what is pending (and the
    settle call) synchronously, which is how tests and scripts use it.
    """

    def __init__(self, fn: Callable[[Any], None], interval_s: float = 0.05, *, on_settle: Callable[[Any], None] | None = None,
                 scheduler: Scheduler = call_later):
        interval_s = check_float("interval_s", interval_s, minimum=0.0, maximum=60.0, hint="seconds between renders; 0 renders every value")
        self.fn, self.on_settle, self.interval_s, self.scheduler = fn, on_settle, float(interval_s), scheduler
        self._lock = threading.RLock()
        self._pending: Any = _NOTHING
        self._last: Any = _NOTHING
        self._cancel: Cancel | None = None
        self._settled = True

    @property
    def pending(self) -> bool:
        """Whether a value waits for the end of the current interval."""
        return self._pending is not _NOTHING

    def submit(self, value: Any) -> None:
        """Offer a new value; it runs now, at the end of the interval, or is replaced by a newer one."""
        with self._lock:
            if self.interval_s == 0:
                self._run(value)
                self._settle()
                return
            if self._cancel is not None:  # inside an interval: keep only the latest
                self._pending = value
                return
            self._run(value)
            self._cancel = self.scheduler(self.interval_s, self._tick)

    def flush(self) -> None:
        """Run the pending value (if any) and the settle call now; cancel the running interval."""
        with self._lock:
            if self._cancel is not None:
                self._cancel()
                self._cancel = None
            if self.pending:
                value, self._pending = self._pending, _NOTHING
                self._run(value)
            self._settle()

    def cancel(self) -> None:
        """Drop the pending value and stop the running interval (no render, no settle call)."""
        with self._lock:
            if self._cancel is not None:
                self._cancel()
                self._cancel = None
            self._pending = _NOTHING
            self._settled = True

    def _tick(self) -> None:
        with self._lock:
            if self._cancel is None:  # flushed meanwhile
                return
            if self.pending:
                value, self._pending = self._pending, _NOTHING
                self._run(value)
                self._cancel = self.scheduler(self.interval_s, self._tick)
            else:
                self._cancel = None
                self._settle()

    def _run(self, value: Any) -> None:
        self._last, self._settled = value, False
        self.fn(value)

    def _settle(self) -> None:
        if not self._settled and self._last is not _NOTHING:
            self._settled = True
            if self.on_settle is not None:
                self.on_settle(self._last)


# --- images and figures -------------------------------------------------------------------
def image_bytes(images: torch.Tensor, format: str = "jpeg", *, nrow: int = 8, min_size: int = 0, quality: int = 85) -> bytes:
    """Encode one image [3, H, W] or a batch (as a grid with ``nrow`` per row) to JPEG or PNG bytes.

    ``min_size`` enlarges small images by an integer factor (nearest neighbour) so that they
    stay crisp when shown at that many pixels.
    """
    if not isinstance(images, torch.Tensor):
        raise InvalidInputError(f"images must be a tensor [3, H, W] or [N, 3, H, W], got {type(images).__name__}")
    if not isinstance(format, str) or format.lower() not in ("jpeg", "jpg", "png"):
        raise InvalidInputError(f"format must be 'png' or 'jpeg', got {format!r}")
    nrow = check_count("nrow", nrow)
    min_size = check_display_size("min_size", min_size, minimum=0, hint="pixels small images are enlarged to; 0 keeps their size")
    quality = check_int("quality", quality, minimum=1, maximum=100, hint="JPEG quality")
    images = images.detach().float().cpu()
    if images.dim() == 3:
        images = images[None]
    if min_size and images.shape[-1] < min_size:
        images = upscale(images, min_size // images.shape[-1])
    picture = make_grid(images, nrow=nrow) if images.shape[0] > 1 else images[0]
    return to_bytes(picture, format=format, quality=quality)


def show_image(widget: widgets.Image, images: torch.Tensor, format: str = "jpeg", **kwargs) -> bytes:
    """Put ``images`` (see :func:`image_bytes`) into an ``ipywidgets.Image`` in one sync message."""
    data = image_bytes(images, format, **kwargs)
    with widget.hold_sync():
        widget.format = "jpeg" if format.lower() in ("jpg", "jpeg") else "png"
        widget.value = data
    return data


def new_figure(width: float = 4.0, height: float = 2.6, dpi: int = 80):
    """A matplotlib ``Figure`` on the Agg canvas, independent of pyplot (safe in threads)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    width = check_float("width", width, above=0, maximum=100, hint="inches")
    height = check_float("height", height, above=0, maximum=100, hint="inches")
    dpi = check_int("dpi", dpi, minimum=1, maximum=1200)
    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def figure_to_png(fig) -> bytes:
    """Render a matplotlib figure to PNG bytes with the Agg backend (no pyplot, no display)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


# --- frontends ----------------------------------------------------------------------------
_colab_enabled = False


def in_colab() -> bool:
    """Whether this code runs in a Google Colab kernel."""
    return "google.colab" in sys.modules


def enable_colab_widgets() -> bool:
    """In Colab, turn on the custom widget manager once (third-party widgets such as ipycanvas need it).

    Elsewhere it does nothing. Returns whether the manager is (now) enabled.
    """
    global _colab_enabled
    if _colab_enabled or not in_colab():
        return _colab_enabled
    from google.colab import output  # only importable inside Colab

    output.enable_custom_widget_manager()
    _colab_enabled = True
    return True


_OWNED_TRAITS = ("children", "layout", "style", "_canvases")  # traits through which a widget holds widgets it owns


def _widgets_in(value: Any, depth: int = 3) -> list[widgets.Widget]:
    """The widgets in ``value``: itself, or those inside nested lists, tuples, sets and dicts (``depth`` levels)."""
    if isinstance(value, widgets.Widget):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if depth > 0 and isinstance(value, (list, tuple, set, frozenset)):
        return [w for item in value for w in _widgets_in(item, depth - 1)]
    return []


class Explorer(widgets.VBox):
    """Base of the explorers: a ``VBox`` holding the controls, the pictures and an error area.

    An explorer is an ipywidgets widget, so ``display(explorer)`` or leaving it as a cell's last
    value shows it (in Colab once the custom widget manager is on, which constructing one does);
    its plain-text form is a short, stable summary. :meth:`close` closes every widget inside.
    A constructor that raises closes what it had opened.
    """

    def __init__(self, **kwargs) -> None:
        enable_colab_widgets()
        super().__init__(**kwargs)
        self.capture = ErrorCapture()

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None:
            return

        @functools.wraps(init)
        def guarded(self, *args, **kwargs) -> None:
            try:
                init(self, *args, **kwargs)
            except BaseException:
                self.close()
                raise

        cls.__init__ = guarded

    @property
    def widget(self) -> Explorer:
        """The explorer itself (the view used to be a separate widget)."""
        return self

    @property
    def errors(self) -> list[BaseException]:
        """Exceptions raised in callbacks and shown in the widget (most recent last)."""
        return self.capture.errors

    def summary(self) -> str:
        return type(self).__name__

    def _owned_widgets(self) -> list[widgets.Widget]:
        """The widgets this explorer made: its attributes and what they hold as children, layers, layout or style.

        Shared widgets that other widgets point to (such as ipycanvas' canvas manager) are left open.
        """
        seen: dict[int, widgets.Widget] = {}
        stack: list[widgets.Widget] = [self, *_widgets_in(list(vars(self).values()))]
        if isinstance(vars(self).get("capture"), ErrorCapture):
            stack.append(self.capture.output)
        while stack:
            w = stack.pop()
            if id(w) in seen:
                continue
            seen[id(w)] = w
            for name in _OWNED_TRAITS:
                if name in w.keys:
                    stack.extend(_widgets_in(getattr(w, name)))
        seen.pop(id(self))
        return list(seen.values())

    def close(self) -> None:
        """Close the explorer and every widget inside it; their views leave the page."""
        if self.comm is None:
            return
        throttle = vars(self).get("throttle")
        if isinstance(throttle, LatestValueThrottle):
            throttle.cancel()
        for w in self._owned_widgets():
            w.close()
        super().close()

    def _repr_mimebundle_(self, **kwargs) -> dict | None:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is not None:
            bundle["text/plain"] = self.summary()
        return bundle

    def __repr__(self) -> str:
        return self.summary()
