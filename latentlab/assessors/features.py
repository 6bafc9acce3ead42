"""Features of any model's layer, behind an image preprocessing: what FID and a classifier's features read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from latentlab.errors import unknown_name_error


@dataclass(frozen=True, eq=False)
class LayerFeatures:
    """Features of any model: ``module``'s submodule ``layer`` (None: the module's output), flattened.

    Images [N, 3, H, W] in [0, 1] go through ``preprocess`` (e.g. a classifier's
    :class:`~latentlab.assessors.classifier.ImagePreprocess`) first. The module runs in eval
    mode and is left as it was found.
    """

    module: torch.nn.Module
    layer: str | None = None
    preprocess: Callable[[torch.Tensor], torch.Tensor] | None = None

    def __post_init__(self):
        if not isinstance(self.module, torch.nn.Module):
            raise ValueError(f"module must be a torch.nn.Module, got {type(self.module).__name__}")
        names = [name for name, _ in self.module.named_modules() if name]
        if self.layer is not None and self.layer not in names:
            raise unknown_name_error("layer", self.layer, names)

    @torch.no_grad()
    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """Float64 features [N, D] on the CPU."""
        x = images if self.preprocess is None else self.preprocess(images)
        device = next((t.device for t in (*self.module.parameters(), *self.module.buffers())), x.device)
        captured: list = []
        hook = None if self.layer is None else self.module.get_submodule(self.layer).register_forward_hook(
            lambda module, inputs, output: captured.append(output))
        training = self.module.training
        try:
            out = self.module.eval()(x.to(device))
        finally:
            self.module.train(training)
            if hook is not None:
                hook.remove()
        out = captured[0] if captured else out
        if not isinstance(out, torch.Tensor):
            raise ValueError(f"layer {self.layer!r} returns {type(out).__name__}, not a tensor; pick a layer with a tensor output")
        return out.flatten(1).double().cpu()
