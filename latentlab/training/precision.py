"""Mixed precision for training on CPU or GPU: bf16 autocast where the hardware runs it natively."""

from __future__ import annotations

import torch


def autocast_dtype(mode: str, device: torch.device | str = "cpu") -> torch.dtype | None:
    """The autocast dtype for ``mode`` ("auto", "bf16", "off") on ``device``; None means full precision."""
    if mode not in ("auto", "bf16", "off"):
        raise ValueError(f"mixed_precision={mode!r} is not one of 'auto', 'bf16', 'off'")
    if mode == "off":
        return None
    if mode == "bf16":
        return torch.bfloat16
    device = torch.device(device)
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    return torch.bfloat16 if torch.ops.mkldnn._is_mkldnn_bf16_supported() else None  # emulated bf16 is slower than fp32
