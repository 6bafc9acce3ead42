"""Image helpers: tensors (NCHW in [0, 1]) ↔ PIL ↔ PNG/JPEG bytes, grids, files and notebook display.

Grids and PIL conversion are torchvision's (:func:`torchvision.utils.make_grid`,
:func:`torchvision.transforms.functional.to_pil_image`); latentlab adds argument checks that name the bad value,
white padding, 8-bit rounding, atomic file writes and :func:`show_grid`.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure
from PIL import Image

from latentlab.errors import check_positive_int
from latentlab.files import atomic_write_bytes

ImageBatch = torch.Tensor | Sequence[torch.Tensor]

#: dots per inch of the figures :func:`show_grid` makes (their size in inches is pixels × scale / SHOW_DPI)
SHOW_DPI = 100


def _check_images(images: ImageBatch) -> torch.Tensor:
    if isinstance(images, (list, tuple)) and images and all(isinstance(i, torch.Tensor) for i in images):
        shapes = {tuple(i.shape) for i in images}
        if len(shapes) > 1:
            raise ValueError(f"images in a list must share one shape [C, H, W], got {sorted(shapes)}")
        images = torch.stack(list(images))
    if not isinstance(images, torch.Tensor):
        raise ValueError(f"images must be a torch.Tensor (or a list of [C, H, W] tensors), got {type(images).__name__}")
    if images.dim() == 3:
        images = images[None]
    if images.dim() != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"images must be [N, 3, H, W] or [N, 1, H, W], got {tuple(images.shape)}")
    return images


def _check_padding(padding) -> int:
    if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
        raise ValueError(f"padding must be a whole number of pixels >= 0, got {padding!r}")
    return padding


def _to_uint8(images: torch.Tensor) -> torch.Tensor:
    """8-bit pixels, rounded to the nearest level as :func:`torchvision.utils.save_image` does (values outside [0, 1] clip)."""
    return images.detach().float().mul(255).add_(0.5).clamp_(0, 255).to("cpu", torch.uint8)


def to_pil(images: ImageBatch) -> list[Image.Image]:
    """One PIL image per item of a batch [N, C, H, W] (or a single [C, H, W]): RGB, or L for one channel.

    :func:`torchvision.transforms.functional.to_pil_image` of each image after clipping to [0, 1] and rounding
    to 8 bits (given floats directly, torchvision truncates them and wraps values above 1).
    """
    from torchvision.transforms.functional import to_pil_image

    return [to_pil_image(image) for image in _to_uint8(_check_images(images))]


def from_pil(pictures: Image.Image | Sequence[Image.Image]) -> torch.Tensor:
    """A batch [N, 3, H, W] in [0, 1] from PIL images of one size."""
    if isinstance(pictures, Image.Image):
        pictures = [pictures]
    arrays = [np.asarray(p.convert("RGB"), dtype=np.float32) / 255.0 for p in pictures]
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()


def make_grid(images: ImageBatch, nrow: int = 8, padding: int = 2, *, normalize: bool = False,
              value_range: tuple[float, float] | None = None, scale_each: bool = False, pad_value: float = 1.0) -> torch.Tensor:
    """:func:`torchvision.utils.make_grid`: one image [3, H', W'] with ``nrow`` images per row.

    Same arguments and layout as torchvision's (one-channel images become RGB; a single image comes back
    as it is, without padding), except that the padding is white (``pad_value=1.0``), the result is a
    detached CPU float tensor, and bad shapes, ``nrow`` or ``padding`` raise a ValueError naming them.
    """
    from torchvision.utils import make_grid as torchvision_make_grid

    images = _check_images(images).detach().float().cpu()
    nrow = check_positive_int("nrow (images per grid row)", nrow)
    if value_range is not None:
        value_range = tuple(value_range)
    return torchvision_make_grid(images, nrow=nrow, padding=_check_padding(padding), normalize=normalize,
                                 value_range=value_range, scale_each=scale_each, pad_value=pad_value)


class GridFigure(Figure):
    """The figure :func:`show_grid` returns: a matplotlib Figure that a notebook displays once.

    Displaying it (as a cell's last expression, through ``display(fig)``, or at the end of the cell by
    matplotlib's inline backend) shows it and removes it from pyplot's open figures, so the end-of-cell
    display does not show it a second time. Outside a notebook it is an ordinary pyplot figure.
    """

    def _ipython_display_(self) -> None:
        from IPython import get_ipython
        from IPython.display import publish_display_data

        shell = get_ipython()
        bundle, metadata = {}, {}
        if shell is not None:
            for mime, formatter in shell.display_formatter.formatters.items():
                if mime == "text/plain":
                    continue
                result = formatter(self)  # the image formats the frontend asked matplotlib for (png, retina, svg)
                if result is not None:
                    bundle[mime], md = result if isinstance(result, tuple) else (result, None)
                    if md:
                        metadata[mime] = md
        if bundle:
            import matplotlib.pyplot as plt

            plt.close(self)
        bundle["text/plain"] = repr(self)
        publish_display_data(bundle, metadata)


def _check_labels(what: str, labels, count: int, of: str) -> list[str] | None:
    if labels is None:
        return None
    if isinstance(labels, str) or not isinstance(labels, Sequence):
        raise ValueError(f"{what} must be a list of {count} strings (one per {of}), got {labels!r}")
    if len(labels) != count:
        raise ValueError(f"got {len(labels)} {what} for {count} {of}s")
    return [str(label) for label in labels]


def show_grid(images: ImageBatch, nrow: int = 8, *, ax=None, labels: Sequence[str] | None = None,
              row_labels: Sequence[str] | None = None, col_labels: Sequence[str] | None = None, title: str | None = None,
              scale: float = 3.0, padding: int = 2, fontsize: float = 8.0) -> Figure:
    """Draw a batch as a grid with ``nrow`` images per row and return the matplotlib Figure.

    ``labels`` puts one label in the corner of each image; ``row_labels`` and ``col_labels`` name the rows
    (left) and the columns (top); ``title`` goes above. Each image is shown at ``scale`` times its pixel
    size (a 64 px image at 192 px by default), pixels kept sharp. With ``ax=`` the grid is drawn into that
    Axes (``scale`` is then the caller's layout's business) and its figure is returned.

    In a notebook the new figure shows once: at the end of the cell, like any pyplot figure, or where it
    is displayed, e.g. as the cell's last expression (it is a :class:`GridFigure`, which leaves pyplot
    when shown so it is not shown twice); ``plt.show()`` shows it at once. With ``ax=`` the Axes' figure is
    an ordinary one: end the line with ``;`` if it is a cell's last expression.
    """
    import matplotlib.pyplot as plt

    images = _check_images(images)
    n, _, h, w = images.shape
    nrow = min(check_positive_int("nrow (images per grid row)", nrow), n)
    padding = _check_padding(padding)
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not math.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale must be a positive number (display size per image pixel, e.g. 3), got {scale!r}")
    rows = (n + nrow - 1) // nrow
    labels = _check_labels("labels", labels, n, "image")
    row_labels = _check_labels("row_labels", row_labels, rows, "row")
    col_labels = _check_labels("col_labels", col_labels, nrow, "column")
    grid = make_grid(images, nrow=nrow, padding=padding).clamp(0.0, 1.0)
    pad = padding if n > 1 else 0  # torchvision returns a single image without padding

    if ax is None:
        inch = scale / SHOW_DPI
        width, height = grid.shape[2] * inch, grid.shape[1] * inch
        line = fontsize * 1.6 / 72  # a line of text, in inches
        left = 0.1 + (0.6 * fontsize / 72 * max(map(len, row_labels)) if row_labels else 0.0)
        top = 0.1 + (line if col_labels else 0.0) + (1.5 * line if title else 0.0)
        bottom = right = 0.1
        size_x, size_y = left + width + right, bottom + height + top
        figure = plt.figure(figsize=(size_x, size_y), dpi=SHOW_DPI, FigureClass=GridFigure)
        ax = figure.add_axes((left / size_x, bottom / size_y, width / size_x, height / size_y))
    ax.imshow(grid.permute(1, 2, 0).numpy(), interpolation="nearest")
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.tick_params(length=0, labelsize=fontsize, top=False, bottom=False, left=False, labeltop=True, labelbottom=False)
    ax.set_xticks([pad + c * (w + pad) + (w - 1) / 2 for c in range(nrow)] if col_labels else [], col_labels or [])
    ax.set_yticks([pad + r * (h + pad) + (h - 1) / 2 for r in range(rows)] if row_labels else [], row_labels or [])
    for i, label in enumerate(labels or []):
        r, c = divmod(i, nrow)
        ax.text(pad + c * (w + pad) + 1, pad + r * (h + pad) + 1, label, color="white", fontsize=fontsize,
                ha="left", va="top", bbox={"facecolor": "black", "alpha": 0.6, "pad": 1, "linewidth": 0})
    if title:
        ax.set_title(title, fontsize=fontsize * 1.25)
    return ax.figure


def upscale(images: torch.Tensor, factor: int) -> torch.Tensor:
    """Nearest-neighbour enlargement, so small images stay crisp when shown."""
    return images.repeat_interleave(factor, dim=-2).repeat_interleave(factor, dim=-1) if factor > 1 else images


def _check_format(format: str) -> str:
    fmt = format.lower().replace("jpg", "jpeg") if isinstance(format, str) else format
    if fmt not in ("png", "jpeg"):
        raise ValueError(f"format must be 'png' or 'jpeg', got {format!r}")
    return fmt


def to_bytes(image: torch.Tensor, format: str = "png", quality: int = 90) -> bytes:
    """Encode one image [C, H, W] (or a batch, as a grid) to PNG or JPEG bytes."""
    if isinstance(image, torch.Tensor) and image.dim() == 4:
        image = make_grid(image) if image.shape[0] > 1 else image[0]
    fmt = _check_format(format)
    buffer = io.BytesIO()
    to_pil(image)[0].save(buffer, format=fmt.upper(), **({"quality": quality} if fmt == "jpeg" else {}))
    return buffer.getvalue()


def image_file_bytes(images: ImageBatch, format: str = "png", nrow: int = 8, upscale_to: int | None = None, *,
                     padding: int = 2, pad_value: float = 1.0, quality: int = 90) -> bytes:
    """The bytes of an image file of ``images`` (a batch as a :func:`make_grid` grid), enlarged to ``upscale_to``
    pixels if smaller (nearest neighbour, by a whole factor)."""
    images = _check_images(images)
    nrow = check_positive_int("nrow (images per grid row)", nrow)
    if upscale_to and images.shape[-1] < upscale_to:
        images = upscale(images, upscale_to // images.shape[-1])
    grid = make_grid(images, nrow=nrow, padding=padding, pad_value=pad_value)
    return to_bytes(grid, format=format, quality=quality)


def save_image(images: ImageBatch, path: str | os.PathLike, nrow: int = 8, upscale_to: int | None = None, *,
               padding: int = 2, pad_value: float = 1.0, format: str | None = None, quality: int = 90) -> Path:
    """Save an image or a batch (as a grid) like :func:`torchvision.utils.save_image`, but atomically.

    The pixels are those torchvision writes (its grid, 8-bit rounding) with white padding; the format comes
    from the path's suffix (``.png``, ``.jpg``/``.jpeg``; none: PNG) unless ``format`` is given, and
    ``upscale_to`` enlarges small images first (e.g. 64 px to 128 px). A reader, a crash or a kill sees
    the old file or the new one, never half of it (:func:`~latentlab.files.atomic_write_bytes`).
    """
    fmt = _check_format(format if format is not None else (Path(path).suffix.lower().lstrip(".") or "png"))
    return atomic_write_bytes(path, image_file_bytes(images, fmt, nrow, upscale_to, padding=padding,
                                                     pad_value=pad_value, quality=quality))
