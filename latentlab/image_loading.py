"""Load a picture (a file, its bytes, a PIL image, a NumPy array or a tensor) as a [1, 3, H, W] tensor in [0, 1]."""

from __future__ import annotations

import io
import os
import reprlib
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageColor, ImageOps

from latentlab.errors import InvalidInputError, check_display_size, unknown_name_error

#: How :func:`load_image` fits a picture into a ``size`` box
FITS = ("crop", "pad", "resize")
ACCEPTED = ("a path (str or os.PathLike), the bytes of an image file, a PIL.Image.Image, a NumPy array [H, W], "
            "[H, W, 1], [H, W, 3] or [H, W, 4], or a torch.Tensor [H, W], [C, H, W] or [1, C, H, W] with C in 1, 3, 4")
FORMATS = "PNG, JPEG, WebP, GIF, BMP, TIFF and the other formats Pillow reads"
#: Downscales shrink by whole factors first (JPEG draft, ``Image.reduce``) down to this many times the target size
REDUCING_GAP = 3.0
_TOLERANCE = 1e-3  # float pixels this far outside [0, 1] are rounding, and are clipped
_ORIENTATION = 0x0112


def _check_size(size) -> tuple[int, int] | None:
    if size is None:
        return None
    if isinstance(size, (tuple, list)) and len(size) == 2:
        return check_display_size("size height", size[0]), check_display_size("size width", size[1])
    if isinstance(size, (tuple, list, str, bytes)) or size is True or size is False:
        raise InvalidInputError(f"size must be None (native size), a positive int (a square) or a (height, width) "
                                f"pair of positive ints, got {size!r}")
    side = check_display_size("size", size, hint="None, a square side or a (height, width) pair")
    return side, side


def _check_background(background) -> np.ndarray:
    if isinstance(background, str):
        try:
            return np.array(ImageColor.getrgb(background)[:3], np.float32) / 255.0
        except ValueError:
            raise InvalidInputError(f"background {background!r} is not a colour name or hex string PIL knows (e.g. "
                                    f"'white', 'black', '#808080'); or pass an (r, g, b) triple of floats in [0, 1]") from None
    try:
        values = np.array([float(v) for v in background], np.float32)
    except (TypeError, ValueError):
        values = None
    if values is None or values.shape != (3,) or not np.isfinite(values).all() or values.min() < 0 or values.max() > 1:
        scaled = values is not None and values.shape == (3,) and values.max() > 1
        hint = "; for 0..255 values divide by 255 or pass a hex string such as '#ff8000'" if scaled else ""
        raise InvalidInputError(f"background must be an (r, g, b) triple of floats in [0, 1], a colour name or a hex "
                                f"string, got {background!r}{hint}")
    return values


def _check_floats(array: np.ndarray, what: str) -> np.ndarray:
    if not np.isfinite(array).all():
        raise InvalidInputError(f"{what} contains NaN or infinite values")
    low, high = float(array.min()), float(array.max())
    if low < -_TOLERANCE or high > 1 + _TOLERANCE:
        raise InvalidInputError(f"{what} must hold floats in [0, 1], got values from {low:g} to {high:g}; for 0..255 "
                                f"values divide by 255, for -1..1 values use (x + 1) / 2")
    return np.clip(array, 0.0, 1.0, dtype=np.float32)


def _from_array(array: np.ndarray, what: str, layout: str) -> Image.Image | np.ndarray:
    """An 8-bit PIL image (uint8, bool) or a float32 [H, W, C] array in [0, 1] (uint16, floats) from [H, W(, C)]."""
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3 or array.shape[-1] not in (1, 3, 4):
        raise InvalidInputError(f"{what} must be {layout}, got shape {tuple(array.shape)}")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise InvalidInputError(f"{what} is empty (height × width {array.shape[0]} × {array.shape[1]})")
    if array.dtype == np.bool_:
        array = array.astype(np.uint8) * 255
    if array.dtype == np.uint8:
        return Image.fromarray(np.ascontiguousarray(array[..., 0] if array.shape[-1] == 1 else array))
    if array.dtype == np.uint16:
        return array.astype(np.float32) / 65535.0
    if np.issubdtype(array.dtype, np.floating):
        return _check_floats(array.astype(np.float32), what)
    raise InvalidInputError(f"{what} has dtype {array.dtype}; accepted: uint8 (0..255), uint16 (0..65535), bool, or "
                            f"floats in [0, 1] (convert with .astype(np.uint8) when the values are 0..255)")


def _from_tensor(tensor: torch.Tensor) -> Image.Image | np.ndarray:
    tensor = tensor.detach().cpu()
    layout = "[H, W], [C, H, W] or [1, C, H, W] with C in 1, 3, 4 (channels first; permute an [H, W, C] tensor)"
    if tensor.dim() == 4:
        if tensor.shape[0] != 1:
            raise InvalidInputError(f"the tensor holds a batch of {tensor.shape[0]} images {tuple(tensor.shape)}; "
                                    f"load_image takes one: pass images[i]")
        tensor = tensor[0]
    if tensor.dim() == 3:
        if tensor.shape[0] not in (1, 3, 4):
            raise InvalidInputError(f"the tensor must be {layout}, got shape {tuple(tensor.shape)}")
        tensor = tensor.permute(1, 2, 0)
    if tensor.dim() not in (2, 3):
        raise InvalidInputError(f"the tensor must be {layout}, got shape {tuple(tensor.shape)}")
    if tensor.is_floating_point():
        tensor = tensor.float()
    elif tensor.dtype not in (torch.uint8, torch.bool):
        raise InvalidInputError(f"the tensor has dtype {tensor.dtype}; accepted: floats in [0, 1], torch.uint8 "
                                f"(0..255) or bool")
    return _from_array(tensor.numpy(), "the tensor", layout)


def _from_pil(picture: Image.Image, what: str) -> Image.Image | np.ndarray:
    """``picture`` as an L, LA, RGB or RGBA image, or (16-bit, 32-bit and float modes) a float32 [H, W, 1] array."""
    if picture.width == 0 or picture.height == 0:
        raise InvalidInputError(f"{what} is empty ({picture.width} × {picture.height} pixels)")
    mode = picture.mode
    if mode.startswith("I"):  # I;16* and I (16-bit PNGs): 0..65535
        array = np.asarray(picture).astype(np.float32)
        if array.min() < 0 or array.max() > 65535:
            raise InvalidInputError(f"{what} is a 32-bit integer image (mode {mode!r}) with values from {array.min():g} "
                                    f"to {array.max():g}; accepted: 0..65535 (16-bit)")
        return array[..., None] / 65535.0
    if mode == "F":
        return _check_floats(np.asarray(picture, np.float32)[..., None], what)
    if mode in ("L", "LA", "RGB", "RGBA") and "transparency" not in picture.info:
        return picture
    if mode == "1":
        return picture.convert("L")
    alpha = "A" in picture.getbands() or "a" in picture.getbands() or "transparency" in picture.info
    try:
        return picture.convert("RGBA" if alpha else "RGB")
    except ValueError:
        raise InvalidInputError(f"{what} has mode {mode!r}, which PIL cannot convert to RGB") from None


def _decode(picture: Image.Image, what: str, target: tuple[int, int] | None = None, fit: str = "crop",
            draft: bool = False) -> Image.Image | np.ndarray:
    """Orient and decode ``picture``; with ``draft`` a JPEG decoder shrinks it by 2, 4 or 8 towards the ``target`` box."""
    try:
        if draft and target is not None:
            sideways = picture.getexif().get(_ORIENTATION) in (5, 6, 7, 8)  # stored on its side
            width, height = picture.size[::-1] if sideways else picture.size
            wanted = tuple(int(s * REDUCING_GAP) for s in _scaled(width, height, target, fit))
            picture.draft(None, wanted[::-1] if sideways else wanted)
        picture.load()
        if picture.getexif().get(_ORIENTATION, 1) != 1:
            picture = ImageOps.exif_transpose(picture)
    except Image.DecompressionBombError as error:
        raise InvalidInputError(f"{what} is too large to decode safely ({error}); if you trust it, raise "
                                f"PIL.Image.MAX_IMAGE_PIXELS") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise InvalidInputError(f"{what} could not be decoded ({error})") from None
    return _from_pil(picture, what)


def _open(source, what: str) -> Image.Image:
    try:
        return Image.open(source)
    except Image.DecompressionBombError as error:
        raise InvalidInputError(f"{what} is too large to decode safely ({error}); if you trust it, raise "
                                f"PIL.Image.MAX_IMAGE_PIXELS") from None
    except Image.UnidentifiedImageError:
        raise InvalidInputError(f"{what} is not an image PIL can read; accepted formats: {FORMATS}") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise InvalidInputError(f"{what} is not an image PIL can read ({error}); accepted formats: {FORMATS}") from None


def _resample(picture: Image.Image | np.ndarray, size: tuple[int, int], box: tuple[float, ...] | None) -> np.ndarray:
    """``picture`` (its ``box`` region) resized to ``size`` (width, height), as a float32 [H, W, C] array in [0, 1]."""
    kwargs = {"resample": Image.Resampling.LANCZOS, "box": box, "reducing_gap": REDUCING_GAP}
    if isinstance(picture, Image.Image):
        return np.asarray(picture.resize(size, **kwargs), np.float32).reshape(size[1], size[0], -1) / 255.0
    bands = [np.asarray(Image.fromarray(np.ascontiguousarray(picture[..., c])).resize(size, **kwargs))
             for c in range(picture.shape[-1])]
    return np.clip(np.stack(bands, -1), 0.0, 1.0)


def _flatten(array: np.ndarray, background: np.ndarray) -> np.ndarray:
    """[H, W, C] (C: 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA) as RGB [H, W, 3], alpha composited onto ``background``."""
    colour = array[..., :-1] if array.shape[-1] in (2, 4) else array
    colour = np.broadcast_to(colour, (*array.shape[:2], 3))
    if array.shape[-1] in (2, 4):
        alpha = array[..., -1:]
        colour = colour * alpha + background * (1.0 - alpha)
    return colour


def _scaled(width: int, height: int, target: tuple[int, int], fit: str) -> tuple[int, int]:
    """The (width, height) the whole picture takes in a ``target`` (height, width) box under ``fit``."""
    if fit == "resize":
        return target[1], target[0]
    scale = (max if fit == "crop" else min)(target[0] / height, target[1] / width)
    return max(1, round(width * scale)), max(1, round(height * scale))


def load_image(source, size: int | tuple[int, int] | None = None, fit: str = "crop",
               background=(1.0, 1.0, 1.0)) -> torch.Tensor:
    """Load one picture as a float32 tensor [1, 3, H, W] in [0, 1] (contiguous, on the CPU).

    ``source`` is a path, the bytes of an image file (e.g. an ipywidgets ``FileUpload``'s content), a
    ``PIL.Image.Image``, a NumPy array [H, W(, C)] (uint8, uint16, bool or floats in [0, 1]) or a tensor
    [H, W], [C, H, W] or [1, C, H, W] (floats in [0, 1], uint8 or bool), with C in 1 (grey), 3 (RGB), 4 (RGBA).
    EXIF orientation is applied, transparency is flattened onto ``background`` (an (r, g, b) triple in [0, 1],
    a colour name or a hex string) and greyscale becomes RGB; 16-bit images keep their 0..65535 range.

    ``size`` is None (the native size), an int (a square) or (height, width). ``fit`` says how the picture
    fills that box: ``"crop"`` scales it to cover the box and crops the centre, ``"pad"`` scales it to fit
    inside and pads with ``background``, ``"resize"`` stretches it. Resampling is Lanczos.
    """
    if fit not in FITS:
        raise InvalidInputError(*unknown_name_error("fit", fit, FITS).args)
    target, background = _check_size(size), _check_background(background)
    if isinstance(source, (bytes, bytearray, memoryview)):
        if len(source) == 0:
            raise InvalidInputError("the image bytes are empty (0 bytes); pass the contents of an image file")
        what = f"the {len(source):,} bytes given"
        picture = _decode(_open(io.BytesIO(source), what), what, target, fit, draft=True)
    elif isinstance(source, (str, os.PathLike)):
        if isinstance(source, str) and source.startswith(("http://", "https://")):
            raise InvalidInputError(f"load_image reads local files, not URLs: download {source!r} first")
        path = Path(source).expanduser()
        what = f"the file {str(path)!r}"
        if not path.exists():
            raise InvalidInputError(f"the file {str(path)!r} does not exist (looked in {str(path.absolute().parent)!r})")
        if path.is_dir():
            raise InvalidInputError(f"{str(path)!r} is a folder, not an image file")
        try:
            data = path.read_bytes()
        except OSError as error:
            raise InvalidInputError(f"{what} cannot be read ({error})") from None
        picture = _decode(_open(io.BytesIO(data), what), what, target, fit, draft=True)
    elif isinstance(source, Image.Image):
        picture = _decode(source, "the PIL image")
    elif isinstance(source, np.ndarray):
        picture = _from_array(source, "the NumPy array", "[H, W], [H, W, 1], [H, W, 3] or [H, W, 4] (channels last; "
                              "transpose a [C, H, W] array with a.transpose(1, 2, 0))")
    elif isinstance(source, torch.Tensor):
        picture = _from_tensor(source)
    else:
        raise InvalidInputError(f"cannot load an image from type {type(source).__name__} ({reprlib.repr(source)}); "
                                f"accepted: {ACCEPTED}")
    if isinstance(picture, np.ndarray):
        picture = _flatten(picture, background)  # floats: flatten before resampling
    width, height = picture.size if isinstance(picture, Image.Image) else picture.shape[1::-1]
    if target is None or (height, width) == target:
        array = np.asarray(picture, np.float32).reshape(height, width, -1) / (255.0 if isinstance(picture, Image.Image) else 1.0)
    elif fit == "pad":
        inner = _scaled(width, height, target, fit)
        array = np.full((*target, 3), background, np.float32)
        top, left = (target[0] - inner[1]) // 2, (target[1] - inner[0]) // 2
        array[top:top + inner[1], left:left + inner[0]] = _flatten(_resample(picture, inner, None), background)
    else:
        box = None
        if fit == "crop":
            scale = max(target[0] / height, target[1] / width)
            w, h = target[1] / scale, target[0] / scale
            box = ((width - w) / 2, (height - h) / 2, (width + w) / 2, (height + h) / 2)
        array = _resample(picture, (target[1], target[0]), box)
    return torch.from_numpy(np.array(_flatten(array, background).transpose(2, 0, 1)[None], np.float32, order="C"))
