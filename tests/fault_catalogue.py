"""A catalogue of bad inputs and faults across the CLI, the API, the loaders and the widgets.

Each :class:`Case` runs one bad input in a scratch folder and names the error it must raise and
text its message must contain (the bad value, or what was refused). :func:`outcome` runs a case
and classifies what happened; ``tests/test_bad_inputs.py`` asserts every case ends as
``clear_error`` and ``python -m benchmarks.faults`` counts the outcomes.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import pickle
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

LOCK_NAME = ".latentlab.lock"  # rewritten by every run that enters a folder: bookkeeping, not output
HANG_SECONDS = 60


class CLIFailed(Exception):
    """The command returned a non-zero exit code; ``stderr`` is what it printed."""

    def __init__(self, code: int, stderr: str):
        super().__init__(stderr)
        self.code, self.stderr = code, stderr


@dataclass(frozen=True)
class Case:
    id: str
    area: str  # cli, api, loader, widget
    call: Callable[[Path], object]
    error: type[BaseException] | tuple[type[BaseException], ...]
    names: str  # text the message must contain
    setup: Callable[[Path], None] | None = None


def cli(*argv: str) -> Callable[[Path], None]:
    """Run ``latentlab *argv`` in-process ({tmp} in an argument is the scratch folder); raise CLIFailed on a non-zero exit."""
    def run(tmp: Path) -> None:
        from latentlab.cli import main

        stderr, stdout = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(stdout):
            code = main([a.replace("{tmp}", str(tmp)) for a in argv])
        if code:
            raise CLIFailed(code, stderr.getvalue())
    return run


# --- shared pieces ---------------------------------------------------------------------------------
_CACHE: dict[str, object] = {}


def G(name: str = "shapes-biggan"):
    if name not in _CACHE:
        from latentlab import load_generator

        _CACHE[name] = load_generator(name)
    return _CACHE[name]


def images(n: int = 2) -> torch.Tensor:
    return torch.rand(n, 3, 64, 64, generator=torch.Generator().manual_seed(0))


def _write(name: str, data: bytes) -> Callable[[Path], None]:
    def setup(tmp: Path) -> None:
        (tmp / name).write_bytes(data)
    return setup


def _shipped_weights() -> bytes:
    from latentlab.zoo.loader import embedded_path
    from latentlab.zoo.registry import get_model_entry

    return embedded_path(get_model_entry("shapes-biggan")).read_bytes()


def _truncated_weights(tmp: Path) -> None:
    data = _shipped_weights()
    (tmp / "cut.safetensors").write_bytes(data[: len(data) // 2])


class _System:
    def __reduce__(self):
        import os

        return os.system, ("echo pwned",)


EVOLVE = ["evolve", "a red star", "--generations", "1", "--population", "4", "--out", "{tmp}/run"]
PAINT = ["paint", "--text", "a blue star", "--mask-rect", "8", "8", "40", "40", "--generations", "1", "--population", "4",
         "--out", "{tmp}/edit"]


def _previous_evolve(tmp: Path) -> None:
    cli(*EVOLVE)(tmp)


def _previous_paint(tmp: Path) -> None:
    cli(*PAINT)(tmp)


def _damaged_state(how: str) -> Callable[[Path], None]:
    def setup(tmp: Path) -> None:
        _previous_evolve(tmp)
        state = tmp / "run" / "state.safetensors"
        data = bytearray(state.read_bytes())
        if how == "flip":
            data[-20] ^= 0xFF  # a byte of the tensor data
        elif how == "cut":
            data = data[: len(data) // 2]
        elif how == "text":
            data = bytearray(b"not a state file\n")
        elif how == "old":  # a state file from before run identities: optimizer settings only
            from safetensors.torch import load, save

            tensors = load(bytes(data))
            data = bytearray(save(tensors, metadata={"optimizer": "cma", "dim": "125", "population": "4", "seed": "0",
                                                     "history": "[]", "best_fitness": "0.0"}))
        state.write_bytes(bytes(data))
    return setup


def _mask_file(name: str, mode: str, size: int, fill) -> Callable[[Path], None]:
    def setup(tmp: Path) -> None:
        from PIL import Image

        Image.new(mode, (size, size), fill).save(tmp / name)
    return setup


def _other_training_run(tmp: Path) -> None:
    (tmp / "train").mkdir()
    (tmp / "train" / "run.json").write_text('{"model": "shapes-probe", "seed": 5}\n')
    (tmp / "train" / "state.pt").write_bytes(b"")


# --- the catalogue ---------------------------------------------------------------------------------
def _cli_cases() -> list[Case]:
    c = []
    for value in ("0", "-1", "nan", "inf"):
        c.append(Case(f"sample-truncation-{value}", "cli", cli("sample", "--truncation", value, "--out", "{tmp}/s.png"), CLIFailed, value))
    c += [
        Case("sample-n-0", "cli", cli("sample", "-n", "0", "--out", "{tmp}/s.png"), CLIFailed, "-n must be a positive integer, got 0"),
        Case("sample-n-negative", "cli", cli("sample", "-n", "-3", "--out", "{tmp}/s.png"), CLIFailed, "-3"),
        Case("sample-nrow-0", "cli", cli("sample", "--nrow", "0", "--out", "{tmp}/s.png"), CLIFailed, "--nrow must be a positive integer, got 0"),
        Case("sample-model-typo", "cli", cli("sample", "--model", "shapes-bigan", "--out", "{tmp}/s.png"), CLIFailed, "shapes-biggan"),
        Case("sample-model-missing-file", "cli", cli("sample", "--model", "{tmp}/nothing/here.safetensors", "--out", "{tmp}/s.png"),
             CLIFailed, "here.safetensors"),
        Case("sample-class-typo", "cli", cli("sample", "--class", "squre", "--out", "{tmp}/s.png"), CLIFailed, "square"),
        Case("sample-class-index-out-of-range", "cli", cli("sample", "--class", "9", "--out", "{tmp}/s.png"), CLIFailed, "9"),
        Case("sample-device-cuda-absent", "cli", cli("sample", "--device", "cuda:7", "--out", "{tmp}/s.png"), CLIFailed, "cuda:7"),
        Case("sample-device-unknown", "cli", cli("sample", "--device", "banana", "--out", "{tmp}/s.png"), CLIFailed, "banana"),
        Case("sample-model-text-pt", "cli", cli("sample", "--model", "{tmp}/text.pt", "--out", "{tmp}/s.png"), CLIFailed, "text.pt",
             _write("text.pt", b"hello, I am a text file\n")),
        Case("sample-model-empty-pt", "cli", cli("sample", "--model", "{tmp}/empty.pt", "--out", "{tmp}/s.png"), CLIFailed, "empty.pt",
             _write("empty.pt", b"")),
        Case("sample-model-truncated-safetensors", "cli", cli("sample", "--model", "{tmp}/cut.safetensors", "--out", "{tmp}/s.png"),
             CLIFailed, "cut.safetensors", _truncated_weights),
        Case("sample-model-text-pkl", "cli", cli("sample", "--model", "{tmp}/text.pkl", "--out", "{tmp}/s.png"), CLIFailed, "text.pkl",
             _write("text.pkl", b"hello, I am a text file\n")),
        Case("sample-model-malicious-pkl", "cli", cli("sample", "--model", "{tmp}/evil.pkl", "--out", "{tmp}/s.png"), CLIFailed,
             "os.system" if __import__("os").name == "nt" else "system", _write("evil.pkl", pickle.dumps({"G_ema": _System()}))),
        Case("sample-out-suffix-gif", "cli", cli("sample", "--class", "star", "--out", "{tmp}/s.gif"), CLIFailed, "gif"),
        Case("evolve-empty-prompt", "cli", cli("evolve", "", "--out", "{tmp}/run"), CLIFailed, "''"),
        Case("evolve-blank-prompt", "cli", cli("evolve", "   ", "--out", "{tmp}/run"), CLIFailed, "'   '"),
        Case("evolve-prompt-too-long", "cli", cli("evolve", "a red star " * 1000, "--out", "{tmp}/run"), CLIFailed, "tokens"),
        Case("evolve-optimizer-typo", "cli", cli("evolve", "a red star", "--optimizer", "cmaa", "--out", "{tmp}/run"), CLIFailed, "'cma'"),
        Case("evolve-generations-0", "cli", cli("evolve", "a red star", "--generations", "0", "--out", "{tmp}/run"), CLIFailed,
             "--generations must be a positive integer, got 0"),
        Case("evolve-population-0", "cli", cli("evolve", "a red star", "--population", "0", "--out", "{tmp}/run"), CLIFailed,
             "got 0"),
        Case("evolve-population-huge", "cli", cli("evolve", "a red star", "--population", "100000000", "--out", "{tmp}/run"), CLIFailed,
             "100000000"),
        Case("evolve-population-below-minimum", "cli", cli("evolve", "a red star", "--optimizer", "de", "--population", "2", "--out",
                                                           "{tmp}/run"), CLIFailed, "got 2"),
        Case("evolve-clip-offline", "cli", cli("evolve", "a red star", "--clip", "ViT-B-32/openai", "--out", "{tmp}/run"), CLIFailed,
             "ViT-B-32"),
        Case("evolve-clip-unknown", "cli", cli("evolve", "a red star", "--clip", "shapes-clipp", "--out", "{tmp}/run"), CLIFailed,
             "shapes-clipp"),
        Case("evolve-class-typo", "cli", cli("evolve", "a red star", "--class", "squre", "--out", "{tmp}/run"), CLIFailed, "square"),
        Case("evolve-model-is-a-clip", "cli", cli("evolve", "a red star", "--model", "shapes-clip", "--out", "{tmp}/run"), CLIFailed,
             "shapes-clip"),
        Case("evolve-out-is-a-file", "cli", cli("evolve", "a red star", "--out", "{tmp}/afile"), CLIFailed, "afile",
             _write("afile", b"x")),
        Case("evolve-resume-other-prompt", "cli", cli(*[("a blue circle on a green background" if a == "a red star" else a) for a in EVOLVE]),
             CLIFailed, "prompt: was 'a red star', now 'a blue circle on a green background'", _previous_evolve),
        Case("evolve-resume-other-class", "cli", cli(*EVOLVE, "--class", "star"), CLIFailed, "classes: was None, now 'star'",
             _previous_evolve),
        Case("evolve-resume-other-optimizer", "cli", cli(*EVOLVE, "--optimizer", "ga"), CLIFailed, "optimizer.name: was 'cma', now 'ga'",
             _previous_evolve),
        Case("evolve-resume-other-seed", "cli", cli(*EVOLVE, "--seed", "1"), CLIFailed, "optimizer.seed: was 0, now 1", _previous_evolve),
        Case("evolve-resume-other-population", "cli", cli(*[("6" if a == "4" else a) for a in EVOLVE]), CLIFailed,
             "optimizer.population: was 4, now 6", _previous_evolve),
        Case("evolve-resume-other-model", "cli", cli(*EVOLVE, "--model", "shapes-stylegan"), CLIFailed,
             "generator.type: was 'CompactBigGAN', now 'CompactStyleGAN'", _previous_evolve),
        Case("evolve-state-flipped-byte", "cli", cli(*EVOLVE), CLIFailed, "does not match its checksum", _damaged_state("flip")),
        Case("evolve-state-truncated", "cli", cli(*EVOLVE), CLIFailed, "is damaged", _damaged_state("cut")),
        Case("evolve-state-text", "cli", cli(*EVOLVE), CLIFailed, "is damaged", _damaged_state("text")),
        Case("evolve-state-from-older-latentlab", "cli", cli(*EVOLVE), CLIFailed, "did not record the run's settings", _damaged_state("old")),
        Case("paint-empty-text", "cli", cli("paint", "--text", "", "--mask-rect", "8", "8", "40", "40", "--out", "{tmp}/edit"), CLIFailed, "''"),
        Case("paint-no-region", "cli", cli("paint", "--text", "a blue star", "--out", "{tmp}/edit"), CLIFailed, "--mask-rect"),
        Case("paint-both-regions", "cli", cli(*PAINT, "--mask", "{tmp}/m.png"), CLIFailed, "one of them",
             _mask_file("m.png", "L", 64, 255)),
        Case("paint-rect-outside", "cli", cli("paint", "--text", "x", "--mask-rect", "8", "8", "80", "40", "--out", "{tmp}/edit"), CLIFailed,
             "8 8 80 40"),
        Case("paint-rect-inverted", "cli", cli("paint", "--text", "x", "--mask-rect", "40", "8", "8", "40", "--out", "{tmp}/edit"),
             CLIFailed, "40 8 8 40"),
        Case("paint-mask-missing", "cli", cli("paint", "--text", "x", "--mask", "{tmp}/none.png", "--out", "{tmp}/edit"), CLIFailed,
             "none.png"),
        Case("paint-mask-not-an-image", "cli", cli("paint", "--text", "x", "--mask", "{tmp}/m.png", "--out", "{tmp}/edit"), CLIFailed,
             "m.png", _write("m.png", b"not a picture")),
        Case("paint-mask-wrong-size", "cli", cli("paint", "--text", "x", "--mask", "{tmp}/m.png", "--out", "{tmp}/edit"), CLIFailed,
             "32x32", _mask_file("m.png", "L", 32, 255)),
        Case("paint-mask-transparent", "cli", cli("paint", "--text", "x", "--mask", "{tmp}/m.png", "--out", "{tmp}/edit"), CLIFailed,
             "mask is empty", _mask_file("m.png", "RGBA", 64, (255, 255, 255, 0))),
        Case("paint-mask-full", "cli", cli("paint", "--text", "x", "--mask", "{tmp}/m.png", "--out", "{tmp}/edit"), CLIFailed,
             "covers the whole image", _mask_file("m.png", "L", 64, 255)),
        Case("paint-lambda-inf", "cli", cli(*PAINT, "--lambda-img", "inf"), CLIFailed, "inf"),
        Case("paint-lambda-nan", "cli", cli(*PAINT, "--lambda-img", "nan"), CLIFailed, "nan"),
        Case("paint-lambda-negative", "cli", cli(*PAINT, "--lambda-img", "-1"), CLIFailed, "-1"),
        Case("paint-space-unknown", "cli", cli(*PAINT, "--space", "q"), CLIFailed, "'q'"),
        Case("paint-space-w-on-biggan", "cli", cli(*PAINT, "--space", "w"), CLIFailed, "'w'"),
        Case("paint-layer-typo", "cli", cli(*PAINT, "--layer", "blok1"), CLIFailed, "block1"),
        Case("paint-optimizer-unknown", "cli", cli(*PAINT, "--optimizer", "pso"), CLIFailed, "pso"),
        Case("paint-class-typo", "cli", cli(*PAINT, "--class", "hart"), CLIFailed, "heart"),
        Case("paint-truncation-0", "cli", cli(*PAINT, "--truncation", "0"), CLIFailed, "0"),
        Case("paint-population-0", "cli", cli(*[("0" if a == "4" else a) for a in PAINT]), CLIFailed, "got 0"),
        Case("paint-resume-other-text", "cli", cli(*[("a red heart" if a == "a blue star" else a) for a in PAINT]), CLIFailed,
             "text: was 'a blue star', now 'a red heart'", _previous_paint),
        Case("paint-resume-other-mask", "cli", cli(*[("30" if a == "40" else a) for a in PAINT]), CLIFailed, "mask: was",
             _previous_paint),
        Case("paint-resume-other-seed", "cli", cli(*PAINT, "--seed", "4"), CLIFailed, "latents: was", _previous_paint),
        Case("train-model-typo", "cli", cli("train", "shapes-bigan", "--out", "{tmp}/train"), CLIFailed, "shapes-biggan"),
        Case("train-no-recipe", "cli", cli("train", "stylegan2-ffhq-1024", "--out", "{tmp}/train"), CLIFailed, "stylegan2-ffhq-1024"),
        Case("train-steps-0", "cli", cli("train", "shapes-probe", "--steps", "0", "--out", "{tmp}/train"), CLIFailed, "got 0"),
        Case("train-device-absent", "cli", cli("train", "shapes-biggan", "--device", "cuda:7", "--out", "{tmp}/train"), CLIFailed, "cuda:7"),
        Case("train-resume-other-run", "cli", cli("train", "shapes-probe", "--seed", "6", "--out", "{tmp}/train"), CLIFailed,
             "seed: was 5, now 6", _other_training_run),
    ]
    return c


def _evolve(**kwargs):
    def run(tmp: Path):
        from latentlab import evolve

        settings = {"generations": 1, "population": 4, "progress": False, **kwargs}
        return evolve(settings.pop("prompt", "a red star"), "shapes-biggan", **settings)
    return run


def _paint(**kwargs):
    def run(tmp: Path):
        from latentlab import paint_by_word
        from latentlab.masks import rect_mask

        g = G()
        settings = {"generations": 1, "population": 4, "progress": False, "classes": "star", **kwargs}
        mask = settings.pop("mask", rect_mask(64, 8, 8, 40, 40))
        return paint_by_word(g, g.sample_latents(1, seed=0), mask, settings.pop("text", "a blue star"), **settings)
    return run


def _clip(*args, **kwargs):
    def run(tmp: Path):
        from latentlab.assessors.clip import CLIPAssessor

        return CLIPAssessor(*args, **kwargs)
    return run


def _api_cases() -> list[Case]:
    from latentlab.errors import CorruptFileError
    from latentlab.zoo.safe_pickle import UnsafePickleError

    V = ValueError
    z = torch.zeros(2, G().latent_dim)
    return [
        Case("api-clip-text-none", "api", _clip(None), V, "None"),
        Case("api-clip-text-empty", "api", _clip(""), V, "''"),
        Case("api-clip-text-empty-list", "api", _clip([]), V, "[]"),
        Case("api-clip-text-not-a-string", "api", _clip(3), V, "3"),
        Case("api-clip-text-too-long", "api", _clip("a red star " * 1000), V, "tokens"),
        Case("api-clip-negative-too-long", "api", _clip("a red star", negatives=["green " * 500]), V, "tokens"),
        Case("api-clip-templates-unknown", "api", _clip("x", templates="phto"), V, "photo"),
        Case("api-clip-templates-without-slot", "api", _clip("x", templates=["a photo"]), V, "{}"),
        Case("api-clip-mask-mode", "api", _clip("x", mask_mode="blend"), V, "blend"),
        Case("api-clip-negative-weight-inf", "api", _clip("x", negative_weight=math.inf), V, "inf"),
        Case("api-clip-model-typo", "api", _clip("x", model="shapes-clipp"), V, "shapes-clipp"),
        Case("api-clip-batch-size-0", "api", _clip("x", batch_size=0), V, "got 0"),
        Case("api-sample-latents-0", "api", lambda t: G().sample_latents(0), V, "got 0"),
        Case("api-sample-latents-truncation-negative", "api", lambda t: G().sample_latents(2, truncation=-1), V, "-1"),
        Case("api-sample-latents-truncation-string", "api", lambda t: G().sample_latents(2, truncation="half"), V, "'half'"),
        Case("api-classes-n-0", "api", lambda t: G().classes("star", 0), V, "got 0"),
        Case("api-classes-n-negative", "api", lambda t: G().classes("star", -2), V, "-2"),
        Case("api-class-index-fraction", "api", lambda t: G().class_index(2.7), V, "2.7"),
        Case("api-class-index-bool", "api", lambda t: G().class_index(True), V, "True"),
        Case("api-class-index-out-of-range", "api", lambda t: G().class_index(7), V, "7"),
        Case("api-class-index-typo", "api", lambda t: G().class_index("squre"), V, "square"),
        Case("api-latents-integer", "api", lambda t: G()(torch.zeros(2, 120, dtype=torch.long), G().classes("star", 2)), V, "int64"),
        Case("api-latents-bool", "api", lambda t: G()(torch.zeros(2, 120, dtype=torch.bool), G().classes("star", 2)), V, "bool"),
        Case("api-latents-wrong-size", "api", lambda t: G()(torch.zeros(2, 100), G().classes("star", 2)), V, "100"),
        Case("api-latents-nan", "api", lambda t: G()(torch.full((2, 120), math.nan), G().classes("star", 2)), V, "NaN"),
        Case("api-latents-not-a-tensor", "api", lambda t: G()([[0.0] * 120], G().classes("star", 1)), V, "list"),
        Case("api-classes-missing", "api", lambda t: G()(z), V, "class-conditional"),
        Case("api-classes-count", "api", lambda t: G()(z, G().classes("star", 3)), V, "3 classes"),
        Case("api-classes-out-of-range", "api", lambda t: G()(z, torch.tensor([0, 9])), V, "9"),
        Case("api-generate-n-huge", "api", lambda t: G().generate(10**9), V, "1000000000"),
        Case("api-evolve-prompt-none", "api", _evolve(prompt=None), V, "None"),
        Case("api-evolve-optimizer-typo", "api", _evolve(optimizer="gaa"), V, "'ga'"),
        Case("api-evolve-assessor-not-an-assessor", "api", _evolve(assessor="clip"), V, "str"),
        Case("api-evolve-population-huge", "api", _evolve(population=10**8), V, "100000000"),
        Case("api-evolve-population-float", "api", _evolve(population=3.5), V, "3.5"),
        Case("api-evolve-generations-0", "api", _evolve(generations=0), V, "got 0"),
        Case("api-evolve-space-unknown", "api", _evolve(space="zz"), V, "'zz'"),
        Case("api-evolve-patience-0", "api", _evolve(patience=0), V, "got 0"),
        Case("api-evolve-options-unknown", "api", _evolve(options={"sigmaa": 1.0}), (V, TypeError), "sigmaa"),
        Case("api-paint-lambda-inf", "api", _paint(lambda_img=math.inf), V, "inf"),
        Case("api-paint-lambda-bool", "api", _paint(lambda_img=True), V, "True"),
        Case("api-paint-mask-empty", "api", _paint(mask=torch.zeros(64, 64)), V, "mask is empty"),
        Case("api-paint-mask-wrong-size", "api", _paint(mask=torch.ones(32, 32)), V, "(32, 32)"),
        Case("api-paint-mask-values", "api", _paint(mask=torch.full((64, 64), 2.0)), V, "[2, 2]"),
        Case("api-paint-mask-soft", "api", _paint(mask=torch.full((64, 64), 0.5)), V, "not binary-like"),
        Case("api-paint-space-class-unknown", "api", _paint(space="y"), V, "'y'"),
        Case("api-paint-edits-unsplit", "api", _paint(split=False, edits=[object()]), V, "split=True"),
        Case("api-paint-population-huge", "api", _paint(population=10**7), V, "10000000"),
        Case("api-truncated-normal-0", "api", lambda t: __import__("latentlab").truncated_normal(3, 4, truncation=0), V, "0"),
        Case("api-lerp-steps-0", "api", lambda t: __import__("latentlab").lerp(z[0], z[1], 0), V, "got 0"),
        Case("api-make-grid-nrow-0", "api", lambda t: __import__("latentlab").make_grid(images(), nrow=0), V, "got 0"),
        Case("api-save-image-gif", "api", lambda t: __import__("latentlab").save_image(images(), t / "x.gif"), V, "gif"),
        Case("api-to-bytes-bmp", "api", lambda t: __import__("latentlab").to_bytes(images(1)[0], format="bmp"), V, "bmp"),
        Case("api-images-two-channels", "api", lambda t: __import__("latentlab").make_grid(torch.zeros(2, 2, 8, 8)), V, "(2, 2, 8, 8)"),
        Case("api-run-optimizer-generations-0", "api", lambda t: __import__("latentlab.optim", fromlist=["x"]).run_optimizer(
            __import__("latentlab.optim", fromlist=["x"]).make_optimizer("ga", 4, 8), lambda x: -x.square().sum(1), 0), V, "got 0"),
        Case("api-optimizer-population-too-small", "api", lambda t: __import__("latentlab.optim", fromlist=["x"]).make_optimizer("de", 4, 2),
             V, "got 2"),
        Case("api-optimizer-sigma-0", "api", lambda t: __import__("latentlab.optim", fromlist=["x"]).make_optimizer("cma", 4, 8, sigma=0),
             V, "got 0"),
        Case("api-optimizer-unknown", "api", lambda t: __import__("latentlab.optim", fromlist=["x"]).make_optimizer("pso", 4, 8), V, "pso"),
        Case("load-generator-typo", "loader", lambda t: __import__("latentlab").load_generator("shapes-stylegun"), V, "shapes-stylegan"),
        Case("load-generator-missing-file", "loader", lambda t: __import__("latentlab").load_generator(str(t / "g.safetensors")),
             FileNotFoundError, "g.safetensors"),
        Case("load-generator-device", "loader", lambda t: __import__("latentlab").load_generator(device="cuda:5"), V, "cuda:5"),
        Case("load-generator-truncated", "loader", lambda t: __import__("latentlab").load_generator(str(t / "cut.safetensors")),
             CorruptFileError, "cut.safetensors", _truncated_weights),
        Case("load-generator-clip-as-generator", "loader", lambda t: __import__("latentlab").load_generator("shapes-clip"), V,
             "shapes-clip"),
        Case("load-clip-unknown", "loader", lambda t: __import__("latentlab").load_clip("ViT-Q-99/none"), V, "ViT-Q-99"),
        Case("safe-loads-os-system", "loader", lambda t: __import__("latentlab.zoo.safe_pickle", fromlist=["x"]).safe_loads(
            pickle.dumps(_System())), UnsafePickleError, "system"),
        Case("safe-loads-eval", "loader", lambda t: __import__("latentlab.zoo.safe_pickle", fromlist=["x"]).safe_loads(
            b"cbuiltins\neval\n(S'1+1'\ntR."), UnsafePickleError, "builtins.eval"),
        Case("safe-loads-empty", "loader", lambda t: __import__("latentlab.zoo.safe_pickle", fromlist=["x"]).safe_loads(b""),
             pickle.UnpicklingError, "pickle"),
        Case("safe-loads-garbage", "loader", lambda t: __import__("latentlab.zoo.safe_pickle", fromlist=["x"]).safe_loads(
            b"\x80\x04garbage"), pickle.UnpicklingError, "pickle"),
    ]


def _widget_cases() -> list[Case]:
    def widget(name: str, *args, **kwargs):
        def run(tmp: Path):
            import latentlab.widgets as w

            return getattr(w, name)(G(), *args, **kwargs)
        return run

    def export(**kwargs):
        def run(tmp: Path):
            from latentlab.widgets import LatentWalk

            return LatentWalk(G(), steps=4).state.export(tmp / "walk.gif", **kwargs)
        return run

    V = ValueError
    return [
        Case("truncation-explorer-n-0", "widget", widget("TruncationExplorer", n=0), V, "got 0"),
        Case("truncation-explorer-nrow-0", "widget", widget("TruncationExplorer", nrow=0), V, "got 0"),
        Case("truncation-explorer-psi-negative", "widget", widget("TruncationExplorer", psi=-1.0), V, "-1"),
        Case("latent-walk-steps-0", "widget", widget("LatentWalk", steps=0), V, "got 0"),
        Case("latent-walk-export-fps-0", "widget", export(fps=0), V, "fps"),
        Case("latent-walk-export-fps-nan", "widget", export(fps=math.nan), V, "nan"),
        Case("latent-walk-export-suffix", "widget", lambda t: __import__("latentlab.widgets", fromlist=["x"]).LatentWalk(G(), steps=4)
             .state.export(t / "walk.avi"), V, "avi"),
        Case("class-mixer-steps-0", "widget", widget("ClassMixer", steps=0), V, "got 0"),
        Case("class-mixer-class-typo", "widget", widget("ClassMixer", "squre"), V, "square"),
        Case("paint-canvas-scale-0", "widget", lambda t: __import__("latentlab").PaintCanvas(G(), scale=0), V, "scale"),
        Case("style-mixer-on-biggan", "widget", widget("StyleMixer"), V, "CompactBigGAN"),
    ]


def cases() -> list[Case]:
    """Every case of the catalogue."""
    return _cli_cases() + _api_cases() + _widget_cases()


# --- running a case --------------------------------------------------------------------------------
def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (but the lock) with its SHA-256."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != LOCK_NAME}


class _Hang(Exception):
    pass


def _alarm(signum, frame):
    raise _Hang()


def outcome(case: Case, tmp: Path) -> tuple[str, str]:
    """Run ``case`` in the empty folder ``tmp``; (kind, detail) with kind one of clear_error, unclear_error,
    wrong_error, accepted, traceback, hang, half_written."""
    if case.setup:
        case.setup(tmp)
    before = snapshot(tmp)
    old = signal.signal(signal.SIGALRM, _alarm) if hasattr(signal, "SIGALRM") else None
    if old is not None:
        signal.alarm(HANG_SECONDS)
    try:
        case.call(tmp)
        error = None
    except _Hang:
        return "hang", f"no answer within {HANG_SECONDS} s"
    except Exception as raised:  # noqa: BLE001 - classified below
        error = raised
    finally:
        if old is not None:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)
    after = snapshot(tmp)
    if after != before:
        changed = sorted(set(after.items()) ^ set(before.items()))
        return "half_written", f"files written or changed: {sorted({name for name, _ in changed})}"
    if error is None:
        return "accepted", "no error was raised"
    message = error.stderr if isinstance(error, CLIFailed) else str(error)
    if isinstance(error, CLIFailed) and ("Traceback" in message or error.code != 2):
        return ("traceback" if "Traceback" in message or error.code == 1 else "wrong_error"), f"exit {error.code}: {message.strip()}"
    if not isinstance(error, case.error):
        return "traceback", f"{type(error).__name__}: {message}"
    if case.names not in message:
        return "unclear_error", f"{type(error).__name__}: {message.strip()} (should name {case.names!r})"
    return "clear_error", message.strip().splitlines()[0][:200]
