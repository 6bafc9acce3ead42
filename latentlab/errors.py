"""User-facing validation: errors name the bad value and what would be accepted."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from typing import TypeVar

import torch

T = TypeVar("T")


class LatentlabError(Exception):
    """Base of latentlab's own errors: the command line prints them as one clean line."""


class InvalidInputError(LatentlabError, ValueError):
    """A value outside what a function accepts; the message names the value and what would be accepted."""


class RunMismatchError(InvalidInputError):
    """A run folder holds a run with other settings than the one asked for."""


class RunLockedError(LatentlabError, RuntimeError):
    """Another process is writing to the same run folder."""


class CorruptFileError(LatentlabError, ValueError):
    """A file latentlab reads (state, weights, checkpoint) is damaged, truncated or not of the expected kind."""


def unknown_name_error(kind: str, name: str, valid: Iterable[str]) -> ValueError:
    """A ValueError for an unknown ``kind`` name that suggests the closest valid names."""
    valid = list(valid)
    close = difflib.get_close_matches(str(name).lower(), [v.lower() for v in valid], n=3, cutoff=0.4)
    close = [next(v for v in valid if v.lower() == c) for c in close]
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    listed = ", ".join(valid[:30]) + (f", … ({len(valid) - 30} more)" if len(valid) > 30 else "")
    return ValueError(f"unknown {kind} {name!r}.{hint} Valid {plural(kind)}: {listed}")


def plural(noun: str) -> str:
    """``noun``'s English plural for the names errors list (class → classes, entry → entries, name → names)."""
    if noun.endswith(("s", "x", "sh", "ch")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in tuple("aeiou"):
        return noun[:-1] + "ies"
    return noun + "s"


def lookup(table: Mapping[str, T], name: str, kind: str) -> T:
    """``table[name]``, or :func:`unknown_name_error` naming the ``kind`` and the close names."""
    if name not in table:
        raise unknown_name_error(kind, name, table)
    return table[name]


def check_positive_int(name: str, value) -> int:
    """Return ``value`` as an int, or raise if it is not a positive integer."""
    if isinstance(value, bool) or not isinstance(value, (int,)) and not (isinstance(value, float) and value.is_integer()):
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if int(value) <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_truncation(truncation) -> float | None:
    """Validate a truncation threshold: None (no truncation) or a finite number > 0."""
    if truncation is None:
        return None
    try:
        value = float(truncation)
    except (TypeError, ValueError):
        raise ValueError(f"truncation must be a positive number or None, got {truncation!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"truncation must be a finite number > 0 (e.g. 0.5 or 1.0), got {truncation!r}")
    return value


def check_latents(z: torch.Tensor, dim: int) -> torch.Tensor:
    """Validate a latent batch of shape [N, dim] with finite entries."""
    if not isinstance(z, torch.Tensor):
        raise ValueError(f"latents must be a torch.Tensor of shape [N, {dim}], got {type(z).__name__}")
    if z.dim() != 2 or z.shape[1] != dim or z.shape[0] == 0:
        raise ValueError(f"latents must have shape [N, {dim}] with N >= 1, got {tuple(z.shape)}")
    if not torch.isfinite(z).all():
        raise ValueError("latents contain NaN or infinite values")
    return z


# --- numbers, sizes and devices (shared by the public entry points) ---------------------------------
#: The most samples one call may generate or hold at once (``generate(n)``, ``sample_latents(n)``,
#: explorer grids, …). A larger ``n`` would run for minutes before failing on memory; raise the cap
#: with ``latentlab.errors.MAX_BATCH = ...`` when you mean it.
MAX_BATCH = 100_000
#: The largest side, in screen pixels, of an image an explorer shows or an export enlarges to
#: (``display_size``, ``min_size``, a canvas's ``resolution × scale``); raise it with
#: ``latentlab.errors.MAX_DISPLAY_SIZE = ...``.
MAX_DISPLAY_SIZE = 8_192
#: The most candidates one generation of a search may hold (each one a generator pass); raise it with
#: ``latentlab.errors.MAX_POPULATION = ...``.
MAX_POPULATION = 10_000


def _integer_value(value) -> int | None:
    """``value`` as an int when it is an integer (int, NumPy or 0-d torch integer, integral float), else None.

    Bools are not integers here: ``True`` passed as a count or an index is a mistake.
    """
    import numbers

    if isinstance(value, torch.Tensor):
        if value.dim() != 0 or value.dtype == torch.bool or value.is_complex():
            return None
        value = value.item()
    elif getattr(value, "ndim", None) == 0 and callable(getattr(value, "item", None)) and type(value).__name__ == "ndarray":
        value = value.item()  # a 0-d NumPy array
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        return int(value) if math.isfinite(value) and value.is_integer() else None
    return None


def check_int(name: str, value, *, minimum: int | None = None, maximum: int | None = None, cap: str | None = None,
              hint: str = "") -> int:
    """``value`` as an int within [minimum, maximum]; integral floats and NumPy/torch integer scalars count.

    ``cap`` names the module constant behind ``maximum`` (e.g. ``"MAX_BATCH"``) so that the message
    says how to raise it; ``hint`` is added to the message (e.g. what the number means).
    """
    hint = f" ({hint})" if hint else ""
    number = _integer_value(value)
    if number is None:
        what = "an integer" if minimum is None else ("a positive integer" if minimum == 1 else f"an integer >= {minimum}")
        raise InvalidInputError(f"{name} must be {what}{hint}, got {value!r} ({type(value).__name__})")
    if minimum is not None and number < minimum:
        what = "a positive integer (1 or more)" if minimum == 1 else f"an integer >= {minimum}"
        raise InvalidInputError(f"{name} must be {what}" + (f" and <= {maximum:,}" if maximum is not None else "")
                                + f"{hint}, got {value!r}")
    if maximum is not None and number > maximum:
        how = (f"; this is latentlab.errors.{cap} = {maximum:,}: work in parts, or raise it with "
               f"`latentlab.errors.{cap} = ...`") if cap else ""
        low = f"{minimum}.." if minimum is not None else "at most "
        raise InvalidInputError(f"{name} must be {low}{maximum:,}{hint}, got {value!r}{how}")
    return number


def check_count(name: str, value, maximum: int | None = None) -> int:
    """A positive integer (1 or more) of samples, capped at :data:`MAX_BATCH` unless ``maximum`` says otherwise."""
    if maximum is None:
        return check_int(name, value, minimum=1, maximum=MAX_BATCH, cap="MAX_BATCH")
    return check_int(name, value, minimum=1, maximum=maximum)


def check_population(value) -> int:
    """A search's population: a positive integer, capped at :data:`MAX_POPULATION`."""
    return check_int("population", value, minimum=1, maximum=MAX_POPULATION, cap="MAX_POPULATION",
                     hint="candidates per generation")


def check_seed(name: str, value) -> int | None:
    """A random seed: None or an integer (NumPy/torch integer scalars and integral floats count)."""
    if value is None:
        return None
    number = _integer_value(value)
    if number is None:
        raise InvalidInputError(f"{name} must be an integer or None, got {value!r} ({type(value).__name__})")
    if not -(2 ** 63) <= number < 2 ** 64:
        raise InvalidInputError(f"{name} must fit in 64 bits (-2**63 <= seed < 2**64), got {value!r}")
    return number


def check_float(name: str, value, *, minimum: float | None = None, maximum: float | None = None,
                above: float | None = None, below: float | None = None, hint: str = "") -> float:
    """``value`` as a finite float: ``minimum``/``maximum`` are inclusive bounds, ``above``/``below`` exclusive ones;
    ``hint`` is added to the message."""
    import numbers

    if isinstance(value, torch.Tensor) and value.dim() == 0 and value.dtype != torch.bool and not value.is_complex():
        value_f = float(value.item())
    elif isinstance(value, numbers.Real) and not isinstance(value, bool) and type(value).__name__ != "bool_":
        value_f = float(value)
    else:
        value_f = None
    parts = [f">= {minimum:g}" if minimum is not None else None, f"> {above:g}" if above is not None else None,
             f"<= {maximum:g}" if maximum is not None else None, f"< {below:g}" if below is not None else None]
    accepted = "a finite number" + (" " + " and ".join(p for p in parts if p) if any(parts) else "")
    accepted += f" ({hint})" if hint else ""
    if value_f is None:
        raise InvalidInputError(f"{name} must be {accepted}, got {value!r} ({type(value).__name__})")
    if (not math.isfinite(value_f) or (minimum is not None and value_f < minimum) or (maximum is not None and value_f > maximum)
            or (above is not None and value_f <= above) or (below is not None and value_f >= below)):
        raise InvalidInputError(f"{name} must be {accepted}, got {value!r}")
    return value_f


def check_display_size(name: str, value, minimum: int = 1, hint: str = "") -> int:
    """A size in screen pixels: an integer in ``minimum``..:data:`MAX_DISPLAY_SIZE`."""
    return check_int(name, value, minimum=minimum, maximum=MAX_DISPLAY_SIZE, cap="MAX_DISPLAY_SIZE", hint=hint)


def check_throttle(value) -> float:
    """A throttle interval in seconds: finite and >= 0 (0 renders every change at once)."""
    return check_float("throttle_s", value, minimum=0.0, maximum=60.0)


# --- latents ----------------------------------------------------------------------------------------
def coerce_latents(z, dim: int, dtype: torch.dtype | None = None) -> torch.Tensor:
    """:func:`check_latents`, after refusing non-floating dtypes; other float dtypes are cast to ``dtype``.

    Integer, bool and complex latents are refused by dtype (a latent is a real vector); float64,
    float16 or bfloat16 latents become ``dtype`` (the generator's parameter dtype) when it differs.
    """
    if isinstance(z, torch.Tensor) and not z.is_floating_point():
        raise InvalidInputError(f"latents must be a floating-point tensor (e.g. torch.float32) of shape [N, {dim}], got "
                                f"dtype {z.dtype} with shape {tuple(z.shape)}; sample them with generator.sample_latents(n) "
                                f"or convert with z.float()")
    z = check_latents(z, dim)
    if dtype is not None and z.dtype != dtype:
        z = z.to(dtype)
        if not torch.isfinite(z).all():
            raise InvalidInputError(f"latents overflow when cast to the generator's {dtype}: their largest magnitude is "
                                    f"{float(z.abs().max()):g}")
    return z


# --- devices ----------------------------------------------------------------------------------------
def available_devices() -> list[str]:
    """Devices this machine can run on: ``cpu``, ``cuda:i`` for each GPU, ``mps`` where Apple's MPS is available."""
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices += ["cuda"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append("mps")
    xpu = getattr(torch, "xpu", None)
    if xpu is not None and xpu.is_available():
        devices += ["xpu"] + [f"xpu:{i}" for i in range(xpu.device_count())]
    return devices


def check_device(device) -> torch.device:
    """``device`` (a string such as ``"cpu"``/``"cuda:0"``, a ``torch.device``, a GPU index, or None for the CPU)
    as a ``torch.device`` that exists on this machine; unknown or unavailable devices are refused, saying which
    are available."""
    if device is None:
        return torch.device("cpu")
    available = available_devices()
    use = ", ".join(repr(d) for d in available)
    if isinstance(device, torch.device):
        parsed = device
    elif isinstance(device, str) or (_integer_value(device) is not None and not isinstance(device, (float, torch.Tensor))):
        try:
            parsed = torch.device(device if isinstance(device, str) else int(device))
        except (RuntimeError, ValueError, TypeError):
            raise InvalidInputError(f"unknown device {device!r}: expected 'cpu', 'cuda', 'cuda:<index>' or 'mps'; "
                                    f"available here: {use}") from None
    else:
        raise InvalidInputError(f"device must be a string such as 'cpu' or 'cuda:0', or a torch.device, got {device!r} "
                                f"({type(device).__name__}); available here: {use}")
    kind = parsed.type
    if kind == "cuda":
        if not torch.cuda.is_available():
            raise InvalidInputError(f"device {device!r} is not available on this machine (torch.cuda.is_available() is "
                                    f"False); use {use}")
        count = torch.cuda.device_count()
        if parsed.index is not None and parsed.index >= count:
            raise InvalidInputError(f"device {device!r} is not available on this machine: it has {count} CUDA device"
                                    f"{'s' if count != 1 else ''} (cuda:0..cuda:{count - 1}); use {use}")
    elif kind == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise InvalidInputError(f"device {device!r} is not available on this machine "
                                    f"(torch.backends.mps.is_available() is False); use {use}")
    elif kind == "cpu":
        if parsed.index not in (None, 0):
            raise InvalidInputError(f"device {device!r} is not available on this machine: the CPU is 'cpu'; use {use}")
    elif kind != "meta":
        module = getattr(torch, kind, None)
        is_available = getattr(module, "is_available", None)
        if not callable(is_available) or not is_available():
            raise InvalidInputError(f"device {device!r} is not available on this machine; use {use}")
    return parsed


# --- paths ------------------------------------------------------------------------------------------
#: File suffixes that mark a model name as a path
WEIGHT_SUFFIXES = (".safetensors", ".pt", ".pth", ".pkl", ".bin", ".ckpt")


def looks_like_path(name) -> bool:
    """Whether a model ``name`` is meant as a file or folder: a path object, a path separator or ``~`` in it,
    or a weights-file suffix (:data:`WEIGHT_SUFFIXES`)."""
    import os

    if isinstance(name, os.PathLike):
        return True
    if not isinstance(name, str):
        return False
    separators = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    return (any(s in name for s in separators) or name.startswith("~") or name.startswith(".")
            or name.lower().endswith(WEIGHT_SUFFIXES))
