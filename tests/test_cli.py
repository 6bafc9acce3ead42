import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from latentlab.cli import main

BIN = Path(sys.executable).parent / "latentlab"


def test_sample_writes_the_requested_grid(tmp_path, capsys):
    out = tmp_path / "grid.png"
    assert main(["sample", "--model", "shapes-biggan", "--class", "star", "--truncation", "0.5", "-n", "16", "--seed", "0", "--device", "cpu", "--out", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    assert Image.open(out).size[0] > 128


def test_sample_to_a_folder_writes_one_grid_per_class(tmp_path):
    assert main(["sample", "-n", "4", "--out", str(tmp_path / "s")]) == 0
    names = sorted(p.name for p in (tmp_path / "s").iterdir())
    assert names == sorted(["circle.png", "square.png", "triangle.png", "star.png", "heart.png", "mixed.png"])


@pytest.mark.parametrize(
    "args, message",
    [(["--model", "shapes-bigan"], "Did you mean 'shapes-biggan'"), (["--class", "stra"], "Did you mean 'star'"),
     (["--truncation", "0"], "truncation"), (["--truncation", "nan"], "truncation"), (["-n", "0"], "positive integer")],
)
def test_sample_bad_input_exits_2_with_a_clear_message(tmp_path, capsys, args, message):
    assert main(["sample", *args, "--out", str(tmp_path / "x.png")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_console_script_lists_models():
    result = subprocess.run([str(BIN), "models", "--wide"], capture_output=True, text=True, env={**os.environ}, timeout=120)
    assert result.returncode == 0
    assert "shapes-biggan" in result.stdout and "shapes-probe" in result.stdout and "MIT" in result.stdout


def test_train_rejects_models_without_recipe(capsys):
    assert main(["train", "biggan-deep-128", "--out", "unused"]) == 2
    assert "no training recipe" in capsys.readouterr().err


def test_evolve_writes_grid_best_plot_and_a_resumable_state(tmp_path, capsys):
    import json

    out = tmp_path / "run"
    args = ["evolve", "a red star in the top left", "--optimizer", "ga", "--population", "8", "--out", str(out)]
    assert main(args + ["--generations", "2"]) == 0
    for name in ("grid.png", "best.png", "fitness.png", "history.json", "state.safetensors"):
        assert (out / name).exists(), name
    assert "best fitness" in capsys.readouterr().out
    assert main(args + ["--generations", "3"]) == 0  # same command, more generations: resumes
    history = json.loads((out / "history.json").read_text())["history"]
    assert [h["generation"] for h in history] == [1, 2, 3]
    assert not list(out.glob("*.tmp*"))


@pytest.mark.parametrize("args, message", [(["--optimizer", "gaa"], "Did you mean 'ga'"), (["--generations", "0"], "positive"),
                                           (["--clip", "shapes-clipp"], "Did you mean 'shapes-clip'")])
def test_evolve_bad_arguments_fail_clearly(tmp_path, capsys, args, message):
    assert main(["evolve", "a star", "--out", str(tmp_path / "r"), *args]) == 2
    assert message in capsys.readouterr().err


# --- --device ------------------------------------------------------------------------------------
MODEL_COMMANDS = {"sample": ["sample"], "train": ["train", "shapes-biggan"], "evolve": ["evolve", "a red star"],
                  "paint": ["paint", "--mask-rect", "8", "8", "40", "40", "--text", "a blue star"],
                  "invert": ["invert", "picture.png"], "edit": ["edit", "folder"]}


def _one_error_line(capsys, command: str) -> str:
    err = capsys.readouterr().err
    assert err.startswith(f"latentlab {command}: error: ") and "Traceback" not in err
    assert err.count("\n") == 1, err
    return err


@pytest.mark.parametrize("command", MODEL_COMMANDS)
def test_every_model_command_refuses_an_absent_cuda_before_any_work(tmp_path, capsys, monkeypatch, command):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    out = tmp_path / "out"
    assert main([*MODEL_COMMANDS[command], "--device", "cuda", "--out", str(out)]) == 2
    err = _one_error_line(capsys, command)
    assert "device 'cuda' is not available on this machine (torch.cuda.is_available() is False); use 'cpu'" in err
    assert not out.exists()


@pytest.mark.parametrize("command", MODEL_COMMANDS)
def test_every_model_command_names_the_accepted_device_forms(tmp_path, capsys, command):
    out = tmp_path / "out"
    assert main([*MODEL_COMMANDS[command], "--device", "gpu", "--out", str(out)]) == 2
    err = _one_error_line(capsys, command)
    assert "unknown device 'gpu'" in err and "cpu, cuda, cuda:N, mps" in err and "Did you mean 'cuda'?" in err
    assert not out.exists()


def test_a_gpu_index_past_the_last_gpu_is_refused(tmp_path, capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert main(["sample", "--device", "cuda:1", "--out", str(tmp_path / "x.png")]) == 2
    err = _one_error_line(capsys, "sample")
    assert "device 'cuda:1' is not available on this machine: it has 1 CUDA device (cuda:0..cuda:0); use 'cpu', 'cuda', 'cuda:0'" in err


def test_an_absent_mps_is_refused(tmp_path, capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert main(["sample", "--device", "mps", "--out", str(tmp_path / "x.png")]) == 2
    assert "device 'mps' is not available on this machine (torch.backends.mps.is_available() is False)" in _one_error_line(capsys, "sample")


@pytest.mark.parametrize("device, hint", [("CUDA", "'cuda'"), ("cuda1", "'cuda:1'"), ("Cpu", "'cpu'"), ("tpu", None)])
def test_misspelt_devices_suggest_the_spelling_meant(tmp_path, capsys, device, hint):
    assert main(["sample", "--device", device, "--out", str(tmp_path / "x.png")]) == 2
    err = _one_error_line(capsys, "sample")
    assert f"unknown device {device!r}" in err
    assert (f"Did you mean {hint}?" in err) if hint else "Did you mean" not in err
