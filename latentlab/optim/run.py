"""The run loop: progress, callbacks, history, early stopping, interruption and save/resume."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors
from tqdm.auto import tqdm

from latentlab.errors import check_positive_int
from latentlab.images import atomic_write_bytes
from latentlab.optim.base import Objective, Optimizer


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


Callback = Callable[[int, torch.Tensor, torch.Tensor, RunResult], None]


def _save(path: Path, optimizer: Optimizer, result: RunResult) -> None:
    tensors = {f"optimizer.{k}": v.contiguous() for k, v in optimizer.state_dict().items()}
    tensors.update(best_x=result.best_x.contiguous(), population=result.population.contiguous(), fitness=result.fitness.contiguous())
    if result.thumbnails:
        tensors["thumbnails"] = torch.stack(result.thumbnails).contiguous()
    if result.best_latents:
        tensors["best_latents"] = torch.stack(result.best_latents).contiguous()
    meta = {"optimizer": optimizer.name, "history": json.dumps(result.history), "best_fitness": repr(result.best_fitness),
            "dim": str(optimizer.dim), "population": str(optimizer.population), "seed": str(optimizer.seed)}
    atomic_write_bytes(path, save_tensors(tensors, metadata=meta))


def _load(path: Path, optimizer: Optimizer) -> RunResult:
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as handle:
        meta = handle.metadata()
    expected = {"optimizer": optimizer.name, "dim": str(optimizer.dim), "population": str(optimizer.population), "seed": str(optimizer.seed)}
    clash = {k: (meta.get(k), v) for k, v in expected.items() if meta.get(k) != v}
    if clash:
        raise ValueError(f"{path} was saved by a different run ({', '.join(f'{k}: file {a!r} vs now {b!r}' for k, (a, b) in clash.items())}); "
                         "use another state file or the same settings")
    tensors = load_tensors(path.read_bytes())
    optimizer.load_state_dict({k.removeprefix("optimizer."): v for k, v in tensors.items() if k.startswith("optimizer.")})
    thumbnails = list(tensors["thumbnails"].unbind(0)) if "thumbnails" in tensors else []
    best_latents = list(tensors["best_latents"].unbind(0)) if "best_latents" in tensors else []
    return RunResult(tensors["best_x"], float(meta["best_fitness"]), tensors["population"], tensors["fitness"],
                     json.loads(meta["history"]), best_latents=best_latents, thumbnails=thumbnails)


def run_optimizer(optimizer: Optimizer, objective: Objective, generations: int, *, callbacks: Sequence[Callback] = (),
                  patience: int | None = None, min_delta: float = 0.0, state_path: str | Path | None = None,
                  progress: bool = True) -> RunResult:
    """Run ``generations`` generations (counting any already in ``state_path``), keeping the best.

    Stops early when the best fitness has not improved by ``min_delta`` for ``patience``
    generations. Ctrl-C returns the best so far (``interrupted=True``) after saving the state.
    """
    generations = check_positive_int("generations", generations)
    if patience is not None:
        patience = check_positive_int("patience", patience)
    state = Path(state_path) if state_path else None
    if state is not None and state.exists():
        result = _load(state, optimizer)
    else:
        result = RunResult(torch.zeros(optimizer.dim), float("-inf"), torch.zeros(0, optimizer.dim), torch.zeros(0))
    bar = tqdm(total=generations, initial=len(result.history), desc=f"evolve ({optimizer.name})", unit="gen", disable=not progress)
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
                _save(state, optimizer, result)
            if patience and len(result.history) > patience:
                before = result.history[-patience - 1]["best_so_far"]
                if result.best_fitness - before <= min_delta:  # no improvement beyond min_delta
                    result.stopped_early = True
                    break
    except KeyboardInterrupt:
        result.interrupted = True
        if state is not None and result.history:
            _save(state, optimizer, result)
    finally:
        bar.close()
    return result
