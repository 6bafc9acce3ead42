"""Widget latency benchmark: from a slider change to new image bytes in the callback, at 64×64.

    python -m benchmarks.widgets [--quick]

Each explorer's slider widget is moved to a new value (as a browser would set it); the time
until the explorer's ``ipywidgets.Image`` holds new bytes is one sample. Between samples the
throttle is flushed, so every sample is a first move after a pause (the case a user feels);
the settle-time PNG is not counted. ``slider_latency_ms`` pools the explorers. The end-to-end
time in a real browser is measured by ``tests/browser/test_jupyterlab.py`` (it prints it).
"""

from __future__ import annotations

import time

import torch

from benchmarks._report import parse_args, print_table, write_results
from latentlab.assessors import Brightness
from latentlab.methods.directions import Direction
from latentlab.widgets import ClassMixer, DirectionExplorer, LatentWalk
from latentlab.zoo import load_generator


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]  # noqa: E731
    return {"p50": round(pick(0.5), 2), "p95": round(pick(0.95), 2), "max": round(ordered[-1], 2), "n": len(ordered)}


def time_slider(slider, image, values: list, flush) -> list[float]:
    """Milliseconds from setting ``slider.value`` to new bytes in ``image``, once per value."""
    samples = []
    for value in values:
        before = image.value
        start = time.perf_counter()
        slider.value = value
        if image.value == before:
            raise RuntimeError(f"moving the slider to {value!r} did not change the image")
        samples.append((time.perf_counter() - start) * 1000)
        flush()  # settle (PNG) outside the timed part
    return samples


def main() -> dict:
    args = parse_args(__doc__)
    n = 20 if args.quick else 60
    generator = load_generator("shapes-biggan")
    walk = LatentWalk(generator, 0, 1, steps=16, classes="star")
    mixer = ClassMixer(generator, "circle", "square", rows=4, steps=8)
    direction = torch.zeros(generator.latent_dim)
    direction[:24] = 1.0
    explorer = DirectionExplorer(generator, {"stem": Direction(direction, "stem")}, assessors={"brightness": Brightness()},
                                 t_range=(-2, 2), rows=4, steps=5)
    cases = {
        "LatentWalk": (walk.position, walk.image, [i % 16 for i in range(1, n + 1)], walk.flush),
        "ClassMixer": (mixer.t, mixer.mix, [round((i % 20) / 20 + 0.05, 2) for i in range(n)], mixer.flush),
        "DirectionExplorer": (explorer.t, explorer.view, [round(-2 + (i % 40) * 0.1 + 0.05, 2) for i in range(n)], explorer.flush),
    }
    results, pooled = {"quick": args.quick, "resolution": 64, "explorers": {}}, []
    for name, (slider, image, values, flush) in cases.items():
        samples = time_slider(slider, image, values, flush)
        results["explorers"][name] = percentiles(samples)
        pooled += samples
    results["slider_latency_ms"] = percentiles(pooled)
    rows = [(name, r["p50"], r["p95"], r["max"]) for name, r in results["explorers"].items()]
    rows.append(("all (slider_latency_ms)", results["slider_latency_ms"]["p50"], results["slider_latency_ms"]["p95"],
                 results["slider_latency_ms"]["max"]))
    print_table(rows, ("explorer", "p50 ms", "p95 ms", "max ms"))
    ok = results["slider_latency_ms"]["p95"] <= 50
    print(f"\nbar: slider_latency_ms.p95 <= 50 ms: {'PASS' if ok else 'FAIL'}")
    results["bars_met"] = ok
    write_results("widgets", results)
    return results


if __name__ == "__main__":
    main()
