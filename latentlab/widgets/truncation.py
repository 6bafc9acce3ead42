"""TruncationExplorer: a ψ slider over a fixed grid of seeds, with measured fidelity and variety.

BigGAN's truncation trick (seed 000 §2.4) resamples every latent entry with |z| > ψ. The grid
keeps its seeds while ψ moves, so each cell shows the same latent re-truncated: entries
inside ±ψ stay, the rest are redrawn. A small ψ gives typical, clean images with little
variety; a large ψ gives variety and more failures. The readout measures both on a larger
sample (cached per ψ), so the trade-off is a number and not only an impression.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets
import torch
import torch.nn.functional as F
from traitlets import Float, HasTraits, Int, observe, validate

from latentlab.errors import check_count, check_display_size, check_float, check_int, check_seed, check_throttle, check_truncation
from latentlab.widgets.common import Explorer, LatestValueThrottle, figure_to_png, new_figure, show_image

Readout = Callable[[torch.Tensor, torch.Tensor | None], dict[str, float]]
CURVE_PSIS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0)


def pixel_diversity(images: torch.Tensor, size: int = 32) -> float:
    """Mean pairwise RMS distance between images shrunk to ``size`` px: 0 when all are identical."""
    size = check_display_size("size", size)
    small = F.interpolate(images.float(), size=(size, size), mode="bilinear", antialias=True, align_corners=False).flatten(1)
    distances = torch.cdist(small, small) / small.shape[1] ** 0.5
    n = small.shape[0]
    return float(distances.sum() / max(1, n * (n - 1)))


class PixelReadout:
    """Model-free variety readout for any generator: pixel diversity."""

    fidelity: tuple[str, ...] = ()
    variety: tuple[str, ...] = ("pixel diversity",)
    reference: dict[str, float] = {}

    def __call__(self, images: torch.Tensor, classes: torch.Tensor | None) -> dict[str, float]:
        return {"pixel diversity": pixel_diversity(images)}


class ShapesReadout:
    """Probe-measured readout for Shapes-world generators.

    Fidelity: class consistency (the probe reads the class that was asked for). Variety: the
    spread (std) of the probe-read x, y and scale, and pixel diversity. :attr:`reference` holds
    the same numbers for real renders, the level a perfect generator would reach.
    """

    fidelity = ("class consistency",)
    variety = ("x spread", "y spread", "scale spread", "pixel diversity")

    def __init__(self, probe=None, real_n: int = 256, seed: int = 11):
        from latentlab.data import render, sample_factors

        if probe is None:
            from latentlab.assessors.probe import ProbeReader

            probe = ProbeReader()
        self.probe = probe
        factors = sample_factors(check_count("real_n", real_n), seed=check_seed("seed", seed))
        self.reference = self(render(factors)[0], factors.shape)

    def __call__(self, images: torch.Tensor, classes: torch.Tensor | None) -> dict[str, float]:
        from latentlab.metrics import class_consistency, read_factors

        if images.shape[-1] != 64:  # the probe reads 64-px images
            images = F.interpolate(images, size=(64, 64), mode="bilinear", align_corners=False)
        readout = read_factors(self.probe, images)
        out = {"class consistency": class_consistency(readout, classes)} if classes is not None else {}
        out.update({"x spread": float(readout.x.std()), "y spread": float(readout.y.std()),
                    "scale spread": float(readout.scale.std()), "pixel diversity": pixel_diversity(images)})
        return out


def default_readout(generator) -> PixelReadout | ShapesReadout:
    """The probe readout for generators of the Shapes world's classes, pixel diversity otherwise."""
    from latentlab.data import SHAPES

    return ShapesReadout() if tuple(generator.class_names) == tuple(SHAPES) else PixelReadout()


def _psi(value) -> float:
    """A truncation ψ for the explorer, rounded to 4 decimals (the cache key): a finite number >= 0.0001."""
    return round(check_float("psi", check_truncation(value), minimum=1e-4, hint="truncation threshold ψ"), 4)


class TruncationState(HasTraits):
    """ψ and the fixed seeds; grids and readouts are cached per ψ."""

    psi = Float(1.0)
    seed = Int(0)

    def __init__(self, generator, *, n: int = 16, readout: Readout | None = None, readout_n: int = 96, readout_seed: int = 1,
                 **settings):
        self.generator = generator
        self.n, self.readout_n = check_count("n", n), check_count("readout_n", readout_n)
        self.readout_seed = check_seed("readout_seed", readout_seed)
        self.readout_fn = readout if readout is not None else default_readout(generator)
        self._grids: dict[float, torch.Tensor] = {}
        self.readouts: dict[float, dict[str, float]] = {}
        super().__init__(**settings)

    @validate("psi")
    def _valid_psi(self, proposal):
        return _psi(proposal.value)

    @observe("seed")
    def _forget_grids(self, change) -> None:
        self._grids.clear()

    def _classes(self, n: int) -> torch.Tensor | None:
        if not self.generator.conditional:
            return None
        return (torch.arange(n) % len(self.generator.class_names)).to(self.generator.device)  # balanced

    @torch.no_grad()
    def _generate(self, n: int, seed: int, psi: float, batch_size: int = 64) -> torch.Tensor:
        z, y = self.generator.sample_latents(n, seed=seed, truncation=psi), self._classes(n)
        return torch.cat([self.generator(z[i:i + batch_size], None if y is None else y[i:i + batch_size]).cpu()
                          for i in range(0, n, batch_size)])

    def grid(self, psi: float | None = None) -> torch.Tensor:
        """The grid's images [n, 3, H, W] at ``psi`` (default: the current ψ); classes cycle through all."""
        psi = self.psi if psi is None else _psi(psi)
        if psi not in self._grids:
            self._grids[psi] = self._generate(self.n, self.seed, psi)
        return self._grids[psi]

    def readout(self, psi: float | None = None) -> dict[str, float]:
        """Measured fidelity and variety at ``psi`` on ``readout_n`` samples (same seeds for every ψ)."""
        psi = self.psi if psi is None else _psi(psi)
        if psi not in self.readouts:
            images = self._generate(self.readout_n, self.readout_seed, psi)
            classes = self._classes(self.readout_n)
            self.readouts[psi] = self.readout_fn(images, None if classes is None else classes.cpu())
        return self.readouts[psi]

    def curve(self) -> list[tuple[float, dict[str, float]]]:
        """Readouts measured so far, by increasing ψ."""
        return sorted(self.readouts.items())


class TruncationExplorer(Explorer):
    """Explorer of the truncation trade-off: a ψ slider, the grid, the readout and its curve."""

    def __init__(self, generator, *, psi: float = 1.0, seed: int = 0, n: int = 16, nrow: int = 8, readout: Readout | None = None,
                 readout_n: int = 96, display_size: int = 512, throttle_s: float = 0.05):
        nrow, display_size = check_count("nrow", nrow), check_display_size("display_size", display_size)
        throttle_s, psi, seed = check_throttle(throttle_s), _psi(psi), check_int("seed", seed)
        super().__init__()
        self.state = TruncationState(generator, psi=psi, seed=seed, n=n, readout=readout, readout_n=readout_n)
        self.nrow, self.display_size = nrow, display_size
        self.throttle = LatestValueThrottle(self.capture(lambda psi: self._render(psi, "jpeg")), throttle_s,
                                            on_settle=self.capture(self._settle))
        self.children = self._build_view()
        self.state.observe(lambda change: self.throttle.submit(self.state.psi), names=["psi", "seed"])
        self.throttle.submit(self.state.psi)
        self.throttle.flush()

    def _build_view(self) -> list[widgets.Widget]:
        self.psi = widgets.FloatSlider(value=self.state.psi, min=min(0.05, self.state.psi), max=max(3.0, self.state.psi), step=0.05,
                                       description="ψ", readout_format=".2f")  # the range holds ψ: a slider would clamp it
        self.seed = widgets.IntText(value=self.state.seed, description="seed")
        widgets.link((self.psi, "value"), (self.state, "psi"))
        widgets.link((self.seed, "value"), (self.state, "seed"))
        self.grid = widgets.Image(format="png", layout=widgets.Layout(width=f"{self.display_size}px"))
        self.readout = widgets.HTML()
        self.plot = widgets.Image(format="png")
        self.measure = widgets.Button(description="measure curve", tooltip="readout at ψ = " + ", ".join(map(str, CURVE_PSIS)))
        self.measure.on_click(self.capture(lambda _: self.measure_curve()))
        side = widgets.VBox([self.readout, self.plot, self.measure])
        return [widgets.HBox([self.psi, self.seed]), widgets.HBox([self.grid, side]), self.capture.output]

    def _render(self, psi: float, format: str) -> None:
        size = self.display_size // min(self.nrow, self.state.n)
        show_image(self.grid, self.state.grid(psi), format, nrow=self.nrow, min_size=size)

    def _settle(self, psi: float) -> None:
        self._render(psi, "png")
        self.readout.value = self.readout_html(psi)
        self._plot()

    def readout_html(self, psi: float | None = None) -> str:
        """The readout at ``psi`` as a small table, real-data reference beside it when known."""
        values, fn = self.state.readout(psi), self.state.readout_fn
        reference = getattr(fn, "reference", {}) or {}
        rows = []
        for group, keys in (("fidelity", getattr(fn, "fidelity", ())), ("variety", getattr(fn, "variety", tuple(values)))):
            for key in keys:
                if key in values:
                    ref = f"{reference[key]:.3f}" if key in reference else "–"
                    rows.append(f"<tr><td>{group}</td><td>{key}</td><td><b>{values[key]:.3f}</b></td><td>{ref}</td></tr>")
        head = f"<tr><th></th><th>ψ = {self.state.psi if psi is None else psi:.2f}</th><th>measured</th><th>real</th></tr>"
        return f"<table>{head}{''.join(rows)}</table><small>{self.state.readout_n} samples per ψ</small>"

    def measure_curve(self, psis=CURVE_PSIS) -> list[tuple[float, dict[str, float]]]:
        """Measure the readout at each ψ of ``psis`` and redraw the curve."""
        for psi in psis:
            self.state.readout(psi)
        self._plot()
        return self.state.curve()

    def _plot(self) -> None:
        curve = self.state.curve()
        fig = new_figure(4.2, 2.8)
        ax = fig.add_subplot()
        for key in list(curve[0][1]) if curve else []:
            ax.plot([p for p, _ in curve], [r[key] for _, r in curve], "o-", label=key, ms=3)
        ax.axvline(self.state.psi, color="gray", ls=":")
        ax.set(xlabel="truncation ψ", ylabel="measured", title="fidelity vs variety")
        if curve:
            ax.legend(fontsize=7)
        fig.tight_layout()
        self.plot.value = figure_to_png(fig)

    def flush(self) -> None:
        """Render the latest ψ now, with its readout."""
        self.throttle.flush()

    def summary(self) -> str:
        return f"TruncationExplorer(ψ = {self.state.psi:.2f}, {self.state.n} seeds from seed {self.state.seed})"
