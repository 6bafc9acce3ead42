"""CLI start-up benchmark: wall time of `latentlab --help` and of each subcommand's `--help`, against `python -c pass`.

    python -m benchmarks.cli [--quick]

Each command runs in a fresh process, N times after one untimed warm-up (N = 10, --quick 3); the figures are medians.
Targets: `latentlab --help` ≤ 1 s on 2 CPU cores, and ≤ 3 × `python -c pass` (help_ratio_to_python).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks._report import machine, parse_args, print_table, write_results

RUNS = {"quick": 3, "full": 10}
TARGET_RATIO = 3.0
TARGET_HELP_S = 1.0


def latentlab_command() -> list[str]:
    """The venv's ``latentlab`` console script, else ``python -m latentlab.cli``."""
    script = Path(sys.executable).parent / "latentlab"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "latentlab.cli"]


def median_seconds(argv: list[str], runs: int) -> tuple[float, float]:
    """(median, fastest) wall time of running ``argv`` to completion, over ``runs`` runs after one warm-up."""
    times = []
    for i in range(runs + 1):
        start = time.perf_counter()
        done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=300)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} exited with {done.returncode}: {done.stderr[-500:]}")
        if i:
            times.append(elapsed)
    return statistics.median(times), min(times)


def main() -> None:
    args = parse_args(__doc__)
    from latentlab.cli.parser import SUBCOMMANDS

    runs = RUNS["quick" if args.quick else "full"]
    load_before = os.getloadavg()
    command = latentlab_command()
    python_s, python_min = median_seconds([sys.executable, "-c", "pass"], runs)
    help_s, help_min = median_seconds([*command, "--help"], runs)
    subcommands = {name: median_seconds([*command, name, "--help"], runs) for name in SUBCOMMANDS}
    load_after = os.getloadavg()

    rows = [("python -c pass", f"{python_s:.3f}", f"{python_min:.3f}", "1.00"),
            ("latentlab --help", f"{help_s:.3f}", f"{help_min:.3f}", f"{help_s / python_s:.2f}")]
    rows += [(f"latentlab {name} --help", f"{median:.3f}", f"{fastest:.3f}", f"{median / python_s:.2f}")
             for name, (median, fastest) in subcommands.items()]
    print_table(rows, ("command", "median s", "fastest s", "× python"))
    ratio = help_s / python_s
    print(f"\nhelp_ratio_to_python {ratio:.2f} (target ≤ {TARGET_RATIO:g}); latentlab --help {help_s:.3f} s "
          f"(target ≤ {TARGET_HELP_S:g} s); load average {load_before[0]:.2f} → {load_after[0]:.2f} on "
          f"{os.cpu_count()} CPUs")
    write_results("cli", {
        "help_ratio_to_python": round(ratio, 3),
        "python_pass_s": round(python_s, 4),
        "help_s": round(help_s, 4),
        "subcommand_help_s": {name: round(median, 4) for name, (median, _) in subcommands.items()},
        "targets": {"help_ratio_to_python": TARGET_RATIO, "help_s": TARGET_HELP_S},
        "runs": runs, "quick": args.quick, "command": " ".join(command),
        "machine": {**machine(), "cpus": os.cpu_count(),
                    "load_average_before": [round(v, 2) for v in load_before],
                    "load_average_after": [round(v, 2) for v in load_after]},
    })


if __name__ == "__main__":
    main()
