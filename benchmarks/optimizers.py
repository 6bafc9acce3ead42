"""Optimizers benchmark: text-to-image on the Shapes world with shapes-biggan and shapes-clip.

    python -m benchmarks.optimizers [--quick]

- ``ga_vs_de`` (seed 001 Fig. 4.8/4.10): best and mean fitness per generation, averaged over
  seeds and prompts, at the same population and number of generations.
- ``cma_vs_adam`` (seed 000 Fig. 4-3/4-5): CMA-ES, Adam and CMA→Adam at equal numbers of
  generator evaluations: CLIP score reached, ``accuracy`` (the probe agrees with every
  attribute the prompt names) and ``fid`` of the results against real renders of the prompts.
- ``classifier_eval`` (seed 001 ch. 5): images evolved from a shape or colour name alone,
  classified by the probe (accuracy per name and confusion matrices).
- ``speed``: batched vs one-at-a-time evaluation, the share of a generation spent outside the
  generator and assessor forward passes, and seconds per generation, at population 32.
"""

from __future__ import annotations

import json
import statistics
import time

import torch

from benchmarks._report import RESULTS, machine, parse_args, print_table, synchronize, write_results
from latentlab.assessors.clip import CLIPAssessor
from latentlab.data import SHAPES, render_shapes
from latentlab.data.captions import size_word, x_word, y_word
from latentlab.data.colours import COLOUR_NAMES, nearest_colour
from latentlab.methods import evolve
from latentlab.metrics import fid, read_factors
from latentlab.optim import LatentObjective, make_optimizer
from latentlab.zoo import load_generator, load_probe
from latentlab.zoo.open_clip_models import load_clip

RESULTS_DIR = "benchmarks/results"
#: prompt -> the attributes it names (checked with the probe)
PROMPTS = {
    "a red star": {"shape": "star", "colour": "red"},
    "a blue circle": {"shape": "circle", "colour": "blue"},
    "a green square": {"shape": "square", "colour": "green"},
    "a yellow heart": {"shape": "heart", "colour": "yellow"},
    "a purple triangle on the left": {"shape": "triangle", "colour": "purple", "x": "left"},
}


def attributes_of(readout, i: int) -> dict[str, str]:
    return {"shape": SHAPES[int(readout.shape[i])], "colour": nearest_colour(readout.hue[i:i + 1])[0],
            "x": x_word(float(readout.x[i])), "y": y_word(float(readout.y[i])), "size": size_word(float(readout.scale[i]))}


def matches(readout, attrs: list[dict]) -> list[bool]:
    """Whether the probe agrees with every attribute each prompt names."""
    return [all(attributes_of(readout, i)[k] == v for k, v in a.items()) for i, a in enumerate(attrs)]


def real_renders(attrs: dict, n: int, seed: int) -> torch.Tensor:
    """``n`` real renders that have the prompt's attributes (rejection sampling from the world)."""
    kept, batch_seed = [], seed
    fixed = {k: v for k, v in (("shape", attrs.get("shape")), ("hue", attrs.get("colour"))) if v is not None}
    while sum(len(k) for k in kept) < n:
        batch = render_shapes(512, seed=batch_seed, **fixed)
        f = batch.factors
        ok = torch.tensor([(("x" not in attrs) or x_word(float(f.x[i])) == attrs["x"]) and
                           (("y" not in attrs) or y_word(float(f.y[i])) == attrs["y"]) for i in range(512)])
        kept.append(batch.images[ok])
        batch_seed += 1
    return torch.cat(kept)[:n]


def ga_vs_de(generator, assessors, seeds: int, generations: int, population: int) -> dict:
    curves = {}
    for name in ("ga", "de"):
        best, mean, final = [], [], {}
        for prompt, assessor in assessors.items():
            finals = []
            for seed in range(seeds):
                run = evolve(prompt, generator, assessor, optimizer=name, generations=generations, population=population,
                             seed=seed, progress=False)
                best.append([h["best"] for h in run.history])
                mean.append([h["mean"] for h in run.history])
                finals.append(run.best_fitness)
            final[prompt] = round(sum(finals) / len(finals), 4)
        best_t, mean_t = torch.tensor(best), torch.tensor(mean)
        curves[name] = {"best": [round(v, 4) for v in best_t.mean(0).tolist()],
                        "mean": [round(v, 4) for v in mean_t.mean(0).tolist()],
                        "best_std": [round(v, 4) for v in best_t.std(0).tolist()],
                        "final_best_per_prompt": final, "final_best": round(float(best_t[:, -1].mean()), 4)}
    return {"population": population, "generations": generations, "seeds": seeds, "prompts": list(assessors), **curves}


def cma_vs_adam(generator, assessors, probe, seeds: int, budget: int) -> dict:
    """Each method gets ``budget`` generator evaluations per run; one result image per run (its best)."""
    methods = {  # name -> (optimizer, population, generations, options)
        "cma": ("cma", 16, budget // 16, {}),
        "adam": ("adam", 8, budget // 8, {"lr": 0.05}),
        "cma+adam": ("cma+adam", 16, budget // 32 + budget // 8, {"switch_after": budget // 32, "adam_population": 4}),
    }
    n_results = len(assessors) * seeds
    real = torch.cat([real_renders(PROMPTS[p], seeds, seed=90_000 + i) for i, p in enumerate(assessors)])
    out = {"budget_per_run": budget, "runs_per_method": n_results}
    for name, (optimizer, population, generations, options) in methods.items():
        images, scores, attrs = [], [], []
        for prompt, assessor in assessors.items():
            for seed in range(seeds):
                run = evolve(prompt, generator, assessor, optimizer=optimizer, generations=generations,
                             population=population, seed=seed, options=options, progress=False)
                images.append(run.best_image)
                scores.append(run.best_fitness)
                attrs.append(PROMPTS[prompt])
        images = torch.stack(images)
        hits = matches(read_factors(probe, images), attrs)
        out[name] = {"clip_score": round(sum(scores) / len(scores), 4), "accuracy": round(sum(hits) / len(hits), 4),
                     "fid": round(fid(images, real), 2), "generations": generations, "population": population}
    return out


def classifier_eval(generator, clip, probe, runs: int, generations: int, population: int) -> dict:
    out = {}
    for kind, names, prompt_of in (("shape", SHAPES, lambda s: f"a {s}"),
                                   ("colour", COLOUR_NAMES, lambda c: f"{'an' if c[0] in 'aeiou' else 'a'} {c} object")):
        confusion = torch.zeros(len(names), len(names), dtype=torch.long)
        for i, name in enumerate(names):
            assessor = CLIPAssessor(prompt_of(name), clip)
            best = [evolve(prompt_of(name), generator, assessor, optimizer="cma", generations=generations,
                           population=population, seed=seed, progress=False).best_image for seed in range(runs)]
            readout = read_factors(probe, torch.stack(best))
            read = [SHAPES[int(s)] for s in readout.shape] if kind == "shape" else nearest_colour(readout.hue)
            for r in read:
                confusion[i, names.index(r)] += 1
        per_name = {n: round(float(confusion[i, i]) / runs, 3) for i, n in enumerate(names)}
        out[kind] = {"names": list(names), "accuracy": round(float(confusion.diag().sum()) / confusion.sum().item(), 4),
                     "per_name": per_name, "confusion": confusion.tolist(), "runs_per_name": runs}
    return out


def _generation_timing(generator, assessor, optimizer_name: str, generations: int, population: int) -> dict:
    """Seconds per generation of ``optimizer_name`` and the share of them spent outside the forward passes."""
    device = generator.device
    spent = {"forward": 0.0}
    started: dict[int, float] = {}

    def pre(module, *_):
        synchronize(device)
        started[id(module)] = time.perf_counter()

    def post(module, *_):
        synchronize(device)
        spent["forward"] += time.perf_counter() - started.pop(id(module))

    hooks = [m.register_forward_pre_hook(pre) for m in (generator, assessor)]
    hooks += [m.register_forward_hook(post) for m in (generator, assessor)]
    objective = LatentObjective(generator, assessor, space="z+class")
    optimizer = make_optimizer(optimizer_name, objective.dim, population, seed=0)
    optimizer.step(objective)  # warm-up
    spent["forward"] = 0.0
    start = time.perf_counter()
    for _ in range(generations):
        optimizer.step(objective)
    total = time.perf_counter() - start
    for h in hooks:
        h.remove()
    return {"seconds_per_generation": round(total / generations, 4),
            "overhead_fraction": round(1 - spent["forward"] / total, 4)}


def speed(generator, clip, generations: int, population: int = 32, rounds: int = 5) -> dict:
    """Seconds per generation, the share outside forward passes, and batched vs one-at-a-time evaluation.

    The headline figures are CMA-ES's (``evolve``'s default); ``overhead_by_optimizer`` gives the
    share for GA and DE too, whose ask/tell are a few tensor operations where ``cma``'s are NumPy
    bookkeeping. Batched and one-at-a-time evaluation alternate for ``rounds`` rounds (each a
    warm-up and three timed passes) and the medians are compared, so a slow spell of the machine
    slows both. Runs on the generator's device; accelerator work is waited for before every
    clock reading.
    """
    assessor = CLIPAssessor("a red star", clip)
    device = generator.device
    by_optimizer = {name: _generation_timing(generator, assessor, name, generations, population)
                    for name in ("cma", "ga", "de")}

    evaluate = {chunk: LatentObjective(generator, assessor, space="z+class", chunk_size=chunk)
                for chunk in (64, 1)}  # the whole population in one pass vs one candidate per pass
    x = torch.randn(population, evaluate[64].dim, generator=torch.Generator().manual_seed(0))
    timings: dict[int, list[float]] = {64: [], 1: []}
    with torch.no_grad():
        for _ in range(rounds):
            for chunk, one in evaluate.items():
                one(x)  # settles the caches after the other mode
                runs = []
                for _ in range(3):
                    synchronize(device)
                    t = time.perf_counter()
                    one(x)
                    synchronize(device)
                    runs.append(time.perf_counter() - t)
                timings[chunk].append(statistics.median(runs))
    batched, single = statistics.median(timings[64]), statistics.median(timings[1])
    return {"device": str(device), "population": population, **by_optimizer["cma"],
            "overhead_by_optimizer": {k: v["overhead_fraction"] for k, v in by_optimizer.items()},
            "seconds_per_generation_by_optimizer": {k: v["seconds_per_generation"] for k, v in by_optimizer.items()},
            "batched_seconds": round(batched, 4), "one_at_a_time_seconds": round(single, 4),
            "batched_speedup": round(single / batched, 2), "rounds": rounds}


def plot(results: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    curves = results["ga_vs_de"]
    gens = range(1, curves["generations"] + 1)
    for name, colour in (("ga", "tab:blue"), ("de", "tab:orange")):
        axes[0].plot(gens, curves[name]["best"], color=colour, label=f"{name.upper()} best")
        axes[0].plot(gens, curves[name]["mean"], "--", color=colour, label=f"{name.upper()} mean")
    axes[0].set(xlabel="generation", ylabel="CLIP similarity",
                title=f"GA vs DE ({curves['seeds']} seeds × {len(curves['prompts'])} prompts)")
    axes[0].legend(fontsize=8)
    cva = results["cma_vs_adam"]
    names = ["cma", "adam", "cma+adam"]
    width = 0.38
    ax = axes[1]
    ax.bar([i - width / 2 for i in range(3)], [cva[n]["clip_score"] for n in names], width, label="CLIP score")
    ax.bar([i + width / 2 for i in range(3)], [cva[n]["accuracy"] for n in names], width, label="probe accuracy")
    ax.set_xticks(range(3), names)
    ax.set(title=f"equal budgets ({cva['budget_per_run']} evaluations per run)", ylim=(0, 1.15))
    ax.legend(fontsize=8, loc="upper center", ncols=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def speed_rows(s: dict) -> list[tuple]:
    return [("batched_speedup", s["batched_speedup"], ">= 5", "PASS" if s["batched_speedup"] >= 5 else "FAIL"),
            ("overhead_fraction", s["overhead_fraction"], "<= 0.10", "PASS" if s["overhead_fraction"] <= 0.10 else "FAIL"),
            ("seconds_per_generation", s["seconds_per_generation"], "", "")] + [
            (f"overhead_fraction ({name})", value, "", "") for name, value in s.get("overhead_by_optimizer", {}).items()]


def speed_only(device: str) -> dict:
    """Time the speed section alone on ``device`` and file it under ``speed_by_device`` in optimizers.json."""
    generator, clip = load_generator(device=device), load_clip("shapes-clip", device=device)
    section = {**speed(generator, clip, generations=10), "machine": machine(device)}
    path = RESULTS / "optimizers.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    kind = torch.device(device).type
    results.setdefault("speed_by_device", {})[kind] = section
    if kind == "cpu":
        results["speed"] = {k: v for k, v in section.items() if k != "machine"}
    print_table(speed_rows(section), (f"speed on {section['machine'].get('accelerator', kind)} (population 32)", "value", "bar", ""))
    write_results("optimizers", results)
    return results


def main() -> dict:
    args = parse_args(__doc__, extra=[("--speed-only", "time the speed section alone on --device and add it to optimizers.json")])
    if args.speed_only:
        return speed_only(args.device)
    generator, probe, clip = load_generator(), load_probe(), load_clip("shapes-clip")
    assessors = {p: CLIPAssessor(p, clip) for p in PROMPTS}
    q = args.quick
    results = {"quick": q, "generator": "shapes-biggan", "clip": "shapes-clip"}
    results["ga_vs_de"] = ga_vs_de(generator, assessors, seeds=4 if q else 20, generations=15, population=16)
    results["cma_vs_adam"] = cma_vs_adam(generator, assessors, probe, seeds=3 if q else 8, budget=320)
    results["classifier_eval"] = classifier_eval(generator, clip, probe, runs=2 if q else 8, generations=12, population=16)
    results["speed"] = speed(generator, clip, generations=3 if q else 10)
    plot(results, f"{RESULTS_DIR}/optimizers_comparisons.png")

    g = results["ga_vs_de"]
    print_table([(n.upper(), g[n]["best"][0], g[n]["best"][-1], g[n]["mean"][-1]) for n in ("ga", "de")],
                ("ga_vs_de", "best@1", f"best@{g['generations']}", f"mean@{g['generations']}"))
    print()
    c = results["cma_vs_adam"]
    print_table([(n, c[n]["clip_score"], c[n]["accuracy"], c[n]["fid"]) for n in ("cma", "adam", "cma+adam")],
                ("cma_vs_adam", "clip_score", "accuracy", "fid"))
    print()
    e = results["classifier_eval"]
    print_table([(k, e[k]["accuracy"], " ".join(f"{n}:{v:.2f}" for n, v in e[k]["per_name"].items())) for k in e],
                ("classifier_eval", "accuracy", "per name"))
    print()
    s = results["speed"]
    path = RESULTS / "optimizers.json"  # speed sections timed on other devices (--speed-only) are kept
    earlier = json.loads(path.read_text()).get("speed_by_device", {}) if path.exists() else {}
    results["speed_by_device"] = {**earlier, "cpu": {**s, "machine": machine()}}
    rows = speed_rows(s)
    print_table(rows, ("speed (population 32)", "value", "bar", ""))
    results["bars_met"] = all(r[3] != "FAIL" for r in rows)
    write_results("optimizers", results)
    return results


if __name__ == "__main__":
    main()
