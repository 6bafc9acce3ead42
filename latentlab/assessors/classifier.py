"""Bring your own image classifier: any ``nn.Module`` becomes an assessor in one call.

``ClassifierAssessor(model, "7", class_names=digits, input_size=28, pad=2, channels=1)`` scores
p(class | image) for latentlab images; :class:`ImagePreprocess` is the shared input pipeline
(resize, pad, RGB → grey, mean/std), also used by :class:`latentlab.assessors.features.LayerFeatures` (FID in any layer).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from latentlab.assessors.base import Assessor, check_images
from latentlab.assessors.features import LayerFeatures
from latentlab.errors import unknown_name_error

OUTPUT_KINDS = ("logits", "log_probabilities", "probabilities")
SCORE_KINDS = ("probability", "log_probability")
CHANNELS = (1, 3)


def _pair(name: str, value: int | Sequence[int] | None) -> tuple[int, int] | None:
    if value is None:
        return None
    size = (value, value) if isinstance(value, int) else tuple(value)
    if len(size) != 2 or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in size):
        raise ValueError(f"{name} must be a positive int or (height, width), got {value!r}")
    return size


def _per_channel(name: str, value: float | Sequence[float], channels: int) -> torch.Tensor:
    t = torch.as_tensor(value, dtype=torch.float32).flatten()
    if t.numel() == 1:
        t = t.repeat(channels)
    if t.numel() != channels or not torch.isfinite(t).all():
        raise ValueError(f"{name} must be one finite number or {channels} (one per channel), got {value!r}")
    return t.reshape(1, channels, 1, 1)


class ImagePreprocess(nn.Module):
    """latentlab images [N, 3, H, W] in [0, 1] → a classifier's input.

    In order: resize to ``input_size`` (bilinear, antialiased), zero-pad by ``pad`` pixels on each
    side, average RGB to grey when ``channels=1``, then ``(x - mean) / std`` per channel.
    """

    def __init__(self, *, input_size: int | Sequence[int] | None = None, pad: int = 0, channels: int = 3,
                 mean: float | Sequence[float] = 0.0, std: float | Sequence[float] = 1.0):
        super().__init__()
        if channels not in CHANNELS:
            raise ValueError(f"channels must be 1 (grey) or 3 (RGB), got {channels!r}")
        if isinstance(pad, bool) or not isinstance(pad, int) or pad < 0:
            raise ValueError(f"pad must be an int >= 0 (pixels added on each side), got {pad!r}")
        self.input_size, self.pad, self.channels = _pair("input_size", input_size), pad, channels
        self.register_buffer("mean", _per_channel("mean", mean, channels), persistent=False)
        self.register_buffer("std", _per_channel("std", std, channels), persistent=False)
        if (self.std <= 0).any():
            raise ValueError(f"std must be > 0, got {std!r}")

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = images
        if self.input_size is not None and tuple(x.shape[-2:]) != self.input_size:
            x = F.interpolate(x, size=self.input_size, mode="bilinear", align_corners=False, antialias=True)
        if self.pad:
            x = F.pad(x, (self.pad,) * 4)
        if self.channels == 1:
            x = x.mean(dim=1, keepdim=True)
        return (x - self.mean.to(x.device)) / self.std.to(x.device)


class ClassifierAssessor(Assessor):
    """Probability (or log-probability) that an image classifier gives to one class.

    ``classifier`` maps preprocessed images to ``output`` ∈ {'logits', 'log_probabilities',
    'probabilities'} of shape [N, C]. ``target`` is a class name (needs ``class_names``) or index;
    leave it None to use only :meth:`predict` and :meth:`log_probabilities`. ``score`` is
    'probability' (default) or 'log_probability'. Differentiable; the classifier is put in eval mode.
    """

    def __init__(self, classifier: nn.Module, target: int | str | None = None, *, class_names: Sequence[str] | None = None,
                 input_size: int | Sequence[int] | None = None, pad: int = 0, channels: int = 3,
                 mean: float | Sequence[float] = 0.0, std: float | Sequence[float] = 1.0, output: str = "logits",
                 score: str = "probability"):
        super().__init__()
        if not isinstance(classifier, nn.Module):
            raise ValueError(f"classifier must be a torch.nn.Module, got {type(classifier).__name__}")
        if output not in OUTPUT_KINDS:
            raise unknown_name_error("output kind", output, OUTPUT_KINDS)
        if score not in SCORE_KINDS:
            raise unknown_name_error("score kind", score, SCORE_KINDS)
        self.class_names = tuple(str(c) for c in class_names) if class_names is not None else None
        if self.class_names is not None and (len(self.class_names) < 2 or len(set(self.class_names)) != len(self.class_names)):
            raise ValueError(f"class_names must hold at least two distinct names, got {class_names!r}")
        self.classifier = classifier.eval()
        self.preprocess = ImagePreprocess(input_size=input_size, pad=pad, channels=channels, mean=mean, std=std)
        self.output, self.score_kind = output, score
        self.target = None if target is None else self.class_index(target)
        self.unit = score.replace("_", "-")
        label = "?" if self.target is None else self.class_label(self.target)
        self.name = f"{'log ' if score == 'log_probability' else ''}p({label})"

    # classes -----------------------------------------------------------------------------------
    def class_index(self, target: int | str) -> int:
        """Index of a class by name (needs ``class_names``) or index; unknown names suggest close ones."""
        if isinstance(target, str):
            if self.class_names is None:
                raise ValueError(f"class {target!r} given by name but the classifier has no class_names; pass an index")
            if target not in self.class_names:
                raise unknown_name_error("class", target, self.class_names)
            return self.class_names.index(target)
        if isinstance(target, bool) or not isinstance(target, int) or target < 0:
            raise ValueError(f"class must be a name or an index >= 0, got {target!r}")
        if self.class_names is not None and target >= len(self.class_names):
            raise ValueError(f"class index {target} is out of range 0..{len(self.class_names) - 1}")
        return target

    def class_label(self, index: int) -> str:
        return self.class_names[index] if self.class_names is not None else str(index)

    # reading -----------------------------------------------------------------------------------
    def log_probabilities(self, images: torch.Tensor) -> torch.Tensor:
        """log p(class | image) [N, C] for images [N, 3, H, W] in [0, 1]."""
        return self._log_probabilities(check_images(images))

    def _log_probabilities(self, images: torch.Tensor) -> torch.Tensor:
        out = self.classifier(self.preprocess(images))
        if out.dim() != 2 or out.shape[0] != images.shape[0]:
            raise ValueError(f"the classifier must return [N, classes] = [{images.shape[0]}, C], got {tuple(out.shape)}")
        if self.class_names is not None and out.shape[1] != len(self.class_names):
            raise ValueError(f"the classifier returns {out.shape[1]} classes but {len(self.class_names)} class_names were given")
        if self.output == "probabilities":
            out = out.clamp(min=1e-30).log()
        return torch.log_softmax(out, dim=1)  # also renormalises log-probabilities that drift from summing to 1

    @torch.no_grad()
    def predict(self, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
        """The most probable class index of each image [N]."""
        return torch.cat([self.log_probabilities(images[i:i + batch_size]).argmax(dim=1)
                          for i in range(0, images.shape[0], batch_size)])

    def score(self, images: torch.Tensor) -> torch.Tensor:
        if self.target is None:
            raise ValueError("this ClassifierAssessor has no target class; pass target= (a class name or index) to score")
        logp = self._log_probabilities(images)
        if self.target >= logp.shape[1]:
            raise ValueError(f"class index {self.target} is out of range 0..{logp.shape[1] - 1} for this classifier")
        logp = logp[:, self.target]
        return logp if self.score_kind == "log_probability" else logp.exp()

    def features(self, layer: str | None):
        """The classifier's ``layer`` (a submodule name; None = its output) behind this preprocessing, for FID."""
        return LayerFeatures(self.classifier, layer, self.preprocess)
