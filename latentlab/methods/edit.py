"""Edit an inverted image: move it along directions, walk it, repaint a region, evolve from it — and save the edit.

An :class:`EditedImage` is an image as a vector of a latent space (usually found by
:func:`~latentlab.methods.invert`), the region edits painted on top of it, and the list of steps
that made it, so an edit can be shared and reproduced::

    found = invert(G, load_image("me.png", size=G.resolution), space="w+")
    edit = EditedImage.from_inversion(found, model="shapes-stylegan")
    edit = edit.moved(G, direction, 1.5, layers="coarse").repainted(G, mask, "a blue star")
    edit.save("my-edit/")          # edited.png + edit.safetensors; EditedImage.load("my-edit/")
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from latentlab.errors import InvalidInputError
from latentlab.files import atomic_write_bytes, read_tagged_tensors
from latentlab.methods.inversion_result import InversionResult
from latentlab.spaces import Direction, LatentSpace, RegionEdit, RegionSpace, WPlusSpace, WSpace, ZSpace, resolve_space
from latentlab.spaces.direction import check_t_values

FORMAT = "latentlab-edit/1"
EDIT_FILE = "edit.safetensors"


@dataclass
class EditedImage:
    """One image as a vector of ``space``, with region edits on top and the steps that made it."""

    latents: torch.Tensor  # [1, D] in ``space``
    space: str
    classes: torch.Tensor | None = None  # [1] the class held (Z of a conditional generator)
    noise: list[torch.Tensor] | None = None  # noise maps of an inversion that optimised them
    edits: list[RegionEdit] = field(default_factory=list)  # painted regions, in order
    layer: str | None = None  # where the painted regions are split in
    paint_space: str | None = None  # the space the regions were searched in
    steps: list[dict] = field(default_factory=list)  # what was done, in order
    model: str | None = None  # the zoo name of the generator, when known
    target: torch.Tensor | None = None  # [1, 3, H, W] the image that was inverted

    def __post_init__(self):
        if not isinstance(self.latents, torch.Tensor) or self.latents.dim() not in (1, 2):
            raise InvalidInputError(f"latents must be one vector [D] or [1, D], got {type(self.latents).__name__}")
        self.latents = self.latents.detach().reshape(1, -1).float()

    @classmethod
    def from_inversion(cls, result: InversionResult, index: int = 0, model: str | None = None) -> EditedImage:
        """Image ``index`` of an inversion as the start of an edit."""
        if not isinstance(result, InversionResult):
            raise InvalidInputError(f"expected an InversionResult (from invert), got {type(result).__name__}")
        n = result.z.shape[0]
        if not (isinstance(index, int) and 0 <= index < n):
            raise InvalidInputError(f"index must be an image of the inversion, 0..{n - 1}, got {index!r}")
        classes = None if result.classes is None else result.classes[index:index + 1]  # held in Z; W ignores it
        noise = None if result.noise is None else [m[index:index + 1] for m in result.noise]
        target = None if result.target is None else result.target[index:index + 1]
        step = {"op": "invert", "space": result.space, "loss": result.loss_name, "psnr": None if target is None else
                round(float(result.psnr()[index]), 3), **{k: result.info.get(k) for k in ("recipe", "steps")}}
        return cls(result.z[index], result.space, classes, noise, steps=[step], model=model, target=target)

    # --- rendering --------------------------------------------------------------------------------
    def space_in(self, generator) -> LatentSpace:
        """The latent space of ``generator`` these latents live in (its class held where the space leaves it open)."""
        space = resolve_space(self.space, generator)
        return space if self.classes is None or space.class_in_coordinates else space.with_classes(self.classes)

    @torch.no_grad()
    def render(self, generator) -> torch.Tensor:
        """The edited image [1, 3, R, R] in [0, 1]."""
        with generator.noise_inputs(self.noise):
            if not self.edits:
                return self.space_in(generator).render(self.latents.to(generator.device)).clamp(0, 1)
            return self._region(generator, self.edits[-1].mask, self.edits).current().clamp(0, 1)

    def _region(self, generator, mask: torch.Tensor, edits) -> RegionSpace:
        """The region space over this image (with ``edits`` applied) for a new region ``mask``."""
        space = self.space_in(generator)
        x = self.latents.to(generator.device)
        if not isinstance(space, (ZSpace, WSpace, WPlusSpace)):
            raise InvalidInputError(f"regions are painted over images in Z, W or W+, not in {space.describe()}")
        paint_space = self.paint_space or ("z" if isinstance(space, ZSpace) else "w")
        if isinstance(space, ZSpace):
            z, y = space.decode(x)
            return RegionSpace.for_image(generator, paint_space, z, y, mask, self.layer, edits)
        return RegionSpace.for_image(generator, paint_space, None, None, mask, self.layer, edits, styles=space.decode(x)[0])

    # --- edits ------------------------------------------------------------------------------------
    def moved(self, generator, direction: Direction, amount: float, *, layers=None) -> EditedImage:
        """This image moved by ``amount`` along ``direction`` (of this space; a W direction moves ``layers`` of W+, all
        when None); painted regions stay as they are."""
        d = self._adopt(generator, direction, layers)
        amount = float(check_t_values([amount], "amount")[0])
        moved = d.move(self.latents.to(d.vector.device), amount)
        step = {"op": "direction", "name": direction.name, "method": direction.method, "amount": amount,
                "space": d.space, "layers": None if layers is None else (layers if isinstance(layers, str) else list(layers)),
                "direction": direction.to_json()}
        return replace(self, latents=moved.cpu(), steps=[*self.steps, step])

    def walk(self, generator, direction: Direction, amounts, *, layers=None) -> torch.Tensor:
        """Images [T, 3, R, R] of this image moved by every amount along ``direction``."""
        d = self._adopt(generator, direction, layers)
        ts = check_t_values(amounts, "amount")
        return torch.cat([replace(self, latents=d.move(self.latents, float(t))).render(generator) for t in ts])

    def repainted(self, generator, mask: torch.Tensor, text: str, *, space: str | None = None, **paint) -> EditedImage:
        """This image with the region ``mask`` repainted toward ``text`` by :func:`~latentlab.paint_by_word` (its
        search keywords in ``paint``: generations, population, seed, …); ``space`` the region's search space
        (default 'z' for an image in Z, else 'w')."""
        from latentlab.methods.paint import paint_by_word

        image_space = self.space_in(generator)
        if not isinstance(image_space, (ZSpace, WSpace, WPlusSpace)):
            raise InvalidInputError(f"regions are painted over images in Z, W or W+, not in {image_space.describe()}")
        paint_space = space or self.paint_space or ("z" if isinstance(image_space, ZSpace) else "w")
        x = self.latents.to(generator.device)
        if isinstance(image_space, ZSpace):
            z, y = image_space.decode(x)
            found = paint_by_word(generator, z[0], mask, text, classes=y, edits=self.edits, layer=self.layer,
                                  space=paint_space, **paint)
        else:
            found = paint_by_word(generator, None, mask, text, styles=image_space.decode(x)[0], edits=self.edits,
                                  layer=self.layer, space=paint_space, **paint)
        layer = self.layer or generator.edit_layer
        step = {"op": "paint", "text": text, "space": paint_space, "layer": layer,
                "scores": found.scores, "outside_change": found.outside_change,
                "interrupted": bool(found.run is not None and found.run.interrupted),
                **{k: v for k, v in paint.items() if isinstance(v, (int, float, str, bool))}}
        return replace(self, edits=list(found.edits), layer=layer, paint_space=paint_space, steps=[*self.steps, step])

    def evolve(self, generator, prompt: str, **options):
        """:func:`~latentlab.evolve` toward ``prompt``, searching this image's space from this image (its class held
        in Z). Returns the :class:`~latentlab.methods.EvolutionResult`."""
        from latentlab.methods.evolve import evolve

        if self.edits:
            raise InvalidInputError("evolve searches the whole image's latents: start it before painting regions")
        classes = None if self.classes is None else self.classes
        return evolve(prompt, generator, space=self.space, classes=classes, start=self.latents[0], **options)

    def _adopt(self, generator, direction: Direction, layers) -> Direction:
        if not isinstance(direction, Direction):
            raise InvalidInputError(f"expected a latentlab Direction, got {type(direction).__name__}")
        if layers is not None:
            w = resolve_space("w", generator)
            w.adopt(direction)  # layers= chooses the W+ layers a W direction moves: refuses any other
            indices = w.layer_indices(layers)
            direction = Direction(direction.vector, direction.name, direction.method, direction.projection,
                                  direction.keep_norm, dict(direction.info), "w", tuple(indices))
            if isinstance(self.space_in(generator), WSpace):
                raise InvalidInputError("a direction moves some layers only in W+: invert into 'w+' to edit by layer")
        return self.space_in(generator).adopt(direction)

    # --- files ------------------------------------------------------------------------------------
    def save(self, folder: str | os.PathLike, generator=None) -> Path:
        """Write ``edit.safetensors`` (latents, noise maps, painted regions, steps, metadata) and, with ``generator``,
        ``edited.png``; atomically. Returns the folder."""
        from safetensors.torch import save

        from latentlab.images import save_image

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        tensors = {"latents": self.latents.detach().cpu().contiguous()}
        if self.classes is not None:
            tensors["classes"] = self.classes.detach().cpu().contiguous()
        if self.target is not None:
            tensors["target"] = self.target.detach().cpu().contiguous()
        for i, m in enumerate(self.noise or []):
            tensors[f"noise.{i}"] = m.detach().cpu().contiguous()
        regions = []
        for i, e in enumerate(self.edits):
            tensors[f"edit.{i}.mask"] = torch.as_tensor(e.mask).float().cpu().contiguous()
            for name in ("z", "y", "styles"):
                if getattr(e, name) is not None:
                    tensors[f"edit.{i}.{name}"] = getattr(e, name).detach().cpu().float().contiguous()
            regions.append(e.text)
        meta = {"space": self.space, "layer": self.layer, "paint_space": self.paint_space, "steps": self.steps,
                "model": self.model, "noise_maps": len(self.noise or []), "regions": regions}
        atomic_write_bytes(folder / EDIT_FILE, save(tensors, {"format": FORMAT, "edit": json.dumps(meta)}))
        if generator is not None:
            save_image(self.render(generator), folder / "edited.png")
        return folder

    @classmethod
    def load(cls, folder: str | os.PathLike) -> EditedImage:
        """An edit written by :meth:`save` (its folder or its ``edit.safetensors``)."""
        _, meta, tensors = read_tagged_tensors(folder, EDIT_FILE, FORMAT, "edit", "EditedImage.save (or `latentlab edit`)")
        info = json.loads(meta["edit"])
        edits = [RegionEdit(tensors.get(f"edit.{i}.z"), tensors.get(f"edit.{i}.y"), tensors[f"edit.{i}.mask"], text,
                            styles=tensors.get(f"edit.{i}.styles")) for i, text in enumerate(info["regions"])]
        noise = [tensors[f"noise.{i}"] for i in range(info["noise_maps"])] or None
        return cls(tensors["latents"], info["space"], tensors.get("classes"), noise, edits, info["layer"],
                   info["paint_space"], info["steps"], info["model"], tensors.get("target"))
