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
    assert main(["sample", "--model", "shapes-biggan", "--class", "star", "--truncation", "0.5", "-n", "16", "--seed", "0", "--out", str(out)]) == 0
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
    result = subprocess.run([str(BIN), "models"], capture_output=True, text=True, env={**os.environ}, timeout=120)
    assert result.returncode == 0
    assert "shapes-biggan" in result.stdout and "shapes-probe" in result.stdout and "MIT" in result.stdout


def test_train_rejects_models_without_recipe(capsys):
    assert main(["train", "biggan-deep-128", "--out", "unused"]) == 2
    assert "no training recipe" in capsys.readouterr().err
