"""The state of :class:`~latentlab.widgets.ImageEditor`: target, inversion, edit and one amount per direction.

It holds the logic, driven headless in tests: the target image (from :func:`~latentlab.load_image`:
bytes, a path, an array or a tensor), the inversion (:func:`~latentlab.methods.invert`, with live
progress and a stop that keeps the best so far), the edit as an
:class:`~latentlab.methods.EditedImage`, one amount per direction (the sliders), region repaints
(:meth:`~latentlab.methods.EditedImage.repainted`, the slider moves baked in first) and saving.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import torch
from traitlets import Bool, Dict, Float, HasTraits, Instance, Unicode

from latentlab.errors import InvalidInputError, check_float, check_int, unknown_name_error
from latentlab.methods.edit import EditedImage
from latentlab.methods.inversion_result import InversionResult
from latentlab.spaces import Direction, WPlusSpace, WSpace, resolve_space
from latentlab.widgets.direction_explorer import check_t_range

DEFAULT_STEPS = 150
DEFAULT_DIRECTIONS = 4
#: Default slider range: SeFa directions are unit vectors, and W spreads several units per coordinate while Z has one
STYLE_RANGE, Z_RANGE = (-10.0, 10.0), (-3.0, 3.0)


def _is_style(generator) -> bool:
    from latentlab.generators.style import StyleGenerator

    return isinstance(generator, StyleGenerator)


def default_directions(generator, space: str, k: int = DEFAULT_DIRECTIONS) -> dict[str, Direction]:
    """The first ``k`` SeFa directions: in W (``style_sefa_directions``) for a style generator edited in W or W+,
    else in Z (``sefa_directions``)."""
    from latentlab.methods.sefa import sefa_directions, style_sefa_directions

    in_styles = _is_style(generator) and isinstance(resolve_space(space, generator), (WSpace, WPlusSpace))
    found = style_sefa_directions(generator, k=k) if in_styles else sefa_directions(generator, k=k)
    return {d.name: d for d in found}


def _as_mask(mask, size: int) -> torch.Tensor:
    """A region mask [size, size] of 0/1 floats from a tensor or array ([H, W] or [1, H, W] / [1, 1, H, W])."""
    try:
        m = torch.as_tensor(np.asarray(mask) if not isinstance(mask, torch.Tensor) else mask).detach().float().cpu()
    except (TypeError, ValueError, RuntimeError):
        raise InvalidInputError(f"mask must be a tensor or array [{size}, {size}] of 0/1 values, got {type(mask).__name__}") from None
    while m.dim() > 2 and m.shape[0] == 1:
        m = m[0]
    if tuple(m.shape) != (size, size):
        raise InvalidInputError(f"mask must be [{size}, {size}] (the generator's resolution), got {tuple(m.shape)}")
    if not torch.isfinite(m).all():
        raise InvalidInputError("mask contains NaN or infinite values")
    m = (m > 0.5).float()
    if not m.any():
        raise ValueError("the mask is empty: brush over the region to change first")
    return m


class ImageEditorState(HasTraits):
    """The image being edited: target, inversion, edit and one amount per direction.

    ``values`` maps each direction's name to its amount (0 leaves the image as it is); the edited
    image is :attr:`edited` moved by every non-zero amount in turn (:meth:`current`). Painting
    bakes the amounts into :attr:`edited` and sets them back to 0.
    """

    values = Dict()  # direction name -> amount
    progress = Float(0.0, min=0.0, max=1.0)  # of the inversion
    status = Unicode("upload or draw an image, then press Invert")
    running = Bool(False)  # an inversion or a paint is in progress
    target = Instance(torch.Tensor, allow_none=True)  # [1, 3, R, R] in [0, 1]
    preview = Instance(torch.Tensor, allow_none=True)  # [1, 3, R, R] the reconstruction while an inversion runs
    result = Instance(InversionResult, allow_none=True)
    edited = Instance(EditedImage, allow_none=True)  # the base of the edit: the inversion, with painted regions

    def __init__(self, generator, *, space: str | None = None, steps: int = DEFAULT_STEPS, directions=None,
                 amount_range: tuple[float, float] | None = None, model: str | None = None, fit: str = "crop",
                 preview_every: int = 10, invert_options: Mapping | None = None, paint_options: Mapping | None = None):
        if isinstance(generator, str):
            from latentlab.zoo import load_generator

            model = generator if model is None else model
            generator = load_generator(generator)
        self.generator, self.model, self.fit = generator, model, fit
        style = _is_style(generator)
        space = ("w+" if style else "z") if space is None else space
        if not isinstance(space, str):
            raise InvalidInputError(f"space must be the name of a space to invert into ('z', 'w' or 'w+'), got {space!r}")
        self.space = resolve_space(space, generator).name  # refuses a space the generator lacks
        self.steps = check_int("steps", steps, minimum=1, maximum=100_000, hint="optimisation steps of the inversion")
        self.preview_every = check_int("preview_every", preview_every, minimum=1, hint="steps between reconstruction previews")
        if directions is None:
            directions = default_directions(generator, self.space)
        elif isinstance(directions, Sequence) and not isinstance(directions, (str, bytes)):
            directions = {d.name if isinstance(d, Direction) else str(i): d for i, d in enumerate(directions)}
        if not isinstance(directions, Mapping) or not directions:
            raise ValueError("directions must be a non-empty mapping name -> Direction (or a list of Directions)")
        target_space = resolve_space(self.space, generator)
        for name, d in directions.items():
            if not isinstance(d, Direction):
                raise ValueError(f"direction {name!r} must be a latentlab Direction, got {type(d).__name__}")
            target_space.adopt(d)  # refuses a direction of another space now, not at the first slider move
        self.directions = dict(directions)
        self.amount_min, self.amount_max = check_t_range((STYLE_RANGE if style else Z_RANGE) if amount_range is None else amount_range)
        self.invert_options = dict(invert_options or {})
        self.paint_options = dict(paint_options or {})
        self._stop = threading.Event()
        self.neutral = 0.0 if self.amount_min <= 0.0 <= self.amount_max else self.amount_min
        super().__init__(values={name: self.neutral for name in self.directions})

    @property
    def size(self) -> int:
        return self.generator.resolution

    # --- the target -------------------------------------------------------------------------
    def load(self, source) -> torch.Tensor:
        """Set the target from anything :func:`~latentlab.load_image` reads (bytes, memoryview, path, PIL, array, tensor);
        forgets the inversion and the edit."""
        from latentlab.image_loading import load_image

        if self.running:
            raise RuntimeError("an inversion or a paint is running: wait for it (or stop it) first")
        target = load_image(source, size=self.size, fit=self.fit)
        with self.hold_trait_notifications():
            self.result, self.edited, self.preview, self.progress = None, None, None, 0.0
            self.values = {name: self.neutral for name in self.directions}
            self.target = target
            self.status = f"image loaded ({self.size}×{self.size}); press Invert"
        return target

    def draw(self, image) -> torch.Tensor:
        """Set the target from a drawn picture: an array [H, W, 3] (uint8 or floats in [0, 1]) or a tensor."""
        target = self.load(image)
        self.status = f"drawing taken as the image ({self.size}×{self.size}); press Invert"
        return target

    # --- the inversion ------------------------------------------------------------------------
    def invert(self, callback: Callable | None = None) -> InversionResult:
        """Invert the target into :attr:`space` (blocking; from the generator's encoder where it has one).

        ``progress`` follows the steps, ``preview`` shows the reconstruction every ``preview_every`` steps,
        ``callback(progress)`` sees every step. :meth:`stop` ends it early keeping the best so far."""
        from latentlab.methods.invert import invert

        if self.target is None:
            raise ValueError("there is no image to invert: upload or draw one first")
        if self.running:
            raise RuntimeError("an inversion or a paint is already running")
        self._stop.clear()
        self.running, self.progress, self.preview = True, 0.0, None
        self.status = f"inverting into {self.space} …"

        def step(p) -> None:
            self.progress = min(1.0, p.step / p.steps)
            if p.step % self.preview_every == 0 and p.step < p.steps:
                self.preview = p.images[:1].detach().cpu()
                self.status = f"inverting into {self.space}: step {p.step}/{p.steps}, loss {p.loss:.4g}"
            if callback is not None:
                callback(p)
            if self._stop.is_set():
                raise KeyboardInterrupt  # invert keeps the best so far and returns

        try:
            options = {"space": self.space, "steps": self.steps, **self.invert_options}
            if "init" not in options and "z_init" not in options and self.generator.encoder_latents(self.target) is not None:
                options["init"] = "encoder"  # a generator with an encoder: start from its one-pass inversion
            result = invert(self.generator, self.target, callback=step, progress=False, **options)
            with self.hold_trait_notifications():
                self.result = result
                self.values = {name: self.neutral for name in self.directions}
                self.edited = EditedImage.from_inversion(result, model=self.model)
                if not result.interrupted:
                    self.progress = 1.0
                how = "stopped" if result.interrupted else "inverted"
                self.status = (f"{how} into {self.space} after {result.info.get('steps', self.steps)} steps: "
                               f"PSNR {self.psnr():.1f} dB ({result.loss_name}); move the sliders or paint a region")
        except BaseException:
            self.status = "the inversion failed: see the message below"
            raise
        finally:
            self.running = False
        return result

    def stop(self) -> None:
        """Ask a running inversion to stop after the current step (its best so far is kept)."""
        self._stop.set()
        if self.running:
            self.status = "stopping after this step …"

    def psnr(self) -> float:
        """PSNR of the reconstruction against the target, in dB."""
        if self.result is None:
            raise ValueError("nothing is inverted yet: press Invert first")
        return float(self.result.psnr()[0])

    # --- the edit -------------------------------------------------------------------------------
    def _check_amount(self, value) -> float:
        value = check_float("amount", value)
        if not self.amount_min <= value <= self.amount_max:
            raise ValueError(f"amount must lie in [{self.amount_min:g}, {self.amount_max:g}], got {value!r}")
        return value

    def set(self, name: str, amount: float) -> None:
        """Move direction ``name`` to ``amount``."""
        if name not in self.directions:
            raise unknown_name_error("direction", name, self.directions)
        amount = self._check_amount(amount)
        if self.values.get(name) != amount:
            self.values = {**self.values, name: amount}

    def reset(self) -> None:
        """Every direction back to 0 (the painted regions stay)."""
        self.values = {name: self.neutral for name in self.directions}

    def current(self) -> EditedImage:
        """The edit as it stands: :attr:`edited` moved by every non-zero slider amount in turn."""
        if self.edited is None:
            raise ValueError("nothing to edit yet: upload or draw an image and press Invert first")
        edit = self.edited
        for name, d in self.directions.items():
            amount = float(self.values.get(name, 0.0))
            if amount != 0.0:
                edit = edit.moved(self.generator, d, amount)
        return edit

    @torch.no_grad()
    def image(self) -> torch.Tensor:
        """The edited image [1, 3, R, R] in [0, 1]."""
        return self.current().render(self.generator).cpu()

    def paint(self, mask, text: str, **options) -> EditedImage:
        """Repaint region ``mask`` [R, R] (0/1) of the current image toward ``text`` (blocking); the slider moves are
        baked in first and the sliders go back to 0. ``options`` go to :func:`~latentlab.paint_by_word`
        (``generations``, ``population``, ``seed``, ``callbacks`` …)."""
        if self.running:
            raise RuntimeError("an inversion or a paint is already running")
        base = self.current()
        mask = _as_mask(mask, self.size)
        self.running = True
        self.status = f"painting {text!r} …"
        try:
            painted = base.repainted(self.generator, mask, text, **{"progress": False, **self.paint_options, **options})
            with self.hold_trait_notifications():
                self.values = {name: self.neutral for name in self.directions}
                self.edited = painted
                scores = painted.steps[-1].get("scores") or {}
                inside = (f": masked score {scores['inside_before']:.3f} → {scores['inside_after']:.3f}"
                          if {"inside_before", "inside_after"} <= set(scores) else "")
                self.status = f"painted {text!r}{inside}"
        except BaseException:
            self.status = "the paint failed: see the message below"
            raise
        finally:
            self.running = False
        return painted

    def save(self, folder: str | os.PathLike) -> Path:
        """Write the edit into ``folder``: ``edited.png`` and ``edit.safetensors`` (:meth:`EditedImage.save`), and the
        inversion's ``latents.safetensors``, ``target.png`` and ``reconstruction.png``. Returns the folder."""
        if not isinstance(folder, (str, os.PathLike)) or not str(folder).strip():
            raise InvalidInputError(f"folder must be a path to write the edit into, got {folder!r}")
        edit = self.current()
        folder = Path(folder).expanduser()
        edit.save(folder, self.generator)
        self.result.save(folder)
        self.status = f"saved to {folder}"
        return folder

    def summary(self) -> str:
        if self.result is None:
            return f"{'image loaded' if self.target is not None else 'no image'}, not inverted"
        moved = ", ".join(f"{name} = {v:.2f}" for name, v in self.values.items() if v != self.neutral) or "no move"
        regions = len(self.edited.edits) if self.edited is not None else 0
        return f"inverted (PSNR {self.psnr():.1f} dB), {moved}, {regions} painted regions"
