"""Run an image-to-image upscaler tile by tile, so memory stays bounded at any frame size.

Each tile is cut with `overlap` pixels of context on every side (clipped at the frame's edges),
upscaled, and only its centre is pasted into the output. The context hides the seams: for a
convolutional model whose receptive radius is at most `overlap` pixels, the result equals
running the whole frame at once.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only; numpy is imported where a node runs, not when it is listed
    import numpy as np


# Upscales an H x W x 3 uint8 region to (H*scale) x (W*scale) x 3 uint8.
RegionUpscaler = Callable[["np.ndarray"], "np.ndarray"]


@dataclass(frozen=True)
class Tile:
    """Rows [top, bottom) x columns [left, right) of the input, and the context cut around them."""

    top: int
    bottom: int
    left: int
    right: int
    context_top: int
    context_bottom: int
    context_left: int
    context_right: int


def _spans(length: int, tile: int) -> list[tuple[int, int]]:
    return [(start, min(start + tile, length)) for start in range(0, length, tile)]


def tiles(height: int, width: int, tile: int, overlap: int) -> Iterator[Tile]:
    """The tiles covering a height x width frame; `tile` <= 0 means the whole frame as one tile."""
    rows = _spans(height, tile) if tile > 0 else [(0, height)]
    columns = _spans(width, tile) if tile > 0 else [(0, width)]
    for top, bottom in rows:
        for left, right in columns:
            yield Tile(top, bottom, left, right, max(0, top - overlap), min(height, bottom + overlap),
                       max(0, left - overlap), min(width, right + overlap))


def upscale_tiled(frame: np.ndarray, upscale_region: RegionUpscaler, scale: int, *, tile: int,
                  overlap: int) -> np.ndarray:
    """`frame` (H x W x 3 uint8) upscaled by `scale`, one tile at a time."""
    import numpy as np

    height, width = frame.shape[:2]
    output = np.empty((height * scale, width * scale, 3), dtype=np.uint8)
    for t in tiles(height, width, tile, overlap):
        region = frame[t.context_top:t.context_bottom, t.context_left:t.context_right]
        upscaled = upscale_region(region)
        expected = (region.shape[0] * scale, region.shape[1] * scale, 3)
        if upscaled.shape != expected:
            raise ValueError(f"the upscaler returned {upscaled.shape} for a {region.shape} region, "
                             f"expected {expected}")
        top, left = (t.top - t.context_top) * scale, (t.left - t.context_left) * scale
        rows, columns = (t.bottom - t.top) * scale, (t.right - t.left) * scale
        output[t.top * scale:t.bottom * scale, t.left * scale:t.right * scale] = \
            upscaled[top:top + rows, left:left + columns]
    return output
