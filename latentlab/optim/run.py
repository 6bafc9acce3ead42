"""The run loop: progress, callbacks, history, early stopping, interruption and save/resume."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from tqdm.auto import tqdm

from latentlab.errors import check_positive_int
from latentlab.optim.base import Objective, Optimizer
from latentlab.runs import RunFolder, load_state, run_identity, save_state, tensor_digest
from latentlab.runs.identity import describe


@dataclass
class RunResult:
    """Outcome of :func:`run_optimizer`: the best candidate ever seen and the last population, sorted."""

    best_x: torch.Tensor  # [D]
    best_fitness: float
    population: torch.Tensor  # last evaluated population [P, D], best first
    fitness: torch.Tensor  # [P], descending
    history: list[dict] = field(default_factory=list)  # per generation: best, mean, std, best_so_far, invalid
    interrupted: bool = False
    stopped_early: bool = False
    best_latents: list[torch.Tensor] = field(default_factory=list)  # [D] best candidate of each generation
    thumbnails: list[torch.Tensor] = field(default_factory=list)  # optional, uint8 [3, h, w] per generation
    resumed_from: int = 0  # generations read back from the state file (0: a new run)


Callback = Callable[[int, torch.Tensor, torch.Tensor, RunResult], None]


def _save(path: Path, optimizer: Optimizer, result: RunResult, identity: dict) -> None:
    tensors = {f"optimizer.{k}": v for k, v in optimizer.state_dict().items()}
    tensors.update(best_x=result.best_x, population=result.population, fitness=result.fitness)
    if result.thumbnails:
        tensors["thumbnails"] = torch.stack(result.thumbnails)
    if result.best_latents:
        tensors["best_latents"] = torch.stack(result.best_latents)
    meta = {"optimizer": optimizer.name, "history": json.dumps(result.history), "best_fitness": repr(result.best_fitness)}
    save_state(path, tensors, meta, identity)


def _load(path: Path, optimizer: Optimizer, identity: dict) -> RunResult:
    tensors, meta = load_state(path, identity)
    optimizer.load_state_dict({k.removeprefix("optimizer."): v for k, v in tensors.items() if k.startswith("optimizer.")})
    thumbnails = list(tensors["thumbnails"].unbind(0)) if "thumbnails" in tensors else []
    best_latents = list(tensors["best_latents"].unbind(0)) if "best_latents" in tensors else []
    history = json.loads(meta["history"])
    return RunResult(tensors["best_x"], float(meta["best_fitness"]), tensors["population"], tensors["fitness"],
                     history, best_latents=best_latents, thumbnails=thumbnails, resumed_from=len(history))


_RUN_STATE = {"generation", "invalid_count", "history"}  # change as the run goes: part of the state, not of the identity


def optimizer_identity(optimizer: Optimizer) -> dict:
    """The settings of ``optimizer`` that define a run: its name, size, seed, start, bounds and options."""
    out: dict = {"name": optimizer.name, "x0": tensor_digest(optimizer.x0)}
    for key, value in sorted(vars(optimizer).items()):
        if key.startswith("_") or key in _RUN_STATE or value is None:
            continue
        if isinstance(value, Optimizer):
            out[key] = optimizer_identity(value)
        elif isinstance(value, (bool, int, float, str, tuple, list, dict)):
            out[key] = describe(value)
    return out


def run_optimizer(optimizer: Optimizer, objective: Objective, generations: int, *, callbacks: Sequence[Callback] = (),
                  patience: int | None = None, min_delta: float = 0.0, state_path: str | Path | None = None,
                  identity: dict | None = None, restart: bool = False, progress: bool = True,
                  label: str = "evolve") -> RunResult:
    """Run ``generations`` generations (counting any already in ``state_path``), keeping the best.

    Stops early when the best fitness has not improved by ``min_delta`` for ``patience``
    generations. Ctrl-C returns the best so far (``interrupted=True``; the state file keeps the last whole generation);
    Ctrl-C before the first generation has finished raises ``KeyboardInterrupt`` with nothing written.

    With ``state_path`` the run is saved after every generation and resumed from there, but only
    if the saved run's ``identity`` (the settings that define it, see :func:`latentlab.runs.run_identity`;
    the optimizer's own settings are always part of it) equals this one's: any difference raises
    :class:`~latentlab.errors.RunMismatchError` naming each setting. ``restart=True`` discards the
    saved run instead. The state's folder is held by this process for the run (:class:`RunFolder`).
    """
    generations = check_positive_int("generations", generations)
    if patience is not None:
        patience = check_positive_int("patience", patience)
    state = Path(state_path) if state_path else None
    if state is None:
        return _run(optimizer, objective, generations, callbacks, patience, min_delta, None, {}, False, progress, label)
    identity = {**run_identity(optimizer=optimizer_identity(optimizer)), **(identity or {})}
    with RunFolder(state.parent):
        return _run(optimizer, objective, generations, callbacks, patience, min_delta, state, identity, restart, progress,
                    label)


def _run(optimizer: Optimizer, objective: Objective, generations: int, callbacks: Sequence[Callback], patience: int | None,
         min_delta: float, state: Path | None, identity: dict, restart: bool, progress: bool,
         label: str) -> RunResult:
    if state is not None and state.exists() and restart:
        state.unlink()
    if state is not None and state.exists():
        result = _load(state, optimizer, identity)
        if progress:
            done = len(result.history)
            tqdm.write(f"resuming generation {done + 1} of {generations} from {state}" if done < generations else
                       f"{state} already holds {done} of {generations} generations; nothing to run (raise generations to go on)")
    else:
        result = RunResult(torch.zeros(optimizer.dim), float("-inf"), torch.zeros(0, optimizer.dim), torch.zeros(0))
    bar = tqdm(total=generations, initial=min(len(result.history), generations), desc=f"{label} ({optimizer.name})", unit="gen",
               disable=not progress)
    try:
        while len(result.history) < generations:
            x, fitness = optimizer.step(objective)
            order = fitness.argsort(descending=True)
            result.population, result.fitness = x[order].detach().cpu(), fitness[order]
            result.best_latents.append(result.population[0].clone())
            if result.fitness[0] > result.best_fitness:
                result.best_fitness, result.best_x = float(result.fitness[0]), result.population[0].clone()
            result.history.append({"generation": len(result.history) + 1, "best": round(float(fitness.max()), 6),
                                   "mean": round(float(fitness.mean()), 6), "std": round(float(fitness.std()) if fitness.numel() > 1 else 0.0, 6),
                                   "best_so_far": round(result.best_fitness, 6), "invalid": optimizer.invalid_count})
            bar.update(1)
            bar.set_postfix(best=f"{result.best_fitness:.4f}")
            for callback in callbacks:
                callback(len(result.history), x, fitness, result)
            if state is not None:
                _save(state, optimizer, result, identity)
            if patience and len(result.history) > patience:
                before = result.history[-patience - 1]["best_so_far"]
                if result.best_fitness - before <= min_delta:  # no improvement beyond min_delta
                    result.stopped_early = True
                    break
    except KeyboardInterrupt:
        if not result.history:  # nothing found yet: nothing to return or to save
            raise
        result.interrupted = True  # the state file already holds the last whole generation: the optimizer may be mid-step
    finally:
        bar.close()
    return result
