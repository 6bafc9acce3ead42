"""Image helpers: tensors (NCHW in [0, 1]) ↔ PIL ↔ PNG/JPEG bytes, grids and files."""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from latentlab.errors import check_positive_int
from latentlab.files import atomic_write_bytes


def _check_images(images: torch.Tensor) -> torch.Tensor:
    if not isinstance(images, torch.Tensor):
        raise ValueError(f"images must be a torch.Tensor, got {type(images).__name__}")
    if images.dim() == 3:
        images = images[None]
    if images.dim() != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"images must be [N, 3, H, W] or [N, 1, H, W], got {tuple(images.shape)}")
    return images


def to_pil(images: torch.Tensor) -> list[Image.Image]:
    """One PIL image per item of a batch [N, C, H, W] (or a single [C, H, W])."""
    images = _check_images(images)
    array = (images.detach().float().clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).cpu().numpy()
    return [Image.fromarray(a[..., 0] if a.shape[-1] == 1 else a) for a in array]


def from_pil(pictures: Image.Image | Sequence[Image.Image]) -> torch.Tensor:
    """A batch [N, 3, H, W] in [0, 1] from PIL images of one size."""
    if isinstance(pictures, Image.Image):
        pictures = [pictures]
    arrays = [np.asarray(p.convert("RGB"), dtype=np.float32) / 255.0 for p in pictures]
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()


def make_grid(images: torch.Tensor, nrow: int = 8, padding: int = 2, pad_value: float = 1.0) -> torch.Tensor:
    """Tile a batch into one image [C, H', W'] with ``nrow`` images per row."""
    images = _check_images(images).detach().float().cpu()
    n, c, h, w = images.shape
    nrow = min(check_positive_int("nrow (images per grid row)", nrow), n)
    rows = (n + nrow - 1) // nrow
    grid = torch.full((c, rows * (h + padding) + padding, nrow * (w + padding) + padding), pad_value)
    for i in range(n):
        r, col = divmod(i, nrow)
        top, left = padding + r * (h + padding), padding + col * (w + padding)
        grid[:, top:top + h, left:left + w] = images[i]
    return grid


def show_grid(images: torch.Tensor, nrow: int = 8, title: str | None = None, labels: Sequence[str] | None = None,
              scale: float = 1.0) -> None:
    """Show a batch as a grid in a notebook (matplotlib), ``scale`` inches per image, with an optional
    title and one label per image drawn in its corner."""
    import matplotlib.pyplot as plt

    images = _check_images(images)
    grid = make_grid(images, nrow=nrow).clamp(0.0, 1.0)
    nrow = max(1, min(nrow, images.shape[0]))
    rows = (images.shape[0] + nrow - 1) // nrow
    plt.figure(figsize=(scale * nrow, scale * rows + 0.4), dpi=100)
    plt.imshow(grid.permute(1, 2, 0).numpy())
    plt.axis("off")
    if labels is not None:
        if len(labels) != images.shape[0]:
            raise ValueError(f"got {len(labels)} labels for {images.shape[0]} images")
        step = grid.shape[2] / nrow
        for i, label in enumerate(labels):
            plt.text((i % nrow) * step + 4, (i // nrow) * step + 12, label, color="white", fontsize=8,
                     bbox={"facecolor": "black", "alpha": 0.6, "pad": 1})
    if title:
        plt.title(title)
    plt.show()


def upscale(images: torch.Tensor, factor: int) -> torch.Tensor:
    """Nearest-neighbour enlargement, so small images stay crisp when shown."""
    return images.repeat_interleave(factor, dim=-2).repeat_interleave(factor, dim=-1) if factor > 1 else images


def to_bytes(image: torch.Tensor, format: str = "png", quality: int = 90) -> bytes:
    """Encode one image [C, H, W] (or a batch, as a grid) to PNG or JPEG bytes."""
    if image.dim() == 4:
        image = make_grid(image) if image.shape[0] > 1 else image[0]
    fmt = format.lower().replace("jpg", "jpeg")
    if fmt not in ("png", "jpeg"):
        raise ValueError(f"format must be 'png' or 'jpeg', got {format!r}")
    buffer = io.BytesIO()
    to_pil(image)[0].save(buffer, format=fmt.upper(), **({"quality": quality} if fmt == "jpeg" else {}))
    return buffer.getvalue()


def image_file_bytes(images: torch.Tensor, format: str = "png", nrow: int = 8, upscale_to: int | None = None) -> bytes:
    """The bytes of an image file of ``images`` (a batch as a grid), enlarged to ``upscale_to`` pixels if smaller."""
    images = _check_images(images)
    check_positive_int("nrow (images per grid row)", nrow)
    if upscale_to and images.shape[-1] < upscale_to:
        images = upscale(images, upscale_to // images.shape[-1])
    grid = make_grid(images, nrow=nrow) if images.shape[0] > 1 else images[0]
    return to_bytes(grid, format=format)


def save_image(images: torch.Tensor, path: str | os.PathLike, nrow: int = 8, upscale_to: int | None = None) -> Path:
    """Save an image or a batch (as a grid) to PNG/JPEG by the path's suffix, atomically."""
    suffix = Path(path).suffix.lower().lstrip(".") or "png"
    return atomic_write_bytes(path, image_file_bytes(images, suffix, nrow, upscale_to))
