"""Network dissection benchmark: do the units ranked for a concept cause it?

    python -m benchmarks.dissection [--quick]

On ``shapes-biggan`` at ``block4``: units are ranked on one set of samples (seed 0) for the
concepts ``object`` (IoU with the probe's object mask) and ``background_brightness``
(correlation), then switched off (to zero) on held-out samples (seed 1), top-k against k random
units of the same layer (the control), for k = 1 … 8 of its 16 units. Writes ``benchmarks/results/dissection.json``
and ``dissection_sweeps.png``. Bar: at k = 4 (a quarter of the layer), the top-k ``object`` units remove at least
three times as much object as random units do.
"""

from __future__ import annotations

from benchmarks._report import RESULTS, parse_args, print_table, write_results
from latentlab.methods import causal_sweep, rank_units, record_units
from latentlab.zoo import load_generator, load_probe

LAYER = "block4"
CONCEPTS = ("object", "background_brightness")


def main() -> dict:
    args = parse_args(__doc__)
    n = 96 if args.quick else 256
    generator, probe = load_generator("shapes-biggan"), load_probe("shapes-probe")
    ranked_on = record_units(generator, LAYER, n=n, seed=0)
    held_out = record_units(generator, LAYER, n=n, seed=1)
    results = {"quick": args.quick, "generator": "shapes-biggan", "layer": LAYER, "samples": n, "concepts": {}}
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(CONCEPTS), figsize=(4.2 * len(CONCEPTS), 3.2))
    rows = []
    for ax, concept in zip(axes, CONCEPTS):
        ranking = rank_units(ranked_on, concept, probe=probe)
        sweep = causal_sweep(generator, held_out, ranking, ks=[1, 2, 4, 8], probe=probe)
        sweep.plot(ax=ax)
        results["concepts"][concept] = {"top_units": ranking.table(8), "mean_score": round(float(ranking.mean_score), 4),
                                        "ks": sweep.ks, "before": round(sweep.before, 4),
                                        "after_top_k": [round(v, 4) for v in sweep.after],
                                        "after_random_k": [round(v, 4) for v in sweep.control]}
        for k, a, c in zip(sweep.ks, sweep.after, sweep.control):
            rows.append((concept, k, round(sweep.before, 4), round(a, 4), round(c, 4)))
    fig.tight_layout()
    fig.savefig(RESULTS / "dissection_sweeps.png", dpi=110)
    plt.close(fig)
    print_table(rows, ("concept", "k", "before", "top-k off", "random k off"))
    obj = results["concepts"]["object"]
    i = obj["ks"].index(4)
    removed_top, removed_random = obj["before"] - obj["after_top_k"][i], obj["before"] - obj["after_random_k"][i]
    results["object_removed_top4_vs_random4"] = [round(removed_top, 4), round(removed_random, 4)]
    results["bars_met"] = removed_top >= 3 * max(removed_random, 1e-6)
    print(f"\nk = 4 object removed: top units {removed_top:.3f}, random units {removed_random:.3f} "
          f"(bar: ≥ 3×): {'PASS' if results['bars_met'] else 'FAIL'}")
    write_results("dissection", results)
    return results


if __name__ == "__main__":
    main()
