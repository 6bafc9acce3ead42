"""The distribution: a wheel of at most 20 MB that carries the weights and what typing needs, and lean requirements."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]
MAX_WHEEL_BYTES = 20 * 1024 * 1024


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(out)], check=True, cwd=tmp_path_factory.mktemp("build-cwd"))
    (path,) = out.glob("latentlab_kit-*.whl")
    return path


def test_wheel_is_at_most_20_mb(wheel: Path):
    assert wheel.stat().st_size <= MAX_WHEEL_BYTES, f"{wheel.name}: {wheel.stat().st_size / 2**20:.1f} MB"


def test_wheel_carries_weights_configs_and_py_typed_but_no_notebooks_or_tests(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    for model in ("shapes-biggan", "shapes-stylegan", "shapes-probe", "shapes-clip"):
        assert f"latentlab/zoo/weights/{model}.safetensors" in names
    assert "latentlab/zoo/weights/manifest.json" in names
    assert "latentlab/zoo/model_configs/shapes-clip.json" in names
    assert "latentlab/py.typed" in names
    assert not [n for n in names if n.startswith(("notebooks/", "tests/", "benchmarks/"))]


def test_wheel_metadata_names_the_distribution_and_leaves_test_tools_to_extras(wheel: Path):
    import latentlab

    assert wheel.name.startswith(f"latentlab_kit-{latentlab.__version__}-")
    (meta_name,) = [n for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".dist-info/METADATA")]
    meta = Parser().parsestr(zipfile.ZipFile(wheel).read(meta_name).decode())
    assert meta["Name"] == "latentlab-kit"
    runtime = [r for r in meta.get_all("Requires-Dist") if "extra ==" not in r]
    assert not [r for r in runtime if r.split(">")[0].split("=")[0].strip().lower() in {"nbval", "pytest", "jupyterlab"}]
    extras = meta.get_all("Provides-Extra")
    assert {"notebooks", "dev", "browser", "video"} <= set(extras)
    assert any(c.startswith("Programming Language :: Python :: 3.") for c in meta.get_all("Classifier"))


def test_runtime_requirements_have_no_upper_caps():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    capped = [r for r in project["dependencies"] if "<" in r]
    assert not capped, f"runtime requirements with an upper cap force downgrades: {capped}"


def test_version_is_the_one_the_course_installs():
    import importlib.metadata

    import latentlab

    sys.path.insert(0, str(ROOT / "notebooks" / "build"))
    from course import INSTALL

    assert latentlab.__version__ == importlib.metadata.version("latentlab-kit")
    assert f"@v{latentlab.__version__}\"" in INSTALL
