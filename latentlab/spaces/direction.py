"""A latent direction and how to move along it, shared by every direction-finding method.

Two ways to move: additive, z + t·v (GANalyze's T(z, α) = z + αθ, PCA, SeFa), and the
projection of seed 002 §4.4.1, z − ⟨z, u⟩u + t·u, which *sets* the coordinate along the unit
vector u to t, so every latent lands at the same value of the factor u encodes.

A direction belongs to a latent space (``space``: 'z', 'w', 'w+', 'stylespace', …); a W
direction may name the W+ ``layers`` it is meant for (GANSpace's per-layer edits), and a W+
space adopts it by moving only those layers (:meth:`Direction.lifted`). Directions save to and
load from safetensors files with their metadata.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch

from latentlab.errors import CorruptFileError, InvalidInputError
from latentlab.files import atomic_write_bytes

FORMAT = "latentlab-direction/1"


def check_t_values(ts, name: str = "t") -> torch.Tensor:
    """Validate a sweep of t (or α) values: a non-empty 1-D sequence of finite numbers."""
    values = torch.as_tensor(ts, dtype=torch.float32).reshape(-1) if not isinstance(ts, torch.Tensor) else ts.float().reshape(-1)
    if values.numel() == 0:
        raise ValueError(f"{name} values must be a non-empty sequence of finite numbers, got {list(values.tolist())}")
    if not torch.isfinite(values).all():
        raise ValueError(f"{name} values must be finite, got {values.tolist()}")
    return values


def t_grid(low: float, high: float, steps: int, name: str = "t") -> torch.Tensor:
    """``steps`` evenly spaced values from ``low`` to ``high``; an empty range (low >= high) is an error."""
    if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
        raise ValueError(f"{name} range is empty: need low < high, got ({low!r}, {high!r})")
    if not isinstance(steps, int) or steps < 2:
        raise ValueError(f"{name} range needs steps >= 2 points, got {steps!r}")
    return torch.linspace(float(low), float(high), steps)


@dataclass
class Direction:
    """A direction in a generator's latent space.

    ``projection=True`` (seed 002) stores a unit vector and :meth:`move` sets the coordinate
    along it to t; otherwise :meth:`move` adds t·vector, optionally rescaling the moved
    latent back to its original norm (``keep_norm``, a GANalyze option).
    """

    vector: torch.Tensor  # [D]
    name: str = "direction"
    method: str = "custom"
    projection: bool = False
    keep_norm: bool = False
    info: dict = field(default_factory=dict)
    space: str = "z"  # the space whose flat vectors it moves
    layers: tuple[int, ...] | None = None  # the W+ layers a W direction is meant for (None: all)

    def __post_init__(self):
        if not isinstance(self.space, str) or not self.space:
            raise InvalidInputError(f"a direction's space must be a space name such as 'z' or 'w', got {self.space!r}")
        if self.layers is not None:
            if isinstance(self.layers, (str, bytes)) or not all(isinstance(i, int) and i >= 0 for i in self.layers):
                raise InvalidInputError(f"layers must be W+ layer indices (ints >= 0) or None, got {self.layers!r}")
            self.layers = tuple(sorted(set(int(i) for i in self.layers)))
        v = torch.as_tensor(self.vector).detach().float()
        if v.dim() != 1 or v.numel() == 0:
            raise ValueError(f"direction vector must be 1-D [D], got shape {tuple(v.shape)}")
        if not torch.isfinite(v).all():
            raise ValueError(f"direction {self.name!r} has non-finite entries")
        norm = float(v.norm())
        if norm < 1e-12:
            raise ValueError(f"direction {self.name!r} has zero norm ({norm:.3g}); it moves nothing")
        self.vector = v / norm if self.projection else v

    @property
    def dim(self) -> int:
        return self.vector.shape[0]

    @property
    def unit(self) -> torch.Tensor:
        """The direction normalised to length 1 [D]."""
        return self.vector / self.vector.norm()

    def coordinate(self, z: torch.Tensor) -> torch.Tensor:
        """⟨z, u⟩ for each latent [N] (u the unit vector)."""
        return self._check(z) @ self.unit.to(z.device)

    def move(self, z: torch.Tensor, t: float | torch.Tensor) -> torch.Tensor:
        """Moved latents [N, D] from z [N, D] and t (a number or one per latent [N])."""
        z = self._check(z)
        t = torch.as_tensor(t, dtype=z.dtype, device=z.device)
        if t.dim() == 0:
            t = t.expand(z.shape[0])
        if t.shape != (z.shape[0],) or not torch.isfinite(t).all():
            raise ValueError(f"t must be a finite number or one per latent ({z.shape[0]},), got shape {tuple(t.shape)}")
        v = self.vector.to(z.device, z.dtype)
        if self.projection:  # z − ⟨z,u⟩u + t·u
            return z - (z @ v)[:, None] * v + t[:, None] * v
        moved = z + t[:, None] * v
        if self.keep_norm:
            moved = moved * (z.norm(dim=1, keepdim=True) / moved.norm(dim=1, keepdim=True).clamp(min=1e-12))
        return moved

    def sweep(self, z: torch.Tensor, ts: Sequence[float] | torch.Tensor) -> torch.Tensor:
        """Latents [N, T, D] for every latent moved to (or by) every t."""
        ts = check_t_values(ts)
        return torch.stack([self.move(z, float(t)) for t in ts], dim=1)

    def _check(self, z: torch.Tensor) -> torch.Tensor:
        if not isinstance(z, torch.Tensor) or z.dim() != 2 or z.shape[1] != self.dim:
            raise ValueError(f"latents must be a tensor [N, {self.dim}], got {tuple(getattr(z, 'shape', ()))}")
        return z

    def flipped(self) -> Direction:
        """The same direction pointing the other way."""
        return Direction(-self.vector, self.name, self.method, self.projection, self.keep_norm, dict(self.info),
                         self.space, self.layers)

    def check_same_space(self, other: Direction) -> None:
        """Raise unless ``other`` lives in this direction's space with the same number of values."""
        if other.space != self.space or other.dim != self.dim:
            raise InvalidInputError(f"direction {other.name!r} ({other.space!r}, {other.dim} values) is not in the space of "
                                    f"{self.name!r} ({self.space!r}, {self.dim} values)")

    def lifted(self, num_ws: int, within: Sequence[int] | None = None) -> Direction:
        """This W direction as a W+ direction [len(within) · w_dim] moving its :attr:`layers` (all when None) among
        the W+ layers ``within`` (default all ``num_ws``)."""
        if self.space != "w":
            raise InvalidInputError(f"only a W direction lifts to W+; {self.name!r} lives in {self.space!r}")
        within = list(range(num_ws)) if within is None else list(within)
        chosen = set(range(num_ws) if self.layers is None else self.layers)
        bad = sorted(chosen - set(range(num_ws)))
        if bad:
            raise InvalidInputError(f"direction {self.name!r} names W+ layers {bad}, outside 0..{num_ws - 1}")
        if not chosen & set(within):
            raise InvalidInputError(f"direction {self.name!r} moves W+ layers {sorted(chosen)}, none of the space's {within}")
        blocks = [self.vector if i in chosen else torch.zeros_like(self.vector) for i in within]
        return Direction(torch.cat(blocks), self.name, self.method, self.projection, self.keep_norm,
                         {**self.info, "lifted_from": "w", "w_layers": sorted(chosen)}, "w+", None)

    def to_json(self) -> dict:
        return {"vector": self.vector.tolist(), "name": self.name, "method": self.method, "projection": self.projection,
                "keep_norm": self.keep_norm, "info": self.info, "space": self.space,
                "layers": None if self.layers is None else list(self.layers)}

    @classmethod
    def from_json(cls, d: dict) -> Direction:
        layers = d.get("layers")
        return cls(torch.as_tensor(d["vector"]), d["name"], d["method"], d["projection"], d.get("keep_norm", False),
                   d.get("info", {}), d.get("space", "z"), None if layers is None else tuple(layers))

    def save(self, path: str | os.PathLike) -> Path:
        """Write the direction to a ``.safetensors`` file (vector + metadata), atomically."""
        from safetensors.torch import save

        path = Path(path)
        if path.suffix != ".safetensors":
            raise InvalidInputError(f"a direction is saved as a .safetensors file, got {str(path)!r}")
        meta = {k: v for k, v in self.to_json().items() if k != "vector"}
        atomic_write_bytes(path, save({"vector": self.vector.contiguous()}, {"format": FORMAT, "direction": json.dumps(meta)}))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> Direction:
        """A direction written by :meth:`save`."""
        from safetensors import safe_open

        path = Path(path)
        try:
            with safe_open(str(path), "pt") as f:
                meta, vector = f.metadata() or {}, f.get_tensor("vector")
        except FileNotFoundError:
            raise
        except Exception as error:  # safetensors raises its own types for damaged headers
            raise CorruptFileError(f"{path} is not a latentlab direction file ({error})") from None
        if meta.get("format") != FORMAT:
            raise CorruptFileError(f"{path} is not a latentlab direction file (format {meta.get('format')!r}, "
                                   f"expected {FORMAT!r})")
        return cls.from_json({**json.loads(meta["direction"]), "vector": vector})
