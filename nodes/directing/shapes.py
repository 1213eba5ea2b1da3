"""Mask shapes as params: rectangles, ellipses and polygons, in pixels or fractions of the frame,
rasterised into a soft mask (float32, 0 = untouched, 1 = selected) with a feathered edge.

Feathering is a ramp across the shape's edge built from the signed distance to it, not a blur: a
pixel farther than feather / 2 outside every shape is exactly 0, so nodes that composite with the
mask can promise that those pixels are byte-identical to their input.
"""
from __future__ import annotations

from typing import Annotated, Literal, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

Units = Literal["px", "fraction"]
Coordinate = Annotated[float, Field(ge=-100_000, le=100_000)]
Point = tuple[Coordinate, Coordinate]


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    units: Units = Field("px", description="px: pixels from the top-left corner; fraction: 0..1 of the "
                                           "frame's width and height")
    subtract: bool = Field(False, description="Remove this shape from the shapes before it")

    def scale(self, width: int, height: int) -> np.ndarray:
        return np.array([width, height], dtype=np.float64) if self.units == "fraction" else np.ones(2)


class Rectangle(_Shape):
    shape: Literal["rectangle"] = "rectangle"
    box: tuple[Coordinate, Coordinate, Coordinate, Coordinate] = Field(
        description="[left, top, right, bottom]")

    @model_validator(mode="after")
    def ordered(self) -> Rectangle:
        left, top, right, bottom = self.box
        if right <= left or bottom <= top:
            raise ValueError("a rectangle's box is [left, top, right, bottom] with right > left and bottom > top")
        return self

    def polygon(self, width: int, height: int) -> np.ndarray:
        left, top, right, bottom = self.box
        corners = np.array([[left, top], [right, top], [right, bottom], [left, bottom]], dtype=np.float64)
        return corners * self.scale(width, height)


class Ellipse(Rectangle):
    """The ellipse inscribed in its box."""

    shape: Literal["ellipse"] = "ellipse"

    def polygon(self, width: int, height: int) -> np.ndarray:
        left, top, right, bottom = self.box
        (x0, y0), (x1, y1) = np.array([[left, top], [right, bottom]]) * self.scale(width, height)
        centre, radii = ((x0 + x1) / 2, (y0 + y1) / 2), ((x1 - x0) / 2, (y1 - y0) / 2)
        # Enough vertices that the polygon is within a tenth of a pixel of the true ellipse.
        count = int(np.clip(2 * np.pi * max(radii) / 2, 32, 4096))
        angles = np.linspace(0, 2 * np.pi, count, endpoint=False)
        return np.stack([centre[0] + radii[0] * np.cos(angles), centre[1] + radii[1] * np.sin(angles)], axis=1)


class Polygon(_Shape):
    shape: Literal["polygon"] = "polygon"
    points: list[Point] = Field(min_length=3, max_length=10_000, description="Vertices [[x, y], ...], in order")

    def polygon(self, width: int, height: int) -> np.ndarray:
        return np.array(self.points, dtype=np.float64) * self.scale(width, height)


MaskShape = Annotated[Union[Rectangle, Ellipse, Polygon], Field(discriminator="shape")]

# Sub-pixel vertex precision for cv2.fillPoly (coordinates are fixed point with this many bits).
_SHIFT = 4


def hard_mask(shapes: list, width: int, height: int) -> np.ndarray:
    """The shapes filled (uint8 0/1), in order: later subtracting shapes cut earlier ones."""
    import cv2

    mask = np.zeros((height, width), np.uint8)
    for shape in shapes:
        # Pixel centres sit at integer coordinates: a box [0, 0, 4, 4] covers pixels 0..3.
        vertices = np.round((shape.polygon(width, height) - 0.5) * (1 << _SHIFT)).astype(np.int32)
        cv2.fillPoly(mask, [vertices], 0 if shape.subtract else 1, lineType=cv2.LINE_8, shift=_SHIFT)
    return mask


def feather_mask(hard: np.ndarray, feather: float) -> np.ndarray:
    """A 0/1 mask with a smooth ramp `feather` pixels wide centred on its edge (float32 0..1).

    Pixels farther than feather / 2 from the edge keep their hard value exactly."""
    import cv2

    hard = (hard > 0).astype(np.uint8)
    if feather <= 0 or not hard.any() or hard.all():
        return hard.astype(np.float32)
    inside = cv2.distanceTransform(hard, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    outside = cv2.distanceTransform(1 - hard, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    # Distances are to the nearest pixel of the other side; the edge lies half a pixel between.
    signed = np.where(hard > 0, inside - 0.5, 0.5 - outside)
    ramp = np.clip(0.5 + signed / feather, 0.0, 1.0)
    return (ramp * ramp * (3.0 - 2.0 * ramp)).astype(np.float32)  # smoothstep: no kink at either end


def shapes_mask(shapes: list, width: int, height: int, feather: float = 0.0) -> np.ndarray:
    return feather_mask(hard_mask(shapes, width, height), feather)
