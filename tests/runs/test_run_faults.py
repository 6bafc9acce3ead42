"""Process-level faults: Ctrl-C and kill -9 at chosen points of a CLI run, and two runs on one folder.

Each checks that nothing is half-written (no temporary files survive the next start; a manifest,
when there, vouches for every output) and that the run, resumed, ends where an uninterrupted one ends.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from safetensors import safe_open

from latentlab.runs.manifest import read_manifest

ARGS = ["evolve", "a red star", "--optimizer", "ga", "--population", "8", "--generations", "6", "--seed", "3"]
SLOW_ARGS = ["evolve", "a red star", "--optimizer", "ga", "--population", "512", "--generations", "3", "--seed", "3"]
TIMEOUT = 240


def _start(args: list[str], out: Path) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen([sys.executable, "-m", "latentlab.cli", *args, "--out", str(out)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def _generations(state: Path) -> int:
    try:
        with safe_open(str(state), framework="pt") as handle:
            return len(json.loads(handle.metadata()["history"]))
    except Exception:  # not there yet, or being replaced
        return 0


def _wait_for(condition, timeout: float = TIMEOUT) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("the run did not reach the point to interrupt")
        time.sleep(0.02)


def _finish(args: list[str], out: Path) -> subprocess.CompletedProcess:
    process = _start(args, out)
    stdout, stderr = process.communicate(timeout=TIMEOUT)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _assert_consistent(out: Path) -> None:
    """Outputs are either vouched for by the manifest or not claimed at all (the temporary files a kill may leave
    are removed by the next run, which the kill-and-resume test checks)."""
    if (out / "manifest.json").exists():
        assert read_manifest(out) is not None, f"the manifest of {out} names a file that is not what it vouches for"


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("whole") / "run"
    done = _finish(ARGS, out)
    assert done.returncode == 0, done.stderr
    return out


def _same_result(a: Path, b: Path) -> None:
    ha, hb = json.loads((a / "history.json").read_text()), json.loads((b / "history.json").read_text())
    assert ha["history"] == hb["history"] and ha["best_fitness"] == hb["best_fitness"]
    assert (a / "best.png").read_bytes() == (b / "best.png").read_bytes()
    assert (a / "grid.png").read_bytes() == (b / "grid.png").read_bytes()


def test_ctrl_c_mid_run_keeps_the_best_and_resumes_to_the_same_result(tmp_path, uninterrupted):
    out = tmp_path / "run"
    process = _start(ARGS, out)
    _wait_for(lambda: _generations(out / "state.safetensors") >= 2)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0, stderr
    assert "interrupted; run the same command again to resume" in stdout
    record = read_manifest(out)
    assert record is not None and record["interrupted"] and 2 <= record["generation"] < 6
    resumed = _finish(ARGS, out)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming generation {record['generation'] + 1} of 6" in resumed.stdout + resumed.stderr
    _same_result(out, uninterrupted)


def test_ctrl_c_before_the_first_generation_leaves_nothing(tmp_path):
    out = tmp_path / "run"
    process = _start(SLOW_ARGS, out)
    _wait_for(lambda: (out / ".latentlab.lock").exists())  # inside the run, before the first generation is saved
    time.sleep(0.3)
    assert not (out / "state.safetensors").exists(), "the first generation finished too fast to interrupt it"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=TIMEOUT)
    assert process.returncode == -signal.SIGINT, stderr  # killed by SIGINT after its message: 130 in a shell
    assert "nothing was written" in stderr and "Traceback" not in stderr
    assert not out.exists(), sorted(p.name for p in out.iterdir())


def test_kill_9_never_leaves_half_written_files_and_the_run_resumes_to_the_same_result(tmp_path, uninterrupted):
    out = tmp_path / "run"
    for generations_before_kill in (1, 3):
        process = _start(ARGS, out)
        _wait_for(lambda n=generations_before_kill: _generations(out / "state.safetensors") >= n)
        process.kill()
        process.wait(timeout=TIMEOUT)
        _assert_consistent(out)
    (out / ".state.safetensors.k9x2ab_q.tmp").write_bytes(b"half a file")  # what a kill mid-write leaves
    resumed = _finish(ARGS, out)
    assert resumed.returncode == 0, resumed.stderr
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")], "a stale temporary file survived the restart"
    assert read_manifest(out)["generation"] == 6
    _same_result(out, uninterrupted)


def test_kill_9_while_outputs_are_written_leaves_no_false_manifest(tmp_path):
    """Kills at many moments of a short run: whatever survives, a manifest never vouches for a wrong file."""
    out = tmp_path / "run"
    first = _finish([*ARGS[:-4], "--generations", "2", "--seed", "3"], out)
    assert first.returncode == 0, first.stderr
    longer = [*ARGS[:-4], "--generations", "3", "--seed", "3"]  # one more generation, then its outputs rewritten
    for delay in (0.5, 1.0, 2.0, 3.0, 4.0):
        process = _start(longer, out)
        time.sleep(delay)
        process.kill()
        process.wait(timeout=TIMEOUT)
        _assert_consistent(out)


def test_a_second_run_on_the_same_folder_is_refused_with_the_holder(tmp_path):
    out = tmp_path / "run"
    first = _start(SLOW_ARGS, out)
    try:
        _wait_for(lambda: (out / ".latentlab.lock").exists() and (out / ".latentlab.lock").read_text())
        second = _finish(ARGS, out)
        assert second.returncode == 2, second.stderr
        assert f"is in use by another latentlab run (PID {first.pid}, started" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        first.kill()
        first.wait(timeout=TIMEOUT)
    after = _finish(["evolve", "a red star", "--optimizer", "ga", "--population", "8", "--generations", "1"], tmp_path / "other")
    assert after.returncode == 0, after.stderr  # the killed holder's lock died with it
    retaken = _finish([*SLOW_ARGS[:-4], "--generations", "1", "--seed", "3"], out)
    assert retaken.returncode == 0, retaken.stderr
