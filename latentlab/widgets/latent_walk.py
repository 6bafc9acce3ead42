"""LatentWalk: interpolate between two latents (lerp or slerp), play the path, export it as GIF or MP4.

Walking the latent space (seed 000 §2.4) shows whether a generator has learned a smooth,
meaningful space: neighbouring frames should change gradually. Slerp keeps the latent's
norm typical of the prior all along the path; lerp passes through unusually short latents
mid-way. For a conditional generator the class vector is interpolated linearly alongside.
Any space the generator offers may be walked (a name or a :class:`~latentlab.spaces.LatentSpace`):
for a style-based generator ``space="w"``, ``"w+"`` or ``"stylespace"`` walks between the two ends'
styles (each end mapped with its own class; truncation ψ then pulls toward w̄).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import ipywidgets as widgets
import torch
from traitlets import Any, HasTraits, Int, Unicode, link, observe, validate

from latentlab.errors import (
    InvalidInputError,
    _integer_value,
    check_count,
    check_display_size,
    check_int,
    check_throttle,
    check_truncation,
    unknown_name_error,
)
from latentlab.latents import lerp, slerp
from latentlab.spaces import LatentSpace, resolve_space
from latentlab.widgets.common import Explorer, LatestValueThrottle, show_image
from latentlab.widgets.video import check_fps, check_min_size, save_gif, save_mp4

METHODS = {"slerp": slerp, "lerp": lerp}
Endpoint = int | torch.Tensor


def check_steps(steps) -> int:
    """Frames of a walk: an integer from 2 (both ends) to :data:`latentlab.errors.MAX_BATCH`."""
    import latentlab.errors as errors

    return check_int("steps", steps, minimum=2, maximum=errors.MAX_BATCH, cap="MAX_BATCH",
                     hint="frames of the walk, both ends included")


class WalkState(HasTraits):
    """Everything that defines a walk; frames are computed from it lazily and cached."""

    method = Unicode("slerp")
    steps = Int(16)
    position = Int(0)
    seed_a = Int(0)
    seed_b = Int(1)
    latent_a = Any(None, allow_none=True)  # a given latent [D] overrides seed_a
    latent_b = Any(None, allow_none=True)
    class_a = Unicode(None, allow_none=True)
    class_b = Unicode(None, allow_none=True)
    space = Any("z")  # a space name or a LatentSpace of the generator

    def __init__(self, generator, *, truncation: float | None = None, batch_size: int = 32, **settings):
        self.generator, self.truncation, self.batch_size = generator, check_truncation(truncation), check_count("batch_size", batch_size)
        self._cache: dict[int, torch.Tensor] = {}
        super().__init__(**settings)
        if generator.conditional:
            self.class_a = self.class_a if self.class_a is not None else generator.class_names[0]
            self.class_b = self.class_b if self.class_b is not None else self.class_a

    # --- validation ---------------------------------------------------------------------
    @validate("method")
    def _valid_method(self, proposal):
        if proposal.value not in METHODS:
            raise unknown_name_error("interpolation", proposal.value, METHODS)
        return proposal.value

    @validate("steps")
    def _valid_steps(self, proposal):
        return check_steps(proposal.value)

    @validate("position")
    def _valid_position(self, proposal):
        if not 0 <= proposal.value < self.steps:
            raise ValueError(f"position must be in 0..{self.steps - 1}, got {proposal.value!r}")
        return proposal.value

    @validate("space")
    def _valid_space(self, proposal):
        space = resolve_space(proposal.value, self.generator)  # refuses spaces the generator does not offer
        return proposal.value if isinstance(proposal.value, LatentSpace) else space.name

    def latent_space(self, end_class=None) -> LatentSpace:
        """The walked space (its class held at ``end_class`` where the space's vectors carry the class)."""
        if isinstance(self.space, LatentSpace):
            return self.space
        probe = resolve_space(self.space, self.generator)
        if not probe.class_in_coordinates or not self.generator.conditional:
            return probe
        return resolve_space(self.space, self.generator, classes=end_class)

    @validate("latent_a", "latent_b")
    def _valid_latent(self, proposal):
        z = proposal.value
        if z is None:
            return None
        if not isinstance(z, torch.Tensor) or z.numel() != self.generator.latent_dim or not torch.isfinite(z).all():
            raise ValueError(f"a latent must be a finite tensor of {self.generator.latent_dim} values, got "
                             f"{getattr(z, 'shape', type(z).__name__)}")
        return z.detach().reshape(-1).to(self.generator.device)

    @validate("class_a", "class_b")
    def _valid_class(self, proposal):
        if proposal.value is None:
            return None
        return self.generator.class_names[self.generator.class_index(proposal.value)]

    @observe("steps")
    def _clamp_position(self, change) -> None:
        if self.position >= change["new"]:
            self.position = change["new"] - 1

    @observe("method", "steps", "seed_a", "seed_b", "latent_a", "latent_b", "class_a", "class_b", "space")
    def _forget_frames(self, change) -> None:
        self._cache.clear()

    # --- the path -----------------------------------------------------------------------
    def endpoints(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The two vectors [D] of the walked space that the walk joins (for W / W+, flat styles)."""

        def one(latent, seed, name):
            space = self.latent_space(name)
            if latent is None:
                return space.sample(1, seed=seed, truncation=self.truncation)[0]
            return space.encode(latent[None], truncation=self.truncation)[0]

        return one(self.latent_a, self.seed_a, self.class_a), one(self.latent_b, self.seed_b, self.class_b)

    def latents(self) -> torch.Tensor:
        """The path [steps, D]."""
        a, b = self.endpoints()
        return METHODS[self.method](a, b, self.steps)

    def class_vectors(self) -> torch.Tensor | None:
        """Soft class vectors [steps, C] from class_a to class_b (None when unconditional)."""
        if not self.generator.conditional:
            return None
        eye = torch.eye(len(self.generator.class_names), device=self.generator.device)
        ya, yb = eye[self.generator.class_index(self.class_a)], eye[self.generator.class_index(self.class_b)]
        return lerp(ya, yb, self.steps)

    def _images(self, indices: list[int]) -> torch.Tensor:
        """Frames at ``indices`` [len, 3, H, W] (on the CPU)."""
        x, space = self.latents()[indices], self.latent_space(self.class_a)
        if space.class_in_coordinates or not self.generator.conditional:  # the classes are inside the vectors already
            return space.render(x).cpu()
        return space.with_classes(self.class_vectors()[indices]).render(x).cpu()

    @torch.no_grad()
    def frames(self) -> torch.Tensor:
        """All frames [steps, 3, H, W], generating only those not cached yet."""
        missing = [i for i in range(self.steps) if i not in self._cache]
        for start in range(0, len(missing), self.batch_size):
            part = missing[start:start + self.batch_size]
            self._cache.update(zip(part, self._images(part)))
        return torch.stack([self._cache[i] for i in range(self.steps)])

    @torch.no_grad()
    def frame(self, index: int | None = None) -> torch.Tensor:
        """One frame [3, H, W] (default: at ``position``)."""
        index = self.position if index is None else check_int("frame index", index)
        if not 0 <= index < self.steps:
            raise ValueError(f"frame index must be in 0..{self.steps - 1}, got {index}")
        if index not in self._cache:
            self._cache[index] = self._images([index])[0]
        return self._cache[index]

    def export(self, path: str | os.PathLike, *, fps: float = 8.0, bounce: bool = False, min_size: int = 128) -> Path:
        """Save the walk as ``.gif`` or ``.mp4`` (by suffix); ``bounce`` plays it forth and back."""
        if not isinstance(path, (str, os.PathLike)):
            raise InvalidInputError(f"export path must be a file name ending in .gif or .mp4, got {path!r}")
        suffix = Path(path).suffix.lower()
        writers = {".gif": save_gif, ".mp4": save_mp4}
        if suffix not in writers:
            raise InvalidInputError(f"export path must end in .gif or .mp4, got {str(path)!r}")
        fps, min_size = check_fps(fps, suffix[1:]), check_min_size(min_size)  # before any frame is generated
        frames = self.frames()
        if bounce:
            frames = torch.cat([frames, frames.flip(0)[1:-1]])
        return writers[suffix](frames, path, fps=fps, min_size=min_size)


class LatentWalk(Explorer):
    """Explorer of a walk between two seeds (or given latents): method, steps, position, play, export.

    ``start`` and ``end`` are seeds (int) or latents [D]; ``classes`` is one class for both ends or a
    pair (class-conditional generators); ``space`` is any space the generator offers ("z"; "w", "w+",
    "stylespace" for style-based generators) or a :class:`~latentlab.spaces.LatentSpace`.
    The view follows :attr:`state`; tests drive either.
    """

    def __init__(self, generator, start: Endpoint = 0, end: Endpoint = 1, *, classes: str | int | Sequence | None = None,
                 method: str = "slerp", steps: int = 16, truncation: float | None = None, space: str = "z",
                 display_size: int = 256, throttle_s: float = 0.05, fps: float = 8.0):
        display_size, throttle_s = check_display_size("display_size", display_size), check_throttle(throttle_s)
        fps = check_fps(fps, "gif")  # the play button's rate and the exports' (a GIF holds at most 100 fps)
        super().__init__()
        if not isinstance(method, str):
            raise InvalidInputError(f"method must be a string (slerp or lerp), got {method!r}")
        if not isinstance(space, (str, LatentSpace)):
            raise InvalidInputError(f"space must be a space name ({', '.join(generator.latent_spaces)}) or a LatentSpace, "
                                    f"got {space!r}")
        settings = {"method": method, "steps": check_steps(steps), "space": space}
        for side, value in (("a", start), ("b", end)):
            if isinstance(value, torch.Tensor) and value.dim() > 0:
                settings[f"latent_{side}"] = value
            elif _integer_value(value) is not None and not isinstance(value, float):
                settings[f"seed_{side}"] = _integer_value(value)
            else:
                raise InvalidInputError(f"start/end must be a seed (int) or a latent tensor [D], got {value!r}")
        if classes is not None:
            if not generator.conditional:
                raise ValueError(f"{type(generator).__name__} is unconditional; leave classes=None")
            single = isinstance(classes, str) or not hasattr(classes, "__iter__") or (
                isinstance(classes, torch.Tensor) and classes.dim() == 0)
            pair = (classes, classes) if single else tuple(classes)
            if len(pair) != 2:
                raise ValueError(f"classes must be one class or a pair (start, end), got {classes!r}")
            settings.update(class_a=str(generator.class_names[generator.class_index(pair[0])]),
                            class_b=str(generator.class_names[generator.class_index(pair[1])]))
        self.state = WalkState(generator, truncation=truncation, **settings)
        self.display_size, self.fps = display_size, fps
        self.throttle = LatestValueThrottle(self.capture(lambda i: self._render(i, "jpeg")), throttle_s,
                                            on_settle=self.capture(lambda i: self._render(i, "png")))
        self.children = self._build_view()
        self.state.observe(lambda change: self.throttle.submit(self.state.position),
                           names=["method", "steps", "position", "seed_a", "seed_b", "latent_a", "latent_b", "class_a", "class_b", "space"])
        self.throttle.submit(self.state.position)
        self.throttle.flush()

    def _build_view(self) -> list[widgets.Widget]:
        s = self.state
        self.image = widgets.Image(format="png", layout=widgets.Layout(width=f"{self.display_size}px"))
        self.method = widgets.ToggleButtons(options=list(METHODS), description="method")
        self.steps = widgets.IntSlider(min=2, max=max(64, s.steps), description="steps")
        self.position = widgets.IntSlider(min=0, max=s.steps - 1, description="position", continuous_update=True)
        self.play = widgets.Play(min=0, max=s.steps - 1, interval=int(1000 / self.fps), description="play")
        self._play_link = widgets.jslink((self.play, "value"), (self.position, "value"))  # plays in the browser, no kernel round trip
        for a, b in ((self.position, "max"), (self.play, "max")):
            s.observe(lambda change, w=a, name=b: setattr(w, name, change["new"] - 1), names="steps")
        controls = [self.method, self.steps, widgets.HBox([self.play, self.position])]
        links = [(self.method, "method"), (self.steps, "steps"), (self.position, "position")]
        self.seed_a, self.seed_b = widgets.IntText(description="seed A"), widgets.IntText(description="seed B")
        self.seed_a.disabled, self.seed_b.disabled = s.latent_a is not None, s.latent_b is not None  # a given latent wins
        controls.append(widgets.HBox([self.seed_a, self.seed_b]))
        links += [(self.seed_a, "seed_a"), (self.seed_b, "seed_b")]
        if s.generator.conditional:
            names = list(s.generator.class_names)
            self.class_a = widgets.Dropdown(options=names, description="class A")
            self.class_b = widgets.Dropdown(options=names, description="class B")
            controls.append(widgets.HBox([self.class_a, self.class_b]))
            links += [(self.class_a, "class_a"), (self.class_b, "class_b")]
        for w, name in links:
            w.value = getattr(s, name)
            link((w, "value"), (s, name))
        self.path = widgets.Text(value="walk.gif", description="file")
        self.save_gif = widgets.Button(description="save GIF", icon="film")
        self.save_mp4 = widgets.Button(description="save MP4", icon="video")
        self.status = widgets.Label()
        self.save_gif.on_click(self.capture(lambda _: self._export(".gif")))
        self.save_mp4.on_click(self.capture(lambda _: self._export(".mp4")))
        controls.append(widgets.HBox([self.path, self.save_gif, self.save_mp4]))
        return [widgets.HBox([self.image, widgets.VBox(controls)]), self.status, self.capture.output]

    def _render(self, index: int, format: str) -> None:
        show_image(self.image, self.state.frame(min(index, self.state.steps - 1)), format, min_size=self.display_size)

    def _export(self, suffix: str) -> Path:
        path = Path(self.path.value).with_suffix(suffix)
        self.status.value = f"writing {path} …"
        written = self.state.export(path, fps=self.fps)
        self.status.value = f"saved {written} ({self.state.steps} frames)"
        return written

    def flush(self) -> None:
        """Render the latest position now (and the settled PNG)."""
        self.throttle.flush()

    def summary(self) -> str:
        s = self.state
        ends = [f"latent {k}" if getattr(s, f"latent_{k}") is not None else f"seed {getattr(s, f'seed_{k}')}" for k in "ab"]
        classes = f", {s.class_a} → {s.class_b}" if s.generator.conditional else ""
        return f"LatentWalk({s.method}, {ends[0]} → {ends[1]}{classes}, {s.steps} steps)"
