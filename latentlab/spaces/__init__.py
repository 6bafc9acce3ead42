"""Latent spaces: the things methods search, walk and edit (Z, Z+class, W, W+, StyleSpace, a region).

Each is a :class:`LatentSpace` of flat vectors; :func:`resolve_space` turns a name into one for a
generator (which declares what it offers in ``generator.latent_spaces``); :func:`register_space`
adds a new kind.
"""

from latentlab.spaces.base import LatentSpace
from latentlab.spaces.direction import Direction, check_t_values, t_grid
from latentlab.spaces.region import RegionEdit, RegionSpace
from latentlab.spaces.registry import SPACES, register_space, resolve_space, space_name
from latentlab.spaces.stylespace import StyleSpace
from latentlab.spaces.w import WPlusSpace, WSpace
from latentlab.spaces.z import CLASS_LOGIT, ZClassSpace, ZSpace

register_space("z", lambda generator, classes=None: ZSpace(generator, classes))
register_space("z+class", lambda generator, classes=None: ZClassSpace(generator))
register_space("w", lambda generator, classes=None: WSpace(generator, classes))
register_space("w+", lambda generator, classes=None: WPlusSpace(generator, classes))
register_space("stylespace", lambda generator, classes=None: StyleSpace(generator, classes))

__all__ = ["CLASS_LOGIT", "SPACES", "Direction", "LatentSpace", "RegionEdit", "RegionSpace", "StyleSpace", "WPlusSpace",
           "WSpace", "ZClassSpace", "ZSpace", "check_t_values", "register_space", "resolve_space", "space_name", "t_grid"]
