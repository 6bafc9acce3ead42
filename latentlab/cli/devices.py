"""``--device``: a name the command line accepts, and a device this machine has."""

from __future__ import annotations

import re

from latentlab.cli.parser import DEVICE_FORMS

_FORM = re.compile(r"cpu|cuda(:\d+)?|mps")


def _hint(text: str) -> str:
    """A likely meant spelling of a bad device name ('GPU' -> 'cuda', 'CUDA:1' -> 'cuda:1'), as a sentence."""
    low = text.strip().lower().replace(" ", "")
    for guess in (low, re.sub(r"^(gpu|nvidia)", "cuda", low), low.replace("cuda", "cuda:", 1)):
        if _FORM.fullmatch(guess) and guess != text:
            return f" Did you mean {guess!r}?"
    return ""


def check_device_arg(text: str) -> str:
    """``text`` when it names a device this machine has; else an InvalidInputError naming the accepted forms, or
    saying why the device is absent and which are available."""
    from latentlab.errors import InvalidInputError

    if not isinstance(text, str) or not _FORM.fullmatch(text):
        raise InvalidInputError(f"unknown device {text!r}: give one of {', '.join(DEVICE_FORMS)} (N = 0, 1, …, "
                                f"a GPU's index).{_hint(str(text))}")
    from latentlab.errors import check_device

    check_device(text)  # the library's own check: the device is absent here, and which are available
    return text
