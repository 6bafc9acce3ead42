"""What an inversion returns and keeps: the latents found, their images, the history, and a state to resume from.

:meth:`InversionResult.save` writes a folder a user can share: ``latents.safetensors`` (the
vectors, their noise maps and the resumable state, with the metadata as JSON) next to
``target.png`` and ``reconstruction.png``; :meth:`InversionResult.load` reads it back without
running any code from the file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch

from latentlab.errors import InvalidInputError
from latentlab.files import atomic_write_bytes, read_tagged_tensors

FORMAT = "latentlab-inversion/1"
LATENTS_FILE = "latents.safetensors"


@dataclass
class InversionState:
    """Where an inversion stands: its step and stage, the optimiser's vectors and moments, the best so far."""

    step: int  # steps taken (over all stages)
    stage: int  # index into the run's stages ('w' then 'w+' for a projection into W+)
    tensors: dict[str, torch.Tensor]  # x, m, v, best_x, best_loss, classes, noise…, all [rows, …]
    adam_t: int  # the optimiser's step count in the current stage
    noise_t: int  # the noise maps' optimiser step count
    settings: dict  # what decided the run; a resume with other settings is refused

    def to_tensors(self, prefix: str = "state.") -> dict[str, torch.Tensor]:
        return {prefix + k: v.detach().cpu().contiguous() for k, v in self.tensors.items()}

    def to_json(self) -> dict:
        return {"step": self.step, "stage": self.stage, "adam_t": self.adam_t, "noise_t": self.noise_t,
                "settings": self.settings}

    @classmethod
    def from_parts(cls, meta: dict, tensors: dict[str, torch.Tensor], prefix: str = "state.") -> InversionState:
        own = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        return cls(int(meta["step"]), int(meta["stage"]), own, int(meta["adam_t"]), int(meta["noise_t"]), meta["settings"])


@dataclass
class InversionResult:
    """Best latents found for each target, their images and the optimisation history."""

    z: torch.Tensor  # [N, D] best vector per target, in ``space``
    images: torch.Tensor  # [N, 3, H, W] the reconstruction: the space's render of z (with ``noise``)
    loss: torch.Tensor  # [N] loss of the best latent per target
    classes: torch.Tensor | None  # [N] class indices: held (Z) or searched / started from (W, W+); None unconditional
    history: list[float] = field(default_factory=list)  # per step: mean over targets of the best candidate's loss
    space: str = "z"  # the space z lives in
    loss_name: str = ""  # the loss as it was chosen, e.g. 'mse' or 'mse+0.1*probe'
    noise: list[torch.Tensor] | None = None  # optimised noise maps [N, 1, R, R] per noise layer (style generators)
    state: InversionState | None = None  # resume with invert(..., resume=result)
    interrupted: bool = False  # stopped by Ctrl-C: the best found so far
    seconds: float = 0.0
    target: torch.Tensor | None = None  # [N, 3, H, W] what was inverted
    info: dict = field(default_factory=dict)  # model name, recipe, stages, steps…

    @property
    def latents(self) -> torch.Tensor:
        """The vectors found [N, D] of :attr:`space` (the same as ``z``)."""
        return self.z

    def psnr(self) -> torch.Tensor:
        """Peak signal-to-noise ratio [N] of the reconstruction against the target, in dB."""
        if self.target is None:
            raise InvalidInputError("this result does not hold its target image; PSNR needs it")
        mse = ((self.images.detach().cpu() - self.target.detach().cpu()) ** 2).mean(dim=(1, 2, 3)).clamp_min(1e-10)
        return -10 * torch.log10(mse)

    def save(self, folder: str | os.PathLike) -> Path:
        """Write ``latents.safetensors`` (vectors, noise maps, state, metadata), ``target.png`` and
        ``reconstruction.png`` into ``folder``; each file is written atomically. Returns the latents file."""
        from safetensors.torch import save

        from latentlab.images import save_image

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        tensors = {"latents": self.z.detach().cpu().contiguous(), "images": self.images.detach().cpu().contiguous(),
                   "loss": self.loss.detach().cpu().float().contiguous()}
        if self.classes is not None:
            tensors["classes"] = self.classes.detach().cpu().contiguous()
        if self.target is not None:
            tensors["target"] = self.target.detach().cpu().contiguous()
        for i, noise in enumerate(self.noise or []):
            tensors[f"noise.{i}"] = noise.detach().cpu().contiguous()
        if self.state is not None:
            tensors.update(self.state.to_tensors())
        meta = {"space": self.space, "loss_name": self.loss_name, "history": self.history, "interrupted": self.interrupted,
                "seconds": self.seconds, "info": self.info, "noise_maps": len(self.noise or []),
                "state": None if self.state is None else self.state.to_json()}
        path = folder / LATENTS_FILE
        atomic_write_bytes(path, save(tensors, {"format": FORMAT, "inversion": json.dumps(meta)}))
        if self.target is not None:
            save_image(self.target, folder / "target.png", nrow=self.target.shape[0])
        save_image(self.images, folder / "reconstruction.png", nrow=self.images.shape[0])
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> InversionResult:
        """A result written by :meth:`save` (the folder or its ``latents.safetensors``)."""
        _, meta, tensors = read_tagged_tensors(path, LATENTS_FILE, FORMAT, "inversion",
                                               "InversionResult.save (or `latentlab invert`)")
        info = json.loads(meta["inversion"])
        noise = [tensors[f"noise.{i}"] for i in range(info["noise_maps"])] or None
        state = None if info["state"] is None else InversionState.from_parts(info["state"], tensors)
        return cls(tensors["latents"], tensors["images"], tensors["loss"], tensors.get("classes"), info["history"],
                   info["space"], info["loss_name"], noise, state, info["interrupted"], info["seconds"],
                   tensors.get("target"), info["info"])
