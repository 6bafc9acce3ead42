"""Reconstruction losses for inversion, by name and composable.

``"mse"`` (pixels), ``"blurred_mse"`` (seed 002 eq. 4.5: forgives out-of-phase texture),
``"lpips"`` (the ``lpips`` package; needs its torchvision backbone, so it fails clearly offline)
and ``"probe"`` (the offline perceptual stand-in: squared distance between ``shapes-probe``
features, meaningful for Shapes-world images). Terms add up with weights: ``"mse+0.1*probe"``
or ``{"mse": 1.0, "lpips": 0.5}``. Every term takes an optional mask [N, 1, H, W] in [0, 1]:
pixel terms average over the masked pixels only; perceptual terms compare the generated image
pasted into the target outside the mask, so only the masked part can change the distance.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping

import torch

from latentlab.assessors.distances import LPIPSDistance, blurred_mse, probe_feature_distance
from latentlab.errors import InvalidInputError, unknown_name_error

#: loss(generated [N,3,H,W], target [N,3,H,W], valid [N,1,H,W] or None) -> per-image loss [N]
LossFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor | None], torch.Tensor]
LOSS_TERMS = ("mse", "blurred_mse", "lpips", "probe")
_TERM = re.compile(r"^\s*(?:([0-9.eE+-]+)\s*\*\s*)?([a-z_]+)\s*$")


class ReconstructionLoss:
    """A weighted sum of named terms, callable as a :data:`LossFn`; :attr:`name` says what it is made of."""

    def __init__(self, terms: Mapping[str, float], *, sigma: float = 3.0, device=None):
        if not terms:
            raise InvalidInputError(f"a loss needs at least one term of {list(LOSS_TERMS)}")
        if not (isinstance(sigma, (int, float)) and sigma >= 0 and math.isfinite(sigma)):
            raise ValueError(f"sigma must be a finite number >= 0 (pixels), got {sigma!r}")
        for term, weight in terms.items():
            if term not in LOSS_TERMS:
                raise unknown_name_error("loss", term, LOSS_TERMS)
            if not (isinstance(weight, (int, float)) and math.isfinite(weight) and weight > 0):
                raise InvalidInputError(f"the weight of loss term {term!r} must be a finite number > 0, got {weight!r}")
        self.terms, self.sigma = {k: float(v) for k, v in terms.items()}, float(sigma)
        self._lpips = None
        if "lpips" in self.terms:
            try:
                self._lpips = LPIPSDistance("alex")
            except RuntimeError as error:
                raise RuntimeError(f"{error} Offline, choose the probe-feature distance explicitly: loss='probe' "
                                   "(or e.g. 'mse+0.1*probe'); it is meaningful for Shapes-world images.") from None
        if self._lpips is not None and device is not None:
            self._lpips.to(device)

    @property
    def name(self) -> str:
        """The loss as it would be written: 'mse', 'mse+0.1*probe', 'blurred_mse(σ=3)'."""
        parts = []
        for term, weight in self.terms.items():
            label = f"blurred_mse(sigma={self.sigma:g})" if term == "blurred_mse" else term
            parts.append(label if weight == 1.0 else f"{weight:g}*{label}")
        return "+".join(parts)

    def __call__(self, a: torch.Tensor, b: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
        total = 0.0
        for term, weight in self.terms.items():
            total = total + weight * self._term(term, a, b, valid)
        return total

    def _term(self, term: str, a: torch.Tensor, b: torch.Tensor, valid: torch.Tensor | None) -> torch.Tensor:
        if term in ("mse", "blurred_mse"):
            return blurred_mse(a, b, self.sigma if term == "blurred_mse" else 0.0, valid)
        if valid is not None:  # only the masked part of the generated image may differ from the target
            a = a * valid + b * (1 - valid)
        if term == "probe":
            return probe_feature_distance(a, b)
        return self._lpips(a, b)


def resolve_loss(loss: str | Mapping[str, float] | LossFn, sigma: float = 3.0, device=None) -> LossFn:
    """A per-image loss from a name ('mse', 'blurred_mse', 'lpips', 'probe'), a sum of weighted names
    ('mse+0.1*probe'), a {name: weight} mapping, or a callable (returned as is)."""
    if isinstance(loss, ReconstructionLoss) or (callable(loss) and not isinstance(loss, (str, Mapping))):
        return loss
    if isinstance(loss, Mapping):
        return ReconstructionLoss(dict(loss), sigma=sigma, device=device)
    if not isinstance(loss, str):
        raise InvalidInputError(f"loss must be a name ({', '.join(LOSS_TERMS)}), a sum such as 'mse+0.1*probe', a "
                                f"{{name: weight}} dict or a callable, got {type(loss).__name__}")
    terms: dict[str, float] = {}
    for part in loss.split("+"):
        match = _TERM.match(part)
        if match is None:
            raise unknown_name_error("loss", part.strip(), LOSS_TERMS)
        weight, term = match.groups()
        if term not in LOSS_TERMS:
            raise unknown_name_error("loss", term, LOSS_TERMS)
        try:
            terms[term] = terms.get(term, 0.0) + (1.0 if weight is None else float(weight))
        except ValueError:
            raise InvalidInputError(f"loss term {part.strip()!r}: {weight!r} is not a number") from None
    return ReconstructionLoss(terms, sigma=sigma, device=device)


def loss_name(loss: LossFn) -> str:
    """What a loss is called in reports: its :attr:`ReconstructionLoss.name`, else the callable's name."""
    return loss.name if isinstance(loss, ReconstructionLoss) else getattr(loss, "__name__", type(loss).__name__)
