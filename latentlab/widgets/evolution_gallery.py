"""EvolutionGallery: watch :func:`latentlab.methods.evolve` search, stop it, continue from a favourite.

The search runs in a background thread so the kernel stays responsive; every generation a
callback publishes the population (best first), its fitness and the run's history, and the
view redraws from that. Stop sets a flag that the next generation's callback turns into the
interruption ``run_optimizer`` handles: the best individual so far is kept. Picking a
favourite and pressing *continue* starts a new run around it (``x0``), as in seed 001's
interactive loop where the user, not only the fitness, chooses what survives.
"""

from __future__ import annotations

import threading

import ipywidgets as widgets
import torch
from traitlets import Bool, HasTraits, Int, Unicode, validate

from latentlab.assessors.base import Assessor
from latentlab.errors import InvalidInputError, check_display_size, check_int, check_seed
from latentlab.methods.evolve import EvolutionResult, evolve
from latentlab.optim import OPTIMIZERS
from latentlab.widgets.common import Explorer, figure_to_png, new_figure, show_image


class _RecordingAssessor(Assessor):
    """Passes images through to an assessor and keeps a detached copy: the population's pictures, no second pass.

    An :class:`~latentlab.assessors.base.Assessor` itself (``evolve`` accepts only those) whose run
    identity is the wrapped assessor's.
    """

    def __init__(self, assessor):
        super().__init__()
        self.assessor, self.images = assessor, []
        self.name, self.unit = getattr(assessor, "name", type(assessor).__name__), getattr(assessor, "unit", "")

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        self.images.append(images.detach().cpu())
        return self.assessor(images)

    def score(self, images: torch.Tensor) -> torch.Tensor:
        return self.assessor(images)

    def identity(self) -> dict:
        inner = getattr(self.assessor, "identity", None)
        return inner() if callable(inner) else {"type": type(self.assessor).__name__, "name": self.name}

    def take(self) -> torch.Tensor:
        images, self.images = torch.cat(self.images), []
        return images


#: What the gallery's boxes accept (and so what the state accepts: a box would silently clamp anything else)
GENERATIONS = (1, 10_000)
POPULATION = (2, 512)


class GalleryState(HasTraits):
    """Settings of the next run and what the runs so far have published."""

    optimizer = Unicode("ga")
    generations = Int(20)
    population = Int(16)
    generation = Int(0)  # generations done over all runs
    running = Bool(False)
    favourite = Int(None, allow_none=True)  # index into the shown population (best first)
    status = Unicode("ready")

    def __init__(self, **settings):
        self.images = torch.zeros(0)  # [P, 3, H, W] latest population, best first
        self.latents = torch.zeros(0)  # [P, D] flat search vectors, best first
        self.fitness = torch.zeros(0)  # [P], descending
        self.history: list[dict] = []  # per generation over all runs: generation, run, best, mean, std
        self.run_starts: list[int] = []
        self.best_fitness, self.best_latent, self.best_image = float("-inf"), None, None
        self.result: EvolutionResult | None = None
        super().__init__(**settings)

    @validate("optimizer")
    def _valid_optimizer(self, proposal):
        if proposal.value not in OPTIMIZERS:
            from latentlab.optim import make_optimizer

            make_optimizer(proposal.value, 1, 1)  # raises with the valid names
        return proposal.value

    @validate("generations", "population")
    def _valid_count(self, proposal):
        low, high = GENERATIONS if proposal.trait.name == "generations" else POPULATION
        return check_int(proposal.trait.name, proposal.value, minimum=low, maximum=high,
                         hint="the range the gallery's box accepts")

    @validate("favourite")
    def _valid_favourite(self, proposal):
        if proposal.value is not None and not 0 <= proposal.value < len(self.latents):
            raise ValueError(f"favourite must index the shown population 0..{len(self.latents) - 1}, got {proposal.value!r}")
        return proposal.value


class EvolutionGallery(Explorer):
    """Explorer of an evolutionary search: population grid per generation, live fitness plot, stop, continue.

    ``generator`` and ``assessor`` are as in :func:`~latentlab.methods.evolve` (default assessor:
    CLIP similarity to ``prompt``); ``evolve_options`` go to ``evolve`` unchanged (``space``,
    ``classes``, ``options``, ``chunk_size`` …).
    """

    def __init__(self, prompt: str, generator="shapes-biggan", assessor=None, *, optimizer: str = "ga", generations: int = 20,
                 population: int = 16, seed: int = 0, columns: int = 8, thumb_size: int = 64, **evolve_options):
        if not isinstance(prompt, str) or not prompt.strip():
            raise InvalidInputError(f"prompt must be a non-empty description such as 'a red star', got {prompt!r}")
        seed = check_seed("seed", seed)
        if seed is None:
            raise InvalidInputError("seed must be an integer (each run i uses seed + i), got None")
        columns = check_int("columns", columns, minimum=1, maximum=64, hint="tiles per row of the gallery")
        thumb_size = check_display_size("thumb_size", thumb_size, minimum=8)
        for name, value in (("generations", generations), ("population", population)):
            low, high = GENERATIONS if name == "generations" else POPULATION
            check_int(name, value, minimum=low, maximum=high, hint="the range the gallery's box accepts")
        super().__init__()
        if isinstance(generator, str):
            from latentlab.zoo import load_generator

            generator = load_generator(generator)
        if assessor is None:
            from latentlab.assessors.clip import CLIPAssessor

            assessor = CLIPAssessor(prompt, evolve_options.pop("clip", "shapes-clip"))
        self.prompt, self.generator, self.assessor, self.seed = prompt, generator, assessor, int(seed)
        self.evolve_options, self.columns, self.thumb_size = evolve_options, columns, thumb_size
        self.state = GalleryState(optimizer=optimizer, generations=generations, population=population)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.children = self._build_view()

    # --- running ------------------------------------------------------------------------
    def run(self, *, blocking: bool = False, x0: torch.Tensor | None = None) -> EvolutionResult | threading.Thread | None:
        """Start a run (from ``x0`` if given); in a thread unless ``blocking``, which returns its result."""
        if self.state.running:
            raise RuntimeError("a run is in progress: stop it first")
        self._stop.clear()
        self.state.running, self.state.favourite = True, None
        if blocking:
            self._job(x0)
            return self.state.result
        self._thread = threading.Thread(target=self._job, args=(x0,), name="latentlab-evolution", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self) -> None:
        """Ask the run to stop after the current generation; its best so far is kept."""
        self._stop.set()
        if self.state.running:
            self.state.status = "stopping after this generation …"

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for a background run to end; returns whether it has."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.state.running

    def pick(self, index: int) -> None:
        """Choose individual ``index`` of the shown population (0 = fittest) as the favourite."""
        self.state.favourite = check_int("index", index, minimum=0)

    def continue_from_favourite(self, *, blocking: bool = False):
        """Start a new run around the favourite (its latents become ``x0``)."""
        if self.state.favourite is None:
            raise ValueError("pick a favourite first (gallery.pick(index) or a tile's button)")
        return self.run(blocking=blocking, x0=self.state.latents[self.state.favourite].clone())

    def _job(self, x0: torch.Tensor | None) -> None:
        s = self.state
        run_index, offset = len(s.run_starts), s.generation
        s.run_starts.append(offset)
        recorder = _RecordingAssessor(self.assessor)
        options = dict(self.evolve_options.get("options") or {})
        if x0 is not None:
            options["x0"] = x0
        kwargs = {**self.evolve_options, "options": options}
        s.status = f"run {run_index + 1}: {s.optimizer}, population {s.population}" + (" around the favourite" if x0 is not None else "")

        def publish(generation: int, x: torch.Tensor, fitness: torch.Tensor, result) -> None:
            order = fitness.argsort(descending=True)
            images = recorder.take()[order]
            with s.hold_trait_notifications():
                s.images, s.latents, s.fitness = images, x[order].detach().cpu(), fitness[order]
                if float(s.fitness[0]) > s.best_fitness:
                    s.best_fitness, s.best_latent, s.best_image = float(s.fitness[0]), s.latents[0].clone(), images[0]
                h = result.history[-1]
                s.history.append({"generation": offset + generation, "run": run_index, "best": h["best"], "mean": h["mean"], "std": h["std"]})
                s.status = f"run {run_index + 1} · generation {generation}/{s.generations} · best so far {s.best_fitness:.4f}"
                s.generation = offset + generation
            if self._stop.is_set():
                raise KeyboardInterrupt  # run_optimizer keeps the best so far and returns

        s.result = None
        try:
            with self.capture:
                s.result = evolve(self.prompt, self.generator, recorder, optimizer=s.optimizer, generations=s.generations,
                                  population=s.population, seed=self.seed + run_index, callbacks=[publish], progress=False, **kwargs)
                how = "stopped" if s.result.run.interrupted else "finished"
                s.status = f"run {run_index + 1} {how} after {len(s.result.history)} generations · best so far {s.best_fitness:.4f}"
            if s.result is None:
                s.status = f"run {run_index + 1} failed: see the error below"
        finally:
            s.running = False

    # --- view ---------------------------------------------------------------------------
    def _build_view(self) -> list[widgets.Widget]:
        s = self.state
        self.optimizer = widgets.Dropdown(options=list(OPTIMIZERS), value=s.optimizer, description="optimizer")
        self.generations = widgets.BoundedIntText(value=s.generations, min=GENERATIONS[0], max=GENERATIONS[1], description="generations")
        self.population = widgets.BoundedIntText(value=s.population, min=POPULATION[0], max=POPULATION[1], description="population")
        for w, name in ((self.optimizer, "optimizer"), (self.generations, "generations"), (self.population, "population")):
            widgets.link((w, "value"), (s, name))
        self.run_button = widgets.Button(description="run", icon="play", button_style="primary")
        self.stop_button = widgets.Button(description="stop", icon="stop", disabled=True)
        self.continue_button = widgets.Button(description="continue from favourite", icon="forward", disabled=True)
        self.run_button.on_click(self.capture(lambda _: self.run()))
        self.stop_button.on_click(self.capture(lambda _: self.stop()))
        self.continue_button.on_click(self.capture(lambda _: self.continue_from_favourite()))
        self.status = widgets.Label(value=s.status)
        self.tiles = widgets.GridBox(layout=widgets.Layout(grid_template_columns=f"repeat({self.columns}, {self.thumb_size + 8}px)"))
        self.plot = widgets.Image(format="png")
        s.observe(lambda c: setattr(self.status, "value", c["new"]), names="status")
        s.observe(self.capture(lambda c: self._show_generation()), names="generation")
        s.observe(self.capture(lambda c: self._mark_favourite()), names="favourite")
        s.observe(self.capture(lambda c: self._show_running()), names="running")
        header = widgets.HTML(f"<b>{self.prompt}</b>")
        controls = widgets.HBox([self.optimizer, self.generations, self.population])
        buttons = widgets.HBox([self.run_button, self.stop_button, self.continue_button])
        return [header, controls, buttons, self.status, widgets.HBox([self.tiles, self.plot]), self.capture.output]

    def _tile(self, index: int) -> widgets.VBox:
        image = widgets.Image(format="jpeg", layout=widgets.Layout(width=f"{self.thumb_size}px"))
        button = widgets.Button(layout=widgets.Layout(width=f"{self.thumb_size}px", padding="0"))
        button.on_click(self.capture(lambda _: self.pick(index)))
        return widgets.VBox([image, button])

    def _show_generation(self) -> None:
        s = self.state
        if len(self.tiles.children) != len(s.images):
            self.tiles.children = [self._tile(i) for i in range(len(s.images))]
        with self.tiles.hold_sync():
            for tile, image, fit in zip(self.tiles.children, s.images, s.fitness.tolist()):
                show_image(tile.children[0], image, "jpeg", min_size=self.thumb_size)
                tile.children[1].description = f"{fit:.3f}"
        self._mark_favourite()
        self.plot.value = figure_to_png(self.fitness_figure())

    def _mark_favourite(self) -> None:
        for i, tile in enumerate(self.tiles.children):
            tile.children[1].button_style = "success" if i == self.state.favourite else ""
        self.continue_button.disabled = self.state.running or self.state.favourite is None

    def _show_running(self) -> None:
        running = self.state.running
        self.run_button.disabled, self.stop_button.disabled = running, not running
        self._mark_favourite()

    def fitness_figure(self):
        """Best and mean ± std fitness per generation over all runs (an Agg figure); dotted lines mark run starts."""
        fig = new_figure(4.2, 2.8)
        ax = fig.add_subplot()
        h = self.state.history
        if h:
            gens = [r["generation"] for r in h]
            mean, std = torch.tensor([r["mean"] for r in h]), torch.tensor([r["std"] for r in h])
            ax.plot(gens, [r["best"] for r in h], "o-", ms=2, label="best")
            ax.plot(gens, mean, "--", label="mean")
            ax.fill_between(gens, mean - std, mean + std, alpha=0.2)
            for start in self.state.run_starts[1:]:
                ax.axvline(start + 0.5, color="gray", ls=":")
            ax.legend(fontsize=7, loc="lower right")
        ax.set(xlabel="generation", ylabel="fitness", title="fitness")
        fig.tight_layout()
        return fig

    def summary(self) -> str:
        s = self.state
        best = f", best {s.best_fitness:.4f}" if s.history else ""
        return f"EvolutionGallery({self.prompt!r}, {s.optimizer}, population {s.population}, {s.generation} generations{best})"
