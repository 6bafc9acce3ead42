"""An endless, seeded stream of Shapes batches for training."""

from __future__ import annotations

from collections.abc import Iterator

import torch

from latentlab.data.shapes import ShapesBatch, render_shapes
from latentlab.errors import check_positive_int


class ShapesDataset(torch.utils.data.IterableDataset):
    """Yields ``ShapesBatch`` objects; batch ``i`` is rendered from seed ``seed * 1_000_003 + i``.

    ``batches=None`` streams forever. Rendering is fast enough that no worker processes
    are needed: iterate it directly rather than through a DataLoader.
    """

    def __init__(self, batch_size: int = 64, seed: int = 0, batches: int | None = None, size: int = 64, **chosen):
        self.batch_size = check_positive_int("batch_size", batch_size)
        self.size = check_positive_int("size", size)
        self.batches = None if batches is None else check_positive_int("batches", batches)
        self.seed, self.chosen = int(seed), chosen

    def batch(self, index: int) -> ShapesBatch:
        return render_shapes(self.batch_size, self.seed * 1_000_003 + index, size=self.size, **self.chosen)

    def __iter__(self) -> Iterator[ShapesBatch]:
        index = 0
        while self.batches is None or index < self.batches:
            yield self.batch(index)
            index += 1
