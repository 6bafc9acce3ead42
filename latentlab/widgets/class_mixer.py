"""ClassMixer: blend two classes with the latent held fixed (seed 000 Fig. 2-7).

A class-conditional generator reads its class through an embedding of the class vector.
Feeding the soft vector ``(1 − t)·onehot(A) + t·onehot(B)`` interpolates that embedding (it is
linear in the class vector), so the picture morphs from class A into class B while the
latent, which carries pose, colour and position, stays the same.
"""

from __future__ import annotations

import ipywidgets as widgets
import torch
from traitlets import Float, HasTraits, Int, Unicode, link, observe, validate

from latentlab.errors import (
    InvalidInputError,
    check_count,
    check_display_size,
    check_float,
    check_int,
    check_throttle,
    check_truncation,
)
from latentlab.widgets.common import Explorer, LatestValueThrottle, show_image


def require_conditional(generator, what: str = "ClassMixer") -> None:
    """Raise a ValueError naming the generator when it takes no class."""
    if not generator.conditional:
        raise ValueError(f"{what} needs a class-conditional generator; {type(generator).__name__} is unconditional "
                         "(use LatentWalk to interpolate its latents instead)")


def check_t(t) -> float:
    """A mixing weight: a number in [0, 1] (0: class A, 1: class B)."""
    try:
        return check_float("t", t, minimum=0.0, maximum=1.0)
    except InvalidInputError:
        raise InvalidInputError(f"t must be in [0, 1] (0: class A, 1: class B), got {t!r}") from None


class MixState(HasTraits):
    """Two classes, the mixing weight t ∈ [0, 1] and the seed of the fixed latents."""

    class_a = Unicode()
    class_b = Unicode()
    t = Float(0.5)
    seed = Int(0)

    def __init__(self, generator, *, rows: int = 4, steps: int = 8, truncation: float | None = None, **settings):
        require_conditional(generator)
        self.generator = generator
        self.rows, self.steps, self.truncation = check_count("rows", rows), check_count("steps", steps), check_truncation(truncation)
        self._latents: torch.Tensor | None = None
        self._strip: torch.Tensor | None = None
        settings.setdefault("class_a", generator.class_names[0])
        settings.setdefault("class_b", generator.class_names[min(1, len(generator.class_names) - 1)])
        super().__init__(**settings)

    @validate("class_a", "class_b")
    def _valid_class(self, proposal):
        return str(self.generator.class_names[self.generator.class_index(proposal.value)])

    @validate("t")
    def _valid_t(self, proposal):
        return check_t(proposal.value)

    @observe("seed", "class_a", "class_b")
    def _forget(self, change) -> None:
        self._strip = None
        if change["name"] == "seed":
            self._latents = None

    def latents(self) -> torch.Tensor:
        """The fixed latents [rows, D] (one per row)."""
        if self._latents is None:
            self._latents = self.generator.sample_latents(self.rows, seed=self.seed, truncation=self.truncation)
        return self._latents

    def class_vectors(self, t: torch.Tensor | float) -> torch.Tensor:
        """Soft class vectors [len(t), C] = (1 − t)·onehot(A) + t·onehot(B)."""
        t = torch.as_tensor(t, dtype=torch.float32, device=self.generator.device).reshape(-1, 1)
        eye = torch.eye(len(self.generator.class_names), device=self.generator.device)
        return (1 - t) * eye[self.generator.class_index(self.class_a)] + t * eye[self.generator.class_index(self.class_b)]

    @torch.no_grad()
    def images(self, t: float | None = None) -> torch.Tensor:
        """Each fixed latent at mixing weight ``t`` (default: the current t): [rows, 3, H, W]."""
        t = self.t if t is None else t
        return self.generator(self.latents(), self.class_vectors(t).expand(self.rows, -1)).cpu()

    @torch.no_grad()
    def strip(self) -> torch.Tensor:
        """The whole interpolation [rows × steps, 3, H, W]: one latent per row, t from 0 to 1 across."""
        if self._strip is None:
            t = torch.linspace(0, 1, self.steps) if self.steps > 1 else torch.zeros(1)
            z = self.latents().repeat_interleave(len(t), dim=0)
            self._strip = self.generator(z, self.class_vectors(t).repeat(self.rows, 1)).cpu()
        return self._strip


class ClassMixer(Explorer):
    """Explorer of class mixing: pick classes A and B, slide t, see the fixed latents morph.

    Works for any class-conditional generator (soft class vectors); raises a ValueError for an
    unconditional one.
    """

    def __init__(self, generator, class_a: str | int | None = None, class_b: str | int | None = None, *, t: float = 0.5,
                 seed: int = 0, rows: int = 4, steps: int = 8, truncation: float | None = None, display_size: int = 128,
                 throttle_s: float = 0.05):
        require_conditional(generator)
        t, seed = check_t(t), check_int("seed", seed)
        display_size, throttle_s = check_display_size("display_size", display_size), check_throttle(throttle_s)
        super().__init__()
        settings = {k: v for k, v in (("class_a", class_a), ("class_b", class_b)) if v is not None}
        settings = {k: str(generator.class_names[generator.class_index(v)]) for k, v in settings.items()}
        self.state = MixState(generator, rows=rows, steps=steps, truncation=truncation, t=t, seed=seed, **settings)
        self.display_size = display_size
        self.throttle = LatestValueThrottle(self.capture(lambda t: self._render(t, "jpeg")), throttle_s,
                                            on_settle=self.capture(self._settle))
        self.children = self._build_view()
        self.state.observe(lambda change: self.throttle.submit(self.state.t), names=["t", "seed", "class_a", "class_b"])
        self.throttle.submit(self.state.t)
        self.throttle.flush()

    def _build_view(self) -> list[widgets.Widget]:
        s, names = self.state, list(self.state.generator.class_names)
        self.class_a = widgets.Dropdown(options=names, value=s.class_a, description="class A")
        self.class_b = widgets.Dropdown(options=names, value=s.class_b, description="class B")
        self.t = widgets.FloatSlider(value=s.t, min=0.0, max=1.0, step=0.05, description="t (A → B)")
        self.seed = widgets.IntText(value=s.seed, description="seed")
        self.swap = widgets.Button(description="swap A ↔ B", icon="exchange")
        self.swap.on_click(self.capture(lambda _: self.swap_classes()))
        for w, name in ((self.class_a, "class_a"), (self.class_b, "class_b"), (self.t, "t"), (self.seed, "seed")):
            link((w, "value"), (s, name))
        self.mix = widgets.Image(format="png", layout=widgets.Layout(width=f"{self.display_size}px"))
        self.strip = widgets.Image(format="png")
        controls = widgets.VBox([widgets.HBox([self.class_a, self.class_b, self.swap]), widgets.HBox([self.t, self.seed])])
        labels = widgets.HTML("<small>left: the fixed latents at t · right: t from 0 (A) to 1 (B) across, one latent per row</small>")
        return [controls, widgets.HBox([self.mix, self.strip]), labels, self.capture.output]

    def swap_classes(self) -> None:
        """Exchange classes A and B."""
        s = self.state
        with s.hold_trait_notifications():
            s.class_a, s.class_b = s.class_b, s.class_a

    def _render(self, t: float, format: str) -> None:
        cell = self.display_size // 2 if self.state.rows > 1 else self.display_size
        show_image(self.mix, self.state.images(t), format, nrow=2 if self.state.rows > 1 else 1, min_size=cell)

    def _settle(self, t: float) -> None:
        self._render(t, "png")
        show_image(self.strip, self.state.strip(), "png", nrow=self.state.steps, min_size=self.display_size // 2)

    def flush(self) -> None:
        """Render the latest t now (and the settled PNGs)."""
        self.throttle.flush()

    def summary(self) -> str:
        s = self.state
        return f"ClassMixer({s.class_a} → {s.class_b}, t = {s.t:.2f}, {s.rows} latents from seed {s.seed})"
