"""The command line's arguments: built from the standard library alone, so ``--help`` and ``--version`` load no model code."""

from __future__ import annotations

import argparse
import sys

#: the names of latentlab.optim.OPTIMIZERS (tests/test_cli_help.py keeps the two equal)
OPTIMIZER_NAMES = ("cma", "ga", "de", "adam", "cma+adam")
#: the names of latentlab.spaces.SPACES (tests/test_cli_help.py keeps the two equal)
SPACE_NAMES = ("z", "z+class", "w", "w+", "stylespace")
#: the spellings --device accepts
DEVICE_FORMS = ("cpu", "cuda", "cuda:N", "mps")
#: distribution names latentlab is installed under, newest first
DISTRIBUTIONS = ("latentlab-kit", "latentlab")


def installed_version() -> str:
    """The installed distribution's version, else ``latentlab.__version__``, else ``"unknown"``."""
    from importlib import metadata

    for name in DISTRIBUTIONS:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    package = sys.modules.get("latentlab")
    return str(getattr(package, "__version__", None) or "unknown")


class _VersionAction(argparse.Action):
    """``--version``: print ``latentlab VERSION`` and exit (the version is looked up only when asked for)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"latentlab {installed_version()}")
        parser.exit()


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, except where there is none (None, off) or the help already says it."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if "default" in text or action.default is None or action.default is False or not action.option_strings:
            return action.help
        return super()._get_help_string(action)


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(names)


def _device(p: argparse.ArgumentParser, what: str = "run the models on") -> None:
    p.add_argument("--device", default="cpu", help=f"torch device to {what}: {_names(DEVICE_FORMS)}")


def _sample(sub) -> None:
    p = sub.add_parser("sample", help="sample images from a generator and save them as grids", formatter_class=HelpFormatter)
    p.add_argument("--model", default="shapes-biggan", help="generator name or .safetensors path")
    p.add_argument("--class", dest="class_name", default=None, help="class name or index (default: one grid per class)")
    p.add_argument("--truncation", type=float, default=None, help="truncation threshold psi > 0 (default: none)")
    p.add_argument("-n", type=int, default=16, help="images per grid")
    p.add_argument("--seed", type=int, default=0, help="seed of the latents")
    p.add_argument("--nrow", type=int, default=8, help="images per grid row")
    _device(p)
    p.add_argument("--out", default="samples", help="a .png/.jpg file, or a folder for one grid per class")
    p.set_defaults(run="generate:sample")


def _models(sub) -> None:
    p = sub.add_parser("models", help="list embedded and known models and what the cache holds", formatter_class=HelpFormatter)
    p.add_argument("--wide", action="store_true", help="add each model's status, source and licence (wider than 100 columns)")
    p.set_defaults(run="models:list_models")


def _train(sub) -> None:
    p = sub.add_parser("train", help="retrain an embedded model with its recipe", formatter_class=HelpFormatter)
    p.add_argument("model", help="embedded model name, e.g. shapes-biggan or shapes-probe")
    p.add_argument("--out", required=True, help="run folder (samples, logs, resumable state)")
    p.add_argument("--steps", type=int, metavar="N", default=None, help="override the recipe's number of steps")
    p.add_argument("--seed", type=int, default=0, help="seed of the training run")
    p.add_argument("--install", action="store_true", help="replace the package's embedded weights with the result")
    _device(p, "train on (GAN recipes)")
    p.add_argument("--restart", action="store_true", help="delete a different training run in --out and start over there")
    p.set_defaults(run="generate:train")


def _evolve(sub) -> None:
    p = sub.add_parser("evolve", help="text-to-image: evolve latents toward a prompt with CLIP as the fitness",
                       formatter_class=HelpFormatter)
    p.add_argument("prompt", help='what the image should show, e.g. "a red star in the top left"')
    p.add_argument("--optimizer", default="cma", metavar="NAME", help=f"search: {_names(OPTIMIZER_NAMES)}")
    p.add_argument("--generations", type=int, metavar="N", default=30, help="generations to run (a saved run counts toward them)")
    p.add_argument("--population", type=int, metavar="N", default=32, help="candidates per generation")
    p.add_argument("--model", default="shapes-biggan", help="generator name or .safetensors path")
    p.add_argument("--clip", default="shapes-clip", help="CLIP model: shapes-clip or an open_clip ARCH/TAG")
    p.add_argument("--class", dest="class_name", default=None, help="fix the class instead of searching it")
    p.add_argument("--space", default=None, metavar="SPACE",
                   help=f"latent space searched: {_names(SPACE_NAMES)} (default: z+class for a conditional model without "
                        f"--class, else z; w, w+ and stylespace need a style-based generator)")
    p.add_argument("--seed", type=int, default=0, help="seed of the search")
    _device(p)
    p.add_argument("--out", required=True, help="run folder: grid.png, best.png, fitness.png, history.json, manifest.json, "
                   "state.safetensors")
    p.add_argument("--restart", action="store_true", help="discard a different run saved in --out and start over there")
    p.set_defaults(run="generate:evolve")


def _paint(sub) -> None:
    p = sub.add_parser("paint", help="paint by word: make a region of a generated image match a text",
                       formatter_class=HelpFormatter)
    p.add_argument("--text", required=True, help='what the region should show, e.g. "a blue star"')
    p.add_argument("--mask-rect", type=int, nargs=4, metavar=("LEFT", "TOP", "RIGHT", "BOTTOM"), default=None,
                   help="the region as a rectangle in pixels (right/bottom exclusive)")
    p.add_argument("--mask", default=None, help="the region as a black-and-white image file (white = paint)")
    p.add_argument("--model", default="shapes-biggan", help="generator name or .safetensors path")
    p.add_argument("--seed", type=int, default=0, help="seed of the image to edit (and of the search)")
    p.add_argument("--class", dest="class_name", default=None, help="class of the image to edit (default: drawn from --seed)")
    p.add_argument("--truncation", type=float, default=None, help="truncation of the image's latent (default: none)")
    p.add_argument("--optimizer", default="cma", metavar="NAME", help=f"search: {_names(OPTIMIZER_NAMES)}")
    p.add_argument("--generations", type=int, metavar="N", default=30, help="generations to run (a saved edit counts toward them)")
    p.add_argument("--population", type=int, metavar="N", default=16, help="candidates per generation")
    p.add_argument("--layer", default=None, help="where to split the generator (default: the model's edit layer, e.g. block1 "
                   "of shapes-biggan, b8 of shapes-stylegan)")
    p.add_argument("--space", default="z", metavar="SPACE",
                   help=f"base space searched in the region: {_names(SPACE_NAMES)}; z keeps the class, z+class lets the "
                        f"region change class, w and w+ are a style-based generator's styles")
    p.add_argument("--lambda-img", type=float, default=5.0, help="weight of the consistency outside the mask")
    p.add_argument("--no-split", action="store_true", help="search the whole latent instead of the split generator")
    p.add_argument("--clip", default="shapes-clip", help="CLIP model: shapes-clip or an open_clip ARCH/TAG")
    _device(p)
    p.add_argument("--out", required=True, help="folder: before.png, after.png, mask.png, comparison.png, result.json, "
                   "manifest.json, state")
    p.add_argument("--restart", action="store_true", help="discard a different edit saved in --out and start over there")
    p.set_defaults(run="generate:paint")


def _invert(sub) -> None:
    p = sub.add_parser("invert", help="find a generator's latents for your own image (resumable; Ctrl-C keeps the best)",
                       formatter_class=HelpFormatter)
    p.add_argument("image", help="the picture: PNG, JPEG or any format Pillow reads; fitted to the generator's size")
    p.add_argument("--model", default="shapes-stylegan", help="generator name or .safetensors path")
    p.add_argument("--space", default="w+", metavar="SPACE", help=f"latent space searched: {_names(SPACE_NAMES)}")
    p.add_argument("--out", required=True, help="folder: target.png, reconstruction.png, latents.safetensors, loss.png, "
                   "result.json")
    p.add_argument("--steps", type=int, metavar="N", default=200, help="optimisation steps")
    p.add_argument("--loss", default=None, help="mse, blurred_mse, lpips, probe or a sum such as mse+0.1*probe "
                   "(default: mse in W/W+, blurred_mse in Z)")
    p.add_argument("--restarts", type=int, metavar="N", default=1, help="starts per class")
    p.add_argument("--class", dest="class_name", default=None, help="hold the class (default: searched)")
    p.add_argument("--fit", default="crop", help="how the picture fills the square: crop, pad or resize")
    p.add_argument("--lr", type=float, default=None, help="learning rate (default: 0.1, in units of the space's spread in W/W+)")
    p.add_argument("--init", choices=("encoder",), default=None,
                   help="start from the model's own encoder (a VAE's or an AVAE's one-pass inversion) and refine it")
    p.add_argument("--seed", type=int, default=0, help="seed of the starting points")
    _device(p)
    p.add_argument("--restart", action="store_true", help="discard a different or finished inversion in --out and start over")
    p.set_defaults(run="inversion:invert")


def _edit(sub) -> None:
    p = sub.add_parser("edit", help="edit an inverted image: move it along a direction and/or repaint a rectangle",
                       formatter_class=HelpFormatter)
    p.add_argument("folder", help="a folder written by `latentlab invert`, or by an earlier `latentlab edit` (edits chain)")
    p.add_argument("--direction", default=None, help="sefa:K, pca:K or a saved direction .safetensors file")
    p.add_argument("--amount", type=float, default=None, help="how far to move along --direction (default: 1)")
    p.add_argument("--layers", default=None, help="the W+ layers a W direction moves: coarse, middle, fine, 3 or 0-3 "
                   "(a W+ inversion only; default: the direction's own)")
    p.add_argument("--paint-rect", type=int, nargs=4, metavar=("LEFT", "TOP", "RIGHT", "BOTTOM"), default=None,
                   help="repaint this rectangle in pixels (right/bottom exclusive) toward --text")
    p.add_argument("--text", default=None, help='what the rectangle should show, e.g. "a blue star"')
    p.add_argument("--generations", type=int, metavar="N", default=20, help="search generations of the repaint")
    p.add_argument("--population", type=int, metavar="N", default=16, help="search population of the repaint")
    p.add_argument("--model", default=None, help="the generator, when the folder does not record it")
    p.add_argument("--seed", type=int, default=0, help="seed of the repaint search and of pca:K's samples")
    _device(p)
    p.add_argument("--out", default=None, help="folder: edited.png, edit.safetensors, before_after.png, edit.json "
                   "(default: FOLDER/edit)")
    p.set_defaults(run="inversion:edit")


#: subcommand name -> what adds it, in the order `latentlab --help` lists them
SUBCOMMANDS = {"sample": _sample, "models": _models, "train": _train, "evolve": _evolve, "paint": _paint,
               "invert": _invert, "edit": _edit}


def build_parser() -> argparse.ArgumentParser:
    """The ``latentlab`` parser; each subcommand's ``run`` default names its function as ``module:function``."""
    parser = argparse.ArgumentParser(prog="latentlab", description="Steer the latent spaces of image generators.",
                                     epilog="--debug anywhere on the line shows the full traceback of an error.",
                                     formatter_class=HelpFormatter)
    parser.add_argument("--version", action=_VersionAction, help="print the installed version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in SUBCOMMANDS.values():
        add(sub)
    return parser
