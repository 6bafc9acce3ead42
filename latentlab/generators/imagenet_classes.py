"""The 1000 ImageNet class names, and finding a class by name.

The names are open_clip's ``IMAGENET_CLASSNAMES`` (OpenAI's readable names, in class-index
order). Two of them appear twice there; those are told apart by their WordNet names:
744 is ``"projectile"`` (657 stays ``"missile"``) and 836 is ``"sunglass"`` (837 stays
``"sunglasses"``). Look-ups ignore case, underscores and repeated spaces.
"""

from __future__ import annotations

from functools import lru_cache

from latentlab.errors import unknown_name_error

#: index -> WordNet name for the classes whose open_clip names are duplicated
_DISAMBIGUATED = {744: "projectile", 836: "sunglass"}


@lru_cache(maxsize=1)
def imagenet_class_names() -> tuple[str, ...]:
    """The 1000 ImageNet class names, unique, in class-index order."""
    from open_clip.zero_shot_metadata import IMAGENET_CLASSNAMES

    names = tuple(_DISAMBIGUATED.get(i, name) for i, name in enumerate(IMAGENET_CLASSNAMES))
    assert len(names) == 1000 and len({_normalise(n) for n in names}) == 1000, "ImageNet class names must be unique"
    return names


def _normalise(name: str) -> str:
    return " ".join(str(name).replace("_", " ").lower().split())


@lru_cache(maxsize=1)
def _index_by_name() -> dict[str, int]:
    return {_normalise(name): i for i, name in enumerate(imagenet_class_names())}


def imagenet_class_index(name: str, names: tuple[str, ...] | None = None) -> int:
    """Index of an ImageNet class by name (case-insensitive); unknown names suggest close ones.

    ``names`` replaces the ImageNet list (a generator with other class names uses this too).
    """
    if names is None or names == imagenet_class_names():
        index = _index_by_name().get(_normalise(name))
        names = imagenet_class_names()
    else:
        index = next((i for i, n in enumerate(names) if _normalise(n) == _normalise(name)), None)
    if index is None:
        raise unknown_name_error("class", name, names)
    return index


def search_imagenet_classes(query: str, limit: int = 20) -> list[tuple[int, str]]:
    """ImageNet classes whose name contains ``query`` (case-insensitive), as (index, name) pairs.

    When nothing contains it, the closest names by spelling are returned instead.
    """
    import difflib

    needle = _normalise(query)
    if not needle:
        raise ValueError(f"query must be a non-empty class name or part of one, got {query!r}")
    names = imagenet_class_names()
    hits = [(i, n) for i, n in enumerate(names) if needle in _normalise(n)]
    if not hits:
        close = difflib.get_close_matches(needle, list(_index_by_name()), n=limit, cutoff=0.5)
        hits = [(_index_by_name()[c], names[_index_by_name()[c]]) for c in close]
    return hits[:limit]


__all__ = ["imagenet_class_index", "imagenet_class_names", "search_imagenet_classes"]


class ImageNetClassNames:
    """Mixin of ImageNet-conditional generators: the 1000 class names (``class i`` for another class
    count) and class lookup by name, case-insensitive, with close names suggested."""

    def _set_class_names(self, n_classes: int) -> None:
        self.class_names = imagenet_class_names() if n_classes == 1000 else tuple(f"class {i}" for i in range(n_classes))

    def class_index(self, name: int | str) -> int:
        """Index of a class by index or name (case-insensitive); unknown names suggest close ones."""
        if isinstance(name, str):
            return imagenet_class_index(name, self.class_names)
        return super().class_index(name)
