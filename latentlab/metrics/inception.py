"""IS / FID / KID with torch-fidelity's Inception (for natural images such as BigGAN's), with a safe weights file.

The weights (about 91 MB) are downloaded once into torch's hub cache. A local file given by
the user is first checked to hold only tensors (``torch.load(weights_only=True)``) before
torch-fidelity reads it, so no code from a downloaded file ever runs.
"""

from __future__ import annotations

from pathlib import Path

import torch

INCEPTION_URL = "https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/weights-inception-2015-12-05-6726825d.pth"


def inception_cache_path() -> Path:
    """Where the Inception weights are cached (torch hub's checkpoint folder)."""
    return Path(torch.hub.get_dir()) / "checkpoints" / INCEPTION_URL.rsplit("/", 1)[-1]


def offline_message(error: Exception | None = None) -> str:
    return (f"torch-fidelity's Inception weights are not cached and could not be downloaded"
            f"{f' ({error})' if error else ''}. On a machine with internet download\n    {INCEPTION_URL}\n"
            f"and put the file at {inception_cache_path()} (or pass weights_path='/path/to/file.pth').")


def inception_weights(weights_path: str | Path | None = None) -> Path:
    """A checked local Inception weights file: ``weights_path``, the cached copy, or a fresh download."""
    path = Path(weights_path) if weights_path is not None else inception_cache_path()
    if weights_path is not None and not path.is_file():
        raise FileNotFoundError(f"Inception weights file {path} does not exist")
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            torch.hub.download_url_to_file(INCEPTION_URL, str(path), progress=False)  # writes a temp file, then renames
        except Exception as error:  # no network, DNS failure, HTTP error
            raise OSError(offline_message(error)) from error
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise ValueError(f"refusing {path}: it is not a plain tensor checkpoint ({error})") from error
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"refusing {path}: expected a state dict of tensors")
    return path


def inception_metrics(generated: torch.Tensor, real: torch.Tensor | None = None, *, isc: bool = True, fid: bool = True,
                      kid: bool = True, weights_path: str | Path | None = None, batch_size: int = 64,
                      device: str | torch.device = "cpu") -> dict[str, float]:
    """Inception Score of ``generated`` and, with ``real``, FID and KID against it (images in [0, 1], NCHW RGB)."""
    import torch_fidelity

    from latentlab.metrics.fidelity import _check_set, _Uint8Images

    _check_set("generated", generated)
    if real is not None:
        _check_set("real", real)
    elif fid or kid:
        raise ValueError("FID and KID need a real image set: pass real=..., or fid=False, kid=False for IS alone")
    path = inception_weights(weights_path)
    n = min(generated.shape[0], real.shape[0]) if real is not None else generated.shape[0]
    metrics = torch_fidelity.calculate_metrics(
        input1=_Uint8Images(generated), input2=None if real is None else _Uint8Images(real),
        isc=isc, fid=fid and real is not None, kid=kid and real is not None, feature_extractor="inception-v3-compat",
        feature_extractor_weights_path=str(path), batch_size=batch_size, cuda=torch.device(device).type == "cuda",
        kid_subset_size=min(1000, n), isc_splits=min(10, generated.shape[0]), verbose=False, cache=False,
        save_cpu_ram=torch.device(device).type == "cpu")  # no DataLoader worker processes on CPU
    return {k: float(v) for k, v in metrics.items()}
