"""Motion-brush strokes: a region, the path its centre travels, and how it turns and grows.

A stroke's path lists offsets [dx, dy] from where the region sits in the still, the first usually
[0, 0]. The region moves along the polyline at a constant speed in eased time (the easing shapes
the whole move, so it does not stop at every waypoint); rotation and scale reach their end values
with the same eased progress. Pure arithmetic on params: validation and rendering share it.
"""
from __future__ import annotations

import math

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from reelgraph.nodes.directing.shapes import Coordinate, MaskShape, Units
from reelgraph.nodes.motion.camera_path import EASINGS, Easing


class Stroke(BaseModel):
    """One brushed region and its motion."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    region: list[MaskShape] = Field([], max_length=1000, description="The region that moves (shapes); empty: "
                                    "the mask input")
    path: list[tuple[Coordinate, Coordinate]] = Field(
        min_length=1, max_length=1000, description="Offsets [dx, dy] of the region from its place in the still, "
                                                   "passed through in order over the move")
    units: Units = Field("px", description="Units of path: px, or fractions of the frame's width and height")
    rotate: float = Field(0.0, ge=-3600, le=3600, description="Degrees the region has turned counter-clockwise "
                                                              "by the end of the move")
    scale: float = Field(1.0, ge=0.05, le=20, description="The region's size at the end of the move (1: unchanged)")
    easing: Easing = Field("ease-in-out", description="How the region accelerates over the move")
    start: float = Field(0.0, ge=0, le=1, description="When the move starts (0..1 of the clip)")
    end: float = Field(1.0, ge=0, le=1, description="When the move ends (0..1 of the clip)")
    feather: float = Field(8.0, ge=0, le=1000, description="Width in pixels of the region's soft edge")

    @model_validator(mode="after")
    def start_before_end(self) -> Stroke:
        if self.end <= self.start:
            raise ValueError("a stroke's end must come after its start")
        return self


class StrokeMotion:
    """Where a stroke's region is at time u (0..1 of the clip): offset, rotation, scale."""

    def __init__(self, stroke: Stroke, width: int, height: int) -> None:
        scale = np.array([width, height], float) if stroke.units == "fraction" else np.ones(2)
        self.points = np.array(stroke.path, dtype=np.float64) * scale
        lengths = np.linalg.norm(np.diff(self.points, axis=0), axis=1) if len(self.points) > 1 else np.zeros(0)
        self.cumulative = np.concatenate([[0.0], np.cumsum(lengths)])
        self.stroke = stroke

    def progress(self, u: float) -> float:
        stroke = self.stroke
        local = min(1.0, max(0.0, (u - stroke.start) / (stroke.end - stroke.start)))
        return EASINGS[stroke.easing](local)

    def offset(self, u: float) -> np.ndarray:
        total = self.cumulative[-1]
        if total == 0:
            return self.points[0].copy()
        distance = self.progress(u) * total
        segment = min(int(np.searchsorted(self.cumulative, distance, side="right")) - 1, len(self.points) - 2)
        span = self.cumulative[segment + 1] - self.cumulative[segment]
        fraction = 0.0 if span == 0 else (distance - self.cumulative[segment]) / span
        return self.points[segment] + fraction * (self.points[segment + 1] - self.points[segment])

    def pose(self, u: float) -> tuple[np.ndarray, float, float]:
        """(offset [dx, dy] in pixels, degrees counter-clockwise, scale) at time u."""
        progress = self.progress(u)
        return self.offset(u), self.stroke.rotate * progress, math.exp(math.log(self.stroke.scale) * progress)


def affine(centre: np.ndarray, offset: np.ndarray, degrees: float, scale: float) -> np.ndarray:
    """2 x 3 matrix taking the still's pixels to the frame: turn and scale about the region's
    centre, then move by offset (cv2.getRotationMatrix2D's convention, counter-clockwise)."""
    radians = math.radians(degrees)
    a, b = scale * math.cos(radians), scale * math.sin(radians)
    cx, cy = centre
    return np.array([[a, b, (1 - a) * cx - b * cy + offset[0]],
                     [-b, a, b * cx + (1 - a) * cy + offset[1]]], dtype=np.float64)


def frame_time(index: int, count: int) -> float:
    """Position of frame `index` in the clip, 0 for the first frame and 1 for the last."""
    return index / (count - 1) if count > 1 else 0.0
