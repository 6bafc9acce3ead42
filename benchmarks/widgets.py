"""Widget latency benchmark: from a slider change to new image bytes in the callback, at 64×64.

    python -m benchmarks.widgets [--quick] [--browser]

Each explorer's slider widget is moved to a new value (as a browser would set it); the time
until the explorer's ``ipywidgets.Image`` holds new bytes is one sample. Between samples the
throttle is flushed, so every sample is a first move after a pause (the case a user feels);
the settle-time PNG is not counted. ``slider_latency_ms`` pools the explorers.

``--browser`` also runs the browser test (``tests/browser/``: JupyterLab in headless Chromium;
needs ``chromium`` and the ``browser`` extra) and records ``browser_end_to_end_ms``: from the start
of a mouse drag of the LatentWalk's slider handle by one step until the browser displays the new
image, in JupyterLab (11 moves; the drag itself takes a few mouse events).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def browser_latency() -> dict:
    """Run the JupyterLab browser test and collect its slider → displayed-image times (ms)."""
    with tempfile.TemporaryDirectory() as folder:
        record = Path(folder) / "latency.json"
        env = {**os.environ, "LATENTLAB_BROWSER_LATENCY_OUT": str(record), "LATENTLAB_REQUIRE_BROWSER": "1"}
        test = "tests/browser/test_jupyterlab.py::test_latent_walk_renders_and_the_slider_changes_the_image[jupyterlab]"
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test], env=env,
                              capture_output=True, text=True)
        if done.returncode != 0 or not record.exists():
            raise RuntimeError(f"the browser test failed (exit {done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
        return percentiles(json.loads(record.read_text())["slider_to_displayed_image_ms"])


def main() -> dict:
    args = parse_args(__doc__, extra=[("--browser", "also measure end to end in JupyterLab + headless Chromium")])
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
    if args.browser:
        results["browser_end_to_end_ms"] = browser_latency()
        b = results["browser_end_to_end_ms"]
        print(f"browser, slider drag → new image displayed: p50 {b['p50']} ms, p95 {b['p95']} ms ({b['n']} moves)")
    write_results("widgets", results)
    return results


if __name__ == "__main__":
    main()
