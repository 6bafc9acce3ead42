"""Shared helpers of the benchmark suites: arguments, timing, tables and JSON results."""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable
from pathlib import Path

import torch

from latentlab.images import atomic_write_bytes

RESULTS = Path(__file__).parent / "results"


def parse_args(description: str, extra: list[tuple[str, str]] = ()) -> argparse.Namespace:
    """``--quick`` and ``--threads``, plus any ``extra`` (flag, help) switches."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="smaller sample sizes; finishes in a few minutes")
    for flag, text in extra:
        parser.add_argument(flag, action="store_true", help=text)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu", help="torch device for the suites that time models (cpu, cuda, …)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    return args


def best_rate(work: Callable[[], int], repeats: int = 5, warmup: int = 1) -> float:
    """Items per second of ``work`` (which returns how many items it made), best of ``repeats``."""
    for _ in range(warmup):
        work()
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        items = work()
        rates.append(items / (time.perf_counter() - start))
    return max(rates)


def print_table(rows: list[tuple], header: tuple) -> None:
    cells = [tuple(str(c) for c in header)] + [tuple(str(c) for c in r) for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for i, row in enumerate(cells):
        print("  ".join(c.rjust(w) for c, w in zip(row, widths)))
        if i == 0:
            print("  ".join("-" * w for w in widths))


def machine(device: str = "cpu") -> dict:
    """What the figures were measured on; ``device`` adds the accelerator's name."""
    info = {"python": platform.python_version(), "torch": torch.__version__, "threads": torch.get_num_threads(),
            "processor": platform.machine()}
    if torch.device(device).type == "cuda":
        info["accelerator"] = torch.cuda.get_device_name(torch.device(device))
    return info


def synchronize(device: str | torch.device) -> None:
    """Wait for queued accelerator work, so wall-clock timings include it."""
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def write_results(suite: str, results: dict) -> Path:
    results = {**results, "machine": results.get("machine") or machine()}
    path = RESULTS / f"{suite}.json"
    atomic_write_bytes(path, (json.dumps(results, indent=2) + "\n").encode())
    print(f"\nwrote {path}")
    return path
