"""Dense optical flow between two frames, and the warps and checks built on it.

A flow field F from frame a to frame b holds, for each pixel p of a, the displacement F(p) to the
same scene point in b: a(p) ~ b(p + F(p)). Flow is estimated on grey levels at a reduced
resolution (`scale`): motion fields are smooth, so half resolution loses little accuracy and runs
about four times faster. Displacements are kept in the reduced grid's pixels.
Imported lazily by the interpolation node, so cv2 loads only when frames are computed.
"""
from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

# OpenCV's DIS refuses images with both sides below this.
MIN_FLOW_SIDE = 12
# (OpenCV preset, finest pyramid level searched) for reelgraph's presets. OpenCV's medium preset
# stops one level above the image it is given; "medium" searches down to the image itself, which
# sharpens motion detail (+1.4 dB mean PSNR in bench/interpolation.py) for about 1.7x the time.
DIS_PRESETS = {"fast": (cv2.DISOPTICAL_FLOW_PRESET_MEDIUM, 1),
               "medium": (cv2.DISOPTICAL_FLOW_PRESET_MEDIUM, 0)}


class FlowEstimator:
    """OpenCV's DIS (dense inverse search: fast, accurate on textured photographs) or Farneback."""

    def __init__(self, method: str = "dis", preset: str = "medium", scale: float = 0.5) -> None:
        self.method = method
        self.scale = scale
        self._dis = None
        if method == "dis":
            opencv_preset, finest_scale = DIS_PRESETS[preset]
            self._dis = cv2.DISOpticalFlow_create(opencv_preset)
            self._dis.setFinestScale(finest_scale)

    def prepare(self, frame: np.ndarray) -> np.ndarray:
        """The grey, reduced-resolution image that flow is computed on."""
        grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        if self.scale == 1:
            return grey
        height, width = frame.shape[:2]
        # DIS needs 12 pixels on a side; never reduce below that.
        size = (max(min(width, MIN_FLOW_SIDE), round(width * self.scale)),
                max(min(height, MIN_FLOW_SIDE), round(height * self.scale)))
        return cv2.resize(grey, size, interpolation=cv2.INTER_AREA)

    def flow(self, grey_a: np.ndarray, grey_b: np.ndarray) -> np.ndarray:
        """Flow from a to b, H x W x 2 float32 in the reduced grid's pixels."""
        if self._dis is not None:
            return self._dis.calc(grey_a, grey_b, None)
        return cv2.calcOpticalFlowFarneback(grey_a, grey_b, None, pyr_scale=0.5, levels=5, winsize=21,
                                            iterations=4, poly_n=7, poly_sigma=1.5, flags=0)


@lru_cache(maxsize=8)
def pixel_grid(height: int, width: int) -> np.ndarray:
    """H x W x 2 float32: each pixel's own (x, y). Shared between calls, so read-only."""
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    grid = np.dstack([xs, ys])
    grid.setflags(write=False)
    return grid


def sample(field: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """`field` read at (x, y) `positions` with bilinear interpolation, edges extended."""
    return cv2.remap(field, positions, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def leaves_frame(flow: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Pixels that the flow carries outside the frame (bool)."""
    height, width = flow.shape[:2]
    landing = grid + flow
    return ((landing[..., 0] < -0.5) | (landing[..., 0] > width - 0.5)
            | (landing[..., 1] < -0.5) | (landing[..., 1] > height - 0.5))


def occlusion(flow_ab: np.ndarray, flow_ba: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """How surely each pixel of a is hidden in b (0 = seen in both, 1 = hidden or out of frame).

    Forward-backward consistency (Sundaram et al. 2010): following a pixel to b and back should
    return to it; where it does not, the pixel has no counterpart in b.
    """
    back = sample(flow_ba, grid + flow_ab)
    error = np.sum((flow_ab + back) ** 2, axis=2)
    tolerance = 0.01 * (np.sum(flow_ab ** 2, axis=2) + np.sum(back ** 2, axis=2)) + 0.5
    hidden = np.clip(error / tolerance - 1.0, 0.0, 1.0)
    hidden[leaves_frame(flow_ab, grid)] = 1.0
    # Flow is least reliable right at motion boundaries: widen the occluded band by a pixel.
    hidden = cv2.dilate(hidden, np.ones((3, 3), np.uint8))
    return cv2.blur(hidden, (3, 3))


def displacement_to_time(flow: np.ndarray, t: float, grid: np.ndarray, start: np.ndarray | None = None,
                         iterations: int = 4) -> np.ndarray:
    """For each pixel x of the in-between frame at time t, the displacement d with x - d the pixel
    of the start frame that moves onto x: a fixed point of d = t * flow(x - d), searched from
    `start` (t * flow(x) when not given).

    Backward warping by this inverse needs no splatting, so the in-between frame has no holes.
    Where two surfaces move onto x (an occlusion), there are two fixed points; the start decides
    which one is found.
    """
    displacement = t * flow if start is None else start
    for _ in range(iterations):
        displacement = t * sample(flow, grid - displacement)
    return displacement


def upscale_displacement(displacement: np.ndarray, width: int, height: int) -> np.ndarray:
    """A reduced-grid displacement field resized to width x height, in full-resolution pixels."""
    small_h, small_w = displacement.shape[:2]
    if (small_w, small_h) == (width, height):
        return displacement
    full = cv2.resize(displacement, (width, height), interpolation=cv2.INTER_LINEAR)
    full[..., 0] *= width / small_w
    full[..., 1] *= height / small_h
    return full


def backward_warp(image: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """`image` read at `positions` (H x W x 2 float32 x, y), bilinear, edges extended."""
    return cv2.remap(image, positions, None, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
