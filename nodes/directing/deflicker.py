"""Deflicker: flow-aligned temporal filtering of a sequence's low-frequency luminance and colour.

Flicker lives in the low frequencies (a frame a little brighter, a region a little warmer), detail
in the high ones. Each frame is reduced to a coarse grid (one cell per `radius` / 4 pixels); the
previous output's coarse picture is warped onto the frame along the optical flow and blended with
it as an exponential moving average over about `window` frames, and the difference (the
correction) is smoothed, scaled up and added to the full frame. Detail is never filtered, so
nothing blurs; where the forward-backward check says a pixel was not visible in the previous frame
(occlusion, new content at the edges) the frame's own colours win.

Streaming: the state is the previous frame's grey picture and the coarse reference, whatever the
length of the sequence.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

import cv2
import numpy as np

from reelgraph.nodes.motion.optical_flow import FlowEstimator, occlusion, pixel_grid, sample

# Flow is estimated on grey frames at most this wide: the correction it aligns is coarse anyway.
FLOW_MAX_SIDE = 480


def coarse_size(width: int, height: int, radius: float) -> tuple[int, int]:
    cell = max(1.0, radius / 4)
    return max(4, round(width / cell)), max(4, round(height / cell))


def resize_flow(flow: np.ndarray, width: int, height: int) -> np.ndarray:
    small_h, small_w = flow.shape[:2]
    resized = cv2.resize(flow, (width, height), interpolation=cv2.INTER_AREA)
    resized[..., 0] *= width / small_w
    resized[..., 1] *= height / small_h
    return resized


class Deflicker:
    def __init__(self, width: int, height: int, window: float, radius: float) -> None:
        self.memory = 1.0 - 2.0 / (window + 1.0)  # the EMA weight whose mean age is (window - 1) / 2
        self.size = (width, height)
        self.coarse = coarse_size(width, height, radius)
        scale = min(1.0, FLOW_MAX_SIDE / max(width, height))
        self.flow_size = (max(16, round(width * scale)), max(16, round(height * scale)))
        self.estimator = FlowEstimator("dis", "fast", scale=1.0)
        self.previous_grey: np.ndarray | None = None
        self.reference: np.ndarray | None = None

    def refine(self, frame: np.ndarray) -> np.ndarray:
        grey = cv2.resize(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY), self.flow_size, interpolation=cv2.INTER_AREA)
        coarse = cv2.resize(frame, self.coarse, interpolation=cv2.INTER_AREA).astype(np.float32)
        if self.reference is None:
            self.previous_grey, self.reference = grey, coarse
            return frame
        width, height = self.coarse
        to_previous = resize_flow(self.estimator.flow(grey, self.previous_grey), width, height)
        from_previous = resize_flow(self.estimator.flow(self.previous_grey, grey), width, height)
        grid = pixel_grid(height, width)
        hidden = occlusion(to_previous, from_previous, grid)
        warped = sample(self.reference, grid + to_previous)
        weight = (self.memory * (1.0 - hidden))[..., None]
        target = weight * warped + (1.0 - weight) * coarse
        correction = cv2.GaussianBlur(target - coarse, (0, 0), 1.0)
        self.previous_grey, self.reference = grey, coarse + correction
        full = cv2.resize(correction, self.size, interpolation=cv2.INTER_CUBIC)
        return np.clip(np.round(frame.astype(np.float32) + full), 0, 255).astype(np.uint8)


def deflicker(frames: Iterable[np.ndarray], width: int, height: int, window: float,
              radius: float) -> Iterator[np.ndarray]:
    state = Deflicker(width, height, window, radius)
    for frame in frames:
        yield state.refine(frame)
