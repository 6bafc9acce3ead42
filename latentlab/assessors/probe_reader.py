"""The one reader of ``shapes-probe``: what it sees in Shapes-world images (class, x, y, scale, hue, object mask).

Everything that reads the probe goes through :class:`ProbeReader`: the probe assessors, the
property assessors' object masks, the factor metrics, direction control, dissection's concepts,
the explorers' readouts and :func:`object_mask`. A reading is a :class:`ProbeReading`.

The probe is kept **once per device**: the embedded probe is loaded once per device and process
(:func:`default_probe`), a probe you give is used on its own device and copied once to any other
device it is asked to read on. Nothing moves a probe with ``.to()``, so two parts of a program
reading on different devices never pull one shared probe back and forth.
"""

from __future__ import annotations

import copy
import math
import threading
import weakref
from dataclasses import dataclass, fields

import torch
import torch.nn.functional as F
from torch import nn

from latentlab.errors import check_device, check_positive_int
from latentlab.masks import dilate
from latentlab.zoo import load_probe

RESOLUTION = 64  # the probe reads 64-px images; others are resized for it and its mask resized back
_LOCK = threading.Lock()
_EMBEDDED: dict[torch.device, nn.Module] = {}  # device -> the embedded shapes-probe on it


def _key(device) -> torch.device:
    """A concrete device to key a cache by (``cuda`` → ``cuda:<current>``; ``cpu`` stays ``cpu``)."""
    device = torch.device(device)
    if device.type not in ("cpu", "meta") and device.index is None:
        device = torch.empty(0, device=device).device
    return device


def _device_of(module: nn.Module) -> torch.device:
    tensor = next((t for t in (*module.parameters(), *module.buffers())), None)
    return torch.device("cpu") if tensor is None else _key(tensor.device)


def _dtype_of(module: nn.Module) -> torch.dtype:
    tensor = next(module.parameters(), None)
    return torch.float32 if tensor is None or not tensor.is_floating_point() else tensor.dtype


def default_probe(device: str | torch.device = "cpu") -> nn.Module:
    """The embedded ``shapes-probe`` on ``device`` (eval mode, frozen), loaded once per device and process."""
    key = _key(check_device(device))
    with _LOCK:
        if key not in _EMBEDDED:
            _EMBEDDED[key] = load_probe("shapes-probe", key)
        return _EMBEDDED[key]


@dataclass
class ProbeReading:
    """What the probe reads from a batch of N images.

    ``shape`` [N] (long, class index), ``x``, ``y`` [N] (the object's centre as fractions of the
    image, y down), ``scale`` [N] (fraction of the width) and ``hue`` [N] (on the unit circle) are
    always there; ``mask`` [N, 1, H, W] (object probability at the images' size), ``images``
    [N, 3, H, W] (the images read), ``logits`` [N, classes] and ``hue_vector`` [N, 2] when read.
    """

    shape: torch.Tensor
    x: torch.Tensor
    y: torch.Tensor
    scale: torch.Tensor
    hue: torch.Tensor
    mask: torch.Tensor | None = None
    images: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    hue_vector: torch.Tensor | None = None  # ≈ (cos 2πh, sin 2πh); from ``hue`` when not given

    def __post_init__(self):
        if self.hue_vector is None:
            angle = 2 * math.pi * self.hue
            self.hue_vector = torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)

    def __len__(self) -> int:
        return int(self.shape.shape[0])

    @property
    def geometry(self) -> torch.Tensor:
        """x, y and scale [N, 3]."""
        return torch.stack([self.x, self.y, self.scale], dim=1)

    @property
    def object_mask(self) -> torch.Tensor:
        """Binary object masks [N, 1, H, W] (probe probability > 0.5); needs a reading with its mask."""
        if self.mask is None:
            raise ValueError("this reading has no mask: read with with_mask=True")
        return (self.mask > 0.5).float()

    def cpu(self) -> ProbeReading:
        """The same reading with every tensor detached and on the CPU."""
        return ProbeReading(**{f.name: None if getattr(self, f.name) is None else getattr(self, f.name).detach().cpu()
                               for f in fields(self)})

    @staticmethod
    def cat(parts: list[ProbeReading]) -> ProbeReading:
        """Readings of consecutive batches as one."""
        return ProbeReading(**{f.name: None if getattr(parts[0], f.name) is None else torch.cat([getattr(p, f.name) for p in parts])
                               for f in fields(ProbeReading)})


def _check_images(images) -> torch.Tensor:
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] != 3:
        raise ValueError(f"images must be a tensor [N, 3, H, W], got {getattr(images, 'shape', type(images).__name__)}")
    return images


class ProbeReader:
    """Reads ``shapes-probe`` (or ``probe``, any :class:`~latentlab.probes.ShapesProbe`) on images.

    - ``reader(images)``: one pass on the images' device, differentiable (what assessors use).
    - ``reader.read(images)``: batched, without gradients, results on the CPU (what metrics use); it
      runs on ``device`` when given, else on a given probe's own device, else on the images' device.

    The probe is held per device (see the module docstring): the embedded one is shared by all
    readers, a given one is used where it is and copied once to each other device asked for.
    """

    def __init__(self, probe: nn.Module | None = None, *, device: str | torch.device | None = None):
        if probe is not None and not isinstance(probe, nn.Module):
            raise ValueError(f"probe must be a ShapesProbe (torch.nn.Module) or None for the embedded shapes-probe, "
                             f"got {type(probe).__name__}")
        self.given = probe
        self.device = None if device is None else _key(check_device(device))
        self._copies: dict[torch.device, nn.Module] = {}

    def __repr__(self) -> str:
        return f"ProbeReader({'shapes-probe' if self.given is None else type(self.given).__name__})"

    @property
    def probe(self) -> nn.Module:
        """The probe as given (for the embedded one: its CPU copy)."""
        return self.given if self.given is not None else default_probe()

    @property
    def class_names(self) -> tuple[str, ...]:
        return tuple(self.probe.class_names)

    def on(self, device: str | torch.device) -> nn.Module:
        """The probe on ``device``: the embedded one loaded there, the given one itself, or its copy there."""
        device = _key(device)
        if self.given is None:
            return default_probe(device)
        if _device_of(self.given) == device:
            return self.given
        with _LOCK:
            if device not in self._copies:
                self._copies[device] = copy.deepcopy(self.given).to(device)
            return self._copies[device]

    def _input(self, images: torch.Tensor, probe: nn.Module) -> torch.Tensor:
        x = images.to(_dtype_of(probe))
        if tuple(x.shape[-2:]) != (RESOLUTION, RESOLUTION):
            x = F.interpolate(x, size=(RESOLUTION, RESOLUTION), mode="bilinear", antialias=x.shape[-1] > RESOLUTION,
                              align_corners=False)
        return x

    def __call__(self, images: torch.Tensor, *, with_mask: bool = False) -> ProbeReading:
        """The probe's reading of ``images`` [N, 3, H, W] on their device (differentiable)."""
        probe = self.on(_check_images(images).device)
        out = probe(self._input(images, probe), with_mask=with_mask)
        mask = None
        if with_mask:
            mask = out.mask
            if tuple(mask.shape[-2:]) != tuple(images.shape[-2:]):
                mask = F.interpolate(mask, size=tuple(images.shape[-2:]), mode="bilinear", align_corners=False)
        return ProbeReading(out.shape, out.x, out.y, out.scale, out.hue, mask=mask, logits=out.logits,
                            hue_vector=out.hue_vector)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """The probe's penultimate features [N, F] of ``images``, on their device (differentiable)."""
        probe = self.on(_check_images(images).device)
        return probe.features(self._input(images, probe))

    @torch.no_grad()
    def read(self, images: torch.Tensor, *, with_mask: bool = False, keep_images: bool = False,
             batch_size: int = 256) -> ProbeReading:
        """The probe's reading of ``images`` in batches of ``batch_size``, on the CPU.

        ``with_mask`` adds the object masks, ``keep_images`` the images themselves (on the CPU,
        float), which concepts that also read pixels need.
        """
        images = _check_images(images)
        batch_size = check_positive_int("batch_size", batch_size)
        device = self.device or (_device_of(self.given) if self.given is not None else _key(images.device))
        parts = [self(chunk.to(device), with_mask=with_mask).cpu() for chunk in images.detach().split(batch_size)]
        reading = ProbeReading.cat(parts)
        if keep_images:
            reading.images = images.detach().float().cpu()
        return reading

    def object_mask(self, images: torch.Tensor, *, grow: int = 3, threshold: float = 0.5) -> torch.Tensor:
        """Masks [N, H, W] on the CPU of the object the probe segments, grown by ``grow`` pixels."""
        soft = self.read(images, with_mask=True).mask[:, 0]
        return dilate((soft > threshold).float(), grow)


_READERS: weakref.WeakKeyDictionary[nn.Module, ProbeReader] = weakref.WeakKeyDictionary()
_EMBEDDED_READER = ProbeReader()


def as_reader(probe: ProbeReader | nn.Module | None) -> ProbeReader:
    """``probe`` as a :class:`ProbeReader` (None: the embedded ``shapes-probe``).

    A given probe module gets one reader for as long as it lives, so its copies on other
    devices are made once however often it is passed.
    """
    if isinstance(probe, ProbeReader):
        return probe
    if probe is None:
        return _EMBEDDED_READER
    if not isinstance(probe, nn.Module):
        return ProbeReader(probe)  # refuses it, saying what a probe must be
    with _LOCK:
        if probe not in _READERS:
            _READERS[probe] = ProbeReader(probe)
        return _READERS[probe]


def read_probe(images: torch.Tensor, probe: ProbeReader | nn.Module | None = None, batch_size: int = 256) -> ProbeReading:
    """The probe's reading of ``images`` [N, 3, H, W] with object masks and the images kept, on the CPU."""
    return as_reader(probe).read(images, with_mask=True, keep_images=True, batch_size=batch_size)


def object_mask(images: torch.Tensor, *, grow: int = 3, probe: ProbeReader | nn.Module | None = None,
                threshold: float = 0.5) -> torch.Tensor:
    """Masks [N, H, W] of the object in Shapes-world images, as ``shapes-probe`` segments it, grown by ``grow`` pixels."""
    return as_reader(probe).object_mask(images, grow=grow, threshold=threshold)
