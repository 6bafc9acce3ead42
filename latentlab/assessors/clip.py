"""CLIP text-image similarity as an assessor (seed 001 §1.2; masked as in seed 000 eq. 4.2)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from latentlab.assessors.base import MASK_MODES, Assessor, apply_region, check_images, check_mask
from latentlab.errors import InvalidInputError, check_count, check_float, unknown_name_error
from latentlab.zoo.open_clip_models import CLIPBundle, load_clip

#: Named prompt-template ensembles; ``"{}"`` is replaced by the prompt.
TEMPLATES: dict[str, tuple[str, ...]] = {
    "none": ("{}",),
    "shapes": ("{}", "a picture of {}", "an image of {}"),
    "photo": ("a photo of {}.", "a picture of {}.", "an image of {}.", "a rendering of {}.", "a close-up photo of {}."),
}


def _check_prompts(name: str, value: str | Sequence[str] | None, allow_empty_list: bool = False,
                   allow_none: bool = False) -> list[str]:
    if value is None:
        if allow_none:
            return []
        raise InvalidInputError(f"{name} must be a non-empty string or list of strings (e.g. 'a red star'), got None")
    if isinstance(value, (bytes, dict, set, frozenset)) or (not isinstance(value, str) and not hasattr(value, "__iter__")):
        raise InvalidInputError(f"{name} must be a non-empty string or list of strings (e.g. 'a red star'), got "
                                f"{type(value).__name__} {value!r}")
    prompts = [value] if isinstance(value, str) else list(value)
    if not prompts and not allow_empty_list:
        raise InvalidInputError(f"{name} must be a non-empty string or list of strings, got {value!r}")
    for prompt in prompts:
        if not isinstance(prompt, str):
            raise InvalidInputError(f"{name} must be strings, got {type(prompt).__name__} {prompt!r}")
        if not prompt.strip():
            raise InvalidInputError(f"{name} contains an empty prompt {prompt!r}: describe what to look for, e.g. 'a red star'")
    return prompts


def _check_lengths(clip: CLIPBundle, name: str, prompts: list[str], templates: tuple[str, ...]) -> None:
    """Refuse prompts that, put into a template, are longer than the CLIP model's text context."""
    for prompt in prompts:
        for template in templates:
            text = template.format(prompt)
            what = f"{name} prompt" if template == "{}" else f"{name} prompt in template {template!r}"
            clip.check_texts([text], what)


def _check_templates(templates: str | Sequence[str]) -> tuple[str, ...]:
    if isinstance(templates, str):
        if templates in TEMPLATES:
            return TEMPLATES[templates]
        if "{}" not in templates:
            raise unknown_name_error("template set", templates, list(TEMPLATES))
        templates = [templates]
    if isinstance(templates, (bytes, dict, set, frozenset)) or not hasattr(templates, "__iter__"):
        raise InvalidInputError(f"templates must be a template set ({', '.join(map(repr, TEMPLATES))}) or strings with "
                                f"'{{}}' where the prompt goes, got {templates!r}")
    templates = tuple(templates)
    bad = [t for t in templates if not isinstance(t, str) or "{}" not in t or not _formats_once(t)]
    if not templates or bad:
        raise InvalidInputError(f"templates must contain '{{}}' once where the prompt goes (and no other braces), "
                                f"got {bad or templates!r}")
    return templates


def _formats_once(template: str) -> bool:
    try:
        return template.format("\0").count("\0") == 1
    except (IndexError, KeyError, ValueError):
        return False


class CLIPAssessor(Assessor):
    """Cosine similarity between each image and a text prompt under a CLIP model.

    ``text`` may be one prompt or several (their embeddings are averaged, as are the
    ``templates`` each prompt is put into). ``negatives`` are prompts to move away from: the
    score becomes cos(image, text) − ``negative_weight`` · mean cos(image, negative). With
    ``mask`` only the region is scored: x ⊙ m (``mask_mode="multiply"``, seed 000 eq. 4.2) or the
    crop of the mask's bounding box resized to the model's input (``"crop"``).

    ``model`` is ``"shapes-clip"`` (embedded, offline), any open_clip ``"ARCH/TAG"`` such as
    ``"ViT-B-32/openai"`` (downloaded once through the cache), or a loaded :class:`CLIPBundle`.
    Differentiable with respect to the images.
    """

    unit = "cosine"

    def __init__(self, text: str | Sequence[str], model: str | CLIPBundle = "shapes-clip", *, pretrained: str | None = None,
                 mask: torch.Tensor | None = None, mask_mode: str = "multiply", templates: str | Sequence[str] = "none",
                 negatives: str | Sequence[str] | None = None, negative_weight: float = 1.0, batch_size: int = 64,
                 device: str | torch.device = "cpu"):
        super().__init__()
        self.prompts = _check_prompts("text", text)
        self.negatives = _check_prompts("negatives", negatives, allow_none=True)
        self.templates = _check_templates(templates)
        if not isinstance(mask_mode, str) or mask_mode not in MASK_MODES:
            raise unknown_name_error("mask mode", mask_mode, MASK_MODES)
        negative_weight = check_float("negative_weight", negative_weight)
        self.batch_size = check_count("batch_size", batch_size)
        self.clip = load_clip(model, pretrained, device)
        _check_lengths(self.clip, "text", self.prompts, self.templates)
        _check_lengths(self.clip, "negatives", self.negatives, self.templates)
        self.clip_model = self.clip.model  # a submodule, so .to(device) moves it
        self.mask_mode, self.negative_weight = mask_mode, float(negative_weight)
        self.register_buffer("mask", None if mask is None else check_mask(mask))
        with torch.no_grad():
            self.register_buffer("text_embedding", self.embed_prompts(self.prompts))
            negative = [self.embed_prompts([n]) for n in self.negatives]
            self.register_buffer("negative_embedding", torch.stack(negative) if negative else None)
        label = self.prompts[0] if len(self.prompts) == 1 else " | ".join(self.prompts)
        self.name = f"CLIP[{self.clip.name}]({label!r}{' [masked]' if mask is not None else ''})"

    def embed_prompts(self, prompts: list[str]) -> torch.Tensor:
        """One unit-length embedding for the ensemble of ``prompts`` × templates."""
        texts = [template.format(prompt) for prompt in prompts for template in self.templates]
        return torch.nn.functional.normalize(self.clip.encode_text(texts).mean(dim=0), dim=0)

    def image_embeddings(self, images: torch.Tensor) -> torch.Tensor:
        """Unit-length CLIP embeddings of (the masked region of) ``images``, in chunks of ``batch_size``."""
        if self.mask is not None:
            images = apply_region(images, self.mask, self.mask_mode)
        return torch.cat([self.clip.encode_images(chunk) for chunk in images.split(self.batch_size)])

    def score(self, images: torch.Tensor) -> torch.Tensor:
        features = self.image_embeddings(images)
        scores = features @ self.text_embedding.to(features.device)
        if self.negative_embedding is not None:
            scores = scores - self.negative_weight * (features @ self.negative_embedding.to(features.device).T).mean(dim=1)
        return scores.to(images.device)


def similarity_matrix(images: torch.Tensor, texts: Sequence[str], model: str | CLIPBundle = "shapes-clip",
                      templates: str | Sequence[str] = "none") -> torch.Tensor:
    """Cosine similarities [N images, T texts] — e.g. for zero-shot classification over ``texts`` (on the images' device)."""
    prompts, templates = _check_prompts("texts", texts), _check_templates(templates)
    images = check_images(images)
    clip = load_clip(model, device=images.device)  # a loaded CLIPBundle stays where it is
    _check_lengths(clip, "texts", prompts, templates)
    with torch.no_grad():
        text = torch.stack([torch.nn.functional.normalize(
            clip.encode_text([t.format(p) for t in templates]).mean(dim=0), dim=0) for p in prompts])
        image = torch.cat([clip.encode_images(chunk) for chunk in images.split(256)])
    return image @ text.T
