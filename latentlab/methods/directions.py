"""Directions live in :mod:`latentlab.spaces.direction` (a direction belongs to a latent space); re-exported here."""

from latentlab.spaces.direction import Direction, check_t_values, t_grid

__all__ = ["Direction", "check_t_values", "t_grid"]
