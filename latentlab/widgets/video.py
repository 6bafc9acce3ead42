"""Frames [N, 3, H, W] in [0, 1] to an animated GIF (Pillow) or an MP4 (ffmpeg)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import torch

from latentlab.errors import check_display_size, check_float, check_int
from latentlab.images import atomic_write_bytes, to_pil, upscale

MP4_HELP = ("MP4 export needs ffmpeg: `pip install imageio-ffmpeg` (it ships an ffmpeg binary) or install ffmpeg "
            "on your PATH (e.g. `apt-get install ffmpeg`); GIF export works without it")


#: GIF stores each frame's delay in hundredths of a second (16 bits, at most 655.35 s): 0.002 .. 100 frames per second
GIF_FPS = (0.002, 100.0)
MP4_FPS = (0.01, 1000.0)


def check_fps(fps, writer: str = "gif") -> float:
    """Frames per second for a GIF (0.002 .. 100: its delays are hundredths of a second) or an MP4 (0.01 .. 1000)."""
    low, high = GIF_FPS if writer == "gif" else MP4_FPS
    why = "a GIF stores frame delays in hundredths of a second" if writer == "gif" else "frames per second of the video"
    return check_float("fps", fps, minimum=low, maximum=high, hint=why)


def check_min_size(min_size) -> int:
    """0 (no enlarging) or the side in pixels small frames are enlarged to."""
    return check_display_size("min_size", min_size, minimum=0, hint="pixels small frames are enlarged to; 0 keeps their size")


def _frames(frames: torch.Tensor, min_size: int) -> torch.Tensor:
    if not isinstance(frames, torch.Tensor) or frames.dim() != 4 or frames.shape[1] != 3 or frames.shape[0] < 1:
        raise ValueError(f"frames must be a tensor [N, 3, H, W] with N >= 1, got {getattr(frames, 'shape', type(frames).__name__)}")
    if not frames.is_floating_point():
        raise ValueError(f"frames must be floating point in [0, 1], got dtype {frames.dtype}")
    frames = frames.detach().float().cpu().clamp(0, 1)
    if min_size and frames.shape[-1] < min_size:
        frames = upscale(frames, min_size // frames.shape[-1])
    return frames


def save_gif(frames: torch.Tensor, path: str | os.PathLike, *, fps: float = 8.0, loop: bool = True, min_size: int = 0) -> Path:
    """Write an animated GIF with one frame per image, ``fps`` frames per second."""
    fps, min_size = check_fps(fps, "gif"), check_min_size(min_size)
    pictures = to_pil(_frames(frames, min_size))
    buffer = io.BytesIO()
    pictures[0].save(buffer, format="GIF", save_all=True, append_images=pictures[1:], duration=round(1000 / fps),
                     loop=0 if loop else 1, disposal=2, optimize=False)
    return atomic_write_bytes(path, buffer.getvalue())


def ffmpeg_executable() -> str | None:
    """Path of an ffmpeg binary: imageio-ffmpeg's if installed, else one on the PATH, else None."""
    try:
        import imageio_ffmpeg
    except ImportError:
        return shutil.which("ffmpeg")
    return imageio_ffmpeg.get_ffmpeg_exe()


def save_mp4(frames: torch.Tensor, path: str | os.PathLike, *, fps: float = 8.0, min_size: int = 0, quality: int = 20) -> Path:
    """Write an H.264 MP4 (yuv420p, plays in browsers) through ffmpeg; ``quality`` is its CRF (lower is better)."""
    fps, min_size = check_fps(fps, "mp4"), check_min_size(min_size)
    quality = check_int("quality", quality, minimum=0, maximum=51, hint="libx264's CRF: 0 is lossless, 51 the worst")
    exe = ffmpeg_executable()
    if exe is None:
        raise RuntimeError(MP4_HELP)
    frames = _frames(frames, min_size)
    n, _, h, w = frames.shape
    if h % 2 or w % 2:  # yuv420p needs even sides
        frames = torch.nn.functional.pad(frames, (0, w % 2, 0, h % 2), mode="replicate")
        h, w = frames.shape[-2:]
    raw = (frames * 255).round().byte().permute(0, 2, 3, 1).contiguous().numpy().tobytes()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.mp4")
    command = [exe, "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", str(fps),
               "-i", "-", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", str(quality), "-movflags", "+faststart", str(tmp)]
    done = subprocess.run(command, input=raw, capture_output=True, check=False)
    if done.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"ffmpeg failed ({done.returncode}): {done.stderr.decode(errors='replace').strip()[-500:]}")
    os.replace(tmp, path)
    return path
