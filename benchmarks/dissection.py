"""Network dissection benchmark: do the units ranked for a concept cause it?

    python -m benchmarks.dissection [--quick]

For each embedded generator at one layer — ``shapes-biggan`` at ``block4`` and ``shapes-stylegan`` at
``b64`` (each the last block: 16 units at 64×64) — units are ranked on one set of samples (seed 0)
for the concepts ``object`` (IoU with the probe's object mask) and ``background_brightness``
(correlation), then switched off (to zero) on held-out samples (seed 1), top-k against k random
units of the same layer (the control), for k = 1 … 8. Writes ``benchmarks/results/dissection.json``
(``shapes-biggan``'s figures also at the top level) and ``dissection_sweeps.png``. Bar, per
generator: at k = 4 (a quarter of the layer), the top-k ``object`` units remove at least three times
as much object as random units do.
"""

from __future__ import annotations

from benchmarks._report import RESULTS, parse_args, print_table, write_results
from latentlab.methods import causal_sweep, rank_units, record_units
from latentlab.zoo import load_generator, load_probe

LAYERS = {"shapes-biggan": "block4", "shapes-stylegan": "b64"}
CONCEPTS = ("object", "background_brightness")


def dissect(name: str, layer: str, n: int, probe, axes) -> tuple[dict, list]:
    """Rank one generator's units at ``layer`` and sweep their ablation; plots on ``axes`` (one per concept)."""
    generator = load_generator(name)
    ranked_on = record_units(generator, layer, n=n, seed=0)
    held_out = record_units(generator, layer, n=n, seed=1)
    results = {"generator": name, "layer": layer, "samples": n, "concepts": {}}
    rows = []
    for ax, concept in zip(axes, CONCEPTS):
        ranking = rank_units(ranked_on, concept, probe=probe)
        sweep = causal_sweep(generator, held_out, ranking, ks=[1, 2, 4, 8], probe=probe)
        sweep.plot(ax=ax)
        ax.set_title(f"{name} {layer}: {ax.get_title()}", fontsize=9)
        results["concepts"][concept] = {"top_units": ranking.table(8), "mean_score": round(float(ranking.mean_score), 4),
                                        "ks": sweep.ks, "before": round(sweep.before, 4),
                                        "after_top_k": [round(v, 4) for v in sweep.after],
                                        "after_random_k": [round(v, 4) for v in sweep.control]}
        for k, a, c in zip(sweep.ks, sweep.after, sweep.control):
            rows.append((name, concept, k, round(sweep.before, 4), round(a, 4), round(c, 4)))
    obj = results["concepts"]["object"]
    i = obj["ks"].index(4)
    removed_top, removed_random = obj["before"] - obj["after_top_k"][i], obj["before"] - obj["after_random_k"][i]
    results["object_removed_top4_vs_random4"] = [round(removed_top, 4), round(removed_random, 4)]
    results["bars_met"] = removed_top >= 3 * max(removed_random, 1e-6)
    return results, rows


def main() -> dict:
    args = parse_args(__doc__)
    n = 96 if args.quick else 256
    probe = load_probe("shapes-probe")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(LAYERS), len(CONCEPTS), figsize=(4.2 * len(CONCEPTS), 3.2 * len(LAYERS)))
    results, rows = {"quick": args.quick}, []
    for ax_row, (name, layer) in zip(axes, LAYERS.items()):
        results[name], generator_rows = dissect(name, layer, n, probe, ax_row)
        rows += generator_rows
    fig.tight_layout()
    fig.savefig(RESULTS / "dissection_sweeps.png", dpi=110)
    plt.close(fig)
    print_table(rows, ("generator", "concept", "k", "before", "top-k off", "random k off"))
    for name in LAYERS:
        top, random = results[name]["object_removed_top4_vs_random4"]
        print(f"{name}: k = 4 object removed: top units {top:.3f}, random units {random:.3f} "
              f"(bar: ≥ 3×): {'PASS' if results[name]['bars_met'] else 'FAIL'}")
    results.update(results["shapes-biggan"])  # the first generator's figures also at the top level
    write_results("dissection", results)
    return results


if __name__ == "__main__":
    main()
