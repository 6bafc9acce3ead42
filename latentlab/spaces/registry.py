"""The one registry of latent spaces by name, and :func:`resolve_space` that every method, widget and the CLI call.

A generator declares the spaces it offers (``generator.latent_spaces``); a name resolves only
to one of those, with close matches suggested for a typo.
"""

from __future__ import annotations

from collections.abc import Callable

from latentlab.errors import InvalidInputError, unknown_name_error
from latentlab.spaces.base import LatentSpace

#: space name -> builder(generator, classes) -> LatentSpace
SPACES: dict[str, Callable[..., LatentSpace]] = {}
#: other spellings users type
ALIASES = {"wplus": "w+", "w_plus": "w+", "w-plus": "w+", "zclass": "z+class", "z_class": "z+class", "z+c": "z+class",
           "style": "stylespace", "styles": "stylespace", "s": "stylespace", "style-space": "stylespace",
           "style_space": "stylespace"}


def register_space(name: str, build: Callable[..., LatentSpace], *, replace: bool = False) -> None:
    """Register ``build(generator, classes) -> LatentSpace`` under ``name``; a taken name is refused unless ``replace``."""
    if not isinstance(name, str) or not name or name != name.lower():
        raise InvalidInputError(f"a space name must be a non-empty lower-case string, got {name!r}")
    if not callable(build):
        raise InvalidInputError(f"space {name!r}: the builder must be callable, got {type(build).__name__}")
    if name in SPACES and not replace:
        raise InvalidInputError(f"a latent space named {name!r} is already registered; pass replace=True to override it")
    SPACES[name] = build


def space_name(space) -> str:
    """A space name in its canonical spelling ('W', 'wplus' → 'w+'); unknown names suggest close ones."""
    if not isinstance(space, str):
        raise InvalidInputError(f"a latent space is a LatentSpace or one of the names {sorted(SPACES)}, "
                                f"got {type(space).__name__} {space!r}")
    name = space.strip().lower().replace("plus", "+").replace(" ", "")
    name = ALIASES.get(name, ALIASES.get(space.strip().lower(), name))
    if name not in SPACES:
        raise unknown_name_error("latent space", space, sorted(SPACES))
    return name


def resolve_space(space: str | LatentSpace, generator, *, classes=None) -> LatentSpace:
    """The :class:`LatentSpace` for ``space`` on ``generator``: an object is checked to belong to the generator; a name
    must be one of ``generator.latent_spaces``. ``classes`` fix a conditional generator's class where the space
    keeps it fixed (Z, W, W+, StyleSpace)."""
    if isinstance(space, LatentSpace):
        if space.generator is not generator:
            raise InvalidInputError(f"{space!r} belongs to another generator ({type(space.generator).__name__} at "
                                    f"{id(space.generator):#x}); build the space on this one")
        return space
    name = space_name(space)
    offered = list(generator.latent_spaces)
    if name not in offered:
        raise InvalidInputError(f"{type(generator).__name__} offers the latent spaces {offered}, not {space!r}"
                                f"{_hint(name, generator)}")
    return SPACES[name](generator, classes)


def _hint(name: str, generator) -> str:
    if name == "z+class":
        return ": it is unconditional, so its class cannot be searched"
    if name in ("w", "w+", "stylespace"):
        return ": W, W+ and StyleSpace need a style-based generator (one with a mapping network)"
    return ""
