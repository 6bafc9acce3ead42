"""The ``latentlab`` command: a thin layer over the public API.

    latentlab sample --model shapes-biggan --class star --truncation 0.5 -n 16 --seed 0 --out grid.png
    latentlab models [--wide]
    latentlab train shapes-biggan --out runs/shapes-biggan [--install]
    latentlab evolve "a red star in the top left" --optimizer ga --generations 50 --out run/
    latentlab paint --model shapes-biggan --seed 3 --mask-rect 8 8 40 40 --text "a blue star" --out edit/
    latentlab invert me.png --model shapes-stylegan --space w+ --steps 200 --out me/
    latentlab edit me/ --direction sefa:0 --amount 1.5 --layers coarse [--paint-rect 8 8 40 40 --text "a blue star"]
    latentlab --version

The parser (:mod:`latentlab.cli.parser`) needs only the standard library; each command's module, and with it torch
and the models, is imported when that command runs.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from collections.abc import Callable

from latentlab.cli.parser import build_parser

__all__ = ["build_parser", "main"]

#: commands whose result is the list of files they wrote
WRITERS = ("sample", "evolve", "paint", "invert", "edit")


def command_function(args: argparse.Namespace) -> Callable[[argparse.Namespace], object]:
    """The function that runs ``args.command`` (named ``module:function`` under :mod:`latentlab.cli`)."""
    module, _, name = args.run.partition(":")
    return getattr(importlib.import_module(f"latentlab.cli.{module}"), name)


def _clean_errors() -> tuple[type[BaseException], ...]:
    """Errors that are the user's input or environment, printed as a message: latentlab's own, bad values,
    missing or unreadable files, refused pickles and damaged safetensors files."""
    import pickle

    from latentlab.errors import LatentlabError

    errors: list[type[BaseException]] = [LatentlabError, ValueError, OSError, pickle.UnpicklingError]
    try:
        from safetensors import SafetensorError

        errors.append(SafetensorError)
    except ImportError:  # pragma: no cover - older safetensors
        pass
    return tuple(errors)


def _die_interrupted() -> None:
    """End the process as an uncaught Ctrl-C does: killed by SIGINT, which a shell reads as status 130 and a
    calling script as an interruption. Python's own exit status after a caught Ctrl-C depends on where the signal
    landed, so the program path never relies on it; stdio is flushed first."""
    sys.stdout.flush()
    sys.stderr.flush()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGINT)


def _run(args: argparse.Namespace):
    if getattr(args, "device", None) is not None:
        from latentlab.cli.devices import check_device_arg

        check_device_arg(args.device)  # an absent or misspelt device is refused before any work
    return command_function(args)(args)


def main(argv: list[str] | None = None) -> int:
    """Run one command. As a program (``argv`` None) a Ctrl-C ends the process by SIGINT after its message;
    called with ``argv`` it returns 130 instead."""
    program = argv is None
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    args = build_parser().parse_args([a for a in argv if a != "--debug"])
    try:
        result = _run(args)
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"latentlab {args.command}: interrupted before anything was finished; nothing was written "
              f"(a run folder keeps what an earlier generation saved)", file=sys.stderr)
        if program:
            _die_interrupted()
        return 130
    except _clean_errors() as error:  # bad input, missing files, offline downloads, damaged files
        if debug:
            raise
        print(f"latentlab {args.command}: error: {error}", file=sys.stderr)
        return 2
    except Exception as error:
        if debug:
            raise
        print(f"latentlab {args.command}: internal error ({type(error).__name__}: {error}); "
              f"run again with --debug to see where", file=sys.stderr)
        return 1
    if args.command in WRITERS:
        for path in result:
            print(f"wrote {path}")
    return 0
