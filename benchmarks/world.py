"""Shapes world benchmark: renderer throughput and the shipped probe's accuracy.

    python -m benchmarks.world [--quick]
"""

from __future__ import annotations

from benchmarks._report import best_rate, parse_args, print_table, write_results
from latentlab.data import render, render_shapes, sample_factors
from latentlab.metrics import factor_errors, read_factors
from latentlab.zoo import load_probe

EVAL_SEED = 987_654_321  # far from the probe's training seeds
BARS = {"render_images_per_s": (">=", 5000), "probe.class_acc": (">=", 0.99), "probe.xy_err": ("<=", 0.03),
        "probe.scale_err": ("<=", 0.03), "probe.hue_err": ("<=", 0.05)}


def main() -> dict:
    args = parse_args(__doc__)
    batch, repeats = 256, 5 if args.quick else 20
    counter = iter(range(10**9))
    render_rate = best_rate(lambda: render(sample_factors(batch, next(counter)))[0].shape[0], repeats=repeats)
    caption_rate = best_rate(lambda: len(render_shapes(batch, next(counter)).captions), repeats=max(2, repeats // 4))

    n = 2000
    truth = sample_factors(n, EVAL_SEED)
    images, _ = render(truth)
    readout = read_factors(load_probe(), images)
    errors = factor_errors(readout, truth)

    results = {"render_images_per_s": round(render_rate, 1), "render_with_captions_images_per_s": round(caption_rate, 1),
               "batch_size": batch, "probe": {k: round(v, 5) for k, v in errors.items()}, "probe_eval_images": n}
    flat = {"render_images_per_s": results["render_images_per_s"], **{f"probe.{k}": v for k, v in results["probe"].items()}}
    rows = []
    for key, value in flat.items():
        op, bar = BARS[key]
        ok = value >= bar if op == ">=" else value <= bar
        rows.append((key, value, f"{op} {bar}", "PASS" if ok else "FAIL"))
    results["bars_met"] = all(r[3] == "PASS" for r in rows)
    print_table(rows, ("metric", "value", "bar", ""))
    print(f"(render with captions: {caption_rate:.0f} images/s)")
    write_results("world", results)
    return results


if __name__ == "__main__":
    main()
