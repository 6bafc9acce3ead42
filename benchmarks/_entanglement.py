"""Entanglement of any direction in any latent space (seed 002 §4.4.1, generalised).

Draw ``n`` seeded vectors of the space, move each along the direction to every t of a symmetric
grid, render and score every image with a dict of assessors. Per assessor: the least-squares
slope of its mean over t, its range (max − min of the mean), the mean within-t std and the
monotonicity (Spearman's ρ of the mean against t). For the direction's target assessor the
*selectivity* is |target range| / max over the other assessors of |range|, every range in units of
that assessor's spread (std) over the unmoved samples, so that assessors in different units
compare.

t is in units of the samples' own spread along the direction (``unit="sigma"``): an additive
direction moves x + t·σ·u (σ the std of ⟨x, u⟩ over the drawn vectors, u the unit direction), a
projection direction sets ⟨x, u⟩ to its mean + t·σ. Directions of every method and space then
move the same distance relative to their space. ``unit="raw"`` uses ``direction.move(x, t)`` as is.

:func:`write_strip` saves a "sample strip": a few latents (rows) × the t grid (columns).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from latentlab.images import atomic_write_bytes, image_file_bytes
from latentlab.spaces import Direction, LatentSpace

EVAL_SEED = 40_000
#: largest sample strip written, in bytes (images are halved until the PNG fits)
STRIP_BYTES = 200_000
#: selectivity when no other assessor moves at all (kept finite so the JSON stays standard)
SELECTIVITY_CAP = 1e6


@dataclass
class Walk:
    """Scores [N, T] per assessor of N vectors moved to T values of t, the unmoved scores [N] and a few image rows."""

    ts: torch.Tensor  # [T] the grid (σ units, or raw)
    scores: dict[str, torch.Tensor]  # name -> [N, T]
    base: dict[str, torch.Tensor]  # name -> [N], scores of the unmoved vectors
    strip: torch.Tensor | None = None  # [rows, T, 3, H, W]
    info: dict = field(default_factory=dict)

    def flipped(self) -> Walk:
        """The walk of the opposite direction: t → −t on a symmetric grid is the columns reversed."""
        strip = None if self.strip is None else self.strip.flip(1)
        return Walk(self.ts.clone(), {k: v.flip(1) for k, v in self.scores.items()}, dict(self.base), strip,
                    {**self.info, "flipped": not self.info.get("flipped", False)})


def symmetric_grid(reach: float, steps: int) -> torch.Tensor:
    """``steps`` evenly spaced t from −reach to reach (0 is one of them when ``steps`` is odd)."""
    if steps < 2 or not reach > 0:
        raise ValueError(f"a t grid needs steps >= 2 and reach > 0, got steps={steps!r}, reach={reach!r}")
    return torch.linspace(-float(reach), float(reach), int(steps))


def _score(assessors: Mapping, images: torch.Tensor) -> dict[str, torch.Tensor]:
    return {name: a(images).detach().float().reshape(-1).cpu() for name, a in assessors.items()}


def _render_scores(space: LatentSpace, x: torch.Tensor, y, assessors: Mapping, batch_size: int,
                   keep: int = 0) -> tuple[dict[str, torch.Tensor], torch.Tensor | None]:
    parts: dict[str, list[torch.Tensor]] = {name: [] for name in assessors}
    kept = None
    for i in range(0, x.shape[0], batch_size):
        images = space.render_with(x[i:i + batch_size], None if y is None else y[i:i + batch_size]).clamp(0, 1)
        if i == 0 and keep:
            kept = images[:keep].detach().cpu()
        for name, s in _score(assessors, images).items():
            parts[name].append(s)
    return {name: torch.cat(p) for name, p in parts.items()}, kept


@torch.no_grad()
def walk(space: LatentSpace, direction: Direction, assessors: Mapping, *, n: int = 64, ts: int | Sequence[float] = 5,
         reach: float = 2.0, unit: str = "sigma", seed: int = EVAL_SEED, truncation: float | None = None,
         rows: int = 2, batch_size: int = 64) -> Walk:
    """Move ``n`` seeded vectors of ``space`` along ``direction`` over the t grid and score every image."""
    if unit not in ("sigma", "raw"):
        raise ValueError(f"unit must be 'sigma' or 'raw', got {unit!r}")
    direction = space.adopt(direction)
    grid = symmetric_grid(reach, ts) if isinstance(ts, int) else torch.as_tensor(ts, dtype=torch.float32)
    x, y = space.draw(n, seed=seed, truncation=space.sampling_truncation(truncation))
    u = direction.unit.to(x.device, x.dtype)
    coordinate = x @ u
    sigma = max(float(coordinate.std()), 1e-6) if n > 1 else 1.0
    if unit == "raw":
        values, step = grid, 1.0
    elif direction.projection:
        values, step = float(coordinate.mean()) + sigma * grid, sigma
    else:
        step = sigma / float(direction.vector.norm())
        values = step * grid
    base, _ = _render_scores(space, x, y, assessors, batch_size)
    columns: dict[str, list[torch.Tensor]] = {name: [] for name in assessors}
    strips = []
    for value in values.tolist():
        scores, kept = _render_scores(space, direction.move(x, value), y, assessors, batch_size, keep=rows)
        for name, s in scores.items():
            columns[name].append(s)
        if kept is not None:
            strips.append(kept)
    info = {"direction": direction.name, "move": "projection" if direction.projection else "additive",
            "sigma": round(sigma, 6), "step": round(float(step), 6)}
    if unit != "sigma":
        info["unit"] = unit
    if direction.projection and unit == "sigma":
        info["coordinate_mean"] = round(float(coordinate.mean()), 6)
    return Walk(grid, {k: torch.stack(v, dim=1) for k, v in columns.items()}, base,
                torch.stack(strips, dim=1) if strips else None, info)


# --- the report (pure functions of score tables) ----------------------------------------------------
def spearman(a: torch.Tensor, b: torch.Tensor) -> float:
    """Spearman's rank correlation of two 1-D tensors (ties get their mean rank); 0 when either is constant."""
    def ranks(v: torch.Tensor) -> torch.Tensor:
        v = v.double()
        order = v.argsort()
        r = torch.empty_like(v)
        r[order] = torch.arange(v.numel(), dtype=torch.float64)
        for value in v.unique():  # average the ranks of ties
            tied = v == value
            if int(tied.sum()) > 1:
                r[tied] = r[tied].mean()
        return r

    ra, rb = ranks(a.reshape(-1)), ranks(b.reshape(-1))
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denominator = float(ra.norm() * rb.norm())
    return 0.0 if denominator < 1e-12 else float(ra @ rb) / denominator


def assessor_summary(ts: torch.Tensor, scores: torch.Tensor, base: torch.Tensor | None = None, digits: int = 4) -> dict:
    """Slope of the mean over t, range, mean within-t std and monotonicity of one assessor's scores [N, T]; with
    ``base`` [N] (unmoved scores) also its spread and the range and slope in units of that spread."""
    ts, scores = ts.double().cpu(), scores.double().cpu()
    means = scores.mean(dim=0)
    stds = scores.std(dim=0) if scores.shape[0] > 1 else torch.zeros_like(means)
    dt = ts - ts.mean()
    slope = float((dt * (means - means.mean())).sum() / (dt**2).sum())
    value_range = float(means.max() - means.min())
    out = {"slope": round(slope, digits + 2), "range": round(value_range, digits + 2),
           "within_std": round(float(stds.mean()), digits + 2), "monotonicity": round(spearman(ts, means), digits)}
    if base is not None:
        spread = float(base.double().std()) if base.numel() > 1 else 0.0
        unit = max(spread, 1e-12)
        out.update(spread=round(spread, digits + 2), range_spread=round(value_range / unit, digits))
    return out


def selectivity(summaries: Mapping[str, dict], target: str) -> tuple[float | None, str | None]:
    """|target range| / max other |range| (both in spread units) and the other assessor that moves most; None, None
    when no other assessor was read."""
    if target not in summaries:
        raise KeyError(f"target {target!r} is not among the assessors {sorted(summaries)}")
    key = "range_spread" if "range_spread" in summaries[target] else "range"
    others = {name: abs(s[key]) for name, s in summaries.items() if name != target}
    if not others:
        return None, None
    worst = max(others, key=others.get)
    moved = abs(summaries[target][key])
    value = SELECTIVITY_CAP if others[worst] < 1e-12 else min(moved / others[worst], SELECTIVITY_CAP)
    return value, worst


def entanglement_report(w: Walk, target: str | None = None, digits: int = 4) -> dict:
    """The report of a walk: every assessor's summary and, for ``target``, its mean/std per t and the selectivity."""
    summaries = {name: assessor_summary(w.ts, s, w.base.get(name), digits) for name, s in w.scores.items()}
    out = {**w.info, "assessors": summaries}
    if target is not None:
        scores = w.scores[target].double()
        value, worst = selectivity(summaries, target)
        t_summary = summaries[target]
        out.update(target=target, selectivity=None if value is None else round(value, digits),
                   target_range=t_summary["range"], target_range_spread=t_summary.get("range_spread"),
                   monotonicity=t_summary["monotonicity"], t=[round(float(t), digits) for t in w.ts],
                   target_mean=[round(float(m), digits + 2) for m in scores.mean(dim=0)],
                   target_std=[round(float(s), digits + 2) for s in (scores.std(dim=0) if scores.shape[0] > 1
                                                                    else torch.zeros(scores.shape[1]))],
                   most_entangled=None if worst is None else {"assessor": worst,
                                                              "range_spread": summaries[worst].get("range_spread",
                                                                                                   summaries[worst]["range"])})
    return out


def signed_changes(w: Walk) -> dict[str, float]:
    """Per assessor, the range in spread units signed by the slope (what a component does to each assessor)."""
    out = {}
    for name, s in w.scores.items():
        summary = assessor_summary(w.ts, s, w.base.get(name))
        out[name] = round(math.copysign(summary.get("range_spread", summary["range"]), summary["slope"]), 4)
    return out


def pick(walks: Sequence[Walk], target: str) -> tuple[int, Walk]:
    """The walk (index, oriented so the target rises) whose direction moves ``target`` most, in spread units."""
    if not walks:
        raise ValueError("no walks to pick from")
    changes = [signed_changes(w)[target] for w in walks]
    best = max(range(len(walks)), key=lambda i: abs(changes[i]))
    return best, (walks[best] if changes[best] >= 0 else walks[best].flipped())


# --- the sample strip ------------------------------------------------------------------------------
def write_strip(path: str | Path, blocks: Sequence[torch.Tensor], limit: int = STRIP_BYTES) -> Path | None:
    """One PNG of the strips [rows, T, 3, H, W] of ``blocks`` stacked (rows × t); halved until under ``limit`` bytes.
    None when there is nothing to draw."""
    blocks = [b for b in blocks if b is not None and b.numel()]
    if not blocks:
        return None
    width = blocks[0].shape[1]
    size = blocks[0].shape[-1]
    images = torch.cat([b.flatten(0, 1) for b in blocks if b.shape[1] == width and b.shape[-1] == size]).float().clamp(0, 1)
    data = image_file_bytes(images, "png", nrow=width)
    while len(data) > limit and images.shape[-1] >= 16:
        images = F.avg_pool2d(images, 2)
        data = image_file_bytes(images, "png", nrow=width)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, data)
    return path


def strip_name(*parts: str, prefix: str = "directions_strip") -> str:
    """``prefix`` and the parts joined by '_', each part lower case with letters, digits and '-' only ('w+' becomes
    'wplus'), as a PNG file name."""
    cleaned = [prefix]
    for part in parts:
        text = str(part).lower().replace("+", "plus")
        cleaned.append("".join(c if c.isalnum() else "-" for c in text).strip("-"))
    return "_".join(cleaned) + ".png"


# --- running methods and collecting their reports ---------------------------------------------------
def scalar_info(info: Mapping) -> dict:
    """The JSON-friendly entries of a direction's ``info`` (numbers, strings, booleans and short lists of them)."""
    out = {}
    for k, v in info.items():
        if isinstance(v, (int, float, str, bool)) or v is None:
            out[k] = v
        elif isinstance(v, (list, tuple)) and len(v) <= 16 and all(isinstance(e, (int, float, str, bool)) for e in v):
            out[k] = list(v)
    return out


def walk_settings(s: Mapping) -> dict:
    return {"n": s["latents"], "ts": s["ts"], "reach": s["reach"], "rows": s["strip_rows"]}


def evaluate_targets(space: LatentSpace, directions: Mapping[str, Direction], assessors: Mapping, s: Mapping
                     ) -> tuple[dict, list[torch.Tensor]]:
    """One direction per target: {"targets": {target: report}} and the strips, one block per direction."""
    reports, blocks = {}, []
    for target, direction in directions.items():
        w = walk(space, direction, assessors, **walk_settings(s))
        reports[target] = {**entanglement_report(w, target), "info": scalar_info(direction.info)}
        blocks.append(w.strip)
    return {"targets": reports}, blocks


def evaluate_components(space: LatentSpace, directions: Sequence[Direction], assessors: Mapping, targets: Sequence[str],
                        s: Mapping) -> tuple[dict, list[torch.Tensor]]:
    """Every component's signed change of every assessor, and per target the component that moves it most (oriented
    so the target rises) with its full report; the strips of the picked components."""
    walks = [walk(space, d, assessors, **walk_settings(s)) for d in directions]
    components = [{"direction": d.name, "info": scalar_info(d.info), "changes": signed_changes(w)}
                  for d, w in zip(directions, walks)]
    reports, blocks, drawn = {}, [], set()
    for target in targets:
        index, w = pick(walks, target)
        reports[target] = {**entanglement_report(w, target), "component": index,
                           "info": scalar_info(directions[index].info)}
        if (index, w.info.get("flipped", False)) not in drawn:
            drawn.add((index, w.info.get("flipped", False)))
            blocks.append(w.strip)
    return {"components": components, "targets": reports}, blocks


def guarded(label: str, work, seconds: bool = True) -> dict:
    """``work()`` (a dict) with its wall time; an exception becomes {"error": ...}, its traceback printed."""
    import sys
    import time
    import traceback

    began = time.perf_counter()
    try:
        out = work()
    except Exception as error:  # a method that fails is reported, the suite goes on
        print(f"[{label}] failed:", file=sys.stderr)
        traceback.print_exc()
        out = {"error": f"{type(error).__name__}: {error}"}
    if seconds:
        out["seconds"] = round(time.perf_counter() - began, 1)
    return out


def table_rows(model: str, space: str, methods: Mapping[str, dict]) -> list[tuple]:
    """Rows (model, space, method, target, direction, selectivity, target range, ρ, most moved other) of a space's
    method reports; a refused or failed method gets one row saying so."""
    rows = []
    for method, report in methods.items():
        if not isinstance(report, dict):
            continue
        if "refused" in report or "error" in report:
            text = report.get("refused") or report.get("error")
            rows.append((model, space, method, "-", "-", "-", "-", "-", ("refused: " if "refused" in report else "error: ")
                         + str(text)[:40] + "…"))
            continue
        for target, r in report.get("targets", {}).items():
            worst = r.get("most_entangled") or {}
            rows.append((model, space, method, target, _short(r.get("direction", "-")), r.get("selectivity"),
                         r.get("target_range_spread"), r.get("monotonicity"),
                         f"{worst.get('assessor')} {worst.get('range_spread')}" if worst else "-"))
    return rows


def _short(text: str, width: int = 32) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


TABLE_HEADER = ("model", "space", "method", "target", "direction", "selectivity", "target range (spread)",
                "monotonic ρ", "most moved other (spread)")
