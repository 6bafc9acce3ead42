"""`latentlab --help`, `--version` and the help of each subcommand: quick, without torch, showing choices and defaults."""

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import pytest

import latentlab
from latentlab.cli import main
from latentlab.cli.parser import DISTRIBUTIONS, OPTIMIZER_NAMES, SPACE_NAMES, SUBCOMMANDS, installed_version

PACKAGE = Path(latentlab.__file__).parent
HEAVY = ("torch", "cma", "ipywidgets", "matplotlib", "open_clip")

# Builds the parser and prints every help and the version, then reports which heavy modules were imported.
# With STUB, the latentlab package's own __init__ is skipped, so only latentlab.cli's imports count.
PROBE = """
import contextlib, io, json, sys, types
if {stub}:
    package = types.ModuleType("latentlab")
    package.__path__ = [{package!r}]
    sys.modules["latentlab"] = package
from latentlab.cli import main
for argv in {argvs!r}:
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            main(argv)
        except SystemExit as done:
            assert done.code == 0, (argv, done.code)
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""
ARGVS = [["--help"], ["--version"], *([name, "--help"] for name in SUBCOMMANDS)]


def _heavy_modules_imported(stub: bool) -> list[str]:
    code = PROBE.format(stub=stub, package=str(PACKAGE), argvs=ARGVS, heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_cli_itself_imports_no_heavy_module_for_help_and_version():
    assert _heavy_modules_imported(stub=True) == []


def test_help_through_the_package_imports_no_heavy_module():
    assert _heavy_modules_imported(stub=False) == []


def test_python_m_latentlab_cli_help_lists_every_command_and_the_version_flag():
    done = subprocess.run([sys.executable, "-m", "latentlab.cli", "--help"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "--version" in done.stdout and all(name in done.stdout for name in SUBCOMMANDS)


# --- --version -----------------------------------------------------------------------------------
def _version_line(capsys) -> str:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    return capsys.readouterr().out.strip()


def test_version_prints_the_installed_distributions_version(capsys):
    installed = []
    for name in DISTRIBUTIONS:
        try:
            installed.append(importlib.metadata.version(name))
        except importlib.metadata.PackageNotFoundError:
            pass
    assert installed, f"latentlab is installed under none of {DISTRIBUTIONS}"
    assert _version_line(capsys) == f"latentlab {installed[0]}"


def test_version_finds_the_renamed_distribution(capsys, monkeypatch):
    def version(name):
        if name == "latentlab-kit":
            return "9.8.7"
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", version)
    assert _version_line(capsys) == "latentlab 9.8.7"


def test_version_falls_back_to_the_package_version_when_no_distribution_is_installed(capsys, monkeypatch):
    def version(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", version)
    monkeypatch.setattr(latentlab, "__version__", "1.2.3", raising=False)
    assert installed_version() == "1.2.3"
    assert _version_line(capsys) == "latentlab 1.2.3"


# --- choices and defaults ------------------------------------------------------------------------
def test_the_clis_names_are_the_librarys_registries():
    from latentlab.optim import OPTIMIZERS
    from latentlab.spaces import SPACES

    assert OPTIMIZER_NAMES == tuple(OPTIMIZERS)
    assert SPACE_NAMES == tuple(SPACES)


def _help(capsys, monkeypatch, command: str) -> str:
    monkeypatch.setenv("COLUMNS", "400")  # one line per option: no wrapping inside names
    with pytest.raises(SystemExit):
        main([command, "--help"])
    return capsys.readouterr().out


@pytest.mark.parametrize("command", ["evolve", "paint"])
def test_help_lists_the_optimizers_and_spaces(capsys, monkeypatch, command):
    text = _help(capsys, monkeypatch, command)
    optimizer = next(line for line in text.splitlines() if line.strip().startswith("--optimizer"))
    space = next(line for line in text.splitlines() if line.strip().startswith("--space"))
    assert ", ".join(OPTIMIZER_NAMES) in optimizer and "(default: cma)" in optimizer
    assert ", ".join(SPACE_NAMES) in space


@pytest.mark.parametrize("command, shown", [
    ("sample", ["--model MODEL generator name or .safetensors path (default: shapes-biggan)", "(default: 16)",
                "--seed SEED seed of the latents (default: 0)", "(default: samples)"]),
    ("evolve", ["(default: 30)", "(default: 32)", "(default: shapes-clip)", "mps (default: cpu)"]),
    ("paint", ["(default: 16)", "(default: 5.0)", "z keeps the class", "(default: z)"]),
    ("invert", ["(default: shapes-stylegan)", "(default: w+)", "(default: 200)", "(default: crop)"]),
    ("edit", ["(default: 20)", "(default: FOLDER/edit)"]),
    ("train", ["(default: 0)", "(default: cpu)"]),
])
def test_help_shows_the_defaults(capsys, monkeypatch, command, shown):
    text = " ".join(_help(capsys, monkeypatch, command).split())
    for part in shown:
        assert part in text, part
    assert "(default: None)" not in text and "(default: False)" not in text


def test_every_model_command_offers_device():
    from latentlab.cli.parser import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    with_device = {name for name, sub in commands.items() if any("--device" in a.option_strings for a in sub._actions)}
    assert with_device == set(SUBCOMMANDS) - {"models"}
