"""Temporal-consistency metrics of a frame sequence, computed two frames at a time.

- warp error: how far a frame differs from the next frame warped back onto it along the optical
  flow (DIS), over the pixels the flow can explain. Pixels failing the forward-backward check
  (occluded, or where the flow is unreliable) are left out, as in Lai et al., "Learning Blind
  Video Temporal Consistency" (ECCV 2018); their share is reported as `occluded`.
- SSIM: structural similarity of consecutive frames (grey levels), averaged.
- flicker: the standard deviation of the frame-to-frame change of mean luminance. A steady pan
  changes brightness slowly and evenly; flicker or jumps make that change erratic.

Memory stays bounded whatever the length: `TemporalMeter` holds the previous frame and running
sums (Welford's algorithm for the variance), never the sequence.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

# Forward-backward consistency (Sundaram et al. 2010): a pixel's flow is trusted when following it
# forward then backward comes back within this tolerance (relative and absolute, in pixels²).
FB_RELATIVE, FB_ABSOLUTE = 0.01, 0.5
# BT.709 luma weights: the same luminance the encoder writes.
LUMA_WEIGHTS = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)


@dataclass(frozen=True)
class PairMetrics:
    warp_error: float  # mean absolute RGB difference over trusted pixels, 0..1
    occluded: float    # share of pixels whose flow failed the forward-backward check, 0..1
    ssim: float        # -1..1, 1 for identical frames
    luma_delta: float  # change of mean luminance, 0..255 scale


def downscale(frame: np.ndarray, max_side: int) -> np.ndarray:
    """The frame shrunk (area filter) so its longer side is at most max_side."""
    import cv2

    height, width = frame.shape[:2]
    scale = max_side / max(height, width)
    if scale >= 1:
        return frame
    size = (max(8, round(width * scale)), max(8, round(height * scale)))
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)


def _sample(image: np.ndarray, map_x: np.ndarray, map_y: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.remap(image, map_x, map_y, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def warp_error(previous: np.ndarray, current: np.ndarray, dis) -> tuple[float, float]:
    """(mean |previous - current warped onto previous| over trusted pixels, occluded share)."""
    import cv2

    grey_previous = cv2.cvtColor(previous, cv2.COLOR_RGB2GRAY)
    grey_current = cv2.cvtColor(current, cv2.COLOR_RGB2GRAY)
    forward = dis.calc(grey_previous, grey_current, None)
    backward = dis.calc(grey_current, grey_previous, None)
    height, width = grey_previous.shape
    grid_x, grid_y = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    map_x, map_y = grid_x + forward[..., 0], grid_y + forward[..., 1]
    backward_there = _sample(backward, map_x, map_y)
    round_trip = forward + backward_there
    tolerance = FB_RELATIVE * ((forward ** 2).sum(-1) + (backward_there ** 2).sum(-1)) + FB_ABSOLUTE
    inside = (map_x >= 0) & (map_x <= width - 1) & (map_y >= 0) & (map_y <= height - 1)
    trusted = inside & ((round_trip ** 2).sum(-1) < tolerance)
    occluded = 1.0 - float(trusted.mean())
    if not trusted.any():  # nothing can be explained by motion: the frames are unrelated
        return 1.0, occluded
    warped = _sample(current, map_x, map_y).astype(np.float32)
    difference = np.abs(previous.astype(np.float32) - warped).mean(-1) / 255.0
    return float(difference[trusted].mean()), occluded


def frame_ssim(previous: np.ndarray, current: np.ndarray) -> float:
    import cv2
    from skimage.metrics import structural_similarity

    grey_previous = cv2.cvtColor(previous, cv2.COLOR_RGB2GRAY)
    grey_current = cv2.cvtColor(current, cv2.COLOR_RGB2GRAY)
    window = min(7, (min(grey_previous.shape) - 1) | 1)  # odd, and no larger than the frame
    return float(structural_similarity(grey_previous, grey_current, data_range=255, win_size=window))


def mean_luma(frame: np.ndarray) -> float:
    return float(frame.reshape(-1, 3).mean(0) @ LUMA_WEIGHTS)


@dataclass
class RunningStats:
    """Count, mean, variance (Welford), min and max of a stream of numbers, and where the extremes were."""

    count: int = 0
    mean: float = 0.0
    _m2: float = 0.0
    min: float = math.inf
    max: float = -math.inf
    argmin: int = -1
    argmax: int = -1

    def add(self, value: float, index: int) -> None:
        self.count += 1
        delta = value - self.mean
        self.mean += delta / self.count
        self._m2 += delta * (value - self.mean)
        if value < self.min:
            self.min, self.argmin = value, index
        if value > self.max:
            self.max, self.argmax = value, index

    @property
    def std(self) -> float:
        return math.sqrt(self._m2 / self.count) if self.count else 0.0


@dataclass
class TemporalMeter:
    """Feed frames one at a time; read the metrics of every consecutive pair so far."""

    max_side: int = 512
    frames: int = 0
    warp: RunningStats = field(default_factory=RunningStats)
    occluded: RunningStats = field(default_factory=RunningStats)
    ssim: RunningStats = field(default_factory=RunningStats)
    luma_delta: RunningStats = field(default_factory=RunningStats)
    _previous: np.ndarray | None = None
    _previous_luma: float = 0.0
    _dis: object = None

    def add(self, frame: np.ndarray) -> PairMetrics | None:
        """Add the next frame; returns the metrics of (previous, this) once there are two."""
        import cv2

        if self._dis is None:
            self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        small = downscale(np.ascontiguousarray(frame), self.max_side)
        luma = mean_luma(small)
        pair = None
        if self._previous is not None:
            index = self.frames - 1  # pair i compares frames i and i + 1
            error, occluded = warp_error(self._previous, small, self._dis)
            pair = PairMetrics(error, occluded, frame_ssim(self._previous, small), luma - self._previous_luma)
            self.warp.add(pair.warp_error, index)
            self.occluded.add(pair.occluded, index)
            self.ssim.add(pair.ssim, index)
            self.luma_delta.add(pair.luma_delta, index)
        self._previous, self._previous_luma = small, luma
        self.frames += 1
        return pair

    @property
    def flicker(self) -> float:
        return self.luma_delta.std
