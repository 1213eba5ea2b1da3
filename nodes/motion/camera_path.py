"""Camera paths: keyframed poses placed along 0..1 and eased between, and the timeline that
gives each input picture its slot (with crossfades) in a sequence.

A pose says what the camera sees of one picture:
  zoom    magnification relative to the picture just covering the output frame (1 = cover fit,
          2 = twice as close); interpolated geometrically, so a push-in keeps a steady pace;
  pan     [x, y]: where the view centre sits, as a fraction of the picture's width and height
          from its centre ([0.1, 0] looks 10% of the width to the right of centre);
  rotate  degrees the picture turns counter-clockwise in the frame (the camera rolls clockwise).

Pure arithmetic, no image library: the node's params import it, and so does validation.
"""
from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

PanFraction = Annotated[float, Field(ge=-10, le=10)]
Easing = Literal["linear", "ease-in", "ease-out", "ease-in-out"]

EASINGS: dict[str, Callable[[float], float]] = {
    "linear": lambda u: u,
    "ease-in": lambda u: u * u,
    "ease-out": lambda u: 1.0 - (1.0 - u) ** 2,
    "ease-in-out": lambda u: u * u * (3.0 - 2.0 * u),  # smoothstep: zero speed at both ends
}


class CameraKeyframe(BaseModel):
    """One pose of the camera path."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    zoom: float = Field(1.0, ge=0.1, le=20,
                        description="Magnification; 1 = the picture just covers the frame")
    pan: tuple[PanFraction, PanFraction] = Field(
        (0.0, 0.0), description="[x, y] view centre offset, as fractions of the picture's width and height")
    rotate: float = Field(0.0, ge=-3600, le=3600,
                          description="Degrees the picture turns counter-clockwise in the frame")
    at: float | None = Field(None, ge=0, le=1, description="Position along the move (0 = start, 1 = end); "
                                                           "when empty, keyframes are spread evenly")
    easing: Easing | None = Field(None, description="Easing of the move arriving at this keyframe; "
                                                    "the node's easing when empty")


@dataclass(frozen=True)
class CameraPose:
    zoom: float = 1.0
    pan_x: float = 0.0
    pan_y: float = 0.0
    rotate: float = 0.0


def keyframe_positions(ats: Sequence[float | None]) -> list[float]:
    """Every keyframe's position: given ones kept, the first and last default to 0 and 1, and the
    missing ones in between are spread evenly between their given neighbours."""
    count = len(ats)
    known = list(ats)
    if count == 1:
        return [known[0] if known[0] is not None else 0.0]
    if known[0] is None:
        known[0] = 0.0
    if known[-1] is None:
        known[-1] = 1.0
    anchors = [i for i, at in enumerate(known) if at is not None]
    for left, right in zip(anchors, anchors[1:]):
        for i in range(left + 1, right):
            known[i] = known[left] + (known[right] - known[left]) * (i - left) / (right - left)
    return [float(at) for at in known]


def misordered_keyframe(ats: Sequence[float | None]) -> int | None:
    """The index of the first keyframe placed before its predecessor, or None when in order."""
    positions = keyframe_positions(ats)
    for i in range(1, len(positions)):
        if positions[i] < positions[i - 1]:
            return i
    return None


class CameraPath:
    """The pose at any position 0..1 of a move through keyframes."""

    def __init__(self, keyframes: Sequence[CameraKeyframe], easing: Easing = "linear") -> None:
        if not keyframes:
            raise ValueError("a camera path needs at least one keyframe")
        self.positions = keyframe_positions([k.at for k in keyframes])
        self.poses = [CameraPose(k.zoom, k.pan[0], k.pan[1], k.rotate) for k in keyframes]
        self.easings = [EASINGS[k.easing or easing] for k in keyframes]

    def pose_at(self, position: float) -> CameraPose:
        positions = self.positions
        if position <= positions[0]:
            return self.poses[0]
        if position >= positions[-1]:
            return self.poses[-1]
        end = bisect_right(positions, position)  # positions[end - 1] <= position < positions[end]
        start = end - 1
        span = positions[end] - positions[start]
        u = self.easings[end]((position - positions[start]) / span) if span > 0 else 1.0
        a, b = self.poses[start], self.poses[end]
        return CameraPose(
            zoom=math.exp(math.log(a.zoom) + (math.log(b.zoom) - math.log(a.zoom)) * u),
            pan_x=a.pan_x + (b.pan_x - a.pan_x) * u,
            pan_y=a.pan_y + (b.pan_y - a.pan_y) * u,
            rotate=a.rotate + (b.rotate - a.rotate) * u,
        )


@dataclass(frozen=True)
class Layer:
    """One picture's share of a frame: which picture, how opaque, and where along its path."""

    picture: int
    weight: float
    progress: float


@dataclass(frozen=True)
class SlideTimeline:
    """Pictures shown one after another, `seconds / pictures` each, crossfading around each
    boundary for `crossfade` seconds (half before, half after the boundary).

    `per_picture`: each picture runs the whole camera path during the time it is visible;
    otherwise one path spans the whole sequence and every picture sees its part of it.
    """

    pictures: int
    seconds: float
    crossfade: float = 0.0
    per_picture: bool = True

    @property
    def slot(self) -> float:
        return self.seconds / self.pictures

    def visible_span(self, picture: int) -> tuple[float, float]:
        half = self.crossfade / 2
        start = 0.0 if picture == 0 else picture * self.slot - half
        end = self.seconds if picture == self.pictures - 1 else (picture + 1) * self.slot + half
        return start, end

    def layers(self, time: float) -> list[Layer]:
        slot, half = self.slot, self.crossfade / 2
        current = min(self.pictures - 1, int(time // slot)) if slot > 0 else 0
        boundary_after = (current + 1) * slot
        if current + 1 < self.pictures and half > 0 and time >= boundary_after - half:
            mix = (time - (boundary_after - half)) / self.crossfade
            return [self._layer(current, 1 - mix, time), self._layer(current + 1, mix, time)]
        boundary_before = current * slot
        if current > 0 and half > 0 and time < boundary_before + half:
            mix = (time - (boundary_before - half)) / self.crossfade
            return [self._layer(current - 1, 1 - mix, time), self._layer(current, mix, time)]
        return [self._layer(current, 1.0, time)]

    def _layer(self, picture: int, weight: float, time: float) -> Layer:
        if not self.per_picture:
            progress = time / self.seconds if self.seconds > 0 else 0.0
        else:
            start, end = self.visible_span(picture)
            progress = (time - start) / (end - start) if end > start else 0.0
        return Layer(picture, weight, min(1.0, max(0.0, progress)))


def frame_position(index: int, count: int) -> float:
    """Where frame `index` of `count` sits along the move: the first frame at 0, the last at 1."""
    return index / (count - 1) if count > 1 else 0.0
