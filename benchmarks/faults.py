"""Faults benchmark: the catalogue of bad inputs, process-level faults (Ctrl-C, kill -9, two runs on a folder,
a would-be hang) and the safe unpickler under fuzzing, counted by outcome.

    python -m benchmarks.faults [--quick]

Targets: traceback, crash, hang and half_written all 0; the unpickler survives ≥ 10,000 fuzz cases (full run).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchmarks._report import parse_args, print_table, write_results

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path[:0] = [str(TESTS), str(TESTS / "runs")]  # a site-packages 'tests' may shadow ours
import fault_catalogue as catalogue  # noqa: E402
import test_run_faults as process_faults  # noqa: E402

FUZZ_CASES = {"quick": 2_000, "full": 10_000}
ZERO_TARGETS = ("traceback", "crash", "hang", "half_written")


def _catalogue() -> tuple[Counter, list[dict]]:
    counts, bad = Counter(), []
    for case in catalogue.cases():
        with tempfile.TemporaryDirectory() as tmp:
            kind, detail = catalogue.outcome(case, Path(tmp))
        counts[kind] += 1
        if kind != "clear_error":
            bad.append({"case": case.id, "outcome": kind, "detail": detail[:300]})
    return counts, bad


def _process_scenarios(quick: bool) -> dict[str, str]:
    """Each scenario of tests/runs/test_run_faults.py: 'ok', or what went wrong."""
    out: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        whole = root / "whole"
        done = process_faults._finish(process_faults.ARGS, whole)
        scenarios = {"ctrl_c_mid_run_resumes_identically": lambda p: process_faults.test_ctrl_c_mid_run_keeps_the_best_and_resumes_to_the_same_result(p, whole),
                     "ctrl_c_before_first_generation": process_faults.test_ctrl_c_before_the_first_generation_leaves_nothing,
                     "kill_9_resumes_identically": lambda p: process_faults.test_kill_9_never_leaves_half_written_files_and_the_run_resumes_to_the_same_result(p, whole),
                     "kill_9_while_writing": process_faults.test_kill_9_while_outputs_are_written_leaves_no_false_manifest,
                     "second_run_refused": process_faults.test_a_second_run_on_the_same_folder_is_refused_with_the_holder}
        if quick:
            scenarios = {k: v for k, v in scenarios.items() if k in ("ctrl_c_mid_run_resumes_identically", "second_run_refused")}
        for i, (name, scenario) in enumerate(scenarios.items()):
            folder = root / f"s{i}"
            folder.mkdir()
            try:
                if done.returncode:
                    raise AssertionError(f"the uninterrupted run failed: {done.stderr[-300:]}")
                scenario(folder)
                out[name] = "ok"
            except Exception as error:  # noqa: BLE001 - reported
                out[name] = f"{type(error).__name__}: {str(error)[:300]}"
    return out


def _would_hang() -> str:
    """`latentlab sample --truncation 1e-9` used to loop forever in rejection sampling."""
    with tempfile.TemporaryDirectory() as tmp:
        try:
            done = subprocess.run([sys.executable, "-m", "latentlab.cli", "sample", "--truncation", "1e-9", "-n", "4", "--class",
                                   "star", "--out", str(Path(tmp) / "s.png")], capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired:
            return "hang"
        return "ok" if done.returncode == 0 else f"exit {done.returncode}: {done.stderr[-200:]}"


def main() -> dict:
    args = parse_args(__doc__)
    mode = "quick" if args.quick else "full"
    start = time.perf_counter()
    counts, bad = _catalogue()
    catalogue_s = time.perf_counter() - start

    start = time.perf_counter()
    scenarios = _process_scenarios(args.quick)
    hang = _would_hang()
    process_s = time.perf_counter() - start

    from latentlab.zoo.pickle_fuzz import run_cases

    start = time.perf_counter()
    fuzz = run_cases(FUZZ_CASES[mode], seed=0)
    fuzz_s = time.perf_counter() - start

    failed_scenarios = [k for k, v in scenarios.items() if v != "ok"]
    results = {
        "tried": sum(counts.values()) + len(scenarios) + 1,
        "clear_error": counts["clear_error"],
        "unclear_error": counts["unclear_error"] + counts["wrong_error"],
        "accepted": counts["accepted"],
        "traceback": counts["traceback"],
        "crash": int(fuzz.get("crash", 0)),
        "hang": counts["hang"] + (hang == "hang") + int(fuzz.get("hang", 0)),
        "half_written": counts["half_written"] + len(failed_scenarios),
        "catalogue_cases": sum(counts.values()),
        "not_clear": bad,
        "process_scenarios": scenarios,
        "truncation_1e-9": hang,
        "unpickler_fuzz": {k: v for k, v in fuzz.items() if k != "examples"} | {"examples": fuzz.get("examples", [])[:5]},
        "unpickler_fuzz_cases": int(fuzz.get("tried", 0)),
        "seconds": {"catalogue": round(catalogue_s, 1), "process": round(process_s, 1), "fuzz": round(fuzz_s, 1)},
        "mode": mode,
    }
    rows = [(k, results[k], "0" if k in ZERO_TARGETS else "", ("PASS" if results[k] == 0 else "FAIL") if k in ZERO_TARGETS else "")
            for k in ("tried", "clear_error", "unclear_error", "accepted", "traceback", "crash", "hang", "half_written")]
    rows.append(("unpickler fuzz cases (crash / ran code / other error)", results["unpickler_fuzz_cases"],
                 f"≥ {FUZZ_CASES['full']:,} full", f"{fuzz.get('crash', 0)} / {fuzz.get('ran_code', 0)} / {fuzz.get('other_error', 0)}"))
    print_table(rows, ("count", "value", "target", ""))
    for name, verdict in scenarios.items():
        print(f"  {name}: {verdict}")
    for item in bad:
        print(f"  not clear: {item['case']} ({item['outcome']}): {item['detail'][:160]}")
    results["bars_met"] = all(results[k] == 0 for k in ZERO_TARGETS) and not bad and (
        args.quick or results["unpickler_fuzz_cases"] >= FUZZ_CASES["full"]) and fuzz.get("ran_code", 0) == 0
    write_results("faults", results)
    return results


if __name__ == "__main__":
    main()
